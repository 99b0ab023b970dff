// shared/etcddb/query.h
//
// Reads of etcd's schema that the restore needs, over a bbolt::Reader (never loading the
// `key` bucket: only its rightmost path is read).
#ifndef ETCDRESTORE_SHARED_ETCDDB_QUERY_H_
#define ETCDRESTORE_SHARED_ETCDDB_QUERY_H_

#include <cstdint>
#include <optional>

#include "shared/base/error.h"
#include "shared/bbolt/reader.h"
#include "shared/etcddb/schema.h"

namespace etcdrestore::etcddb {

// The greatest revision in bucket `key` (its last key; a tombstone mark is ignored), or
// {0, 0} when the bucket is empty. kNotFound when there is no `key` bucket.
Result<Revision> LatestRevision(bbolt::Reader& reader);

struct ConsistentIndex {
  uint64_t index = 0;            // meta/consistent_index, 0 when absent
  std::optional<uint64_t> term;  // meta/term (etcd 3.5+), absent in 3.4 dbs
};
// kNotFound when there is no `meta` bucket.
Result<ConsistentIndex> ReadConsistentIndex(bbolt::Reader& reader);

}  // namespace etcdrestore::etcddb

#endif  // ETCDRESTORE_SHARED_ETCDDB_QUERY_H_
