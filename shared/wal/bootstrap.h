// shared/wal/bootstrap.h
//
// The WAL that `snapshot restore` writes for one member of a new cluster (etcd's
// saveWALAndSnap + wal.Create). Record list and bytes: shared/wal/FORMAT.md §4.
#ifndef ETCDRESTORE_SHARED_WAL_BOOTSTRAP_H_
#define ETCDRESTORE_SHARED_WAL_BOOTSTRAP_H_

#include <cstdint>
#include <string>

#include "shared/base/error.h"
#include "shared/membership/member.h"

namespace etcdrestore::wal {

// Which etcd's bytes to reproduce. They differ in two places:
//  - the final walpb.Snapshot record: 3.5 adds conf_state{voters} (3.4 has no field 3);
//  - member JSON in ConfChange contexts: \b and \f escapes (Go 1.22+, see go_json.h).
// kEtcd35 is what etcdutl 3.5 (3.5.16 and 3.5.30 checked) writes; it is the default.
// etcd 3.4 reads both (it ignores the unknown field), so kEtcd35 output boots 3.4 too.
enum class Flavor { kEtcd34, kEtcd35 };

// The record bytes (without preallocation) of the bootstrap WAL of member local_id:
//   crc{0}, metadata{local_id, cluster.id}, snapshot{0,0},
//   entry{ConfChange AddNode id_k, term 1, index k} for k = 1..N in ascending id order,
//   hardstate{term 1, vote id_1, commit N}, snapshot{N, 1 [, conf_state voters]}.
// REQUIRES: cluster has >= 1 member and local_id is one of them (as built by
// membership::NewClusterFromUrlsMap and checked by VerifyBootstrap).
std::string EncodeBootstrapWal(const membership::Cluster& cluster, uint64_t local_id,
                               Flavor flavor = Flavor::kEtcd35);

// Creates <dir>/0000000000000000-0000000000000000.wal (dir must exist; the file must
// not), mode 0600, preallocated to kSegmentSizeBytes with fallocate (ftruncate when the
// filesystem does not support it, as etcd's fileutil.Preallocate does), writes
// EncodeBootstrapWal at offset 0 and fsyncs the file. Returns the file's path.
// The directory itself is not fsynced: the caller builds it under a temporary name
// and renames it into place (etcd: "<waldir>.tmp"), then fsyncs the parent.
Result<std::string> WriteBootstrapWal(const std::string& dir, const membership::Cluster& cluster,
                                      uint64_t local_id, Flavor flavor = Flavor::kEtcd35);

}  // namespace etcdrestore::wal

#endif  // ETCDRESTORE_SHARED_WAL_BOOTSTRAP_H_
