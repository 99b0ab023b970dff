#include "shared/k8sobj/snapshot.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "shared/etcddb/schema.h"
#include "shared/k8sobj/key.h"
#include "shared/k8sobj/key_table.h"
#include "shared/k8sobj/wire.h"

namespace etcdrestore::k8sobj {
namespace {

bool IsTombstone(std::string_view revision_key) {
  return revision_key.size() == etcddb::kRevisionKeySize + 1 && revision_key.back() == etcddb::kTombstoneMark;
}

constexpr std::string_view kEncryptedPrefix = "k8s:enc:";

// How a value is stored, from its first bytes; nullopt when it is none of the three.
std::optional<Encoding> Envelope(std::string_view v) {
  if (v.starts_with(std::string_view("k8s\0", 4))) return Encoding::kProtobuf;
  if (v.starts_with(kEncryptedPrefix)) return Encoding::kEncrypted;
  const size_t first = v.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && v[first] == '{') return Encoding::kJson;
  return std::nullopt;
}

Result<bbolt::BucketRef> KeyBucket(bbolt::Reader& reader) {
  ASSIGN_OR_RETURN(auto b, reader.FindBucket(etcddb::kKeyBucket));
  if (!b) return Fail(ErrorCode::kCorruption, "k8sobj: the snapshot has no \"key\" bucket: not an etcd v3 snapshot");
  return *b;
}

// Calls fn(revision key, decoded KeyValue) for every entry of `key`, in revision order.
template <typename Fn>
Status ForEachRevision(bbolt::Reader& reader, Fn&& fn) {
  ASSIGN_OR_RETURN(bbolt::BucketRef kb, KeyBucket(reader));
  return reader.ForEach(kb, [&](const bbolt::Entry& e) -> Status {
    auto kv = DecodeKeyValue(e.value);
    if (!kv) {
      return Fail(kv.error().Wrap(fmt::format("k8sobj: key bucket entry of {} bytes at revision key of {} bytes",
                                              e.value.size(), e.key.size())));
    }
    return fn(e.key, *kv);
  });
}

}  // namespace

Result<KeyValueRef> DecodeKeyValue(std::string_view bytes) {
  KeyValueRef kv;
  RETURN_IF_ERROR(wire::ForEachField(bytes, "mvccpb.KeyValue", [&](const wire::Field& f) -> Status {
    switch (f.number) {
      case 1: kv.key = f.bytes; break;
      case 2: kv.create_revision = static_cast<int64_t>(f.varint); break;
      case 3: kv.mod_revision = static_cast<int64_t>(f.varint); break;
      case 4: kv.version = static_cast<int64_t>(f.varint); break;
      case 5: kv.value = f.bytes; break;
      case 6: kv.lease = static_cast<int64_t>(f.varint); break;
      default: break;
    }
    return {};
  }));
  if (kv.key.empty()) return wire::WireError("mvccpb.KeyValue without a key");
  return kv;
}

Result<Inventory> TakeInventory(bbolt::Reader& reader, size_t largest) {
  struct Latest {
    uint32_t bytes = 0;
    int16_t provider = -1;  // index into providers, -1: not encrypted
    bool live = false;
    bool decodable = true;
  };
  KeyTable<Latest> keys;
  std::vector<std::string> providers;
  Inventory inv;
  std::string last_rev;
  // Each entry is applied to the table one entry late: its slot is prefetched first, so the
  // table's cache miss overlaps the next entry's decoding. The pending key is copied (the
  // walk's views do not outlive their batch).
  struct Pending {
    std::string key;
    uint64_t hash = 0;
    Latest state;  // Latest{} for a deletion
    bool set = false;
  } pending;
  auto apply = [&] {
    if (pending.set) keys.Find(pending.key, pending.hash) = pending.state;
  };
  RETURN_IF_ERROR(ForEachRevision(reader, [&](std::string_view rev_key, const KeyValueRef& kv) -> Status {
    ++inv.revisions;
    last_rev.assign(rev_key);  // entries come in revision order: the last one is the newest
    const uint64_t h = KeyTable<Latest>::Hash(kv.key);
    keys.Prefetch(h);
    Latest l;
    if (!IsTombstone(rev_key)) {
      l.live = true;
      l.bytes = static_cast<uint32_t>(std::min<size_t>(kv.value.size(), UINT32_MAX));
      if (kv.key.starts_with(kRegistryPrefix)) {
        // Classified by its envelope only (the walk stays as fast as `snapshot status`):
        // protobuf, JSON, or encrypted (and by whom).
        const std::optional<Encoding> e = Envelope(kv.value);
        if (!e) {
          l.decodable = false;
        } else if (*e == Encoding::kEncrypted) {
          std::string_view p = kv.value.substr(kEncryptedPrefix.size());
          p = p.substr(0, p.find(':'));
          auto it = std::find(providers.begin(), providers.end(), p);
          if (it == providers.end()) it = providers.insert(providers.end(), std::string(p));
          l.provider = static_cast<int16_t>(it - providers.begin());
        }
      }
    }
    apply();
    pending.key.assign(kv.key);
    pending.hash = h;
    pending.state = l;
    pending.set = true;
    return {};
  }));
  apply();
  if (!last_rev.empty()) {
    ASSIGN_OR_RETURN(etcddb::Revision rev, etcddb::DecodeRevision(last_rev));
    inv.revision = rev.main;
  }
  struct Candidate {
    std::string_view key;
    uint64_t bytes;
  };
  std::vector<Candidate> big;  // views into the table's blocks; strings only for the winners
  auto bigger = [](const Candidate& a, const Candidate& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.key < b.key;
  };
  struct PairHash {
    size_t operator()(const std::pair<std::string_view, std::string_view>& p) const {
      return std::hash<std::string_view>{}(p.first) * 31 + std::hash<std::string_view>{}(p.second);
    }
  };
  std::unordered_map<std::pair<std::string_view, std::string_view>, uint64_t, PairHash> by_resource;
  std::unordered_map<std::string_view, uint64_t> by_namespace;
  std::vector<uint64_t> encrypted(providers.size());
  keys.ForEach([&](std::string_view key, const Latest& l) {
    if (!l.live) return;
    ++inv.live_keys;
    auto k = ParseKeyView(key);
    if (!k) {
      ++inv.other_keys;
      return;
    }
    ++by_resource[{k->resource, k->group}];
    ++by_namespace[k->namespace_];
    if (l.provider >= 0) ++encrypted[static_cast<size_t>(l.provider)];
    if (!l.decodable) ++inv.undecodable;
    if (largest > 0) {
      big.push_back({key, l.bytes});
      if (big.size() >= 4 * largest) {  // keep the candidate list small
        std::nth_element(big.begin(), big.begin() + static_cast<ptrdiff_t>(largest) - 1, big.end(), bigger);
        big.resize(largest);
      }
    }
  });
  for (size_t i = 0; i < providers.size(); ++i) {
    if (encrypted[i] > 0) inv.encrypted[providers[i]] = encrypted[i];
  }
  for (const auto& [r, c] : by_resource) {
    inv.by_resource[r.second.empty() ? std::string(r.first) : std::string(r.first) + "." + std::string(r.second)] += c;
  }
  for (const auto& [n, c] : by_namespace) inv.by_namespace[std::string(n)] += c;
  std::sort(big.begin(), big.end(), bigger);
  if (big.size() > largest) big.resize(largest);
  for (const Candidate& c : big) inv.largest.push_back({std::string(c.key), c.bytes});
  // The compaction revision etcd finished (a revision key with sub 0), when there is one.
  ASSIGN_OR_RETURN(auto meta, reader.FindBucket(etcddb::kMetaBucket));
  if (meta) {
    ASSIGN_OR_RETURN(auto v, reader.Get(*meta, etcddb::kFinishedCompactKey));
    if (v) {
      ASSIGN_OR_RETURN(etcddb::Revision r, etcddb::DecodeRevision(*v));
      inv.compact_revision = r.main;
    }
  }
  return inv;
}

Result<std::vector<FoundObject>> FindObjects(bbolt::Reader& reader,
                                             const std::function<bool(std::string_view key)>& want, bool keep_values) {
  std::map<std::string, FoundObject, std::less<>> found;
  RETURN_IF_ERROR(ForEachRevision(reader, [&](std::string_view rev_key, const KeyValueRef& kv) -> Status {
    if (!want(kv.key)) return {};
    if (IsTombstone(rev_key)) {
      if (auto it = found.find(kv.key); it != found.end()) found.erase(it);
      return {};
    }
    auto info = DecodeObject(kv.value);
    FoundObject& o = found[std::string(kv.key)];
    o.key = kv.key;
    o.mod_revision = kv.mod_revision;
    if (info) {
      o.info = std::move(*info);
      o.damage.clear();
    } else {
      o.info = ObjectInfo{};
      o.damage = info.error().message();
    }
    if (keep_values) o.value.assign(kv.value);
    return {};
  }));
  std::vector<FoundObject> out;
  out.reserve(found.size());
  for (auto& [k, o] : found) out.push_back(std::move(o));
  return out;
}

}  // namespace etcdrestore::k8sobj
