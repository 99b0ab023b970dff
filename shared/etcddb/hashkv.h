// shared/etcddb/hashkv.h
//
// The KV hash of an etcd db as etcd computes it (server/storage/mvcc hash.go and kvstore.go
// hashByRev, the same in 3.4, 3.5 and 3.6; `etcdctl endpoint hashkv` asks a server for it,
// `etcdutl hashkv` 3.6 computes it offline):
//   - compactRev = the store's compactMainRev after opening the db: meta/finishedCompactRev,
//     raised to meta/scheduledCompactRev when that is greater (opening the store resumes
//     that compaction); currentRev = the last revision of `key`, at least compactRev;
//   - rev 0 means currentRev; rev < compactRev is ErrCompacted, rev > currentRev ErrFutureRev;
//   - hash = CRC-32C (Castagnoli) of the bucket name "key", then, in bucket order, of each
//     key and value of `key` whose main revision is <= rev, except a revision <= compactRev
//     that a compaction at rev would not keep (keyIndex.Keep: for each user key the latest
//     revision <= rev, unless that is a tombstone). When nothing would be kept, nothing is
//     skipped (etcd's `len(keep) > 0`).
// Read-only: unlike `etcdutl hashkv`, a pending scheduled compaction is not carried out on
// the file.
#ifndef ETCDRESTORE_SHARED_ETCDDB_HASHKV_H_
#define ETCDRESTORE_SHARED_ETCDDB_HASHKV_H_

#include <cstdint>
#include <string>

#include "shared/base/error.h"
#include "shared/bbolt/reader.h"

namespace etcdrestore::etcddb {

struct KvHash {
  uint32_t hash = 0;
  int64_t revision = 0;          // the revision hashed up to (rev, or currentRev for 0)
  int64_t compact_revision = 0;  // compactRev
};

// Errors: kFailedPrecondition "mvcc: required revision has been compacted" / "mvcc:
// required revision is a future revision" (etcd's texts); kCorruption for a key of `key`
// that is not a revision or a value that is not a KeyValue.
Result<KvHash> HashKV(bbolt::Reader& reader, int64_t rev);
Result<KvHash> HashKV(const std::string& path, int64_t rev);

}  // namespace etcdrestore::etcddb

#endif  // ETCDRESTORE_SHARED_ETCDDB_HASHKV_H_
