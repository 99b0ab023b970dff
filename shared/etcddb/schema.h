// shared/etcddb/schema.h
//
// etcd's use of bbolt (etcd server/mvcc/buckets.go, mvcc/revision.go, etcdserver/cindex):
// bucket and meta key names, the revision key encoding. Written to disk: never change.
//
//   revision key := main:u64 BE  '_'  sub:u64 BE  ['t']   ; 17 bytes, 18 for a tombstone
//   meta/consistent_index, meta/term := u64 BE (8 bytes)
//   meta/scheduledCompactRev, meta/finishedCompactRev := revision key with sub = 0
#ifndef ETCDRESTORE_SHARED_ETCDDB_SCHEMA_H_
#define ETCDRESTORE_SHARED_ETCDDB_SCHEMA_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/base/error.h"

namespace etcdrestore::etcddb {

// Bucket names.
inline constexpr std::string_view kKeyBucket = "key";
inline constexpr std::string_view kMetaBucket = "meta";
inline constexpr std::string_view kLeaseBucket = "lease";
inline constexpr std::string_view kAlarmBucket = "alarm";
inline constexpr std::string_view kClusterBucket = "cluster";
inline constexpr std::string_view kMembersBucket = "members";
inline constexpr std::string_view kMembersRemovedBucket = "members_removed";
inline constexpr std::string_view kAuthBucket = "auth";
inline constexpr std::string_view kAuthUsersBucket = "authUsers";
inline constexpr std::string_view kAuthRolesBucket = "authRoles";

// Keys of the meta bucket.
inline constexpr std::string_view kConsistentIndexKey = "consistent_index";
inline constexpr std::string_view kTermKey = "term";  // since 3.5
inline constexpr std::string_view kStorageVersionKey = "storageVersion";  // since 3.6 (etcd's schema)
inline constexpr std::string_view kScheduledCompactKey = "scheduledCompactRev";
inline constexpr std::string_view kFinishedCompactKey = "finishedCompactRev";

inline constexpr size_t kRevisionKeySize = 17;
inline constexpr char kRevisionSeparator = '_';
inline constexpr char kTombstoneMark = 't';

struct Revision {
  int64_t main = 0;
  int64_t sub = 0;
  friend auto operator<=>(const Revision&, const Revision&) = default;
};

// 17 bytes (18 with the tombstone mark).
std::string EncodeRevision(Revision rev, bool tombstone = false);
// Decodes a `key` bucket key: 17 bytes with '_' at offset 8, or 18 ending in 't'
// (the tombstone mark is ignored, as etcd's bytesToRev does). Otherwise kCorruption.
Result<Revision> DecodeRevision(std::string_view key);

// 8-byte big-endian value of meta/consistent_index and meta/term; kCorruption if the value
// is not 8 bytes.
Result<uint64_t> DecodeU64Value(std::string_view key_name, std::string_view value);

}  // namespace etcdrestore::etcddb

#endif  // ETCDRESTORE_SHARED_ETCDDB_SCHEMA_H_
