#include "shared/restore/target.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "shared/base/file.h"
#include "shared/base/signal_cleanup.h"

namespace etcdrestore::restore {
namespace {

constexpr char kStagingInfix[] = ".etcdrestore-staging.";

// rmdir each dir in order (deepest first); stops at the first that is not empty or gone.
void RemoveEmptyDirs(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs)
    if (::rmdir(d.c_str()) != 0) break;
}

bool PidAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// Removes "<dir>/<prefix><pid>" dirs whose process is gone, when they are real dirs of ours
// (RemoveStaleDir: a symlink or another user's entry with that name is left alone).
// Appends what it removed to *removed (if given).
void RemoveStaleIn(const std::string& parent, const std::string& prefix, std::vector<std::string>* removed) {
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(prefix, 0) != 0) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(n.c_str() + prefix.size()));
    if (PidAlive(pid)) continue;
    std::string path = JoinPath(parent, n);
    struct stat st{};
    const bool was_there = ::lstat(path.c_str(), &st) == 0;
    if (RemoveStaleDir(path) && was_there && removed) removed->push_back(path);
  }
  ::closedir(d);
}

Status FsyncTree(const std::string& path) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory()) {
      RETURN_IF_ERROR(FsyncDir(it->path().string()));
    } else {
      ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(it->path().string(), O_RDONLY));
      RETURN_IF_ERROR(Fsync(fd.get(), it->path().string()));
    }
  }
  if (ec) return Fail(ErrnoError("walk \"" + path + "\"", ec.value()));
  return FsyncDir(path);
}

}  // namespace

// Staging dirs live beside a missing target (".<base>.etcdrestore-staging.<pid>") or
// inside an existing empty one (".etcdrestore-staging.<pid>", e.g. a mount point).
void RemoveStaleStaging(const std::string& abs_target, std::vector<std::string>* removed = nullptr) {
  RemoveStaleIn(DirName(abs_target), "." + BaseName(abs_target) + kStagingInfix, removed);
  RemoveStaleIn(abs_target, std::string(kStagingInfix), removed);
}

// A freshly made ext4/ext3 filesystem mounted as the data dir (a dedicated etcd disk)
// holds an empty "lost+found" and nothing else: that counts as empty.
static bool HoldsOnlyEmptyLostFound(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  int others = 0;
  bool lost_found = false;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    if (n == "lost+found") {
      lost_found = true;
    } else {
      ++others;
    }
  }
  ::closedir(d);
  if (!lost_found || others != 0) return false;
  auto empty = IsEmptyDir(JoinPath(dir, "lost+found"));
  return empty && *empty;
}

bool WalLockedByRunningEtcd(const std::string& dir) {
  for (const std::string& wd : {dir, JoinPath(dir, "member/wal")}) {
    DIR* d = ::opendir(wd.c_str());
    if (!d) continue;
    bool locked = false;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() < 4 || n.compare(n.size() - 4, 4, ".wal") != 0) continue;
      int fd = ::open(JoinPath(wd, n).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      struct flock fl{};
      fl.l_type = F_WRLCK;
      fl.l_whence = SEEK_SET;
      // F_OFD_GETLK reports conflicts with both OFD locks (etcd's first choice on Linux)
      // and classic POSIX record locks (its fallback).
      if (::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) locked = true;
      ::close(fd);
      if (locked) break;
    }
    ::closedir(d);
    if (locked) return true;
  }
  return false;
}

Status CheckTarget(const std::string& what, const std::string& abs_path, std::vector<std::string>* removed_stale) {
  struct stat st{};
  if (::lstat(abs_path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Fail(ErrnoError(what + " \"" + abs_path + "\"", errno));
    RemoveStaleStaging(abs_path, removed_stale);
    return {};
  }
  // The restore writes into an existing empty target: never through a link (planted in a
  // dir others can write to, it would point the restore at any empty dir).
  if (S_ISLNK(st.st_mode))
    return Fail(ErrorCode::kFailedPrecondition, what + " \"" + abs_path + "\" is " + DescribePath(abs_path) +
                                                    "; not restoring through a symlink: pass the real directory as --" +
                                                    what);
  if (!S_ISDIR(st.st_mode))
    return Fail(ErrorCode::kAlreadyExists,
                what + " \"" + abs_path + "\" exists and is not a directory; choose another --" + what);
  RemoveStaleStaging(abs_path, removed_stale);
  if (WalLockedByRunningEtcd(abs_path))
    return Fail(ErrorCode::kFailedPrecondition,
                what + " \"" + abs_path +
                    "\" is in use by a running etcd (its WAL is locked); stop that etcd first "
                    "(move its static pod manifest out of the manifests dir) and restore into a new directory");
  ASSIGN_OR_RETURN(bool empty, IsEmptyDir(abs_path));
  if (!empty && !HoldsOnlyEmptyLostFound(abs_path))
    return Fail(ErrorCode::kAlreadyExists,
                what + " \"" + abs_path +
                    "\" exists and is not empty; refusing to overwrite it. Restore into a new directory "
                    "(and point etcd at it), or move the old one aside first");
  return {};
}

Result<StagingDir> StagingDir::Create(const std::string& target) {
  std::string abs = AbsolutePath(target);
  std::string parent = DirName(abs);
  std::string base = BaseName(abs);
  // Parents created here are removed again (when still empty) if the restore fails.
  std::vector<std::string> created;
  for (std::string p = parent; p.size() > 1 && ::access(p.c_str(), F_OK) != 0 && errno == ENOENT; p = DirName(p))
    created.push_back(p);
  if (auto st = MakeDirs(parent, 0700); !st) {
    RemoveEmptyDirs(created);
    return Fail(st.error().Wrap("create parent of \"" + abs + "\""));
  }
  RemoveStaleStaging(abs);
  struct stat st{};
  bool inside = ::lstat(abs.c_str(), &st) == 0 && S_ISDIR(st.st_mode);  // CheckTarget refused a link
  std::string path = inside ? JoinPath(abs, kStagingInfix + std::to_string(::getpid()))
                            : JoinPath(parent, "." + base + kStagingInfix + std::to_string(::getpid()));
  // Our own pid: a leftover of an earlier process with this pid, removed only if it is a
  // real dir of ours; then a fresh dir (MakeDir: mkdir 0700, never through a link).
  Status made = RemoveStaleDir(path);
  if (made) made = MakeDir(path, 0700);
  if (!made) {
    RemoveEmptyDirs(created);
    return Fail(std::move(made).error().Wrap("create staging dir for \"" + abs + "\""));
  }
  RemoveOnSignal(path);
  StagingDir dir(abs, path, inside);
  dir.created_parents_ = std::move(created);
  return dir;
}

StagingDir::StagingDir(std::string target, std::string path, bool inside)
    : target_(std::move(target)), path_(std::move(path)), inside_(inside) {}

StagingDir::StagingDir(StagingDir&& o) noexcept
    : target_(std::move(o.target_)),
      path_(std::move(o.path_)),
      inside_(o.inside_),
      synced_(o.synced_),
      state_(o.state_),
      placed_(std::move(o.placed_)),
      created_parents_(std::move(o.created_parents_)) {
  o.state_ = State::kDone;  // the moved-from object must not remove anything
}

StagingDir::~StagingDir() {
  if (state_ == State::kDone) return;
  if (state_ == State::kPlaced) {  // a provisional commit that was not kept: take it back out
    for (const auto& p : placed_) {
      (void)RemoveAll(p);
      ForgetOnSignal(p);
    }
    ForgetOnSignal(target_);
  }
  (void)RemoveAll(path_);  // gone already after a complete Place()
  ForgetOnSignal(path_);
  RemoveEmptyDirs(created_parents_);
}

Status StagingDir::Sync() {
  if (synced_) return {};
  RETURN_IF_ERROR(FsyncTree(path_));
  synced_ = true;
  return {};
}

// Moves the staged content into place; placed_ lists what now is the target's. The staging
// dir stays registered until its content is gone from it.
Status StagingDir::Place() {
  RETURN_IF_ERROR(Sync());
  if (!inside_) {
    RETURN_IF_ERROR(Rename(path_, target_));
    placed_ = {target_};
    ForgetOnSignal(path_);
    return FsyncDir(DirName(target_));
  }
  // The target is an existing empty dir (maybe a mount point, which cannot be renamed
  // over): move each top-level entry in. For a data dir that is the single "member"
  // dir, so the data dir still becomes usable in one rename.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
    std::string to = JoinPath(target_, e.path().filename().string());
    RETURN_IF_ERROR(Rename(e.path().string(), to));
    placed_.push_back(to);
  }
  if (ec) return Fail(ErrnoError("list staging dir \"" + path_ + "\"", ec.value()));
  if (::rmdir(path_.c_str()) != 0) return Fail(ErrnoError("remove staging dir \"" + path_ + "\"", errno));
  ForgetOnSignal(path_);
  return FsyncDir(target_);
}

Status StagingDir::Commit() {
  if (auto st = Place(); !st) {
    // Whatever was already moved into place goes back out with the staging dir.
    for (const auto& p : placed_) (void)RemoveAll(p);
    placed_.clear();
    return st;
  }
  state_ = State::kDone;
  return {};
}

Status StagingDir::CommitProvisionally() {
  // Registered before the move, so a signal during it removes what got placed.
  for (const auto& p : inside_ ? std::vector<std::string>{} : std::vector<std::string>{target_}) RemoveOnSignal(p);
  auto st = Place();
  if (inside_)
    for (const auto& p : placed_) RemoveOnSignal(p);
  state_ = State::kPlaced;  // on failure too: the destructor removes what was placed
  return st;
}

void StagingDir::Keep() {
  if (state_ != State::kPlaced) return;
  for (const auto& p : placed_) ForgetOnSignal(p);
  state_ = State::kDone;
}

}  // namespace etcdrestore::restore
