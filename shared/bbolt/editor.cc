#include "shared/bbolt/editor.h"

#include <fcntl.h>

#include <cstring>

#include <fmt/format.h>

#include "shared/base/coding.h"
#include "shared/base/file.h"

namespace etcdrestore::bbolt {
namespace {

// The root tree (bucket names, headers, inline buckets) is loaded whole; refuse a huge one.
constexpr uint64_t kRootTreeCap = 64 * 1024 * 1024;

using Inode = NodeCopy::Inode;


Status CheckKeyValue(std::string_view bucket, std::string_view key, size_t vsize) {
  if (key.empty()) return Fail(ErrorCode::kInvalidArgument, fmt::format("bbolt: bucket {}: empty key", Quote(bucket)));
  if (key.size() > kMaxKeySize) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: bucket {}: key of {} bytes (max {})", Quote(bucket), key.size(), kMaxKeySize));
  }
  if (vsize > kMaxValueSize) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: bucket {}: value of {} bytes (max {})", Quote(bucket), vsize, kMaxValueSize));
  }
  return {};
}

size_t ElementBytes(bool leaf, const Inode& in) {
  return kLeafElementSize + in.key.size() + (leaf ? in.value.size() : 0);
}

// Collects the pages of one transaction, numbered from the old high water mark.
class PageWriter {
 public:
  PageWriter(uint32_t page_size, Pgid first) : ps_(page_size), first_(first), next_(first) {}

  Pgid next() const { return next_; }
  Pgid first() const { return first_; }
  const std::vector<uint8_t>& bytes() const { return out_; }

  // Writes one node (leaf or branch) as a page plus overflow pages.
  Pgid WriteNode(bool leaf, const std::vector<Inode>& inodes) {
    size_t size = kPageHeaderSize;
    for (const auto& in : inodes) size += ElementBytes(leaf, in);
    const uint64_t pages = (size + ps_ - 1) / ps_;
    const Pgid id = next_;
    next_ += pages;
    const size_t at = out_.size();
    out_.resize(at + pages * ps_, 0);
    Encode(leaf, inodes, id, static_cast<uint32_t>(pages - 1), out_.data() + at);
    return id;
  }

  // Encodes a node at p (which has room for it).
  static void Encode(bool leaf, const std::vector<Inode>& inodes, Pgid id, uint32_t overflow, uint8_t* p) {
    EncodeNode(leaf, inodes.data(), inodes.size(), id, overflow, p);
  }

  // Writes sorted leaf entries as a tree: leaves filled up to one page each (a single
  // element larger than a page gets overflow pages), then branch levels. Returns the root.
  Pgid WriteTree(const std::vector<Inode>& entries) {
    if (entries.empty()) return WriteNode(true, {});
    std::vector<Inode> level = Pack(true, entries);
    while (level.size() > 1) level = Pack(false, level);
    return level[0].pgid;
  }

 private:
  // Packs inodes into nodes of at most one page (or one element); returns branch inodes
  // (first key, pgid) for the written nodes.
  std::vector<Inode> Pack(bool leaf, const std::vector<Inode>& inodes) {
    std::vector<Inode> parents, group;
    size_t size = kPageHeaderSize;
    auto flush = [&] {
      Inode p;
      p.key = group.front().key;
      p.pgid = WriteNode(leaf, group);
      parents.push_back(std::move(p));
      group.clear();
      size = kPageHeaderSize;
    };
    for (const auto& in : inodes) {
      const size_t es = ElementBytes(leaf, in);
      if (!group.empty() && size + es > ps_) flush();
      group.push_back(in);
      size += es;
    }
    if (!group.empty()) flush();
    return parents;
  }

  uint32_t ps_;
  Pgid first_;
  Pgid next_;
  std::vector<uint8_t> out_;
};

// A node of the rightmost path of a bucket being appended to, or a node created by the
// appends. Nodes loaded from disk keep their pgid unless changed.
struct MemNode {
  bool leaf = true;
  Pgid pgid = 0;  // 0 for a new node
  bool dirty = false;
  size_t size = kPageHeaderSize;
  std::vector<Inode> inodes;
  std::vector<std::unique_ptr<MemNode>> mem;  // branch: in-memory child per inode, or null

  void Add(Inode in, std::unique_ptr<MemNode> child) {
    size += ElementBytes(leaf, in);
    inodes.push_back(std::move(in));
    if (!leaf) mem.push_back(std::move(child));
    dirty = true;
  }
};

Result<std::unique_ptr<MemNode>> LoadNode(Reader& r, Pgid id) {
  ASSIGN_OR_RETURN(NodeCopy c, r.ReadNode(id));
  auto n = std::make_unique<MemNode>();
  n->leaf = c.leaf;
  n->pgid = id;
  for (const auto& in : c.inodes) n->size += ElementBytes(n->leaf, in);
  n->inodes = std::move(c.inodes);
  if (!n->leaf) {
    if (n->inodes.empty()) return Fail(ErrorCode::kCorruption, fmt::format("bbolt: page {}: empty branch page", id));
    n->mem.resize(n->inodes.size());
  }
  return n;
}

// Appends (key, value) at the right edge under n. Returns a new right sibling of n when n
// had no room, for the caller to link into n's parent.
Result<std::unique_ptr<MemNode>> AppendUnder(Reader& r, MemNode& n, const std::string& key, const std::string& value,
                                             uint32_t ps, int level) {
  if (level > 64) return Fail(ErrorCode::kCorruption, "bbolt: tree too deep on the rightmost path");
  if (n.leaf) {
    Inode in;
    in.key = key;
    in.value = value;
    if (!n.inodes.empty() && n.size + ElementBytes(true, in) > ps) {
      auto sib = std::make_unique<MemNode>();
      sib->leaf = true;
      sib->Add(std::move(in), nullptr);
      return sib;
    }
    n.Add(std::move(in), nullptr);
    return std::unique_ptr<MemNode>();
  }
  if (n.inodes.empty()) return Fail(ErrorCode::kCorruption, fmt::format("bbolt: branch page {} is empty", n.pgid));
  // A child's keys are at or above its branch key. bbolt never leaves a key-less leaf under a
  // branch, but a damaged file can (found by fuzzing: an empty rightmost leaf whose branch key
  // is above every key of the bucket); appending there would break the order, so refuse.
  if (key < n.inodes.back().key)
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: branch page {}: its last key is above the appended key, though the bucket's last "
                            "key is below it (a damaged rightmost path)",
                            n.pgid));
  auto& child = n.mem.back();
  if (!child) {
    ASSIGN_OR_RETURN(child, LoadNode(r, n.inodes.back().pgid));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MemNode> sib, AppendUnder(r, *child, key, value, ps, level + 1));
  if (!sib) return std::unique_ptr<MemNode>();
  Inode link;
  link.key = sib->inodes.front().key;
  if (n.size + ElementBytes(false, link) > ps) {
    auto up = std::make_unique<MemNode>();
    up->leaf = false;
    up->Add(std::move(link), std::move(sib));
    return up;
  }
  n.Add(std::move(link), std::move(sib));
  return std::unique_ptr<MemNode>();
}

// Writes the changed nodes under n (children first); returns n's pgid afterwards.
Pgid WriteMem(PageWriter& w, MemNode& n) {
  if (!n.leaf) {
    for (size_t i = 0; i < n.inodes.size(); ++i) {
      if (!n.mem[i]) continue;
      Pgid id = WriteMem(w, *n.mem[i]);
      if (id != n.inodes[i].pgid) {
        n.inodes[i].pgid = id;
        n.dirty = true;
      }
    }
  }
  if (n.dirty || n.pgid == 0) n.pgid = w.WriteNode(n.leaf, n.inodes);
  n.dirty = false;
  return n.pgid;
}

std::string EncodeBucketHeader(Pgid root, uint64_t sequence) {
  std::string s(kBucketHeaderSize, '\0');
  StoreLE64(reinterpret_cast<uint8_t*>(s.data()), root);
  StoreLE64(reinterpret_cast<uint8_t*>(s.data()) + 8, sequence);
  return s;
}

}  // namespace

struct Editor::Pending {
  bool exists = false;  // on disk
  BucketRef ref;        // on-disk bucket, when exists
  bool replace = false;
  KeyValues content;  // the whole new content, when replace
  std::vector<std::pair<std::string, std::string>> appends;  // when !replace
  std::optional<std::string> last_key;  // greatest key after the appends so far, once known
};

Editor::Editor(std::string path) : path_(std::move(path)) {}
Editor::~Editor() = default;

Result<std::unique_ptr<Editor>> Editor::Open(const std::string& path) {
  std::unique_ptr<Editor> e(new Editor(path));
  ASSIGN_OR_RETURN(e->fd_, OpenFile(path, O_RDWR));
  ASSIGN_OR_RETURN(e->reader_, Reader::OpenFd(e->fd_.get(), path));
  return e;
}

Result<Editor::Pending*> Editor::PendingFor(std::string_view name) {
  if (done_) return Fail(ErrorCode::kFailedPrecondition, "bbolt: editor used after commit");
  auto it = pending_.find(name);
  if (it != pending_.end()) return it->second.get();
  auto p = std::make_unique<Pending>();
  ASSIGN_OR_RETURN(auto ref, reader_->FindBucket(name));
  if (ref) {
    p->exists = true;
    p->ref = std::move(*ref);
  }
  Pending* raw = p.get();
  pending_.emplace(std::string(name), std::move(p));
  return raw;
}

Result<bool> Editor::HasBucket(std::string_view name) {
  ASSIGN_OR_RETURN(Pending * p, PendingFor(name));
  return p->exists || p->replace;
}

Result<KeyValues> Editor::ReadSmallBucket(std::string_view name) {
  ASSIGN_OR_RETURN(Pending * p, PendingFor(name));
  if (p->replace) return p->content;
  if (!p->exists) return Fail(ErrorCode::kNotFound, fmt::format("bbolt: bucket {} not found", Quote(name)));
  KeyValues kv;
  uint64_t total = 0;
  RETURN_IF_ERROR(reader_->ForEach(p->ref, [&](const Entry& e) -> Status {
    if (e.is_bucket()) {
      return Fail(ErrorCode::kUnsupported, fmt::format("bbolt: bucket {} holds a sub-bucket", Quote(name)));
    }
    total += e.key.size() + e.value.size();
    if (total > kSmallBucketCap) {
      return Fail(
          ErrorCode::kFailedPrecondition,
          fmt::format("bbolt: bucket {} holds more than {} bytes; not a small bucket", Quote(name), kSmallBucketCap));
    }
    kv.emplace_hint(kv.end(), std::string(e.key), std::string(e.value));
    return {};
  }));
  for (auto& [k, v] : p->appends) kv.emplace_hint(kv.end(), k, v);
  return kv;
}

Status Editor::SetBucket(std::string_view name, KeyValues content) {
  RETURN_IF_ERROR(CheckKeyValue("", name, 0));
  for (const auto& [k, v] : content) RETURN_IF_ERROR(CheckKeyValue(name, k, v.size()));
  ASSIGN_OR_RETURN(Pending * p, PendingFor(name));
  p->replace = true;
  p->content = std::move(content);
  p->appends.clear();
  p->last_key.reset();
  return {};
}

Status Editor::AppendToBucket(std::string_view name, std::string_view key, std::string_view value) {
  RETURN_IF_ERROR(CheckKeyValue(name, key, value.size()));
  ASSIGN_OR_RETURN(Pending * p, PendingFor(name));
  auto not_greater = [&](std::string_view last) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: bucket {}: appended key ({} bytes) is not greater than the last key ({} bytes)",
                            Quote(name), key.size(), last.size()));
  };
  if (!p->replace && !p->exists)
    return Fail(ErrorCode::kNotFound, fmt::format("bbolt: bucket {} not found", Quote(name)));
  if (!p->replace && p->ref.root == 0) {
    // Inline buckets are small: rewrite them whole.
    ASSIGN_OR_RETURN(KeyValues kv, ReadSmallBucket(name));
    p->content = std::move(kv);
    p->replace = true;
    p->appends.clear();
  }
  if (p->replace) {
    if (!p->content.empty() && !(p->content.rbegin()->first < key)) return not_greater(p->content.rbegin()->first);
    p->content.emplace_hint(p->content.end(), std::string(key), std::string(value));
    return {};
  }
  if (!p->last_key) {
    ASSIGN_OR_RETURN(auto last, reader_->Last(p->ref));
    p->last_key = last ? std::move(last->first) : std::string();
  }
  if (!p->last_key->empty() && !(*p->last_key < key)) return not_greater(*p->last_key);
  p->appends.emplace_back(std::string(key), std::string(value));
  p->last_key = std::string(key);
  return {};
}

Status Editor::Commit() {
  if (done_) return Fail(ErrorCode::kFailedPrecondition, "bbolt: editor committed twice");
  done_ = true;
  Reader& r = *reader_;
  const uint32_t ps = r.page_size();

  // The root tree: every top-level bucket's name and value.
  std::map<std::string, Inode, std::less<>> root;
  uint64_t root_bytes = 0;
  RETURN_IF_ERROR(r.ForEach(r.Root(), [&](const Entry& e) -> Status {
    root_bytes += e.key.size() + e.value.size();
    if (root_bytes > kRootTreeCap) {
      return Fail(ErrorCode::kUnsupported, fmt::format("bbolt: root bucket larger than {} bytes", kRootTreeCap));
    }
    Inode in;
    in.flags = e.flags;
    in.key.assign(e.key);
    in.value.assign(e.value);
    root.emplace(in.key, std::move(in));
    return {};
  }));

  PageWriter w(ps, r.HighWater());
  for (auto& [name, p] : pending_) {
    std::string value;
    if (p->replace) {
      std::vector<Inode> entries;
      entries.reserve(p->content.size());
      size_t size = kPageHeaderSize;
      for (auto& [k, v] : p->content) {
        Inode in;
        in.key = k;
        in.value = v;
        size += ElementBytes(true, in);
        entries.push_back(std::move(in));
      }
      const uint64_t seq = p->exists ? p->ref.sequence : 0;
      if (size <= ps / 4) {  // bbolt's Bucket.inlineable (no sub-buckets: SetBucket has none)
        value = EncodeBucketHeader(0, seq);
        const size_t at = value.size();
        value.resize(at + size, '\0');
        PageWriter::Encode(true, entries, 0, 0, reinterpret_cast<uint8_t*>(value.data()) + at);
      } else {
        value = EncodeBucketHeader(w.WriteTree(entries), seq);
      }
    } else if (!p->appends.empty()) {
      ASSIGN_OR_RETURN(std::unique_ptr<MemNode> top, LoadNode(r, p->ref.root));
      for (auto& [k, v] : p->appends) {
        ASSIGN_OR_RETURN(std::unique_ptr<MemNode> sib, AppendUnder(r, *top, k, v, ps, 0));
        if (sib) {  // the root split: grow the tree by one level
          auto up = std::make_unique<MemNode>();
          up->leaf = false;
          Inode left, right;
          left.key = top->inodes.front().key;
          right.key = sib->inodes.front().key;
          up->Add(std::move(left), std::move(top));
          up->Add(std::move(right), std::move(sib));
          top = std::move(up);
        }
      }
      value = EncodeBucketHeader(WriteMem(w, *top), p->ref.sequence);
    } else {
      continue;  // only read
    }
    Inode in;
    in.flags = kBucketLeafFlag;
    in.key = name;
    in.value = std::move(value);
    root[name] = std::move(in);
  }
  std::vector<Inode> root_entries;
  root_entries.reserve(root.size());
  for (auto& [k, in] : root) root_entries.push_back(std::move(in));
  const Pgid new_root = w.WriteTree(root_entries);

  const uint64_t first_offset = w.first() * uint64_t{ps};
  RETURN_IF_ERROR(WriteAllAt(fd_.get(), path_, w.bytes().data(), w.bytes().size(), first_offset));
  RETURN_IF_ERROR(Fsync(fd_.get(), path_));

  Meta m = r.meta();
  m.txid += 1;
  m.root = new_root;
  m.pgid = w.next();
  m.freelist = kPgidNoFreelist;
  const Pgid meta_page = 1 - r.meta_page();
  std::vector<uint8_t> page(ps, 0);
  EncodePageHeader(PageHeader{meta_page, kMetaPageFlag, 0, 0}, page.data());
  EncodeMeta(m, page.data() + kPageHeaderSize);
  m.checksum = MetaChecksum(page.data() + kPageHeaderSize);
  RETURN_IF_ERROR(WriteAllAt(fd_.get(), path_, page.data(), page.size(), meta_page * uint64_t{ps}));
  RETURN_IF_ERROR(Fsync(fd_.get(), path_));
  committed_ = m;
  return {};
}

}  // namespace etcdrestore::bbolt
