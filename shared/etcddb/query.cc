#include "shared/etcddb/query.h"

#include <fmt/format.h>

namespace etcdrestore::etcddb {
namespace {

Result<bbolt::BucketRef> MustFind(bbolt::Reader& reader, std::string_view name) {
  ASSIGN_OR_RETURN(auto b, reader.FindBucket(name));
  if (!b) return Fail(ErrorCode::kNotFound, fmt::format("etcddb: no \"{}\" bucket in {}", name, reader.path()));
  return std::move(*b);
}

}  // namespace

Result<Revision> LatestRevision(bbolt::Reader& reader) {
  ASSIGN_OR_RETURN(bbolt::BucketRef key, MustFind(reader, kKeyBucket));
  ASSIGN_OR_RETURN(auto last, reader.Last(key));
  if (!last) return Revision{};
  return DecodeRevision(last->first);
}

Result<ConsistentIndex> ReadConsistentIndex(bbolt::Reader& reader) {
  ASSIGN_OR_RETURN(bbolt::BucketRef meta, MustFind(reader, kMetaBucket));
  ConsistentIndex ci;
  ASSIGN_OR_RETURN(auto index, reader.Get(meta, kConsistentIndexKey));
  if (index) {
    ASSIGN_OR_RETURN(ci.index, DecodeU64Value(kConsistentIndexKey, *index));
  }
  ASSIGN_OR_RETURN(auto term, reader.Get(meta, kTermKey));
  if (term) {
    ASSIGN_OR_RETURN(ci.term, DecodeU64Value(kTermKey, *term));
  }
  return ci;
}

}  // namespace etcdrestore::etcddb
