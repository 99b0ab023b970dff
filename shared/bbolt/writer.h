// shared/bbolt/writer.h
//
// Writes a new, compact bbolt file from a stream of buckets and keys given in key order,
// the way bbolt lays out a tree written by one transaction of sequential puts (bbolt
// node.split/spill). Used by defrag (shared/bbolt/defrag.h) to copy a db through the
// streaming Reader: memory stays at about one page per tree level per open bucket, plus
// the elements of one pending page, whatever the file size. Layout: FORMAT.md §6.
//
// Contract:
//   - pages are written sequentially from page 2 (page 3 when a freelist page is stored) to
//     the fd given, which must be a fresh empty file; no page is ever written twice;
//   - Finish() writes the two meta pages last (after the caller's chance to fsync the pages,
//     see Finish), so a file cut short at any earlier point has no valid meta and is an
//     "invalid database" to bbolt and to our Reader, never a db that looks complete;
//   - keys of one bucket must be given strictly increasing, non-empty, at most 32768 bytes;
//     anything else is kInvalidArgument and the file is left without metas;
//   - the tx root bucket (the top level) holds buckets only, as bbolt requires.
// Leaves and branches are split as bbolt splits a node on spill: a node is split only when
// it has more than 4 elements and is at least a page; each page but the last of a run takes
// elements (at least 2) until the next would pass fill * page_size. A bucket without
// sub-buckets whose single leaf is at most page_size / 4 is stored inline in its parent.
#ifndef ETCDRESTORE_SHARED_BBOLT_WRITER_H_
#define ETCDRESTORE_SHARED_BBOLT_WRITER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/bbolt/format.h"
#include "shared/bbolt/reader.h"

namespace etcdrestore::bbolt {

struct WriterOptions {
  uint32_t page_size = 4096;
  // bbolt's Bucket.FillPercent for every node (etcd's defrag uses 0.9; bbolt clamps to
  // [0.1, 1.0] and so does the writer).
  double fill = 0.9;
  // Store an (empty) freelist page at page 2 and point meta.freelist at it; otherwise
  // meta.freelist = kPgidNoFreelist (etcd's NoFreelistSync).
  bool freelist_page = false;
  uint32_t meta_flags = 0;
  uint64_t root_sequence = 0;
  // The newer meta gets this txid (at least 1), the other one txid - 1; both are valid.
  Txid txid = 1;
};

// Totals of a written file.
struct WriterStats {
  Pgid pgid = 0;          // high water mark: the file is pgid * page_size bytes
  uint64_t buckets = 0;   // buckets written, nested ones included
  uint64_t keys = 0;      // plain keys written
  uint64_t inline_buckets = 0;
};

class Writer {
 public:
  // fd: an empty file open for writing (not owned); path only for messages.
  static Result<std::unique_ptr<Writer>> Create(int fd, std::string path, const WriterOptions& options);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Starts bucket `name` inside the current bucket (the tx root at first) with the given
  // sequence; Put and BeginBucket then go into it until its EndBucket.
  Status BeginBucket(std::string_view name, uint64_t sequence);
  Status Put(std::string_view key, std::string_view value);
  Status EndBucket();
  // Nesting depth: 0 = the tx root.
  size_t depth() const;

  // Writes the tree pages still pending and returns; call Fsync(fd) after it, then
  // WriteMetas(). (Two steps so that the metas reach the disk only after every page.)
  Status FinishPages();
  Status WriteMetas();
  const WriterStats& stats() const { return stats_; }

 private:
  struct Elem;
  struct Level;
  struct Tree;
  Writer(int fd, std::string path, const WriterOptions& options);
  // Adds e to level `at` of t, writing the pages that bbolt's split makes final.
  Status Add(Tree& t, size_t at, Elem e);
  // Writes the first n elements of level `at` of t as one page; its first key and page id
  // go to the level above.
  Status Cut(Tree& t, size_t at, size_t n);
  // Writes what level `at` still holds (the last pages of a bucket's level).
  Status FinishLevel(Tree& t, size_t at);
  // Finishes t: its root page id, or (inline) 0 with the inline page in *inline_page.
  Result<Pgid> FinishTree(Tree& t, bool may_inline, std::string* inline_page);
  // Appends one node as a page (plus overflow pages) to the output; returns its id.
  Result<Pgid> WriteNode(bool leaf, const Elem* elems, size_t n, size_t bytes);
  Status Flush();

  int fd_;
  std::string path_;
  WriterOptions opt_;
  size_t threshold_;
  Pgid next_;
  uint64_t flushed_ = 0;  // bytes of pages already handed to write(2) (from page first)
  std::vector<uint8_t> out_;
  std::vector<std::unique_ptr<Tree>> stack_;
  Pgid root_ = 0;
  bool pages_done_ = false;
  WriterStats stats_;
};

// Copies every bucket, sub-bucket, key, value and bucket sequence of src into a new
// compact file written to out_fd (empty, open for writing), keeping the page size, meta
// flags, root sequence and txid, and a freelist page only if src stores one (empty). The
// pages are fsynced before the metas are written, and the metas are fsynced. A damaged
// src (anything the Reader reports, a page reached twice, a plain key at the top level)
// is kCorruption and out_fd is left without valid metas.
Result<WriterStats> Compact(Reader& src, int out_fd, const std::string& out_path, double fill = 0.9);

}  // namespace etcdrestore::bbolt

#endif  // ETCDRESTORE_SHARED_BBOLT_WRITER_H_
