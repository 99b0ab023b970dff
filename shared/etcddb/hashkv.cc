#include "shared/etcddb/hashkv.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

#include "shared/base/crc32c.h"
#include "shared/etcddb/schema.h"

namespace etcdrestore::etcddb {
namespace {

// Field 1 (key, bytes) of an mvccpb.KeyValue; kCorruption if the message does not parse.
Result<std::string_view> UserKey(std::string_view kv, Revision rev) {
  auto bad = [&] {
    return Fail(ErrorCode::kCorruption,
                fmt::format("etcddb: the value of revision {}_{} in bucket key is not a KeyValue",
                            rev.main, rev.sub));
  };
  size_t i = 0;
  auto varint = [&](uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= kv.size()) return false;
      const auto b = static_cast<uint8_t>(kv[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  };
  while (i < kv.size()) {
    uint64_t tag = 0, len = 0, ignored = 0;
    if (!varint(&tag)) return bad();
    switch (tag & 7) {
      case 0:
        if (!varint(&ignored)) return bad();
        break;
      case 2:
        if (!varint(&len) || len > kv.size() - i) return bad();
        if ((tag >> 3) == 1) return kv.substr(i, len);
        i += len;
        break;
      default:
        return bad();
    }
  }
  return std::string_view();  // no key field: the empty key
}

Result<int64_t> MetaRevision(bbolt::Reader& reader, const std::optional<bbolt::BucketRef>& meta,
                             std::string_view name) {
  if (!meta) return int64_t{-1};
  ASSIGN_OR_RETURN(auto v, reader.Get(*meta, name));
  if (!v) return int64_t{-1};
  ASSIGN_OR_RETURN(Revision r, DecodeRevision(*v));
  return r.main;
}

}  // namespace

Result<KvHash> HashKV(const std::string& path, int64_t rev) {
  ASSIGN_OR_RETURN(auto reader, bbolt::Reader::Open(path));
  return HashKV(*reader, rev);
}

Result<KvHash> HashKV(bbolt::Reader& reader, int64_t rev) {
  ASSIGN_OR_RETURN(auto meta, reader.FindBucket(kMetaBucket));
  ASSIGN_OR_RETURN(auto key, reader.FindBucket(kKeyBucket));
  // mvcc.NewStore: compactMainRev starts at -1, currentRev at 1.
  ASSIGN_OR_RETURN(int64_t finished, MetaRevision(reader, meta, kFinishedCompactKey));
  ASSIGN_OR_RETURN(int64_t scheduled, MetaRevision(reader, meta, kScheduledCompactKey));
  const int64_t compact_rev = std::max(finished, scheduled);
  int64_t current_rev = 1;
  if (key) {
    ASSIGN_OR_RETURN(auto last, reader.Last(*key));
    if (last) {
      ASSIGN_OR_RETURN(Revision r, DecodeRevision(last->first));
      current_rev = std::max(current_rev, r.main);
    }
  }
  current_rev = std::max(current_rev, finished);
  if (rev > 0 && rev < compact_rev) {
    return Fail(ErrorCode::kFailedPrecondition, "mvcc: required revision has been compacted");
  }
  if (rev > 0 && rev > current_rev) {
    return Fail(ErrorCode::kFailedPrecondition, "mvcc: required revision is a future revision");
  }
  if (rev == 0) rev = current_rev;

  // keyIndex.Keep(rev): per user key, its latest revision <= rev unless a tombstone. Only
  // consulted for revisions <= compact_rev, so only those are kept in the set.
  std::set<Revision> keep_old;
  bool keep_nonempty = false;
  if (key && compact_rev > 0) {
    struct Latest {
      Revision rev;
      bool tombstone = false;
    };
    std::unordered_map<std::string, Latest> latest;
    RETURN_IF_ERROR(reader.ForEach(*key, [&](const bbolt::Entry& e) -> Status {
      if (e.is_bucket()) return {};
      ASSIGN_OR_RETURN(Revision r, DecodeRevision(e.key));
      if (r.main > rev) return {};
      ASSIGN_OR_RETURN(std::string_view user_key, UserKey(e.value, r));
      latest[std::string(user_key)] = Latest{r, e.key.size() > kRevisionKeySize};
      return {};
    }));
    for (const auto& [k, l] : latest) {
      if (l.tombstone) continue;
      keep_nonempty = true;
      if (l.rev.main <= compact_rev) keep_old.insert(l.rev);
    }
  }

  uint32_t crc = crc32c::Extend(0, kKeyBucket);
  if (key) {
    RETURN_IF_ERROR(reader.ForEach(*key, [&](const bbolt::Entry& e) -> Status {
      if (e.is_bucket()) return {};
      ASSIGN_OR_RETURN(Revision r, DecodeRevision(e.key));
      if (r.main > rev) return {};
      if (r.main <= compact_rev && keep_nonempty && !keep_old.contains(r)) return {};
      crc = crc32c::Extend(crc, e.key);
      crc = crc32c::Extend(crc, e.value);
      return {};
    }));
  }
  return KvHash{crc, rev, compact_rev};
}

}  // namespace etcdrestore::etcddb
