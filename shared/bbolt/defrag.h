// shared/bbolt/defrag.h
//
// Defragments a bbolt file in place, as etcd's backend defrag and `etcdutl defrag` do (copy
// every bucket and key into a fresh file, then swap), but streaming: the source is read
// with the Reader and written by the Writer (shared/bbolt/writer.h), never loaded.
//
// Safety contract:
//   - the source is locked like bbolt locks an open db (flock LOCK_EX, non-blocking): if
//     another process holds it (etcd, a bbolt tool), kFailedPrecondition and nothing is done;
//   - refused before writing anything when the file system has less free space than the
//     source's high water mark (pgid * page size: the most the copy can take);
//   - the copy is a fresh file "<path>.defrag.tmp" (0600, O_EXCL|O_NOFOLLOW; a stale one of
//     ours is removed first), whose metas are written only after every page is written and
//     fsynced; then it is fsynced, renamed over path, and the directory fsynced. Until the
//     rename the source is untouched; a crash leaves the source db and at most a temporary
//     without valid metas; an error removes the temporary;
//   - a damaged source is kCorruption (the walk checks every page it reads, and that no page
//     is reached twice), and the source stays as it was;
//   - the new file has the source's owner when run as root.
#ifndef ETCDRESTORE_SHARED_BBOLT_DEFRAG_H_
#define ETCDRESTORE_SHARED_BBOLT_DEFRAG_H_

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>

#include "shared/base/error.h"
#include "shared/base/file.h"
#include "shared/bbolt/reader.h"
#include "shared/bbolt/writer.h"

namespace etcdrestore::bbolt {

struct DefragResult {
  uint64_t file_size_before = 0;   // bytes of the file
  uint64_t in_use_before = 0;      // pgid * page size
  uint64_t size_after = 0;         // file == in use after
  WriterStats stats;
};

// The temporary's name beside path.
inline constexpr const char* kDefragSuffix = ".defrag.tmp";

// The source, opened and locked; the lock is held until it is destroyed.
struct DefragSource {
  std::string path;
  UniqueFd fd;
  struct stat st{};
  std::unique_ptr<Reader> reader;  // null: the file did not exist and is to be created
};

// Opens and locks path. Errors: kFailedPrecondition when another process holds the lock;
// otherwise the file cannot be opened as a bbolt db (kNotFound, kCorruption "invalid
// database", kIO). With create_if_missing, a missing file in an existing directory is not
// an error (bbolt's Open creates it, and so do etcd's and etcdutl's defrag): Defrag then
// writes an empty db there.
Result<DefragSource> OpenDefragSource(const std::string& path, bool create_if_missing = false);

// Defragments an opened source in place (see the file comment).
Result<DefragResult> Defrag(DefragSource& src);

// OpenDefragSource + Defrag.
Result<DefragResult> DefragFile(const std::string& path);

}  // namespace etcdrestore::bbolt

#endif  // ETCDRESTORE_SHARED_BBOLT_DEFRAG_H_
