#include "shared/bbolt/writer.h"

#include <algorithm>
#include <deque>
#include <utility>

#include <fmt/format.h>

#include "shared/base/coding.h"
#include "shared/base/file.h"
#include "shared/base/strings.h"

namespace etcdrestore::bbolt {
namespace {

// bbolt's node.go minKeysPerPage.
constexpr size_t kMinKeysPerPage = 2;
// Pages are handed to write(2) in chunks of this size.
constexpr size_t kFlushBytes = 4 << 20;
constexpr size_t kNone = static_cast<size_t>(-1);

}  // namespace

// One element of a node being built: a leaf key/value (flags: bucket or not) or a branch
// key (a child's first key) with the child's page id.
struct Writer::Elem {
  uint32_t flags = 0;
  std::string key;
  std::string value;
  Pgid pgid = 0;
  size_t size = 0;  // element header + key (+ value for a leaf)
};

// The elements of one tree level not yet written, with bbolt's split state: `bytes` is the
// page header plus every pending element; `cut` is the first index >= 2 at which the
// running size passes the threshold (where bbolt's splitIndex stops), or kNone.
struct Writer::Level {
  std::vector<Elem> elems;
  size_t bytes = kPageHeaderSize;
  size_t cut = kNone;
  uint64_t written = 0;  // pages written from this level so far
  Pgid last = 0;         // the last of them
};

struct Writer::Tree {
  std::string name;  // in the parent (empty for the tx root)
  uint64_t sequence = 0;
  bool has_subbucket = false;
  std::deque<Level> levels{1};  // [0] = leaves; a deque: references stay valid as it grows
};

Writer::Writer(int fd, std::string path, const WriterOptions& options)
    : fd_(fd), path_(std::move(path)), opt_(options) {
  const double fill = std::clamp(opt_.fill, 0.1, 1.0);
  threshold_ = static_cast<size_t>(static_cast<double>(opt_.page_size) * fill);
  next_ = opt_.freelist_page ? 3 : 2;
  stack_.push_back(std::make_unique<Tree>());
}

Writer::~Writer() = default;

Result<std::unique_ptr<Writer>> Writer::Create(int fd, std::string path, const WriterOptions& options) {
  const uint32_t ps = options.page_size;
  if (ps < kMinPageSize || ps > kMaxPageSize || (ps & (ps - 1)) != 0) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("bbolt: writer: page size {} is not a power of two in "
                                                         "[{}, {}]", ps, kMinPageSize, kMaxPageSize));
  }
  ASSIGN_OR_RETURN(uint64_t size, FileSize(fd, path));
  if (size != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: writer: {} is not empty ({} bytes)", Quote(path), size));
  }
  return std::unique_ptr<Writer>(new Writer(fd, std::move(path), options));
}

size_t Writer::depth() const { return stack_.size() - 1; }

Status Writer::Flush() {
  if (out_.empty()) return {};
  const uint64_t first = opt_.freelist_page ? 3 : 2;
  const uint64_t at = first * opt_.page_size + flushed_;
  RETURN_IF_ERROR(WriteAllAt(fd_, path_, out_.data(), out_.size(), at));
  StartWriteback(fd_, at, out_.size());
  flushed_ += out_.size();
  out_.clear();
  return {};
}

Result<Pgid> Writer::WriteNode(bool leaf, const Elem* elems, size_t n, size_t bytes) {
  const uint32_t ps = opt_.page_size;
  const uint64_t pages = (bytes + ps - 1) / ps;
  if (n > 0xFFFF || pages - 1 > 0xFFFFFFFFu) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: writer: a node of {} elements and {} bytes does not fit a page header", n, bytes));
  }
  const Pgid id = next_;
  next_ += pages;
  const size_t at = out_.size();
  out_.resize(at + pages * ps, 0);
  EncodeNode(leaf, elems, n, id, static_cast<uint32_t>(pages - 1), out_.data() + at);
  if (out_.size() >= kFlushBytes) RETURN_IF_ERROR(Flush());
  return id;
}

Status Writer::Cut(Tree& t, size_t at, size_t n) {
  Level& lv = t.levels[at];
  size_t bytes = kPageHeaderSize;
  for (size_t i = 0; i < n; ++i) bytes += lv.elems[i].size;
  ASSIGN_OR_RETURN(Pgid id, WriteNode(at == 0, lv.elems.data(), n, bytes));
  ++lv.written;
  lv.last = id;
  Elem parent;
  if (n > 0) parent.key = std::move(lv.elems[0].key);
  parent.pgid = id;
  parent.size = kBranchElementSize + parent.key.size();
  lv.elems.erase(lv.elems.begin(), lv.elems.begin() + static_cast<ptrdiff_t>(n));
  // Split state of what is left (a few elements).
  lv.bytes = kPageHeaderSize;
  lv.cut = kNone;
  for (size_t i = 0; i < lv.elems.size(); ++i) {
    if (lv.cut == kNone && i >= kMinKeysPerPage && lv.bytes + lv.elems[i].size > threshold_) lv.cut = i;
    lv.bytes += lv.elems[i].size;
  }
  if (t.levels.size() == at + 1) t.levels.emplace_back();
  return Add(t, at + 1, std::move(parent));
}

// bbolt splits a node (node.splitTwo) only when it has more than 2 * minKeysPerPage elements
// and is at least a page; the first part ends at splitIndex: the first i >= minKeysPerPage
// where the running size (from the page header) plus element i passes the threshold, and at
// most len - minKeysPerPage. That index is final as soon as it exists below len - 2, so a
// page is cut as soon as the elements that follow prove it, and the level stays small.
Status Writer::Add(Tree& t, size_t at, Elem e) {
  Level& lv = t.levels[at];
  const size_t i = lv.elems.size();
  if (lv.cut == kNone && i >= kMinKeysPerPage && lv.bytes + e.size > threshold_) lv.cut = i;
  lv.bytes += e.size;
  lv.elems.push_back(std::move(e));
  const uint32_t ps = opt_.page_size;
  while (lv.elems.size() > 2 * kMinKeysPerPage && lv.bytes >= ps && lv.cut != kNone &&
         lv.cut < lv.elems.size() - kMinKeysPerPage) {
    RETURN_IF_ERROR(Cut(t, at, lv.cut));
  }
  return {};
}

Status Writer::FinishLevel(Tree& t, size_t at) {
  const uint32_t ps = opt_.page_size;
  for (;;) {
    Level& lv = t.levels[at];
    const size_t n = lv.elems.size();
    if (n > 2 * kMinKeysPerPage && lv.bytes >= ps) {
      const size_t cut = lv.cut != kNone && lv.cut < n - kMinKeysPerPage ? lv.cut : n - kMinKeysPerPage;
      RETURN_IF_ERROR(Cut(t, at, cut));
      continue;
    }
    if (n > 0 || lv.written == 0) RETURN_IF_ERROR(Cut(t, at, n));
    return {};
  }
}

Result<Pgid> Writer::FinishTree(Tree& t, bool may_inline, std::string* inline_page) {
  Level& leaves = t.levels[0];
  if (may_inline && !t.has_subbucket && t.levels.size() == 1 && leaves.written == 0 &&
      leaves.bytes <= opt_.page_size / 4) {
    inline_page->assign(leaves.bytes, '\0');
    EncodeNode(true, leaves.elems.data(), leaves.elems.size(), 0, 0, reinterpret_cast<uint8_t*>(inline_page->data()));
    ++stats_.inline_buckets;
    return Pgid{0};
  }
  for (size_t at = 0;; ++at) {
    RETURN_IF_ERROR(FinishLevel(t, at));
    if (t.levels[at].written == 1) return t.levels[at].last;
  }
}

Status Writer::BeginBucket(std::string_view name, uint64_t sequence) {
  if (pages_done_) return Fail(ErrorCode::kInternal, "bbolt: writer: BeginBucket after FinishPages");
  auto t = std::make_unique<Tree>();
  t->name.assign(name);
  t->sequence = sequence;
  // The order check happens when EndBucket adds the bucket to its parent; check it now too,
  // so that the error names the key before the bucket's content is copied.
  const Level& lv = stack_.back()->levels[0];
  if (name.empty() || name.size() > kMaxKeySize || (!lv.elems.empty() && name <= lv.elems.back().key)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: writer: bucket name of {} bytes (after {} keys) is empty, too long or not after "
                            "the previous key",
                            name.size(), stats_.keys + stats_.buckets));
  }
  stack_.push_back(std::move(t));
  return {};
}

Status Writer::Put(std::string_view key, std::string_view value) {
  if (pages_done_) return Fail(ErrorCode::kInternal, "bbolt: writer: Put after FinishPages");
  if (stack_.size() == 1) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: writer: a plain key of {} bytes at the top level (bbolt's root holds "
                            "buckets only)",
                            key.size()));
  }
  Tree& t = *stack_.back();
  const Level& lv = t.levels[0];
  if (key.empty() || key.size() > kMaxKeySize || value.size() > kMaxValueSize ||
      (!lv.elems.empty() && key <= lv.elems.back().key)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("bbolt: writer: a key of {} bytes (value {} bytes) is empty, too long or not after "
                            "the previous key of its bucket",
                            key.size(), value.size()));
  }
  Elem e;
  e.key.assign(key);
  e.value.assign(value);
  e.size = kLeafElementSize + key.size() + value.size();
  ++stats_.keys;
  return Add(t, 0, std::move(e));
}

Status Writer::EndBucket() {
  if (stack_.size() < 2) return Fail(ErrorCode::kInternal, "bbolt: writer: EndBucket without BeginBucket");
  std::unique_ptr<Tree> t = std::move(stack_.back());
  stack_.pop_back();
  std::string inline_page;
  ASSIGN_OR_RETURN(Pgid root, FinishTree(*t, true, &inline_page));
  Elem e;
  e.flags = kBucketLeafFlag;
  e.key = std::move(t->name);
  e.value.assign(kBucketHeaderSize, '\0');
  StoreLE64(reinterpret_cast<uint8_t*>(e.value.data()), root);
  StoreLE64(reinterpret_cast<uint8_t*>(e.value.data()) + 8, t->sequence);
  e.value += inline_page;
  e.size = kLeafElementSize + e.key.size() + e.value.size();
  Tree& parent = *stack_.back();
  parent.has_subbucket = true;
  ++stats_.buckets;
  return Add(parent, 0, std::move(e));
}

Status Writer::FinishPages() {
  if (pages_done_) return Fail(ErrorCode::kInternal, "bbolt: writer: FinishPages twice");
  while (stack_.size() > 1) RETURN_IF_ERROR(EndBucket());
  std::string unused;
  ASSIGN_OR_RETURN(root_, FinishTree(*stack_.back(), false, &unused));
  stack_.clear();
  pages_done_ = true;
  RETURN_IF_ERROR(Flush());
  if (opt_.freelist_page) {
    std::vector<uint8_t> page(opt_.page_size, 0);
    EncodePageHeader(PageHeader{2, kFreelistPageFlag, 0, 0}, page.data());
    RETURN_IF_ERROR(WriteAllAt(fd_, path_, page.data(), page.size(), 2ull * opt_.page_size));
  }
  stats_.pgid = next_;
  return {};
}

Status Writer::WriteMetas() {
  if (!pages_done_) return Fail(ErrorCode::kInternal, "bbolt: writer: WriteMetas before FinishPages");
  const Txid txid = std::max<Txid>(opt_.txid, 1);
  std::vector<uint8_t> pages(2ull * opt_.page_size, 0);
  for (Txid t : {txid - 1, txid}) {
    const Pgid page = t % 2;
    Meta m;
    m.magic = kMagic;
    m.version = kVersion;
    m.page_size = opt_.page_size;
    m.flags = opt_.meta_flags;
    m.root = root_;
    m.sequence = opt_.root_sequence;
    m.freelist = opt_.freelist_page ? 2 : kPgidNoFreelist;
    m.pgid = next_;
    m.txid = t;
    uint8_t* p = pages.data() + page * opt_.page_size;
    EncodePageHeader(PageHeader{page, kMetaPageFlag, 0, 0}, p);
    EncodeMeta(m, p + kPageHeaderSize);
  }
  return WriteAllAt(fd_, path_, pages.data(), pages.size(), 0);
}

Result<WriterStats> Compact(Reader& src, int out_fd, const std::string& out_path, double fill) {
  const Meta& m = src.meta();
  WriterOptions o;
  o.page_size = m.page_size;
  o.fill = fill;
  o.freelist_page = m.freelist != kPgidNoFreelist;
  o.meta_flags = m.flags;
  o.root_sequence = m.sequence;
  o.txid = m.txid;
  ASSIGN_OR_RETURN(auto w, Writer::Create(out_fd, out_path, o));

  // Pages reached twice (a loop in a damaged file) are corruption, as in Check.
  std::vector<bool> reached(m.pgid, false);
  reached[0] = reached[1] = true;
  if (o.freelist_page) {
    std::vector<uint8_t> page;
    ASSIGN_OR_RETURN(PageHeader h, src.ReadPage(m.freelist, &page));
    for (uint64_t i = 0; i <= h.overflow; ++i) reached[m.freelist + i] = true;
  }
  WalkHooks hooks;
  hooks.descend = true;
  hooks.on_entry = [&](const Entry& e, int depth) -> Status {
    while (w->depth() > static_cast<size_t>(depth)) RETURN_IF_ERROR(w->EndBucket());
    if (!e.is_bucket()) {
      if (depth == 0) {
        return Fail(ErrorCode::kCorruption,
                    fmt::format("bbolt: {}: the root bucket holds a plain key of {} bytes (flags {:#x})",
                                Quote(src.path()), e.key.size(), e.flags));
      }
      return w->Put(e.key, e.value);
    }
    ASSIGN_OR_RETURN(BucketRef b, DecodeBucketValue(e.value));
    return w->BeginBucket(e.key, b.sequence);
  };
  RETURN_IF_ERROR(src.Walk(src.Root(), hooks, &reached));
  RETURN_IF_ERROR(w->FinishPages());
  RETURN_IF_ERROR(Fsync(out_fd, out_path));
  RETURN_IF_ERROR(w->WriteMetas());
  RETURN_IF_ERROR(Fsync(out_fd, out_path));
  return w->stats();
}

}  // namespace etcdrestore::bbolt
