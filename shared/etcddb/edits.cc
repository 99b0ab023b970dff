#include "shared/etcddb/edits.h"

#include <fmt/format.h>

#include "shared/base/coding.h"
#include "shared/etcddb/query.h"

namespace etcdrestore::etcddb {
namespace {

// Content of a small bucket, or empty if it does not exist (yet).
Result<bbolt::KeyValues> ReadOrEmpty(bbolt::Editor& editor, std::string_view name) {
  ASSIGN_OR_RETURN(bool has, editor.HasBucket(name));
  if (!has) return bbolt::KeyValues();
  return editor.ReadSmallBucket(name);
}

}  // namespace

Status TrimMembership(bbolt::Editor& editor) {
  RETURN_IF_ERROR(editor.SetBucket(kMembersBucket, {}));
  RETURN_IF_ERROR(editor.SetBucket(kMembersRemovedBucket, {}));
  ASSIGN_OR_RETURN(bool has_cluster, editor.HasBucket(kClusterBucket));
  if (!has_cluster) RETURN_IF_ERROR(editor.SetBucket(kClusterBucket, {}));
  return {};
}

Status AddMember(bbolt::Editor& editor, uint64_t id, std::string_view member_json) {
  if (id == 0) return Fail(ErrorCode::kInvalidArgument, "etcddb: member id 0");
  ASSIGN_OR_RETURN(bbolt::KeyValues members, ReadOrEmpty(editor, kMembersBucket));
  members[fmt::format("{:x}", id)] = std::string(member_json);
  return editor.SetBucket(kMembersBucket, std::move(members));
}

Status SetConsistentIndex(bbolt::Editor& editor, uint64_t index, uint64_t term) {
  ASSIGN_OR_RETURN(bbolt::KeyValues meta, ReadOrEmpty(editor, kMetaBucket));
  meta[std::string(kConsistentIndexKey)] = EncodeBE64(index);
  meta[std::string(kTermKey)] = EncodeBE64(term);
  return editor.SetBucket(kMetaBucket, std::move(meta));
}

Result<Revision> BumpRevision(bbolt::Editor& editor, uint64_t bump) {
  if (bump == 0) return Fail(ErrorCode::kInvalidArgument, "etcddb: revision bump of 0");
  ASSIGN_OR_RETURN(Revision latest, LatestRevision(editor.reader()));
  // A key of 2^63 or more decodes (as etcd's bytesToRev does) to a negative revision; etcd
  // never writes one, and INT64_MAX - latest.main would overflow below.
  if (latest.main < 0) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("etcddb: latest revision {} in bucket key is negative", latest.main));
  }
  if (bump > static_cast<uint64_t>(INT64_MAX - latest.main)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("etcddb: revision bump {} overflows the latest revision {}", bump, latest.main));
  }
  Revision next{latest.main + static_cast<int64_t>(bump), 0};
  RETURN_IF_ERROR(editor.AppendToBucket(kKeyBucket, EncodeRevision(next), ""));
  ASSIGN_OR_RETURN(bbolt::KeyValues meta, ReadOrEmpty(editor, kMetaBucket));
  meta[std::string(kScheduledCompactKey)] = EncodeRevision(next);
  RETURN_IF_ERROR(editor.SetBucket(kMetaBucket, std::move(meta)));
  return next;
}

}  // namespace etcdrestore::etcddb
