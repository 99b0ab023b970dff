// shared/etcddb/status.h
//
// `etcdctl snapshot status` (3.4 clientv3/snapshot Status, same in etcdutl 3.5): runs the
// bbolt structural check, then, over all top-level buckets in key order, hash = CRC-32C
// of each bucket name followed by each key and value (a sub-bucket contributes only its
// key), revision = main revision of the last key of `key`, total_keys = k/v pairs of all
// buckets, total_size = meta.pgid * page size, storage_version = meta/storageVersion.
// Check and hash share one read of the file.
#ifndef ETCDRESTORE_SHARED_ETCDDB_STATUS_H_
#define ETCDRESTORE_SHARED_ETCDDB_STATUS_H_

#include <cstdint>
#include <string>

#include "shared/base/error.h"
#include "shared/bbolt/reader.h"

namespace etcdrestore::etcddb {

struct SnapshotStatus {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_keys = 0;
  int64_t total_size = 0;
  // meta/storageVersion (written by etcd 3.6+, e.g. "3.6.0"); empty when absent (3.4/3.5),
  // as etcdutl 3.6's snapshot.Status.Version.
  std::string storage_version;
};

// A damaged file fails with kCorruption: bbolt open errors as bbolt::Reader reports them,
// or etcd's "snapshot file integrity check failed. N errors found.\n<one per line>".
Result<SnapshotStatus> ComputeStatus(const std::string& path);
Result<SnapshotStatus> ComputeStatus(bbolt::Reader& reader);

}  // namespace etcdrestore::etcddb

#endif  // ETCDRESTORE_SHARED_ETCDDB_STATUS_H_
