// shared/base/file.h
//
// Thin POSIX file helpers that return errors as values. Paths in messages are quoted.
// The one home of reading and writing files: big files stream with ReadAt/WriteAll; small
// ones (configs, certs, sidecars, scripts) are read whole with ReadFile and written with
// WriteFileAtomic (replace) or WriteNewFile (never over anything).
#ifndef ETCDRESTORE_SHARED_BASE_FILE_H_
#define ETCDRESTORE_SHARED_BASE_FILE_H_

#include <fcntl.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/base/error.h"
#include "shared/base/strings.h"  // Quote: how messages show a path

namespace etcdrestore {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now and reports the close error (which can carry a delayed write error).
  Status Close(std::string_view path);

 private:
  int fd_ = -1;
};

// Opens path with open(2) flags and mode. Errors read "open \"path\": reason".
Result<UniqueFd> OpenFile(const std::string& path, int flags, mode_t mode = 0);

// Reads exactly n bytes at offset, or fails; a short file is kCorruption
// ("read \"path\": unexpected end of file at offset X (wanted N bytes, file has M)").
Status ReadAt(int fd, const std::string& path, void* buf, size_t n, uint64_t offset);
// Reads up to n bytes at offset; returns the count (0 at end of file).
Result<size_t> ReadSomeAt(int fd, const std::string& path, void* buf, size_t n, uint64_t offset);
// Writes all n bytes (at the current position, or at offset for WriteAllAt).
Status WriteAll(int fd, const std::string& path, const void* buf, size_t n);
Status WriteAllAt(int fd, const std::string& path, const void* buf, size_t n, uint64_t offset);
Status Fsync(int fd, const std::string& path);
// Asks the kernel to start writing [offset, offset+n) of fd back to disk now, without
// waiting (sync_file_range SYNC_FILE_RANGE_WRITE), so that a later Fsync of a big file
// finds little left to do. A hint: it returns nothing, and Fsync is still what makes the
// data durable and reports I/O errors.
void StartWriteback(int fd, uint64_t offset, uint64_t n);
// Opens the directory and fsyncs it, so a rename or create inside it is durable.
Status FsyncDir(const std::string& dir);
Result<uint64_t> FileSize(int fd, const std::string& path);

// --- Writing where others may write ------------------------------------------------
// Every file and dir the product writes is a fresh inode made by the helpers below: an
// existing entry is never reused, and nothing is ever written through a symlink, a fifo or
// another user's file planted at the path (in a backup dir others can write to, a planted
// "s.db.part -> /etc/shadow" must not turn a root-run save into an overwrite of that file).
// Files: O_CREAT|O_EXCL|O_NOFOLLOW, mode set exactly. Dirs: mkdir (which never follows a
// link), then checked through O_NOFOLLOW|O_DIRECTORY. A leftover of an earlier run is
// removed only when it is what we would have left: a regular file (or dir) owned by our
// effective uid. Anything else is an error that names the path and what is there.
//
// Limit: path components above the entry are resolved by the kernel as given (a user may
// keep backups under a symlinked /var/lib); a symlink among them that is owned by neither
// us nor root is refused by MakeDirs only (Linux's protected_symlinks covers sticky dirs).

// What is at path, without following a link, for messages: "a symlink to \"../v\"",
// "a fifo", "a socket", "a device", "a directory", "a regular file", each followed by
// " owned by uid N" when N is not our effective uid; "nothing" when missing.
std::string DescribePath(const std::string& path);

// Creates path as a new regular file (O_CREAT|O_EXCL|O_NOFOLLOW) with exactly `mode`
// (umask does not narrow it). access is O_WRONLY or O_RDWR. Existing entries of any kind
// (dangling symlinks too) fail with kAlreadyExists:
//   create "p": it already exists (a symlink to "../victim"); not writing through it
// Other failures read "open \"p\": <reason>".
Result<UniqueFd> CreateExclusive(const std::string& path, mode_t mode, int access = O_WRONLY);

// Removes what an earlier, interrupted run of ours left at path (a ".part", a ".tmp", a
// staging dir): only a regular file (dir: a real directory, removed with its content)
// owned by our effective uid. A missing path is fine. Anything else fails with
// kFailedPrecondition and removes nothing:
//   stale "p" is a symlink to "../victim", not something this tool left; not removing it or
//   writing through it (remove it yourself if that is safe)
Status RemoveStaleFile(const std::string& path);
Status RemoveStaleDir(const std::string& path);

// mkdir path with exactly `mode` (0700 for what the product makes). An existing entry of
// any kind fails (kAlreadyExists, naming what is there). The new dir is opened with
// O_NOFOLLOW|O_DIRECTORY and must be a directory owned by us before its mode is set.
Status MakeDir(const std::string& path, mode_t mode);

// A file written under the temporary name "<path><suffix>" and renamed over path when
// complete (ccache's AtomicFile), safe in a directory others can write to:
//   - the temporary is a fresh inode (CreateExclusive); a stale one is removed first only
//     when RemoveStaleFile allows it (so a planted link, fifo or foreign file is an error,
//     and nothing is written);
//   - until Commit it is registered for removal on SIGINT/SIGTERM/SIGHUP/SIGPIPE, and the
//     destructor removes it (only while the name still is the inode we created);
//   - Commit fsyncs and closes it, checks the temporary name still is our inode, renames it
//     over path (an existing file there is replaced; so is a symlink, itself, never its
//     target), checks path is our inode, and fsyncs the directory. So the data is always
//     in our own fresh inode, and what ends up at path is that inode and never a link.
class AtomicFile {
 public:
  static Result<AtomicFile> Create(const std::string& path, std::string_view suffix, mode_t mode,
                                   int access = O_WRONLY);
  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

  // A failed Commit leaves path as it was and removes the temporary (when still ours).
  Status Commit();

 private:
  AtomicFile(std::string path, std::string temp, UniqueFd fd, dev_t dev, ino_t ino);
  bool IsOurs(const std::string& p) const;
  std::string path_, temp_;
  UniqueFd fd_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool done_ = false;
};

// The whole content of a small file (a config, a cert, a manifest): opened O_RDONLY and read
// to its end. Errors read "open \"path\": reason" / "read \"path\": reason"; with
// go_style, "open path: reason" as Go's os.ReadFile says it (texts of the Go tools we match).
enum class PathStyle { kQuoted, kGo };
Result<std::string> ReadFile(const std::string& path, PathStyle style = PathStyle::kQuoted);

// content written to "<path><suffix>" and renamed over path (AtomicFile, so never through a
// planted link or file, fsynced, directory fsynced); `mode` exactly.
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       std::string_view suffix = ".tmp");
// A new file at path with `mode` exactly (CreateExclusive: never over, or through, what is
// at path), written and closed; removed again if writing it fails. Not fsynced.
Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode);

bool PathExists(const std::string& path);
// True if path is a directory with no entries other than "." and "..".
Result<bool> IsEmptyDir(const std::string& path);
// Creates dir and missing parents, each with MakeDir's checks and exactly `mode`. Existing
// components are used as they are, except: the last one must not be a symlink, and a
// symlink owned by neither us nor root is never followed (a planted link); each refusal
// names the path and what is there.
Status MakeDirs(const std::string& path, mode_t mode);
// Removes path recursively; a missing path is fine.
Status RemoveAll(const std::string& path);
// rename(2) with a clear error.
Status Rename(const std::string& from, const std::string& to);
// Absolute, lexically normalised form of path (no symlink resolution; works for
// paths that do not exist yet).
std::string AbsolutePath(const std::string& path);
std::string DirName(const std::string& path);
std::string BaseName(const std::string& path);
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_FILE_H_
