// shared/base/file.h
//
// Thin POSIX file helpers that return errors as values. Paths in messages are quoted.
// Nothing here buffers a whole file: callers stream with ReadAt/WriteAll.
#ifndef ETCDRESTORE_SHARED_BASE_FILE_H_
#define ETCDRESTORE_SHARED_BASE_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/base/error.h"

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

bool PathExists(const std::string& path);
// True if path is a directory with no entries other than "." and "..".
Result<bool> IsEmptyDir(const std::string& path);
// Creates dir and missing parents with mode (umask applies only to new dirs; we chmod).
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
// "\"path\"": how error messages show a path (it may contain spaces).
std::string Quote(std::string_view path);

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_FILE_H_
