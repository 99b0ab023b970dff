// shared/snap/snap_file.h
//
// The member/snap/<term>-<index>.snap file of a restore. Layout: shared/snap/FORMAT.md §1.
#ifndef ETCDRESTORE_SHARED_SNAP_SNAP_FILE_H_
#define ETCDRESTORE_SHARED_SNAP_SNAP_FILE_H_

#include <cstdint>
#include <string>

#include "shared/base/error.h"
#include "shared/membership/member.h"

namespace etcdrestore::snap {

// "%016x-%016x.snap" of (term, index).
std::string SnapFileName(uint64_t term, uint64_t index);

// snappb.Snapshot{crc = crc32c(data), data = raftpb.Snapshot{data = V2StoreJson(cluster),
// metadata = {conf_state{voters = ids ascending, auto_leave false}, index = N, term = 1}}}
// with N = number of members. Identical for etcd 3.4 and 3.5 restores.
std::string EncodeRestoreSnap(const membership::Cluster& cluster);

// Writes EncodeRestoreSnap to <dir>/SnapFileName(1, N) (dir must exist, the file must
// not), mode 0600, and fsyncs it. Returns the path. etcd writes 0666 & ~umask (0644);
// 0600 is deliberate: the file lists the cluster's members and is only read by etcd.
// The directory is not fsynced (the caller renames the staged data dir into place).
Result<std::string> WriteRestoreSnap(const std::string& dir, const membership::Cluster& cluster);

}  // namespace etcdrestore::snap

#endif  // ETCDRESTORE_SHARED_SNAP_SNAP_FILE_H_
