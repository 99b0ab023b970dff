#include "shared/snap/db_copy.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "shared/base/file.h"

namespace etcdrestore::snap {
namespace {

// Ring depth: the reader/writer may run this many blocks ahead of the hasher.
constexpr size_t kRingSlots = 4;

// One pass over src: read, hash in parallel, and write to dst unless dst_fd < 0.
Result<DbCopyResult> Pass(int src_fd, const std::string& src_path, int dst_fd, const std::string& dst_path,
                          const DbCopyOptions& options) {
  DbCopyResult r;
  ASSIGN_OR_RETURN(r.source_size, FileSize(src_fd, src_path));
  r.has_trailer = HasSha256Trailer(r.source_size);
  r.db_size = r.has_trailer ? r.source_size - kSha256TrailerSize : r.source_size;
  if (r.has_trailer) RETURN_IF_ERROR(ReadAt(src_fd, src_path, r.trailer.data(), kSha256TrailerSize, r.db_size));

  const bool hash = r.has_trailer && options.hash;
  const size_t block = std::max<size_t>(options.buffer_size, 4096);
  const size_t slots = hash ? kRingSlots : 1;
  std::vector<std::unique_ptr<uint8_t[]>> ring;
  std::vector<size_t> lens(slots);
  for (size_t i = 0; i < slots; ++i) ring.push_back(std::make_unique<uint8_t[]>(block));

  // Block k lives in ring[k % slots]. The main thread reads it, publishes it (produced),
  // then writes it while the hasher hashes it; both only read the buffer. The slot is
  // reused for block k + slots only after the hasher is done with block k (hashed).
  std::mutex mu;
  std::condition_variable cv;
  uint64_t produced = 0, hashed = 0;
  bool done = false;
  Sha256 sha;
  std::thread hasher;
  if (hash) {
    hasher = std::thread([&] {
      for (uint64_t k = 0;; ++k) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return produced > k || done; });
          if (produced <= k) return;
        }
        sha.Update(ring[k % slots].get(), lens[k % slots]);
        {
          std::lock_guard lock(mu);
          hashed = k + 1;
        }
        cv.notify_all();
      }
    });
  }
  Status copied = [&]() -> Status {
    uint64_t off = 0, writeback_from = 0;
    for (uint64_t k = 0; off < r.db_size; ++k) {
      if (hash) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return k < hashed + slots; });
      }
      uint8_t* buf = ring[k % slots].get();
      const size_t want = static_cast<size_t>(std::min<uint64_t>(block, r.db_size - off));
      RETURN_IF_ERROR(ReadAt(src_fd, src_path, buf, want, off));
      lens[k % slots] = want;
      if (hash) {
        {
          std::lock_guard lock(mu);
          produced = k + 1;
        }
        cv.notify_all();
      }
      if (dst_fd >= 0) {
        RETURN_IF_ERROR(WriteAllAt(dst_fd, dst_path, buf, want, off));
        if (options.start_writeback && off + want - writeback_from >= options.writeback_step) {
          StartWriteback(dst_fd, writeback_from, off + want - writeback_from);
          writeback_from = off + want;
        }
      }
      off += want;
    }
    return {};
  }();
  if (hash) {
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    hasher.join();
  }
  RETURN_IF_ERROR(copied);
  if (hash) {
    r.computed = sha.Final();
    r.hashed = true;
  }
  return r;
}

}  // namespace

Result<DbCopyResult> CopySnapshotDb(int src_fd, const std::string& src_path, int dst_fd, const std::string& dst_path,
                                    const DbCopyOptions& options) {
  if (dst_fd < 0) return Fail(ErrorCode::kInvalidArgument, "copying " + Quote(src_path) + ": no destination file");
  return Pass(src_fd, src_path, dst_fd, dst_path, options);
}

Result<DbCopyResult> HashSnapshotDb(int src_fd, const std::string& src_path, const DbCopyOptions& options) {
  return Pass(src_fd, src_path, -1, "", options);
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
