// shared/bbolt/reader.h
//
// Reads a bbolt file (or an etcd snapshot file: bbolt bytes + a 32-byte sha256 trailer,
// which bbolt ignores like any bytes past the high water mark) without mmap: pages are
// pread in aligned 1 MiB blocks into a small LRU cache (16 blocks), so memory stays small
// and flat whatever the file size, and a tree walk makes one large read per block of a
// mostly ordered file instead of one per page. During walks a helper thread reads the next
// blocks ahead. A Reader is not thread-safe: use it from one thread. Layout: shared/bbolt/FORMAT.md.
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
  // The largest pgid of both valid meta pages: no page at or above it is reachable from
  // either meta, so a writer may append there.
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
  Reader() = default;
  Status Init(int fd, const std::string& path);
  // Returns a view of page id (and its overflow pages) through the block cache; valid
  // until the next call.
  Result<std::pair<PageHeader, std::span<const uint8_t>>> ViewPage(Pgid id);
  // A view of file bytes [offset, offset + len), which must lie below the high water mark.
  Result<const uint8_t*> Bytes(uint64_t offset, uint64_t len);
  struct Block {
    uint64_t index = UINT64_MAX;
    uint64_t len = 0;
    uint64_t used = 0;
    bool loading = false;  // being read by the prefetch thread
    std::vector<uint8_t> data;
  };
  Result<const Block*> LoadBlock(uint64_t index);
  // Queues the blocks after `index` for the prefetch thread (during walks only), so the
  // kernel's copy of the next blocks overlaps the caller's work on this one. mu_ held.
  void ScheduleAhead(uint64_t index);
  Block* Victim();  // the least recently used block not being read; mu_ held
  void PrefetchLoop();

  UniqueFd owned_fd_;
  int fd_ = -1;
  std::string path_;
  uint64_t file_size_ = 0;
  Meta meta_;
  int meta_page_ = 0;
  Pgid high_water_ = 0;

  std::vector<Block> blocks_;
  uint64_t clock_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Block*> queue_;
  bool prefetch_ = false;  // set during Walk
  bool stop_ = false;
  std::thread prefetcher_;
  std::vector<uint8_t> span_;  // a page span that crosses blocks
  std::atomic<uint64_t> bytes_read_ = 0;
  std::atomic<uint64_t> read_calls_ = 0;
};

}  // namespace etcdrestore::bbolt

#endif  // ETCDRESTORE_SHARED_BBOLT_READER_H_
