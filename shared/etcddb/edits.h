// shared/etcddb/edits.h
//
// etcdutl 3.5's db edits at restore (etcdutl/snapshot/v3_snapshot.go saveDB,
// saveWALAndSnap, updateCIndex, and the --bump-revision/--mark-compacted step), expressed
// over a bbolt::Editor. Each only stages changes; the caller commits once with
// editor.Commit(). They compose: later edits see earlier staged ones.
#ifndef ETCDRESTORE_SHARED_ETCDDB_EDITS_H_
#define ETCDRESTORE_SHARED_ETCDDB_EDITS_H_

#include <cstdint>
#include <string_view>

#include "shared/base/error.h"
#include "shared/bbolt/editor.h"
#include "shared/etcddb/schema.h"

namespace etcdrestore::etcddb {

// TrimMembershipFromBackend + the bucket creation of SetBackend: `members` and
// `members_removed` end up empty (created if missing), `cluster` exists (kept as is).
Status TrimMembership(bbolt::Editor& editor);

// members/<id as unpadded lowercase hex> = member_json (etcd's Member JSON, built by the
// caller). Creates `members` if missing.
Status AddMember(bbolt::Editor& editor, uint64_t id, std::string_view member_json);

// meta/consistent_index = index and meta/term = term, both 8-byte big-endian,
// unconditionally (updateCIndex with onlyGrow=false).
Status SetConsistentIndex(bbolt::Editor& editor, uint64_t index, uint64_t term);

// --bump-revision with --mark-compacted: new = {latest.main + bump, 0}; appends key/<new>
// with an empty value and sets meta/scheduledCompactRev = 17-byte encoding of new.
// Returns new. kInvalidArgument when bump is 0. The latest revision is read from the file
// as opened, so call this before any other append to `key`.
Result<Revision> BumpRevision(bbolt::Editor& editor, uint64_t bump);

}  // namespace etcdrestore::etcddb

#endif  // ETCDRESTORE_SHARED_ETCDDB_EDITS_H_
