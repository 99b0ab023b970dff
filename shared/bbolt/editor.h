// shared/bbolt/editor.h
//
// Copy-on-write edits of an existing bbolt file, in place, as one transaction. Used by the
// restore on its staging copy of a snapshot: only the changed small buckets, the rightmost
// path of an appended-to bucket and the root tree are written; the big buckets are never
// loaded.
//
// Commit() writes every new page after the high water mark of both meta pages (so no page
// reachable from either meta is overwritten), fsyncs, then writes meta page (txid+1)%2 with
// txid+1, the new root, pgid = the new high water mark and freelist = kPgidNoFreelist, and
// fsyncs again. A crash before the meta write leaves the old transaction intact. Pages no
// longer referenced become free: bbolt finds them on open. The source's own freelist page,
// if it had one, is dropped the same way: bbolt (any version since 1.3.1) rebuilds the free
// list by scanning when meta.freelist is kPgidNoFreelist, and writes a freelist page again
// at its next commit unless opened with NoFreelistSync (etcd always sets it).
//
// Bytes after the old high water mark (e.g. a snapshot's sha256 trailer) are overwritten;
// the file ends at the new high water mark or later.
#ifndef ETCDRESTORE_SHARED_BBOLT_EDITOR_H_
#define ETCDRESTORE_SHARED_BBOLT_EDITOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/base/error.h"
#include "shared/base/file.h"
#include "shared/bbolt/reader.h"

namespace etcdrestore::bbolt {

// Ordered key/value content of a small bucket.
using KeyValues = std::map<std::string, std::string>;

class Editor {
 public:
  // ReadSmallBucket refuses buckets whose keys and values add up to more than this.
  static constexpr uint64_t kSmallBucketCap = 16 * 1024 * 1024;

  // Opens path read-write. The file must be a valid bbolt file (see Reader::Open).
  static Result<std::unique_ptr<Editor>> Open(const std::string& path);
  ~Editor();
  Editor(const Editor&) = delete;
  Editor& operator=(const Editor&) = delete;

  // The reader over the file as it was opened (pending edits are not visible in it).
  Reader& reader() { return *reader_; }

  // Content of top-level bucket `name`, pending edits applied. kNotFound if the bucket
  // does not exist, kFailedPrecondition above kSmallBucketCap, kUnsupported if it holds a
  // sub-bucket.
  Result<KeyValues> ReadSmallBucket(std::string_view name);
  // True if top-level bucket `name` exists (or will, after the pending edits).
  Result<bool> HasBucket(std::string_view name);

  // Replaces the whole content of top-level bucket `name` (created if missing; its
  // sequence is kept). Written inline when bbolt would (page header + elements <=
  // pageSize/4), else as leaf pages under branch pages as needed.
  Status SetBucket(std::string_view name, KeyValues content);

  // Adds key = value to top-level bucket `name`; key must be greater than every key in it
  // (kInvalidArgument otherwise, kNotFound if there is no such bucket). Only the rightmost
  // leaf and its ancestors are copied; a full leaf (or branch) is left as is and a new one
  // is started beside it, growing the tree by one level when the root splits.
  Status AppendToBucket(std::string_view name, std::string_view key, std::string_view value);

  // Writes the transaction (see the file comment). The editor cannot be used afterwards.
  Status Commit();

  // After Commit: the new meta.
  const Meta& committed_meta() const { return committed_; }

 private:
  struct Pending;
  explicit Editor(std::string path);
  Result<Pending*> PendingFor(std::string_view name);

  std::string path_;
  UniqueFd fd_;
  std::unique_ptr<Reader> reader_;
  std::map<std::string, std::unique_ptr<Pending>, std::less<>> pending_;
  bool done_ = false;
  Meta committed_;
};

}  // namespace etcdrestore::bbolt

#endif  // ETCDRESTORE_SHARED_BBOLT_EDITOR_H_
