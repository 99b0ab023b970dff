// etcddb_status_bench SNAPSHOT: times etcddb::ComputeStatus (check + hash in one pass) and
// prints the result as etcdctl -w json does, then time, I/O and peak RSS on stderr.
// Not a test: run by hand against a big snapshot and compare with `etcdutl snapshot status`.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "shared/base/crc32c.h"
#include "shared/etcddb/status.h"

int main(int argc, char** argv) {
  using namespace etcdrestore;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SNAPSHOT\n", argv[0]);
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto reader = bbolt::Reader::Open(argv[1]);
  if (!reader) {
    std::fprintf(stderr, "Error: %s\n", reader.error().message().c_str());
    return 1;
  }
  auto st = etcddb::ComputeStatus(**reader);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!st) {
    std::fprintf(stderr, "Error: %s\n", st.error().message().c_str());
    return 1;
  }
  std::printf("{\"hash\":%u,\"revision\":%lld,\"totalKey\":%lld,\"totalSize\":%lld}\n", st->hash,
              static_cast<long long>(st->revision), static_cast<long long>(st->total_keys),
              static_cast<long long>(st->total_size));
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::fprintf(stderr, "time %.3f s, read %llu bytes in %llu preads, peak rss %ld KiB, hw crc32c %d\n", secs,
               static_cast<unsigned long long>((*reader)->bytes_read()),
               static_cast<unsigned long long>((*reader)->read_calls()), ru.ru_maxrss,
               crc32c::IsHardwareAccelerated() ? 1 : 0);
  return 0;
}
