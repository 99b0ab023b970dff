#include "shared/snap/db_copy.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "shared/base/file.h"

namespace etcdrestore::snap {
namespace {

// The sizes of src and its trailer, if it has one.
Result<DbCopyResult> ReadLayout(int src_fd, const std::string& src_path) {
  DbCopyResult r;
  ASSIGN_OR_RETURN(r.source_size, FileSize(src_fd, src_path));
  r.has_trailer = HasSha256Trailer(r.source_size);
  r.db_size = r.has_trailer ? r.source_size - kSha256TrailerSize : r.source_size;
  if (r.has_trailer) RETURN_IF_ERROR(ReadAt(src_fd, src_path, r.trailer.data(), kSha256TrailerSize, r.db_size));
  return r;
}

// Copies [off, off + n) of src to the same offset of dst. The kernel copies the pages
// itself (copy_file_range) unless it cannot for this pair of files; then *kernel_copy is
// cleared and a user-space read/write loop through buf does it, now and from then on.
Status CopyRange(int src_fd, const std::string& src_path, int dst_fd, const std::string& dst_path, uint64_t off,
                 uint64_t n, bool* kernel_copy, uint8_t* buf, size_t buf_size) {
  const uint64_t end = off + n;
  while (*kernel_copy && off < end) {
    loff_t in = static_cast<loff_t>(off), out = static_cast<loff_t>(off);
    ssize_t got = ::copy_file_range(src_fd, &in, dst_fd, &out, static_cast<size_t>(end - off), 0);
    if (got > 0) {
      off += static_cast<uint64_t>(got);
      continue;
    }
    if (got == 0) break;  // end of src: ReadAt below says so with the numbers
    if (errno == EINTR) continue;
    // Not possible for these files (another file system, a kernel or fs without it).
    if (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS) {
      *kernel_copy = false;
      break;
    }
    return Fail(ErrnoError("copy " + Quote(src_path) + " to " + Quote(dst_path), errno));
  }
  while (off < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf_size, end - off));
    RETURN_IF_ERROR(ReadAt(src_fd, src_path, buf, want, off));
    RETURN_IF_ERROR(WriteAllAt(dst_fd, dst_path, buf, want, off));
    off += want;
  }
  return {};
}

}  // namespace

Result<DbCopyResult> CopySnapshotDb(int src_fd, const std::string& src_path, int dst_fd, const std::string& dst_path,
                                    const DbCopyOptions& options) {
  if (dst_fd < 0) return Fail(ErrorCode::kInvalidArgument, "copying " + Quote(src_path) + ": no destination file");
  ASSIGN_OR_RETURN(DbCopyResult r, ReadLayout(src_fd, src_path));
  const bool hash = r.has_trailer && options.hash;
  const size_t block = std::max<size_t>(options.buffer_size, 4096);
  const uint64_t chunk = std::max<uint64_t>(options.copy_chunk, block);

  // The calling thread copies chunk by chunk and publishes how far dst is complete; the
  // hasher reads dst behind it (from the page cache: the pages were just written) and
  // hashes what was really written, as etcd does after its copy.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t copied = 0;
  bool stop = false;  // the copy failed or the hasher did: both sides give up
  Status hashed;
  Sha256 sha;
  std::thread hasher;
  if (hash) {
    hasher = std::thread([&] {
      auto buf = std::make_unique<uint8_t[]>(block);
      for (uint64_t off = 0; off < r.db_size;) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(block, r.db_size - off));
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return copied >= off + want || stop; });
          if (stop) return;
        }
        if (Status st = ReadAt(dst_fd, dst_path, buf.get(), want, off); !st) {
          std::lock_guard lock(mu);
          hashed = std::move(st);
          stop = true;
          return;
        }
        sha.Update(buf.get(), want);
        off += want;
      }
    });
  }
  Status copy = [&]() -> Status {
    auto buf = std::make_unique<uint8_t[]>(block);  // only if the kernel cannot copy
    bool kernel_copy = options.kernel_copy;
    for (uint64_t off = 0; off < r.db_size;) {
      const uint64_t n = std::min<uint64_t>(chunk, r.db_size - off);
      RETURN_IF_ERROR(CopyRange(src_fd, src_path, dst_fd, dst_path, off, n, &kernel_copy, buf.get(), block));
      if (options.start_writeback) StartWriteback(dst_fd, off, n);
      off += n;
      std::lock_guard lock(mu);
      if (stop) return {};  // the hasher failed; its error is reported
      copied = off;
      cv.notify_all();
    }
    return {};
  }();
  if (hash) {
    if (!copy) {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    hasher.join();
  }
  RETURN_IF_ERROR(copy);
  RETURN_IF_ERROR(hashed);
  if (hash) {
    r.computed = sha.Final();
    r.hashed = true;
  }
  return r;
}

Result<DbCopyResult> HashSnapshotDb(int src_fd, const std::string& src_path, const DbCopyOptions& options) {
  ASSIGN_OR_RETURN(DbCopyResult r, ReadLayout(src_fd, src_path));
  if (!r.has_trailer || !options.hash) return r;
  const size_t block = std::max<size_t>(options.buffer_size, 4096);
  auto buf = std::make_unique<uint8_t[]>(block);
  Sha256 sha;
  for (uint64_t off = 0; off < r.db_size;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(block, r.db_size - off));
    RETURN_IF_ERROR(ReadAt(src_fd, src_path, buf.get(), want, off));
    sha.Update(buf.get(), want);
    off += want;
  }
  r.computed = sha.Final();
  r.hashed = true;
  return r;
}

Status CheckSnapshotHash(const DbCopyResult& r, bool skip_hash_check) {
  if (skip_hash_check) return {};
  if (!r.has_trailer) return Fail(ErrorCode::kFailedPrecondition, "snapshot missing hash but --skip-hash-check=false");
  if (!r.hashed) return Fail(ErrorCode::kInternal, "snapshot hash was not computed during the copy");
  if (r.computed != r.trailer) {
    return Fail(ErrorCode::kCorruption,
                "expected sha256 " + GoByteSlice(r.trailer) + ", got " + GoByteSlice(r.computed));
  }
  return {};
}

}  // namespace etcdrestore::snap
