#include "shared/base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

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
      struct stat st{};
      uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      return Fail(ErrorCode::kCorruption,
                  "read " + Quote(path) + ": unexpected end of file at offset " + std::to_string(offset + done) +
                      " (wanted " + std::to_string(n) + " bytes at " + std::to_string(offset) +
                      ", file has " + std::to_string(size) + ")");
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
  (void)::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(n), SYNC_FILE_RANGE_WRITE);
}

Status FsyncDir(const std::string& dir) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  RETURN_IF_ERROR(Fsync(fd.get(), dir));
  return {};
}

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return Fail(ErrnoError("stat " + Quote(path), errno));
  return static_cast<uint64_t>(st.st_size);
}

bool PathExists(const std::string& path) {
  struct stat st{};
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
  std::error_code ec;
  std::filesystem::path p(path);
  std::string cur;
  for (const auto& part : p) {
    cur = cur.empty() ? part.string() : (cur == "/" ? "/" + part.string() : cur + "/" + part.string());
    if (cur.empty() || cur == "/") continue;
    if (::mkdir(cur.c_str(), mode) == 0) {
      if (::chmod(cur.c_str(), mode) != 0) return Fail(ErrnoError("chmod " + Quote(cur), errno));
    } else if (errno != EEXIST) {
      return Fail(ErrnoError("mkdir " + Quote(cur), errno));
    }
  }
  return {};
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

std::string Quote(std::string_view path) { return "\"" + std::string(path) + "\""; }

}  // namespace etcdrestore
