#include "shared/base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

#include "shared/base/signal_cleanup.h"

namespace etcdrestore {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Status UniqueFd::Close(std::string_view path) {
  if (fd_ < 0) return {};
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return Fail(ErrnoError("close \"" + std::string(path) + "\"", errno));
  return {};
}

Result<UniqueFd> OpenFile(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Fail(ErrnoError("open " + Quote(path), errno));
  return UniqueFd(fd);
}

Result<size_t> ReadSomeAt(int fd, const std::string& path, void* buf, size_t n, uint64_t offset) {
  for (;;) {
    ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(offset));
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    return Fail(ErrnoError("read " + Quote(path), errno));
  }
}

Status ReadAt(int fd, const std::string& path, void* buf, size_t n, uint64_t offset) {
  auto* p = static_cast<uint8_t*>(buf);
  size_t done = 0;
  while (done < n) {
    ASSIGN_OR_RETURN(size_t r, ReadSomeAt(fd, path, p + done, n - done, offset + done));
    if (r == 0) {
      struct stat st {};
      uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      return Fail(ErrorCode::kCorruption,
                  "read " + Quote(path) + ": unexpected end of file at offset " +
                      std::to_string(offset + done) + " (wanted " + std::to_string(n) +
                      " bytes at " + std::to_string(offset) + ", file has " + std::to_string(size) +
                      ")");
    }
    done += r;
  }
  return {};
}

Status WriteAll(int fd, const std::string& path, const void* buf, size_t n) {
  auto* p = static_cast<const uint8_t*>(buf);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoError("write " + Quote(path), errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Status WriteAllAt(int fd, const std::string& path, const void* buf, size_t n, uint64_t offset) {
  auto* p = static_cast<const uint8_t*>(buf);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoError("write " + Quote(path), errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return {};
}

Status Fsync(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return Fail(ErrnoError("fsync " + Quote(path), errno));
  return {};
}

void StartWriteback(int fd, uint64_t offset, uint64_t n) {
  // Errors (EINVAL on a pipe or /dev/null, EIO) are left to the Fsync that follows.
  (void)::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(n),
                          SYNC_FILE_RANGE_WRITE);
}

Status FsyncDir(const std::string& dir) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  RETURN_IF_ERROR(Fsync(fd.get(), dir));
  return {};
}

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Fail(ErrnoError("stat " + Quote(path), errno));
  return static_cast<uint64_t>(st.st_size);
}

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<bool> IsEmptyDir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return Fail(ErrnoError("read directory " + Quote(path), errno));
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

Status MakeDirs(const std::string& path, mode_t mode) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  // Every prefix ending at a '/' (or the end), shallowest first: "a", "a/b", "a/b/c".
  std::vector<std::string> prefixes;
  for (size_t i = 1; i <= p.size(); ++i)
    if (i == p.size() || (p[i] == '/' && p[i - 1] != '/')) prefixes.push_back(p.substr(0, i));
  for (const auto& cur : prefixes) {
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) return Fail(ErrnoError("stat " + Quote(cur), errno));
      Status made = MakeDir(cur, mode);
      // Another process may have made it meanwhile: fine if it is a real dir now.
      if (!made && !(made.error().code() == ErrorCode::kAlreadyExists &&
                     ::lstat(cur.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))
        return made;
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return Fail(ErrorCode::kFailedPrecondition,
                    Quote(cur) + " is " + DescribePath(cur) +
                        ": a link another user may have planted; not following it (pass the real "
                        "directory)");
      if (::stat(cur.c_str(), &st) != 0) return Fail(ErrnoError("stat " + Quote(cur), errno));
    }
    if (!S_ISDIR(st.st_mode))
      return Fail(ErrorCode::kAlreadyExists, "mkdir " + Quote(cur) + ": it exists and is " +
                                                 DescribePath(cur) + ", not a directory");
  }
  return {};
}

std::string DescribePath(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return "nothing";
    return ErrnoError("unreadable", errno).message();
  }
  std::string what;
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    // The target is whatever the planter chose: control bytes are shown escaped, so that a
    // link cannot put terminal escape sequences into our error message.
    std::string target;
    for (ssize_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(buf[i]);
      if (c < 0x20 || c == 0x7f) {
        static constexpr char kHex[] = "0123456789abcdef";
        target += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      } else {
        target += static_cast<char>(c);
      }
    }
    what = "a symlink to " + (n >= 0 ? Quote(target) : std::string("?"));
  } else if (S_ISFIFO(st.st_mode)) {
    what = "a fifo";
  } else if (S_ISSOCK(st.st_mode)) {
    what = "a socket";
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    what = "a device";
  } else if (S_ISDIR(st.st_mode)) {
    what = "a directory";
  } else if (S_ISREG(st.st_mode)) {
    what = "a regular file";
  } else {
    what = "a file of unknown type";
  }
  if (st.st_uid != ::geteuid()) what += " owned by uid " + std::to_string(st.st_uid);
  return what;
}

Result<UniqueFd> CreateExclusive(const std::string& path, mode_t mode, int access) {
  int fd = ::open(path.c_str(), access | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      struct stat st {};
      const bool regular = ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
      return Fail(ErrorCode::kAlreadyExists,
                  "create " + Quote(path) + ": it already exists (" + DescribePath(path) + "); " +
                      (regular ? "not overwriting it" : "not writing through it"));
    }
    return Fail(ErrnoError("open " + Quote(path), err));
  }
  UniqueFd file(fd);
  if (::fchmod(fd, mode) != 0) {  // a fresh inode of ours: umask must not narrow the mode
    Error e = ErrnoError("chmod " + Quote(path), errno);
    ::unlink(path.c_str());
    return Fail(std::move(e));
  }
  return file;
}

namespace {

Status RemoveStale(const std::string& path, bool dir) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Fail(ErrnoError("stat " + Quote(path), errno));
  }
  const bool kind_ok = dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
  if (!kind_ok || st.st_uid != ::geteuid())
    return Fail(ErrorCode::kFailedPrecondition,
                "stale " + Quote(path) + " is " + DescribePath(path) +
                    ", not something this tool left; not removing it or writing through it (remove "
                    "it yourself if "
                    "that is safe)");
  // Swapped for a link meanwhile? unlink and remove_all remove a link itself, never its target.
  if (dir) return RemoveAll(path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Fail(ErrnoError("remove stale " + Quote(path), errno));
  return {};
}

}  // namespace

Status RemoveStaleFile(const std::string& path) { return RemoveStale(path, false); }
Status RemoveStaleDir(const std::string& path) { return RemoveStale(path, true); }

Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) {  // mkdir never follows a link at path
    const int err = errno;
    if (err == EEXIST)
      return Fail(ErrorCode::kAlreadyExists,
                  "mkdir " + Quote(path) + ": it already exists (" + DescribePath(path) + ")");
    return Fail(ErrnoError("mkdir " + Quote(path), err));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return Fail(ErrorCode::kFailedPrecondition,
                "mkdir " + Quote(path) + ": the new directory was replaced at once (it is " +
                    DescribePath(path) + ")");
  UniqueFd dir(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Fail(ErrnoError("stat " + Quote(path), errno));
  if (st.st_uid != ::geteuid())
    return Fail(ErrorCode::kFailedPrecondition,
                "mkdir " + Quote(path) + ": the new directory was replaced at once (it is " +
                    DescribePath(path) + ")");
  if (::fchmod(fd, mode) != 0) return Fail(ErrnoError("chmod " + Quote(path), errno));
  return {};
}

AtomicFile::AtomicFile(std::string path, std::string temp, UniqueFd fd, dev_t dev, ino_t ino)
    : path_(std::move(path)), temp_(std::move(temp)), fd_(std::move(fd)), dev_(dev), ino_(ino) {}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)),
      temp_(std::move(o.temp_)),
      fd_(std::move(o.fd_)),
      dev_(o.dev_),
      ino_(o.ino_),
      done_(o.done_) {
  o.done_ = true;  // the moved-from object must not remove anything
}

Result<AtomicFile> AtomicFile::Create(const std::string& path, std::string_view suffix, mode_t mode,
                                      int access) {
  std::string temp = path + std::string(suffix);
  for (int attempt = 0;; ++attempt) {
    auto fd = CreateExclusive(temp, mode, access);
    if (!fd) {
      // A leftover of ours is removed and the create retried; anything else is refused.
      if (fd.error().code() != ErrorCode::kAlreadyExists || attempt == 2)
        return Fail(std::move(fd).error());
      RETURN_IF_ERROR(RemoveStaleFile(temp));
      continue;
    }
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) {
      Error e = ErrnoError("stat " + Quote(temp), errno);
      ::unlink(temp.c_str());
      return Fail(std::move(e));
    }
    RemoveOnSignal(temp);
    return AtomicFile(path, std::move(temp), std::move(*fd), st.st_dev, st.st_ino);
  }
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  if (IsOurs(temp_)) ::unlink(temp_.c_str());
  ForgetOnSignal(temp_);
}

bool AtomicFile::IsOurs(const std::string& p) const {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == dev_ &&
         st.st_ino == ino_;
}

Status AtomicFile::Commit() {
  RETURN_IF_ERROR(Fsync(fd_.get(), temp_));
  RETURN_IF_ERROR(fd_.Close(temp_));
  if (!IsOurs(temp_))
    return Fail(ErrorCode::kFailedPrecondition,
                Quote(temp_) + " was replaced while it was being written (it is now " +
                    DescribePath(temp_) + "); not renaming it to " + Quote(path_));
  RETURN_IF_ERROR(Rename(temp_, path_));
  done_ = true;
  ForgetOnSignal(temp_);
  if (!IsOurs(path_))
    return Fail(ErrorCode::kFailedPrecondition,
                Quote(path_) + " was replaced right after it was written (it is now " +
                    DescribePath(path_) + "); check who else writes to its directory");
  return FsyncDir(DirName(AbsolutePath(path_)));
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Fail(ErrnoError("remove " + Quote(path), ec.value()));
  return {};
}

Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return Fail(ErrnoError("rename " + Quote(from) + " to " + Quote(to), errno));
  return {};
}

std::string AbsolutePath(const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) {
    std::error_code ec;
    p = std::filesystem::current_path(ec) / p;
  }
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

Result<std::string> ReadFile(const std::string& path, PathStyle style) {
  const std::string shown = style == PathStyle::kGo ? path : Quote(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(ErrnoError("open " + shown, errno));
  UniqueFd owned(fd);
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r == 0) return text;
    if (r < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoError("read " + shown, errno));
    }
    text.append(buf, static_cast<size_t>(r));
  }
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       std::string_view suffix) {
  ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path, suffix, mode));
  RETURN_IF_ERROR(WriteAll(file.fd(), file.temp_path(), content.data(), content.size()));
  return file.Commit();
}

Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode) {
  ASSIGN_OR_RETURN(UniqueFd fd, CreateExclusive(path, mode));
  Status st = WriteAll(fd.get(), path, content.data(), content.size());
  if (st) st = fd.Close(path);
  if (!st) ::unlink(path.c_str());
  return st;
}

std::string DirName(const std::string& path) {
  std::string abs = AbsolutePath(path);
  auto pos = abs.rfind('/');
  if (pos == 0 || pos == std::string::npos) return "/";
  return abs.substr(0, pos);
}

std::string BaseName(const std::string& path) {
  std::string s = path;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  auto pos = s.rfind('/');
  return pos == std::string::npos ? s : s.substr(pos + 1);
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (!b.empty() && b[0] == '/') return b;
  return a.back() == '/' ? a + b : a + "/" + b;
}

}  // namespace etcdrestore
