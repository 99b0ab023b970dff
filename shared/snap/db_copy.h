// shared/snap/db_copy.h
//
// Copying a `snapshot save` file to member/snap/db while checking its SHA-256 trailer
// (etcd's copyAndVerifyDB). Format: shared/snap/FORMAT.md §3.
//   snapshot file := bbolt db bytes || sha256(bbolt db bytes)   ; 32-byte raw digest
// A file has the trailer iff size % 512 == 32 (etcd's hasChecksum; a bbolt file is a
// multiple of its page size, so a raw member/snap/db never matches).
//
// This is the hot path of a restore (a 1.5 GB snapshot is common). The kernel copies the
// db bytes (copy_file_range, 8 MiB at a time, no user-space copy), and a second thread
// hashes dst right behind the copy, reading back what was written from the page cache
// (OpenSSL SHA-256, SHA-NI): the hash covers the restored bytes themselves, as etcd's
// copyAndVerifyDB does, while the copy goes on. Behind each chunk the copy asks for its
// writeback (sync_file_range), so the caller's final fsync has little left to do. Where
// the kernel cannot copy between the two files (another file system), a read/write loop
// does. Memory is flat: two 512 KiB buffers whatever the file size. Measurements and the
// alternatives tried: FORMAT.md §3.
#ifndef ETCDRESTORE_SHARED_SNAP_DB_COPY_H_
#define ETCDRESTORE_SHARED_SNAP_DB_COPY_H_

#include <cstdint>
#include <string>

#include "shared/base/error.h"
#include "shared/base/sha256.h"

namespace etcdrestore::snap {

inline constexpr uint64_t kSha256TrailerSize = 32;
// The minimum sector size etcd assumes; see hasChecksum.
inline constexpr uint64_t kTrailerAlign = 512;

constexpr bool HasSha256Trailer(uint64_t size) { return size % kTrailerAlign == kSha256TrailerSize; }

struct DbCopyResult {
  uint64_t source_size = 0;
  uint64_t db_size = 0;      // bytes written to dst: source_size, minus 32 with a trailer
  bool has_trailer = false;
  bool hashed = false;       // computed is valid (has_trailer and hashing was asked for)
  Sha256Digest computed{};   // sha256 of the db bytes: as written to dst (as read from src by HashSnapshotDb)
  Sha256Digest trailer{};    // the last 32 bytes of src, when has_trailer
};

struct DbCopyOptions {
  // Hash the db bytes when a trailer is present. Off for --skip-hash-check (etcd never
  // verifies then, but still strips the trailer).
  bool hash = true;
  size_t buffer_size = 512 << 10;  // the hasher's reads (and the fallback copy's)
  // Bytes per copy step; writeback is requested for each (a hint only: the caller's fsync
  // is what makes the data durable and reports any I/O error).
  uint64_t copy_chunk = 8 << 20;
  bool start_writeback = true;
  // false: always the read/write loop (tests use it to pin the fallback).
  bool kernel_copy = true;
};

// Copies the db part of src (from offset 0; the size is taken at the start) to dst at
// offset 0, reads the trailer if there is one and hashes the copied db bytes in parallel.
// dst must be open for reading and writing, and should be empty; it is neither truncated
// nor fsynced (the caller rewrites the db next and fsyncs it). Errors name the path and
// offset that failed.
Result<DbCopyResult> CopySnapshotDb(int src_fd, const std::string& src_path, int dst_fd, const std::string& dst_path,
                                    const DbCopyOptions& options = {});

// The check without a copy, for --dry-run: reads src once and hashes its db bytes when
// there is a trailer (and options.hash).
Result<DbCopyResult> HashSnapshotDb(int src_fd, const std::string& src_path, const DbCopyOptions& options = {});

// etcd's check after the copy, with its messages:
//   no trailer and !skip_hash_check -> "snapshot missing hash but --skip-hash-check=false"
//   mismatch -> "expected sha256 [<trailer bytes>], got [<computed bytes>]" (kCorruption)
// REQUIRES: the copy was made with options.hash = !skip_hash_check.
Status CheckSnapshotHash(const DbCopyResult& r, bool skip_hash_check);

}  // namespace etcdrestore::snap

#endif  // ETCDRESTORE_SHARED_SNAP_DB_COPY_H_
