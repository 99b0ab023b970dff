// shared/bbolt/reader.h
//
// Reads a bbolt file (or an etcd snapshot file: bbolt bytes + a 32-byte sha256 trailer,
// which bbolt ignores like any bytes past the high water mark) without mmap, with memory
// that stays small and flat whatever the file size. Layout: shared/bbolt/FORMAT.md.
//
// How a walk reads: a branch page's children are fetched together, as one batch: their
// page ids are sorted and merged into runs (gaps of a few pages are read through), and a
// helper thread preads the runs into a buffer the batch owns, while the walk works on the
// previous batch (the children of the next sibling branch are queued before this one's are
// walked). A page whose overflow runs past its run is read on its own. Everything else
// (Get, Last, ReadNode, ReadPage) preads the pages it needs, one page (plus overflow) at a
// time.
//
// LIFETIME RULE. The reader never hands out a view into memory that it may reuse or free
// while the holder can still use it:
//   - a batch's pages live in its own buffer, which is owned by the walk frame that walks
//     those pages and is released only when that frame returns, after every deeper frame
//     (children, sub-buckets) has returned; the helper thread writes only into buffers of
//     batches that no frame has been given pages of yet;
//   - so the Entry views passed to WalkHooks::on_entry are valid until on_entry returns
//     (copy what you keep), and the key bounds a frame checks its children against stay
//     valid while it descends;
//   - ReadPage, ReadNode, Get and Last return copies.
// A Reader is not thread-safe: use it from one thread (the helper thread is internal).
// Memory: at most kBatchBudget bytes per batch, at most kInflightBudget bytes in all
// batches alive at once (beyond it a batch reads its pages one at a time).
//
// Every offset read from the file is range-checked. Damage is kCorruption with the page
// id and the numbers ("bbolt: page 7 of 5: beyond the high water mark ..."), a file that is
// not bbolt at all is kCorruption "... invalid database ...". Nothing here crashes on bad
// input.
#ifndef ETCDRESTORE_SHARED_BBOLT_READER_H_
#define ETCDRESTORE_SHARED_BBOLT_READER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "shared/base/error.h"
#include "shared/base/file.h"
#include "shared/bbolt/format.h"

namespace etcdrestore::bbolt {

// A bucket as its parent stores it: a tree rooted at page `root`, or (root == 0) an
// inline bucket whose leaf page bytes are kept in `inline_page`.
struct BucketRef {
  Pgid root = 0;
  uint64_t sequence = 0;
  std::string inline_page;
};

// Decodes the value of a leaf element that has kBucketLeafFlag.
Result<BucketRef> DecodeBucketValue(std::string_view value);

// One key/value of a leaf. The views point into the reader's buffers and are valid only
// during the callback that receives them.
struct Entry {
  std::string_view key;
  std::string_view value;
  uint32_t flags = 0;
  bool is_bucket() const { return (flags & kBucketLeafFlag) != 0; }
};

// A page's elements, copied (used by the editor to rewrite a page).
struct NodeCopy {
  bool leaf = true;
  struct Inode {
    uint32_t flags = 0;
    std::string key;
    std::string value;  // leaf only
    Pgid pgid = 0;      // branch only
  };
  std::vector<Inode> inodes;
};

struct WalkHooks {
  // Every entry in key order. depth 0 = entries of the bucket the walk starts at; entries
  // of a sub-bucket (when descend) have depth + 1 and come right after the sub-bucket's
  // own entry. An error returned here stops the walk and is returned as is.
  std::function<Status(const Entry&, int depth)> on_entry;
  bool descend = false;
  // When set, a structural problem (bad page id or type, element out of its page, keys out
  // of order, page reached twice) is reported here and the damaged page is skipped; when
  // null, the walk fails with kCorruption at the first problem.
  std::function<void(std::string)> on_problem;
};

class Reader {
 public:
  // Opens path read-only and selects the meta page like bbolt: the valid one (magic,
  // version 2, FNV checksum) with the higher txid, else the other valid one.
  static Result<std::unique_ptr<Reader>> Open(const std::string& path);
  // Same over an open descriptor (not owned; must outlive the reader). `path` is only
  // used in messages.
  static Result<std::unique_ptr<Reader>> OpenFd(int fd, const std::string& path);

  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  const std::string& path() const { return path_; }
  const Meta& meta() const { return meta_; }
  // Which meta page (0 or 1) was selected.
  int meta_page() const { return meta_page_; }
  uint32_t page_size() const { return meta_.page_size; }
  uint64_t file_size() const { return file_size_; }
  // bbolt's tx.Size(): meta.pgid * page size (bytes a `snapshot save` would send).
  uint64_t Size() const { return meta_.pgid * meta_.page_size; }
  // The largest pgid of both valid meta pages (the other meta's counted only up to the end
  // of the file): no page at or above it is reachable from either meta, so a writer may
  // append there.
  Pgid HighWater() const { return high_water_; }
  // The tx root bucket, whose entries are the top-level buckets.
  BucketRef Root() const { return BucketRef{meta_.root, meta_.sequence, {}}; }

  // Calls fn for each entry of b in key order (sub-buckets are not entered).
  Status ForEach(const BucketRef& b, const std::function<Status(const Entry&)>& fn);
  // Calls fn for each top-level bucket in key order. A non-bucket key in the root is
  // kCorruption (bbolt's root holds buckets only).
  Status ForEachBucket(const std::function<Status(std::string_view name, const BucketRef&)>& fn);
  // The top-level bucket `name`, or nullopt.
  Result<std::optional<BucketRef>> FindBucket(std::string_view name);
  // The value of key in b (a bucket value for a sub-bucket), or nullopt; descends the tree.
  Result<std::optional<std::string>> Get(const BucketRef& b, std::string_view key);
  // The greatest key of b and its value, or nullopt if b is empty; reads only the pages
  // on the rightmost path (plus left siblings of empty leaves, if any).
  Result<std::optional<std::pair<std::string, std::string>>> Last(const BucketRef& b);

  // General walk of b's tree (see WalkHooks). `reached`, if given, is a bitmap of pgids
  // shared across walks (sized meta().pgid); pages already set are reported as reached
  // twice, so a caller can pre-mark meta and freelist pages.
  Status Walk(const BucketRef& b, const WalkHooks& hooks, std::vector<bool>* reached = nullptr);

  // Copies the elements of page id (branch or leaf), range-checked.
  Result<NodeCopy> ReadNode(Pgid id);

  // Reads page id with its overflow pages into out, checking id and overflow against the
  // high water mark and the page's own id field. Returns the header.
  Result<PageHeader> ReadPage(Pgid id, std::vector<uint8_t>* out);

  // Bytes read from the file so far, and pread calls made (for benchmarks).
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t read_calls() const { return read_calls_; }

 private:
  friend class Walker;
  struct Batch;
  // Owns a batch: waits for the helper thread to be done with it, then recycles its buffer.
  class BatchHandle {
   public:
    BatchHandle() = default;
    BatchHandle(Reader* r, std::unique_ptr<Batch> b);
    BatchHandle(BatchHandle&& o) noexcept = default;
    BatchHandle& operator=(BatchHandle&& o) noexcept;
    ~BatchHandle();
    Batch* get() const { return b_.get(); }
    explicit operator bool() const { return b_ != nullptr; }

   private:
    Reader* r_ = nullptr;
    std::unique_ptr<Batch> b_;
  };
  struct PageView {
    PageHeader header;
    std::span<const uint8_t> bytes;  // the page and its overflow pages
  };

  Reader() = default;
  Status Init(int fd, const std::string& path);
  // Reads page id with its overflow pages into out (checked like ReadPage).
  Result<PageHeader> ReadPageInto(Pgid id, std::vector<uint8_t>* out);
  // Checks a page header read at page id against id and the high water mark.
  Status CheckHeader(Pgid id, const PageHeader& h) const;
  // Pages [first, first + pages) of the file, read to offset `offset` of a batch's buffer.
  struct Run {
    Pgid first = 0;
    uint64_t pages = 0;
    uint64_t offset = 0;
  };
  // ids[from, to) fetched as one batch: the runs to read (sorted, disjoint) and their bytes.
  struct Window {
    size_t from = 0, to = 0;
    std::vector<Run> runs;
    uint64_t bytes = 0;
  };
  // Splits ids into windows of about kBatchBudget bytes each (index ranges, in order), with
  // the runs each reads. `tail`: pages to read past the last wanted page of a run (its
  // likely overflow).
  std::vector<Window> Plan(const std::vector<Pgid>& ids, uint64_t tail) const;
  // The runs that read ids[from, to) into *runs (see Plan); returns their bytes.
  uint64_t RunsOf(const std::vector<Pgid>& ids, size_t from, size_t to, uint64_t tail, std::vector<Run>* runs) const;
  // Queues window w for the helper thread. An `optional` batch (read-ahead) is not made
  // (empty handle) when batches alive hold half the memory budget already.
  BatchHandle Submit(Window w, bool optional = false);
  // Waits until the batch is read; meanwhile reads it here if the helper has not started
  // it, or reads other queued batches.
  Status Await(Batch& b);
  // Page id from an awaited batch; a page the batch does not hold whole is read on its own
  // into memory the batch owns. Valid while the batch lives.
  Result<PageView> BatchPage(Batch& b, Pgid id);
  // Frees what BatchPage read of page id on its own, if anything; views of it end.
  void ReleasePage(Batch& b, Pgid id);
  Status ReadRuns(Batch& b);
  // Reads a batch taken off the queue, with mu_ (held by lk) released meanwhile.
  void RunBatch(Batch& b, std::unique_lock<std::mutex>& lk);
  void Release(std::unique_ptr<Batch> b);
  void FetchLoop();

  UniqueFd owned_fd_;
  int fd_ = -1;
  std::string path_;
  uint64_t file_size_ = 0;
  Meta meta_;
  int meta_page_ = 0;
  Pgid high_water_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch*> queue_;  // submitted, not started
  bool stop_ = false;
  std::thread fetcher_;
  uint64_t inflight_bytes_ = 0;  // buffers of live batches; mu_
  std::vector<std::vector<uint8_t>> pool_;  // recycled batch buffers; mu_
  std::atomic<uint64_t> bytes_read_ = 0;
  std::atomic<uint64_t> read_calls_ = 0;
};

}  // namespace etcdrestore::bbolt

#endif  // ETCDRESTORE_SHARED_BBOLT_READER_H_
