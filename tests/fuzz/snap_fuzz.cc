// The snapshot file as shared/snap reads it (db_copy.h): the sha256 trailer layout and
// check on copy and on --dry-run (HashSnapshotDb), with the kernel copy and the read/write
// fallback, small buffers so inputs cross block boundaries. Oracles: the copy holds exactly
// the db bytes, and the copy and the dry run agree. (shared/snap writes the .snap file but
// never reads one; the WAL harness covers the other restore input.)
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shared/snap/db_copy.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz::MemFile src(in);
  fuzz::MemFile dst("");
  snap::DbCopyOptions o;
  o.buffer_size = 512 + (size % 3) * 1000;
  o.copy_chunk = 4096;
  o.kernel_copy = (size & 1) != 0;
  o.start_writeback = false;
  auto c = snap::CopySnapshotDb(src.fd(), src.path(), dst.fd(), dst.path(), o);
  auto h = snap::HashSnapshotDb(src.fd(), src.path(), o);
  if (!c || !h) return 0;
  if (c->db_size > size || c->has_trailer != snap::HasSha256Trailer(size)) std::abort();
  std::string copied(c->db_size, '\0');
  if (pread(dst.fd(), copied.data(), copied.size(), 0) != static_cast<ssize_t>(copied.size())) std::abort();
  if (in.substr(0, c->db_size) != copied) std::abort();
  if (c->hashed != h->hashed || (c->hashed && c->computed != h->computed)) std::abort();
  (void)snap::CheckSnapshotHash(*c, false);
  (void)snap::CheckSnapshotHash(*c, true);
  return 0;
}
