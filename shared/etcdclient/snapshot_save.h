// shared/etcdclient/snapshot_save.h
//
// Downloads a snapshot (Maintenance.Snapshot) to a file through SnapshotFile
// (snapshot_file.h: "<path>.part" 0600 of our own, the sha256 trailer checked while it
// streams, the caller's check on the .part, fsync, rename, directory fsync).
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
#include "shared/etcdclient/client.h"
#include "shared/etcdclient/snapshot_file.h"

namespace etcdrestore::etcdclient {

struct SaveOptions {
  std::string path;
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(2);
  // Deadline for the whole download (etcdctl: only when --command-timeout is given).
  Deadline deadline;
  // Called after each received message with the bytes written so far.
  std::function<void(uint64_t bytes_written)> progress;
  // Called on the complete, fsynced "<path>.part" before the rename; an error aborts the save.
  VerifyPart verify;
};

// On error nothing is left at "<path>.part" and an existing <path> is untouched. A .part
// that cannot be created fails as etcdctl does: "could not open P.part (open P.part: ...)".
Result<SaveResult> SaveSnapshot(Client& client, const SaveOptions& options);

}  // namespace etcdrestore::etcdclient

#endif  // ETCDRESTORE_SHARED_ETCDCLIENT_SNAPSHOT_SAVE_H_
