#include "shared/bbolt/reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "shared/base/coding.h"
#include "shared/base/file.h"

namespace etcdrestore::bbolt {
namespace {

// Block cache: 16 x 1 MiB. A span crossing blocks is assembled in span_; one larger than
// two blocks is read directly.
constexpr uint64_t kBlockSize = 1024 * 1024;
constexpr size_t kBlockCount = 16;
constexpr uint64_t kBlocksAhead = 4;
// Deeper than any real tree (bbolt trees of 2^32 keys have height < 10).
constexpr int kMaxDepth = 64;


std::string Hex(std::string_view s) {
  std::string out;
  size_t n = std::min<size_t>(s.size(), 32);
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", static_cast<uint8_t>(s[i]));
  if (s.size() > n) out += "...";
  return out;
}

std::string_view View(std::span<const uint8_t> s, size_t off, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(s.data()) + off, n);
}

struct MetaCheck {
  Meta meta;
  std::string problem;  // empty when valid
};

MetaCheck CheckMeta(const uint8_t* body, int index) {
  MetaCheck c{DecodeMeta(body), {}};
  if (c.meta.magic != kMagic) {
    c.problem = fmt::format("meta page {}: bad magic 0x{:08x} (want 0x{:08x})", index, c.meta.magic, kMagic);
  } else if (c.meta.version != kVersion) {
    c.problem = fmt::format("meta page {}: version {} (want {})", index, c.meta.version, kVersion);
  } else if (c.meta.checksum != MetaChecksum(body)) {
    c.problem = fmt::format("meta page {}: checksum mismatch (stored 0x{:016x}, computed 0x{:016x})", index,
                            c.meta.checksum, MetaChecksum(body));
  }
  return c;
}

bool ValidPageSize(uint32_t ps) {
  return ps >= kMinPageSize && ps <= kMaxPageSize && (ps & (ps - 1)) == 0;
}

}  // namespace

Result<BucketRef> DecodeBucketValue(std::string_view value) {
  if (value.size() < kBucketHeaderSize) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: bucket value of {} bytes (want at least {})", value.size(), kBucketHeaderSize));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  BucketRef b{LoadLE64(p), LoadLE64(p + 8), {}};
  if (b.root == 0) {
    if (value.size() < kBucketHeaderSize + kPageHeaderSize) {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("bbolt: inline bucket value of {} bytes has no page header", value.size()));
    }
    b.inline_page.assign(value.substr(kBucketHeaderSize));
  }
  return b;
}

// Walks one bucket tree (and optionally its sub-buckets) in key order.
class Walker {
 public:
  Walker(Reader& r, const WalkHooks& hooks, std::vector<bool>* reached)
      : r_(r), hooks_(hooks), reached_(reached) {
    if (reached_ == nullptr) {
      local_reached_.assign(r.meta().pgid, false);
      reached_ = &local_reached_;
    }
  }

  // level: index of the page buffer to use for b's root, so that the buffers of the pages
  // holding a sub-bucket's entry stay intact while the sub-bucket is walked.
  Status WalkBucket(const BucketRef& b, int depth, int level = 0) {
    std::string prev;
    bool have_prev = false;
    if (level > kMaxDepth) return Problem(fmt::format("sub-buckets nested deeper than {} levels", kMaxDepth));
    if (b.root == 0) {
      auto page = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.inline_page.data()),
                                           b.inline_page.size());
      if (page.size() < kPageHeaderSize) return Problem("inline bucket: page shorter than its header");
      PageHeader h = DecodePageHeader(page.data());
      if (!(h.flags & kLeafPageFlag) || (h.flags & kBranchPageFlag)) {
        return Problem(fmt::format("inline bucket: invalid type: {}", PageTypeName(h.flags)));
      }
      return WalkLeaf("inline bucket", h, page, level, depth, {}, std::nullopt, &prev, &have_prev);
    }
    return WalkPage(b.root, level, depth, {}, std::nullopt, &prev, &have_prev);
  }

 private:
  Status Problem(std::string msg) {
    if (hooks_.on_problem) {
      hooks_.on_problem(std::move(msg));
      return {};
    }
    return Fail(ErrorCode::kCorruption, "bbolt: " + msg);
  }

  Status WalkPage(Pgid id, int level, int depth, std::string_view lo, std::optional<std::string_view> hi,
                  std::string* prev, bool* have_prev) {
    const Meta& m = r_.meta();
    if (level > kMaxDepth) return Problem(fmt::format("page {}: tree deeper than {} levels", id, kMaxDepth));
    if (id >= m.pgid) {
      return Problem(fmt::format("page {} of {}: beyond the high water mark (file has {} bytes, page size {})", id,
                                 m.pgid, r_.file_size(), m.page_size));
    }
    if ((*reached_)[id]) return Problem(fmt::format("page {}: multiple references", id));
    auto viewed = r_.ViewPage(id);
    if (!viewed) {
      if (viewed.error().code() != ErrorCode::kCorruption) return Fail(viewed.error());
      (*reached_)[id] = true;
      if (!hooks_.on_problem) return Fail(viewed.error());
      std::string msg = viewed.error().message();
      if (msg.starts_with("bbolt: ")) msg.erase(0, 7);
      return Problem(std::move(msg));
    }
    auto [h, span] = *viewed;
    for (uint64_t i = 0; i <= h.overflow; ++i) {
      if ((*reached_)[id + i]) {
        return Problem(fmt::format("page {}: multiple references", id + i));
      }
      (*reached_)[id + i] = true;
    }
    std::string where = fmt::format("page {}", id);
    if (h.flags & kBranchPageFlag) {
      // Copy: the block cache is reused while children are read.
      if (levels_.size() <= static_cast<size_t>(level)) levels_.resize(level + 1);
      auto& buf = levels_[level];
      buf.assign(span.begin(), span.end());
      return WalkBranch(where, h, std::span<const uint8_t>(buf), level, depth, lo, hi, prev, have_prev);
    }
    if (h.flags & kLeafPageFlag) {
      if (hooks_.descend && HasBucketEntry(h, span)) {
        if (levels_.size() <= static_cast<size_t>(level)) levels_.resize(level + 1);
        auto& buf = levels_[level];
        buf.assign(span.begin(), span.end());
        return WalkLeaf(where, h, std::span<const uint8_t>(buf), level, depth, lo, hi, prev, have_prev);
      }
      return WalkLeaf(where, h, span, level, depth, lo, hi, prev, have_prev);
    }
    return Problem(fmt::format("page {}: invalid type: {}", id, PageTypeName(h.flags)));
  }

  static bool HasBucketEntry(const PageHeader& h, std::span<const uint8_t> page) {
    size_t n = std::min<size_t>(h.count, (page.size() - kPageHeaderSize) / kLeafElementSize);
    for (size_t i = 0; i < n; ++i) {
      if (LoadLE32(page.data() + kPageHeaderSize + i * kLeafElementSize) & kBucketLeafFlag) return true;
    }
    return false;
  }

  Status WalkBranch(const std::string& where, const PageHeader& h, std::span<const uint8_t> page, int level,
                    int depth, std::string_view lo, std::optional<std::string_view> hi, std::string* prev,
                    bool* have_prev) {
    if (h.count == 0) return Problem(where + ": empty branch page");
    if (kPageHeaderSize + uint64_t{h.count} * kBranchElementSize > page.size()) {
      return Problem(fmt::format("{}: {} branch elements do not fit in {} bytes", where, h.count, page.size()));
    }
    // Decode and check every element before descending.
    struct Child {
      std::string_view key;
      Pgid pgid;
    };
    std::vector<Child> children;
    children.reserve(h.count);
    for (size_t i = 0; i < h.count; ++i) {
      size_t off = kPageHeaderSize + i * kBranchElementSize;
      const uint8_t* e = page.data() + off;
      uint64_t pos = LoadLE32(e), ksize = LoadLE32(e + 4);
      if (off + pos + ksize > page.size()) {
        return Problem(fmt::format("{}: branch element {} (pos {}, key {} bytes) beyond the page ({} bytes)", where,
                                   i, pos, ksize, page.size()));
      }
      std::string_view key = View(page, off + pos, ksize);
      if (i > 0 && !(children.back().key < key)) {
        return Problem(fmt::format("{}: branch keys out of order at element {} ({} after {})", where, i, Hex(key),
                                   Hex(children.back().key)));
      }
      if (i == 0 && key < lo) {
        return Problem(fmt::format("{}: first key {} is below its parent's key {}", where, Hex(key), Hex(lo)));
      }
      if (hi && !(key < *hi)) {
        return Problem(fmt::format("{}: key {} is not below the next parent key {}", where, Hex(key), Hex(*hi)));
      }
      children.push_back({key, LoadLE64(e + 8)});
    }
    for (size_t i = 0; i < children.size(); ++i) {
      std::optional<std::string_view> child_hi = i + 1 < children.size() ? std::optional(children[i + 1].key) : hi;
      RETURN_IF_ERROR(WalkPage(children[i].pgid, level + 1, depth, children[i].key, child_hi, prev, have_prev));
    }
    return {};
  }

  Status WalkLeaf(const std::string& where, const PageHeader& h, std::span<const uint8_t> page, int level, int depth,
                  std::string_view lo, std::optional<std::string_view> hi, std::string* prev, bool* have_prev) {
    if (kPageHeaderSize + uint64_t{h.count} * kLeafElementSize > page.size()) {
      return Problem(fmt::format("{}: {} leaf elements do not fit in {} bytes", where, h.count, page.size()));
    }
    for (size_t i = 0; i < h.count; ++i) {
      size_t off = kPageHeaderSize + i * kLeafElementSize;
      const uint8_t* e = page.data() + off;
      Entry entry;
      entry.flags = LoadLE32(e);
      uint64_t pos = LoadLE32(e + 4), ksize = LoadLE32(e + 8), vsize = LoadLE32(e + 12);
      if (off + pos + ksize + vsize > page.size()) {
        return Problem(fmt::format("{}: leaf element {} (pos {}, key {} bytes, value {} bytes) beyond the page ({} bytes)",
                                   where, i, pos, ksize, vsize, page.size()));
      }
      entry.key = View(page, off + pos, ksize);
      entry.value = View(page, off + pos + ksize, vsize);
      if (*have_prev && !(std::string_view(*prev) < entry.key)) {
        return Problem(fmt::format("{}: keys out of order at element {} ({} after {})", where, i, Hex(entry.key),
                                   Hex(*prev)));
      }
      if (i == 0 && entry.key < lo) {
        return Problem(fmt::format("{}: first key {} is below its parent's key {}", where, Hex(entry.key), Hex(lo)));
      }
      if (hi && !(entry.key < *hi)) {
        return Problem(fmt::format("{}: key {} is not below the next parent key {}", where, Hex(entry.key), Hex(*hi)));
      }
      prev->assign(entry.key);
      *have_prev = true;
      if (hooks_.on_entry) RETURN_IF_ERROR(hooks_.on_entry(entry, depth));
      if (hooks_.descend && entry.is_bucket()) {
        auto child = DecodeBucketValue(entry.value);
        if (!child) {
          RETURN_IF_ERROR(Problem(fmt::format("{}: sub-bucket {}: {}", where, Hex(entry.key),
                                              child.error().message().substr(7))));
          continue;
        }
        RETURN_IF_ERROR(WalkBucket(*child, depth + 1, level + 1));
      }
    }
    return {};
  }

  Reader& r_;
  const WalkHooks& hooks_;
  std::vector<bool>* reached_;
  std::vector<bool> local_reached_;
  std::vector<std::vector<uint8_t>> levels_;  // copies of branch (and bucket-holding) pages per level
};

Reader::~Reader() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (prefetcher_.joinable()) prefetcher_.join();
}

Result<std::unique_ptr<Reader>> Reader::Open(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY));
  std::unique_ptr<Reader> r(new Reader());
  RETURN_IF_ERROR(r->Init(fd.get(), path));
  r->owned_fd_ = std::move(fd);
  return r;
}

Result<std::unique_ptr<Reader>> Reader::OpenFd(int fd, const std::string& path) {
  std::unique_ptr<Reader> r(new Reader());
  RETURN_IF_ERROR(r->Init(fd, path));
  return r;
}

Status Reader::Init(int fd, const std::string& path) {
  fd_ = fd;
  path_ = path;
  ASSIGN_OR_RETURN(file_size_, FileSize(fd, path));
  auto invalid = [&](const std::string& why) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: {}: invalid database ({})", Quote(path), why));
  };
  constexpr size_t kMetaPageBytes = kPageHeaderSize + kMetaSize;
  if (file_size_ < kMetaPageBytes) {
    return invalid(fmt::format("file has {} bytes, a bbolt file has at least two pages", file_size_));
  }
  uint8_t buf[kMetaPageBytes];
  RETURN_IF_ERROR(ReadAt(fd, path, buf, sizeof buf, 0));
  MetaCheck m0 = CheckMeta(buf + kPageHeaderSize, 0);
  uint32_t ps = 0;
  if (m0.problem.empty() && ValidPageSize(m0.meta.page_size)) {
    ps = m0.meta.page_size;
  } else {
    // Like bbolt, fall back to meta page 1; its offset depends on the unknown page size,
    // so try the OS page size first, then every other power of two.
    std::vector<uint32_t> sizes = {4096};
    for (uint32_t s = kMinPageSize; s <= kMaxPageSize; s *= 2) {
      if (s != 4096) sizes.push_back(s);
    }
    for (uint32_t s : sizes) {
      if (file_size_ < uint64_t{s} + kMetaPageBytes) continue;
      uint8_t b1[kMetaPageBytes];
      RETURN_IF_ERROR(ReadAt(fd, path, b1, sizeof b1, s));
      MetaCheck m1 = CheckMeta(b1 + kPageHeaderSize, 1);
      if (m1.problem.empty() && m1.meta.page_size == s) {
        ps = s;
        break;
      }
    }
    if (ps == 0) {
      std::string why = m0.problem.empty() ? fmt::format("meta page 0: bad page size {}", m0.meta.page_size)
                                           : m0.problem;
      return invalid(why + "; no valid meta page 1 either");
    }
  }
  MetaCheck metas[2] = {m0, {}};
  if (file_size_ < uint64_t{ps} + kMetaPageBytes) {
    metas[1].problem = fmt::format("meta page 1: beyond end of file ({} bytes)", file_size_);
  } else {
    uint8_t b1[kMetaPageBytes];
    RETURN_IF_ERROR(ReadAt(fd, path, b1, sizeof b1, ps));
    metas[1] = CheckMeta(b1 + kPageHeaderSize, 1);
  }
  for (int i = 0; i < 2; ++i) {
    if (metas[i].problem.empty() && metas[i].meta.page_size != ps) {
      metas[i].problem = fmt::format("meta page {}: page size {} (meta page {} says {})", i, metas[i].meta.page_size,
                                     1 - i, ps);
    }
  }
  bool ok0 = metas[0].problem.empty(), ok1 = metas[1].problem.empty();
  if (!ok0 && !ok1) return invalid(metas[0].problem + "; " + metas[1].problem);
  int pick = (ok0 && ok1) ? (metas[1].meta.txid > metas[0].meta.txid ? 1 : 0) : (ok0 ? 0 : 1);
  meta_ = metas[pick].meta;
  meta_page_ = pick;
  high_water_ = meta_.pgid;
  if (ok0 && ok1) high_water_ = std::max(metas[0].meta.pgid, metas[1].meta.pgid);

  if (meta_.pgid < 3 || meta_.pgid > file_size_ / ps) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: {}: meta page {} says the file has {} pages of {} bytes, but the file has {} "
                            "bytes ({} pages): truncated or damaged",
                            Quote(path), pick, meta_.pgid, ps, file_size_, file_size_ / ps));
  }
  if (meta_.root < 2 || meta_.root >= meta_.pgid) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: {}: meta page {}: root page {} out of range [2, {})",
                                                    Quote(path), pick, meta_.root, meta_.pgid));
  }
  if (meta_.freelist != kPgidNoFreelist && (meta_.freelist < 2 || meta_.freelist >= meta_.pgid)) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: {}: meta page {}: freelist page {} out of range [2, {})",
                                                    Quote(path), pick, meta_.freelist, meta_.pgid));
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  blocks_.resize(kBlockCount);
  return {};
}

Reader::Block* Reader::Victim() {
  Block* victim = nullptr;
  for (Block& b : blocks_) {
    if (!b.loading && (victim == nullptr || b.used < victim->used)) victim = &b;
  }
  return victim;  // never null: at most kBlocksAhead < kBlockCount blocks are loading
}

void Reader::ScheduleAhead(uint64_t index) {
  const uint64_t limit = meta_.pgid * uint64_t{meta_.page_size};
  for (uint64_t j = index + 1; j <= index + kBlocksAhead && j * kBlockSize < limit; ++j) {
    bool present = false;
    for (const Block& b : blocks_) present = present || b.index == j;
    if (present) continue;
    if (!prefetcher_.joinable()) prefetcher_ = std::thread([this] { PrefetchLoop(); });
    Block* v = Victim();
    v->index = j;
    v->len = std::min(kBlockSize, limit - j * kBlockSize);
    v->used = ++clock_;
    v->loading = true;
    queue_.push_back(v);
  }
  cv_.notify_all();
}

void Reader::PrefetchLoop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Block* b = queue_.front();
    queue_.pop_front();
    const uint64_t offset = b->index * kBlockSize, n = b->len;
    lk.unlock();
    b->data.resize(kBlockSize);
    Status st = ReadAt(fd_, path_, b->data.data(), n, offset);
    lk.lock();
    if (!st) b->index = UINT64_MAX;  // the walk reads it again itself and reports the error
    bytes_read_ += n;
    ++read_calls_;
    b->loading = false;
    cv_.notify_all();
  }
}

Result<const Reader::Block*> Reader::LoadBlock(uint64_t index) {
  std::unique_lock lk(mu_);
  for (Block& b : blocks_) {
    if (b.index != index) continue;
    cv_.wait(lk, [&] { return !b.loading; });
    if (b.index != index) break;  // its prefetch failed
    b.used = ++clock_;
    if (prefetch_) ScheduleAhead(index);
    return &b;
  }
  const uint64_t limit = meta_.pgid * uint64_t{meta_.page_size};
  const uint64_t start = index * kBlockSize;
  const uint64_t n = std::min(kBlockSize, limit - start);
  Block* victim = Victim();
  victim->index = UINT64_MAX;
  victim->used = ++clock_;
  victim->loading = true;  // keeps ScheduleAhead from picking it while unlocked
  lk.unlock();
  victim->data.resize(kBlockSize);
  Status st = ReadAt(fd_, path_, victim->data.data(), n, start);
  lk.lock();
  victim->loading = false;
  if (!st) return Fail(st.error());
  bytes_read_ += n;
  ++read_calls_;
  victim->index = index;
  victim->len = n;
  if (prefetch_) ScheduleAhead(index);
  return victim;
}

Result<const uint8_t*> Reader::Bytes(uint64_t offset, uint64_t len) {
  const uint64_t first = offset / kBlockSize, last = (offset + len - 1) / kBlockSize;
  if (first == last) {
    ASSIGN_OR_RETURN(const Block* b, LoadBlock(first));
    return b->data.data() + (offset - first * kBlockSize);
  }
  span_.resize(len);
  if (len > 2 * kBlockSize) {
    RETURN_IF_ERROR(ReadAt(fd_, path_, span_.data(), len, offset));
    bytes_read_ += len;
    ++read_calls_;
  } else {
    for (uint64_t i = first, done = 0; i <= last; ++i) {
      ASSIGN_OR_RETURN(const Block* b, LoadBlock(i));
      const uint64_t from = i == first ? offset - first * kBlockSize : 0;
      const uint64_t n = std::min(len - done, kBlockSize - from);
      std::memcpy(span_.data() + done, b->data.data() + from, n);
      done += n;
    }
  }
  if (span_.capacity() > 4 * kBlockSize && len <= 2 * kBlockSize) span_.shrink_to_fit();
  return span_.data();
}

Result<std::pair<PageHeader, std::span<const uint8_t>>> Reader::ViewPage(Pgid id) {
  const uint64_t ps = meta_.page_size;
  if (id >= meta_.pgid) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: page {} of {}: beyond the high water mark (file has {} bytes, page size {})", id,
                            meta_.pgid, file_size_, ps));
  }
  const uint64_t off = id * ps;
  ASSIGN_OR_RETURN(const uint8_t* head, Bytes(off, kPageHeaderSize));
  PageHeader h = DecodePageHeader(head);
  if (h.id != id) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: page {}: header says page {}", id, h.id));
  }
  if (uint64_t{h.overflow} >= meta_.pgid - id) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: page {} of {}: {} overflow pages run beyond the high water mark", id, meta_.pgid,
                            h.overflow));
  }
  const uint64_t len = (uint64_t{h.overflow} + 1) * ps;
  ASSIGN_OR_RETURN(const uint8_t* data, Bytes(off, len));
  return std::pair{h, std::span<const uint8_t>(data, len)};
}

Result<PageHeader> Reader::ReadPage(Pgid id, std::vector<uint8_t>* out) {
  ASSIGN_OR_RETURN(auto viewed, ViewPage(id));
  out->assign(viewed.second.begin(), viewed.second.end());
  return viewed.first;
}

Status Reader::Walk(const BucketRef& b, const WalkHooks& hooks, std::vector<bool>* reached) {
  Walker w(*this, hooks, reached);
  {
    std::lock_guard lk(mu_);
    prefetch_ = b.root != 0;
  }
  Status st = w.WalkBucket(b, 0);
  std::lock_guard lk(mu_);
  prefetch_ = false;
  return st;
}

Status Reader::ForEach(const BucketRef& b, const std::function<Status(const Entry&)>& fn) {
  WalkHooks hooks;
  hooks.on_entry = [&](const Entry& e, int) { return fn(e); };
  return Walk(b, hooks);
}

Status Reader::ForEachBucket(const std::function<Status(std::string_view, const BucketRef&)>& fn) {
  return ForEach(Root(), [&](const Entry& e) -> Status {
    if (!e.is_bucket()) {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("bbolt: root bucket holds a plain key {} (flags {:#x})", Hex(e.key), e.flags));
    }
    ASSIGN_OR_RETURN(BucketRef b, DecodeBucketValue(e.value));
    return fn(e.key, b);
  });
}

Result<NodeCopy> Reader::ReadNode(Pgid id) {
  std::vector<uint8_t> page;
  ASSIGN_OR_RETURN(PageHeader h, ReadPage(id, &page));
  NodeCopy n;
  const bool branch = (h.flags & kBranchPageFlag) != 0;
  if (!branch && !(h.flags & kLeafPageFlag)) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: page {}: invalid type: {}", id, PageTypeName(h.flags)));
  }
  n.leaf = !branch;
  if (kPageHeaderSize + uint64_t{h.count} * 16 > page.size()) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: page {}: {} elements do not fit in {} bytes", id, h.count, page.size()));
  }
  n.inodes.resize(h.count);
  std::span<const uint8_t> s(page);
  for (size_t i = 0; i < h.count; ++i) {
    size_t off = kPageHeaderSize + i * 16;
    const uint8_t* e = page.data() + off;
    auto& in = n.inodes[i];
    if (branch) {
      uint64_t pos = LoadLE32(e), ksize = LoadLE32(e + 4);
      if (off + pos + ksize > page.size()) {
        return Fail(ErrorCode::kCorruption, fmt::format("bbolt: page {}: branch element {} beyond the page", id, i));
      }
      in.key.assign(View(s, off + pos, ksize));
      in.pgid = LoadLE64(e + 8);
    } else {
      in.flags = LoadLE32(e);
      uint64_t pos = LoadLE32(e + 4), ksize = LoadLE32(e + 8), vsize = LoadLE32(e + 12);
      if (off + pos + ksize + vsize > page.size()) {
        return Fail(ErrorCode::kCorruption, fmt::format("bbolt: page {}: leaf element {} beyond the page", id, i));
      }
      in.key.assign(View(s, off + pos, ksize));
      in.value.assign(View(s, off + pos + ksize, vsize));
    }
  }
  return n;
}

namespace {

// Parses the elements of an inline bucket page into a NodeCopy.
Result<NodeCopy> InlineNode(const std::string& page) {
  std::span<const uint8_t> s(reinterpret_cast<const uint8_t*>(page.data()), page.size());
  PageHeader h = DecodePageHeader(s.data());
  if (!(h.flags & kLeafPageFlag) || kPageHeaderSize + uint64_t{h.count} * kLeafElementSize > s.size()) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: inline bucket page damaged (flags {:#x}, {} elements in "
                                                    "{} bytes)", h.flags, h.count, s.size()));
  }
  NodeCopy n;
  n.inodes.resize(h.count);
  for (size_t i = 0; i < h.count; ++i) {
    size_t off = kPageHeaderSize + i * kLeafElementSize;
    const uint8_t* e = s.data() + off;
    uint64_t pos = LoadLE32(e + 4), ksize = LoadLE32(e + 8), vsize = LoadLE32(e + 12);
    if (off + pos + ksize + vsize > s.size()) {
      return Fail(ErrorCode::kCorruption, fmt::format("bbolt: inline bucket: leaf element {} beyond the page", i));
    }
    n.inodes[i].flags = LoadLE32(e);
    n.inodes[i].key.assign(View(s, off + pos, ksize));
    n.inodes[i].value.assign(View(s, off + pos + ksize, vsize));
  }
  return n;
}

}  // namespace

Result<std::optional<BucketRef>> Reader::FindBucket(std::string_view name) {
  ASSIGN_OR_RETURN(auto v, Get(Root(), name));
  if (!v) return std::optional<BucketRef>();
  ASSIGN_OR_RETURN(BucketRef b, DecodeBucketValue(*v));
  return std::optional<BucketRef>(std::move(b));
}

Result<std::optional<std::string>> Reader::Get(const BucketRef& b, std::string_view key) {
  NodeCopy n;
  if (b.root == 0) {
    ASSIGN_OR_RETURN(n, InlineNode(b.inline_page));
  } else {
    ASSIGN_OR_RETURN(n, ReadNode(b.root));
  }
  for (int level = 0; !n.leaf; ++level) {
    if (level > kMaxDepth || n.inodes.empty()) {
      return Fail(ErrorCode::kCorruption, "bbolt: damaged branch page on the path to a key");
    }
    // The last child whose key is <= key (bbolt's search), or the first.
    auto it = std::upper_bound(n.inodes.begin(), n.inodes.end(), key,
                               [](std::string_view k, const NodeCopy::Inode& in) { return k < in.key; });
    size_t idx = it == n.inodes.begin() ? 0 : static_cast<size_t>(it - n.inodes.begin()) - 1;
    ASSIGN_OR_RETURN(n, ReadNode(n.inodes[idx].pgid));
  }
  for (auto& in : n.inodes) {
    if (in.key == key) return std::optional<std::string>(std::move(in.value));
  }
  return std::optional<std::string>();
}

Result<std::optional<std::pair<std::string, std::string>>> Reader::Last(const BucketRef& b) {
  using Out = std::optional<std::pair<std::string, std::string>>;
  if (b.root == 0) {
    ASSIGN_OR_RETURN(NodeCopy n, InlineNode(b.inline_page));
    if (n.inodes.empty()) return Out();
    return Out(std::pair{std::move(n.inodes.back().key), std::move(n.inodes.back().value)});
  }
  // Depth-first from the right; empty leaves (possible after deletes) fall back left.
  std::function<Result<Out>(Pgid, int)> last = [&](Pgid id, int level) -> Result<Out> {
    if (level > kMaxDepth) return Fail(ErrorCode::kCorruption, "bbolt: tree too deep on the rightmost path");
    ASSIGN_OR_RETURN(NodeCopy n, ReadNode(id));
    if (n.leaf) {
      if (n.inodes.empty()) return Out();
      return Out(std::pair{std::move(n.inodes.back().key), std::move(n.inodes.back().value)});
    }
    for (size_t i = n.inodes.size(); i-- > 0;) {
      ASSIGN_OR_RETURN(Out o, last(n.inodes[i].pgid, level + 1));
      if (o) return o;
    }
    return Out();
  };
  return last(b.root, 0);
}

}  // namespace etcdrestore::bbolt
