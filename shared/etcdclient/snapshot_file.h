// shared/etcdclient/snapshot_file.h
//
// The one place a snapshot file (etcd's db bytes + the 32-byte SHA-256 trailer, as etcdctl
// 3.4 writes it) is put on disk, whatever the bytes come from: the gRPC stream of
// Maintenance.Snapshot (snapshot_save.h) or a copy of a file etcdctl wrote on a node
// (shared/backup's exec mode). Contract:
//   1. Create makes "<path>.part", a fresh 0600 inode of ours (shared/base/file.h
//      AtomicFile: a stale .part is removed only if it is a regular file we own; a planted
//      link, fifo or another user's file is an error and nothing is written). Until Commit
//      it is removed again on any error, on destruction and on SIGINT/SIGTERM/SIGHUP/SIGPIPE;
//   2. Write appends bytes, feeds the trailer check, and starts the kernel's writeback every
//      8 MiB so that the final fsync finds little left to do;
//   3. Commit checks the trailer (the last 32 bytes must be the SHA-256 of everything before
//      them, and size % 512 == 32), fsyncs, runs the caller's check on the complete .part
//      (the bbolt structure), renames it to <path> (replacing it; a symlink at <path> is
//      replaced itself, never followed) and fsyncs the directory.
// On any error nothing is left at "<path>.part" and an existing <path> is untouched.
#ifndef ETCDRESTORE_SHARED_ETCDCLIENT_SNAPSHOT_FILE_H_
#define ETCDRESTORE_SHARED_ETCDCLIENT_SNAPSHOT_FILE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "shared/base/error.h"
#include "shared/base/file.h"
#include "shared/base/sha256.h"

namespace etcdrestore::etcdclient {

struct SaveResult {
  uint64_t size = 0;         // bytes in the file, trailer included
  Sha256Digest db_sha256{};  // the verified trailer
};

// Streaming trailer check: feed every byte with Update; Finish compares the last 32 bytes
// with the SHA-256 of the bytes before them.
class TrailerVerifier {
 public:
  void Update(std::string_view data);
  // kCorruption on a size that cannot hold a trailer ("sha256 checksum not found [bytes:
  // N]", etcdctl's text) or a hash mismatch.
  Result<Sha256Digest> Finish();
  uint64_t size() const { return size_; }

 private:
  Sha256 sha_;
  std::string tail_;  // the last (up to) 32 bytes seen, not hashed yet
  uint64_t size_ = 0;
};

// A check run on the complete, fsynced "<path>.part" before the rename; an error aborts.
using VerifyPart = std::function<Status(const std::string& part_path)>;

class SnapshotFile {
 public:
  // Errors are AtomicFile::Create's, unwrapped (callers say what they were doing).
  static Result<SnapshotFile> Create(const std::string& path);
  SnapshotFile(SnapshotFile&&) noexcept = default;

  Status Write(std::string_view bytes);
  uint64_t size() const { return verifier_.size(); }
  const std::string& part_path() const { return file_.temp_path(); }

  // Steps 3 above. `source`, when not empty, names where the bytes came from and prefixes
  // a trailer error (a copied file: "\"/var/lib/etcd/s.db\": sha256 mismatch: ...").
  Result<SaveResult> Commit(const VerifyPart& verify, std::string_view source = {});

 private:
  explicit SnapshotFile(AtomicFile file) : file_(std::move(file)) {}
  AtomicFile file_;
  TrailerVerifier verifier_;
  uint64_t writeback_from_ = 0;
};

}  // namespace etcdrestore::etcdclient

#endif  // ETCDRESTORE_SHARED_ETCDCLIENT_SNAPSHOT_FILE_H_
