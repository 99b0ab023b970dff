#include "shared/bbolt/reader.h"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "shared/base/coding.h"
#include "shared/base/file.h"

namespace etcdrestore::bbolt {
namespace {

// Batches: a gap of up to kGapPages pages between two wanted pages is read through rather
// than split into two reads, and a run is read `tail` pages past its last wanted page, so
// the overflow pages of its last page come with it: the walk passes the most overflow pages
// it saw on the same tree level lately, at most kMaxTailBytes (values of up to 2 MiB are
// then read whole, in the background). A branch's children are fetched in windows of at
// most kBatchBudget bytes (with 1 MiB values: three or four children a window); batches
// alive at once hold at most kInflightBudget.
constexpr uint64_t kGapPages = 8;
constexpr uint64_t kMaxTailBytes = 2u << 20;
constexpr uint64_t kBatchBudget = 4u << 20;
constexpr uint64_t kInflightBudget = 24u << 20;
constexpr size_t kPoolBuffers = 4;
// A walk queues the grandchildren of this many upcoming branch children ahead of time.
constexpr size_t kSiblingsAhead = 2;
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

// Element i of a branch or leaf page (the caller has checked that the element array fits
// in the page). fits is false when its key or value runs past the end of the page.
struct Element {
  uint32_t flags = 0;  // leaf only
  uint64_t pos = 0, ksize = 0, vsize = 0;
  Pgid pgid = 0;  // branch only
  std::string_view key, value;
  bool fits = false;
};

Element ElementAt(std::span<const uint8_t> page, bool branch, size_t i) {
  static_assert(kLeafElementSize == kBranchElementSize);
  const size_t off = kPageHeaderSize + i * kLeafElementSize;
  const uint8_t* e = page.data() + off;
  Element el;
  if (branch) {
    el.pos = LoadLE32(e);
    el.ksize = LoadLE32(e + 4);
    el.pgid = LoadLE64(e + 8);
  } else {
    el.flags = LoadLE32(e);
    el.pos = LoadLE32(e + 4);
    el.ksize = LoadLE32(e + 8);
    el.vsize = LoadLE32(e + 12);
  }
  el.fits = off + el.pos + el.ksize + el.vsize <= page.size();
  if (el.fits) {
    el.key = View(page, off + el.pos, el.ksize);
    el.value = View(page, off + el.pos + el.ksize, el.vsize);
  }
  return el;
}

// Copies the elements of a branch or leaf page; `where` names the page in errors.
Result<NodeCopy> CopyNode(std::span<const uint8_t> page, const std::string& where) {
  const PageHeader h = DecodePageHeader(page.data());
  const bool branch = (h.flags & kBranchPageFlag) != 0;
  if (!branch && !(h.flags & kLeafPageFlag)) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: {}: invalid type: {}", where, PageTypeName(h.flags)));
  }
  if (kPageHeaderSize + uint64_t{h.count} * kLeafElementSize > page.size()) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: {}: {} elements do not fit in {} bytes", where, h.count, page.size()));
  }
  NodeCopy n;
  n.leaf = !branch;
  n.inodes.resize(h.count);
  for (size_t i = 0; i < h.count; ++i) {
    const Element el = ElementAt(page, branch, i);
    if (!el.fits) {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("bbolt: {}: {} element {} beyond the page", where, branch ? "branch" : "leaf", i));
    }
    auto& in = n.inodes[i];
    in.flags = el.flags;
    in.key.assign(el.key);
    in.value.assign(el.value);
    in.pgid = el.pgid;
  }
  return n;
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

// What a batch holds: runs of pages read into buf (or, when lazy, nothing: every page is
// read on its own into extra).
struct Reader::Batch {
  enum class State { kQueued, kRunning, kDone };
  std::vector<Run> runs;  // sorted by first, disjoint
  std::vector<uint8_t> buf;
  uint64_t bytes = 0;     // bytes of buf in use
  bool lazy = false;
  State state = State::kQueued;
  Status status;          // the read's outcome, once kDone
  // Pages read on their own (a page whose overflow runs past its run, or any page of a
  // lazy batch), by id; map nodes do not move. Each is dropped (ReleasePage) once the walk
  // is done with it, so at most a few are held at a time whatever their size.
  std::map<Pgid, std::vector<uint8_t>> extra;
};

Reader::BatchHandle::BatchHandle(Reader* r, std::unique_ptr<Batch> b) : r_(r), b_(std::move(b)) {}

Reader::BatchHandle& Reader::BatchHandle::operator=(BatchHandle&& o) noexcept {
  if (this != &o) {
    if (b_) r_->Release(std::move(b_));
    r_ = o.r_;
    b_ = std::move(o.b_);
  }
  return *this;
}

Reader::BatchHandle::~BatchHandle() {
  if (b_) r_->Release(std::move(b_));
}

// The runs that read ids[from, to): ids sorted, merged into runs [first, first + pages)
// across gaps of up to kGapPages, and `tail` pages read past each run's last page (up to
// the next run or `limit`). Returns the bytes they take.
uint64_t Reader::RunsOf(const std::vector<Pgid>& ids, size_t from, size_t to, uint64_t tail,
                        std::vector<Run>* runs) const {
  const Pgid limit = meta_.pgid;
  std::vector<Pgid> sorted;
  sorted.reserve(to - from);
  for (size_t i = from; i < to; ++i) {
    if (ids[i] >= 2 && ids[i] < limit) sorted.push_back(ids[i]);
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  uint64_t offset = 0;
  size_t i = 0;
  while (i < sorted.size()) {
    Pgid first = sorted[i], last = first;
    size_t j = i + 1;
    while (j < sorted.size() && sorted[j] - last <= kGapPages + 1) last = sorted[j++];
    Pgid end = std::min(last + 1 + tail, limit);
    if (j < sorted.size()) end = std::min(end, sorted[j]);
    runs->push_back({first, end - first, offset});
    offset += (end - first) * meta_.page_size;
    i = j;
  }
  return offset;
}

std::vector<Reader::Window> Reader::Plan(const std::vector<Pgid>& ids, uint64_t tail) const {
  tail = std::min<uint64_t>(tail, kMaxTailBytes / meta_.page_size);
  Window all{0, ids.size(), {}, 0};
  all.bytes = RunsOf(ids, 0, ids.size(), tail, &all.runs);
  const size_t count = std::max<uint64_t>(1, (all.bytes + kBatchBudget - 1) / kBatchBudget);
  if (count == 1) return {std::move(all)};  // the common case: the runs are already made
  const size_t per = std::max<size_t>(1, (ids.size() + count - 1) / count);
  std::vector<Window> w;
  for (size_t from = 0; from < ids.size(); from += per) {
    Window win{from, std::min(ids.size(), from + per), {}, 0};
    win.bytes = RunsOf(ids, win.from, win.to, tail, &win.runs);
    w.push_back(std::move(win));
  }
  return w;
}

Reader::BatchHandle Reader::Submit(Window w, bool optional) {
  auto b = std::make_unique<Batch>();
  b->runs = std::move(w.runs);
  b->bytes = w.bytes;
  std::unique_lock lk(mu_);
  if (optional && inflight_bytes_ + b->bytes > kInflightBudget / 2) return BatchHandle();
  if (b->runs.empty() || inflight_bytes_ + b->bytes > kInflightBudget) {
    b->lazy = true;
    b->runs.clear();
    b->bytes = 0;
    b->state = Batch::State::kDone;
    return BatchHandle(this, std::move(b));
  }
  // A recycled buffer (the smallest that fits), so the kernel copies into warm pages.
  size_t best = pool_.size();
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (pool_[i].size() >= b->bytes && (best == pool_.size() || pool_[i].size() < pool_[best].size())) best = i;
  }
  if (best < pool_.size()) {
    b->buf = std::move(pool_[best]);
    pool_.erase(pool_.begin() + static_cast<ptrdiff_t>(best));
  } else {
    const uint64_t round = 1u << 20;
    b->buf.resize((b->bytes + round - 1) / round * round);
  }
  inflight_bytes_ += b->buf.size();
  if (!fetcher_.joinable()) fetcher_ = std::thread([this] { FetchLoop(); });
  queue_.push_back(b.get());
  cv_.notify_all();
  return BatchHandle(this, std::move(b));
}

Status Reader::ReadRuns(Batch& b) {
  const uint64_t ps = meta_.page_size;
  for (const Run& run : b.runs) {
    RETURN_IF_ERROR(ReadAt(fd_, path_, b.buf.data() + run.offset, run.pages * ps, run.first * ps));
    bytes_read_ += run.pages * ps;
    ++read_calls_;
  }
  return {};
}

void Reader::FetchLoop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Batch* b = queue_.front();
    queue_.pop_front();
    RunBatch(*b, lk);
  }
}

void Reader::RunBatch(Batch& b, std::unique_lock<std::mutex>& lk) {
  b.state = Batch::State::kRunning;
  lk.unlock();
  Status st = ReadRuns(b);
  lk.lock();
  b.status = std::move(st);
  b.state = Batch::State::kDone;
  cv_.notify_all();
}

Status Reader::Await(Batch& b) {
  std::unique_lock lk(mu_);
  while (b.state != Batch::State::kDone) {
    // Rather than wait, read: b itself if the helper has not started it, else the next
    // queued batch (so both threads copy while the helper finishes b).
    Batch* job = nullptr;
    if (b.state == Batch::State::kQueued) {
      job = &b;
      queue_.erase(std::find(queue_.begin(), queue_.end(), &b));
    } else if (!queue_.empty()) {
      job = queue_.front();
      queue_.pop_front();
    }
    if (job == nullptr) {
      cv_.wait(lk);
      continue;
    }
    RunBatch(*job, lk);
  }
  return b.status;
}

void Reader::Release(std::unique_ptr<Batch> b) {
  std::unique_lock lk(mu_);
  if (b->state == Batch::State::kQueued) {
    queue_.erase(std::find(queue_.begin(), queue_.end(), b.get()));
  } else {
    cv_.wait(lk, [&] { return b->state == Batch::State::kDone; });
  }
  if (b->buf.empty()) return;
  inflight_bytes_ -= b->buf.size();
  pool_.push_back(std::move(b->buf));
  if (pool_.size() > kPoolBuffers) {
    // Keep the largest; memory stays bounded by kPoolBuffers * kBatchBudget (rounded).
    auto smallest = std::min_element(pool_.begin(), pool_.end(),
                                     [](const auto& x, const auto& y) { return x.size() < y.size(); });
    pool_.erase(smallest);
  }
}

Status Reader::CheckHeader(Pgid id, const PageHeader& h) const {
  if (h.id != id) return Fail(ErrorCode::kCorruption, fmt::format("bbolt: page {}: header says page {}", id, h.id));
  if (uint64_t{h.overflow} >= meta_.pgid - id) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: page {} of {}: {} overflow pages run beyond the high water mark", id, meta_.pgid,
                            h.overflow));
  }
  return {};
}

Result<Reader::PageView> Reader::BatchPage(Batch& b, Pgid id) {
  const uint64_t ps = meta_.page_size;
  if (id >= meta_.pgid) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: page {} of {}: beyond the high water mark (file has {} bytes, page size {})", id,
                            meta_.pgid, file_size_, ps));
  }
  auto it = std::upper_bound(b.runs.begin(), b.runs.end(), id,
                             [](Pgid v, const Run& r) { return v < r.first; });
  if (it != b.runs.begin()) {
    const Run& run = *std::prev(it);
    if (id < run.first + run.pages) {
      const uint8_t* p = b.buf.data() + run.offset + (id - run.first) * ps;
      PageHeader h = DecodePageHeader(p);
      RETURN_IF_ERROR(CheckHeader(id, h));
      if (id + h.overflow < run.first + run.pages) {
        return PageView{h, std::span<const uint8_t>(p, (uint64_t{h.overflow} + 1) * ps)};
      }
    }
  }
  if (auto it = b.extra.find(id); it != b.extra.end()) {
    return PageView{DecodePageHeader(it->second.data()), std::span<const uint8_t>(it->second)};
  }
  std::vector<uint8_t> out;
  ASSIGN_OR_RETURN(PageHeader h, ReadPageInto(id, &out));
  auto& kept = b.extra[id] = std::move(out);
  return PageView{h, std::span<const uint8_t>(kept)};
}

void Reader::ReleasePage(Batch& b, Pgid id) { b.extra.erase(id); }

Result<PageHeader> Reader::ReadPageInto(Pgid id, std::vector<uint8_t>* out) {
  const uint64_t ps = meta_.page_size;
  if (id >= meta_.pgid) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("bbolt: page {} of {}: beyond the high water mark (file has {} bytes, page size {})", id,
                            meta_.pgid, file_size_, ps));
  }
  out->resize(ps);
  RETURN_IF_ERROR(ReadAt(fd_, path_, out->data(), ps, id * ps));
  bytes_read_ += ps;
  ++read_calls_;
  PageHeader h = DecodePageHeader(out->data());
  RETURN_IF_ERROR(CheckHeader(id, h));
  if (h.overflow > 0) {
    const uint64_t rest = uint64_t{h.overflow} * ps;
    out->resize(ps + rest);
    RETURN_IF_ERROR(ReadAt(fd_, path_, out->data() + ps, rest, (id + 1) * ps));
    bytes_read_ += rest;
    ++read_calls_;
  }
  return h;
}

// Walks one bucket tree (and optionally its sub-buckets) in key order. Each frame owns the
// batch holding its children's pages until it returns (the lifetime rule in reader.h).
class Walker {
 public:
  Walker(Reader& r, const WalkHooks& hooks, std::vector<bool>* reached)
      : r_(r), hooks_(hooks), reached_(reached) {
    if (reached_ == nullptr) {
      local_reached_.assign(r.meta().pgid, false);
      reached_ = &local_reached_;
    }
  }

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
    // The root page is read on its own into memory this frame owns.
    std::vector<uint8_t> root;
    if (!Reachable(b.root)) return std::exchange(status_, {});
    auto h = r_.ReadPageInto(b.root, &root);
    if (!h) return PageFailed(b.root, h.error());
    return Visit(b.root, *h, root, level, depth, {}, std::nullopt, &prev, &have_prev, {});
  }

 private:
  using BatchHandle = Reader::BatchHandle;

  Status Problem(std::string msg) {
    if (hooks_.on_problem) {
      hooks_.on_problem(std::move(msg));
      return {};
    }
    return Fail(ErrorCode::kCorruption, "bbolt: " + msg);
  }

  // Page id may be read: below the high water mark and not reached before. Reports why not.
  bool Reachable(Pgid id) {
    const Meta& m = r_.meta();
    if (id >= m.pgid) {
      status_ = Problem(fmt::format("page {} of {}: beyond the high water mark (file has {} bytes, page size {})", id,
                                    m.pgid, r_.file_size(), m.page_size));
      return false;
    }
    if ((*reached_)[id]) {
      status_ = Problem(fmt::format("page {}: multiple references", id));
      return false;
    }
    return true;
  }

  Status PageFailed(Pgid id, const Error& e) {
    if (e.code() != ErrorCode::kCorruption) return Fail(e);
    if (id < reached_->size()) (*reached_)[id] = true;
    if (!hooks_.on_problem) return Fail(e);
    std::string msg = e.message();
    if (msg.starts_with("bbolt: ")) msg.erase(0, 7);
    return Problem(std::move(msg));
  }

  // Walks page id, whose bytes (with overflow) are `span`. `pre`, if set, is the batch of
  // this page's first window of children, queued early by the parent.
  Status Visit(Pgid id, const PageHeader& h, std::span<const uint8_t> span, int level, int depth, std::string_view lo,
               std::optional<std::string_view> hi, std::string* prev, bool* have_prev, BatchHandle pre) {
    if (level > kMaxDepth) return Problem(fmt::format("page {}: tree deeper than {} levels", id, kMaxDepth));
    for (uint64_t i = 0; i <= h.overflow; ++i) {
      if ((*reached_)[id + i]) return Problem(fmt::format("page {}: multiple references", id + i));
      (*reached_)[id + i] = true;
    }
    std::string where = fmt::format("page {}", id);
    if (h.flags & kBranchPageFlag) {
      return WalkBranch(where, h, span, level, depth, lo, hi, prev, have_prev, std::move(pre));
    }
    if (h.flags & kLeafPageFlag) return WalkLeaf(where, h, span, level, depth, lo, hi, prev, have_prev);
    return Problem(fmt::format("page {}: invalid type: {}", id, PageTypeName(h.flags)));
  }

  // How many pages past a run to read for pages on tree level `level`: the overflow pages
  // of most (nine in ten) of the last 32 pages seen on that level. A rare larger page is
  // read again on its own rather than making every read of the level that large.
  uint64_t TailHint(int level) const {
    if (static_cast<size_t>(level) >= overflow_seen_.size()) return 0;
    const Seen& s = overflow_seen_[level];
    const size_t n = std::min<size_t>(s.count, s.last.size());
    if (n == 0) return 0;
    std::array<uint32_t, 32> v = s.last;
    auto nth = v.begin() + static_cast<ptrdiff_t>(std::min(n - 1, n * 9 / 10));
    std::nth_element(v.begin(), nth, v.begin() + static_cast<ptrdiff_t>(n));
    return *nth;
  }
  void NoteOverflow(int level, uint32_t overflow) {
    if (overflow_seen_.size() <= static_cast<size_t>(level)) overflow_seen_.resize(level + 1);
    Seen& s = overflow_seen_[level];
    s.last[s.count++ % s.last.size()] = overflow;
  }

  // The child page ids of a branch page, as far as they lie within the page.
  static std::vector<Pgid> ChildIds(const PageHeader& h, std::span<const uint8_t> page) {
    std::vector<Pgid> ids;
    size_t n = std::min<size_t>(h.count, (page.size() - kPageHeaderSize) / kBranchElementSize);
    ids.reserve(n);
    for (size_t i = 0; i < n; ++i) ids.push_back(ElementAt(page, /*branch=*/true, i).pgid);
    return ids;
  }

  Status WalkBranch(const std::string& where, const PageHeader& h, std::span<const uint8_t> page, int level,
                    int depth, std::string_view lo, std::optional<std::string_view> hi, std::string* prev,
                    bool* have_prev, BatchHandle pre) {
    if (h.count == 0) return Problem(where + ": empty branch page");
    if (kPageHeaderSize + uint64_t{h.count} * kBranchElementSize > page.size()) {
      return Problem(fmt::format("{}: {} branch elements do not fit in {} bytes", where, h.count, page.size()));
    }
    // Decode and check every element before descending.
    std::vector<std::string_view> keys;
    keys.reserve(h.count);
    for (size_t i = 0; i < h.count; ++i) {
      const Element el = ElementAt(page, /*branch=*/true, i);
      if (!el.fits) {
        return Problem(fmt::format("{}: branch element {} (pos {}, key {} bytes) beyond the page ({} bytes)", where,
                                   i, el.pos, el.ksize, page.size()));
      }
      const std::string_view key = el.key;
      if (i > 0 && !(keys.back() < key)) {
        return Problem(fmt::format("{}: branch keys out of order at element {} ({} after {})", where, i, Hex(key),
                                   Hex(keys.back())));
      }
      if (i == 0 && key < lo) {
        return Problem(fmt::format("{}: first key {} is below its parent's key {}", where, Hex(key), Hex(lo)));
      }
      if (hi && !(key < *hi)) {
        return Problem(fmt::format("{}: key {} is not below the next parent key {}", where, Hex(key), Hex(*hi)));
      }
      keys.push_back(key);
    }
    const std::vector<Pgid> ids = ChildIds(h, page);
    const uint64_t tail = TailHint(level + 1);
    auto windows = r_.Plan(ids, tail);
    BatchHandle cur = pre ? std::move(pre) : r_.Submit(std::move(windows[0]));
    for (size_t w = 0; w < windows.size(); ++w) {
      BatchHandle next;
      if (w + 1 < windows.size()) next = r_.Submit(std::move(windows[w + 1]));
      RETURN_IF_ERROR(r_.Await(*cur.get()));
      // The children of the next kSiblingsAhead branch children, queued before this one is
      // walked so that reading overlaps walking (by index in the window).
      const size_t from = windows[w].from, to = windows[w].to;
      std::vector<BatchHandle> ahead(to - from);
      size_t queued_to = from + 1;
      for (size_t i = from; i < to; ++i) {
        BatchHandle mine = std::move(ahead[i - from]);
        if (!Reachable(ids[i])) {
          RETURN_IF_ERROR(std::exchange(status_, {}));
          continue;
        }
        auto view = r_.BatchPage(*cur.get(), ids[i]);
        if (!view) {
          RETURN_IF_ERROR(PageFailed(ids[i], view.error()));
          continue;
        }
        NoteOverflow(level + 1, view->header.overflow);
        if (view->header.flags & kBranchPageFlag) {
          for (; queued_to < std::min(to, i + 1 + kSiblingsAhead); ++queued_to) {
            const Pgid sid = ids[queued_to];
            if (sid >= r_.meta().pgid || (*reached_)[sid]) continue;
            auto sibling = r_.BatchPage(*cur.get(), sid);
            if (!sibling || !(sibling->header.flags & kBranchPageFlag)) continue;
            std::vector<Pgid> grand = ChildIds(sibling->header, sibling->bytes);
            if (grand.empty()) continue;
            const uint64_t gtail = TailHint(level + 2);
            ahead[queued_to - from] = r_.Submit(std::move(r_.Plan(grand, gtail)[0]), /*optional=*/true);
          }
        }
        std::optional<std::string_view> child_hi = i + 1 < keys.size() ? std::optional(keys[i + 1]) : hi;
        RETURN_IF_ERROR(Visit(ids[i], view->header, view->bytes, level + 1, depth, keys[i], child_hi, prev, have_prev,
                              std::move(mine)));
        r_.ReleasePage(*cur.get(), ids[i]);  // done with it and its subtree
      }
      cur = std::move(next);
    }
    return {};
  }

  Status WalkLeaf(const std::string& where, const PageHeader& h, std::span<const uint8_t> page, int level, int depth,
                  std::string_view lo, std::optional<std::string_view> hi, std::string* prev, bool* have_prev) {
    if (kPageHeaderSize + uint64_t{h.count} * kLeafElementSize > page.size()) {
      return Problem(fmt::format("{}: {} leaf elements do not fit in {} bytes", where, h.count, page.size()));
    }
    for (size_t i = 0; i < h.count; ++i) {
      const Element el = ElementAt(page, /*branch=*/false, i);
      if (!el.fits) {
        return Problem(
            fmt::format("{}: leaf element {} (pos {}, key {} bytes, value {} bytes) beyond the page ({} bytes)", where,
                        i, el.pos, el.ksize, el.vsize, page.size()));
      }
      Entry entry{el.key, el.value, el.flags};
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
  Status status_;  // what Reachable reported
  struct Seen {
    std::array<uint32_t, 32> last{};  // overflow counts of the last pages seen, a ring
    uint64_t count = 0;
  };
  std::vector<Seen> overflow_seen_;  // by tree level, see TailHint
};

Reader::~Reader() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (fetcher_.joinable()) fetcher_.join();
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
  if (ok0 && ok1) {
    // The other meta's pages must not be overwritten, but those it names beyond the end of
    // the file do not exist (a truncated or damaged older meta): appending at the file's end
    // is safe, and appending at its claimed high water would make a huge sparse file or wrap.
    const Pgid file_pages = file_size_ / ps;
    high_water_ = std::max(meta_.pgid, std::min(metas[1 - pick].meta.pgid, file_pages));
  }

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
  return {};
}

Result<PageHeader> Reader::ReadPage(Pgid id, std::vector<uint8_t>* out) { return ReadPageInto(id, out); }

Status Reader::Walk(const BucketRef& b, const WalkHooks& hooks, std::vector<bool>* reached) {
  if (reached != nullptr && reached->size() < meta_.pgid) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: walk: reached bitmap has {} entries, want {}", reached->size(), meta_.pgid));
  }
  Walker w(*this, hooks, reached);
  return w.WalkBucket(b, 0);
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
  RETURN_IF_ERROR(ReadPage(id, &page));
  return CopyNode(page, fmt::format("page {}", id));
}

namespace {

// The elements of an inline bucket's page (always a leaf).
Result<NodeCopy> InlineNode(const std::string& page) {
  std::span<const uint8_t> s(reinterpret_cast<const uint8_t*>(page.data()), page.size());
  if (s.size() < kPageHeaderSize || (DecodePageHeader(s.data()).flags & kBranchPageFlag)) {
    return Fail(ErrorCode::kCorruption, fmt::format("bbolt: inline bucket page damaged ({} bytes)", s.size()));
  }
  return CopyNode(s, "inline bucket");
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
