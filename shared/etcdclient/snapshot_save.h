// shared/etcdclient/snapshot_save.h
//
// Downloads a snapshot (Maintenance.Snapshot) to a file, safely:
//   1. writes "<path>.part", a fresh 0600 inode of ours (shared/base/file.h AtomicFile: a
//      stale .part is removed only if it is a regular file we own, a planted link, fifo or
//      foreign file is an error), removed again on any error;
//   2. checks the stream's sha256 trailer while it streams: the last 32 bytes must be the
//      SHA-256 of everything before them, and the size must satisfy size % 512 == 32
//      (etcdctl's "sha256 checksum not found [bytes: N]" otherwise);
//   3. optionally runs a caller-supplied check on the finished .part (bbolt structure);
//   4. fsyncs the file, renames it to <path> (replacing it; a symlink at <path> is replaced
//      itself, never followed), fsyncs the directory.
// The file is byte-identical to what etcdctl 3.4 writes (db bytes + trailer).
// The connection is checked first (Client::WaitConnected with connect_timeout), so a dead
// endpoint or a TLS failure fails within that time and says which.
#ifndef ETCDRESTORE_SHARED_ETCDCLIENT_SNAPSHOT_SAVE_H_
#define ETCDRESTORE_SHARED_ETCDCLIENT_SNAPSHOT_SAVE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "shared/base/error.h"
#include "shared/base/sha256.h"
#include "shared/etcdclient/client.h"

namespace etcdrestore::etcdclient {

struct SaveOptions {
  std::string path;
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(2);
  // Deadline for the whole download (etcdctl: only when --command-timeout is given).
  Deadline deadline;
  // Called after each received message with the bytes written so far.
  std::function<void(uint64_t bytes_written)> progress;
  // Called on the complete, fsynced "<path>.part" before the rename; an error aborts the save.
  std::function<Status(const std::string& part_path)> verify;
};

struct SaveResult {
  uint64_t size = 0;            // bytes in the file, trailer included
  Sha256Digest db_sha256{};     // the verified trailer
};

// On error nothing is left at "<path>.part" and an existing <path> is untouched.
Result<SaveResult> SaveSnapshot(Client& client, const SaveOptions& options);

// Streaming trailer check: feed every byte with Update; Finish compares the last 32 bytes
// with the SHA-256 of the bytes before them. Exposed for tests.
class TrailerVerifier {
 public:
  void Update(std::string_view data);
  // kCorruption on a size that cannot hold a trailer or a hash mismatch.
  Result<Sha256Digest> Finish();
  uint64_t size() const { return size_; }

 private:
  Sha256 sha_;
  std::string tail_;  // the last (up to) 32 bytes seen, not hashed yet
  uint64_t size_ = 0;
};

}  // namespace etcdrestore::etcdclient

#endif  // ETCDRESTORE_SHARED_ETCDCLIENT_SNAPSHOT_SAVE_H_
