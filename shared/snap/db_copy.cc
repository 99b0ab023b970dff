#include "shared/snap/db_copy.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <thread>

#include "shared/base/file.h"

namespace etcdrestore::snap {
namespace {

// Hashes [0, n) of fd; runs on its own thread. Stops early when *stop is set.
Status HashRange(int fd, const std::string& path, uint64_t n, size_t buffer_size, const std::atomic<bool>* stop,
                 Sha256Digest* out) {
  auto buf = std::make_unique<uint8_t[]>(buffer_size);
  Sha256 sha;
  uint64_t off = 0;
  while (off < n && !stop->load(std::memory_order_relaxed)) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_size, n - off));
    RETURN_IF_ERROR(ReadAt(fd, path, buf.get(), want, off));
    sha.Update(buf.get(), want);
    off += want;
  }
  *out = sha.Final();
  return {};
}

// copy_file_range until done; returns false if the kernel/filesystem refused before any
// byte was copied (the caller then falls back to read/write).
Result<bool> CopyInKernel(int src, const std::string& src_path, int dst, const std::string& dst_path, uint64_t n) {
  loff_t in = 0, out = 0;
  while (static_cast<uint64_t>(in) < n) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(n - static_cast<uint64_t>(in), 1u << 30));
    const ssize_t got = copy_file_range(src, &in, dst, &out, want, 0);
    if (got < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (in == 0 && (err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == EBADF)) {
        return false;
      }
      return Fail(ErrnoError("copy \"" + src_path + "\" to \"" + dst_path + "\" at offset " + std::to_string(in), err));
    }
    if (got == 0) {
      return Fail(ErrorCode::kCorruption, "copy \"" + src_path + "\": file shrank to " + std::to_string(in) +
                                              " bytes during the copy (expected " + std::to_string(n) + ")");
    }
  }
  return true;
}

Status CopyInUserSpace(int src, const std::string& src_path, int dst, const std::string& dst_path, uint64_t n,
                       size_t buffer_size) {
  auto buf = std::make_unique<uint8_t[]>(buffer_size);
  for (uint64_t off = 0; off < n;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_size, n - off));
    RETURN_IF_ERROR(ReadAt(src, src_path, buf.get(), want, off));
    RETURN_IF_ERROR(WriteAllAt(dst, dst_path, buf.get(), want, off));
    off += want;
  }
  return {};
}

}  // namespace

Result<DbCopyResult> CopySnapshotDb(int src_fd, const std::string& src_path, int dst_fd, const std::string& dst_path,
                                    const DbCopyOptions& options) {
  DbCopyResult r;
  ASSIGN_OR_RETURN(r.source_size, FileSize(src_fd, src_path));
  r.has_trailer = HasSha256Trailer(r.source_size);
  r.db_size = r.has_trailer ? r.source_size - kSha256TrailerSize : r.source_size;
  if (r.has_trailer) RETURN_IF_ERROR(ReadAt(src_fd, src_path, r.trailer.data(), kSha256TrailerSize, r.db_size));

  std::atomic<bool> stop{false};
  std::optional<Status> hash_status;
  std::thread hasher;
  if (r.has_trailer && options.hash) {
    hasher = std::thread([&] {
      hash_status = HashRange(src_fd, src_path, r.db_size, options.buffer_size, &stop, &r.computed);
    });
  }
  Status copy_status = [&]() -> Status {
    ASSIGN_OR_RETURN(bool in_kernel, CopyInKernel(src_fd, src_path, dst_fd, dst_path, r.db_size));
    if (in_kernel) return {};
    return CopyInUserSpace(src_fd, src_path, dst_fd, dst_path, r.db_size, options.buffer_size);
  }();
  if (!copy_status) stop = true;
  if (hasher.joinable()) hasher.join();
  RETURN_IF_ERROR(copy_status);
  if (hash_status) {
    RETURN_IF_ERROR(*hash_status);
    r.hashed = true;
  }
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
