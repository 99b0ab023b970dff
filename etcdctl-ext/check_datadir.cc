// datadir-in-use DIR: an etcdctl-ext extension (no etcdctl command of that name) for the
// scripts of `kubectl etcdrestore plan`: does a running etcd use DIR?
//
// Decided from the data itself, not from a container runtime (crictl may be missing on a
// node): etcd holds an fcntl write lock (OFD, or POSIX as its fallback) on its *.wal files
// while it runs (shared/restore/target.h WalLockedByRunningEtcd, the check restore
// refuses a target with). The holder is named from /proc/locks (the lock on the WAL file's
// inode) and, where /proc/locks has no pid (OFD locks show -1), from a scan of
// /proc/PID/fd for the WAL file; both best effort, for the message only.
//
// Exit codes (stable, the scripts rely on them):
//   0  in use: a WAL file under DIR (DIR itself or DIR/member/wal) is locked; prints
//      "in use: FILE locked by pid PID (COMM)" ("by another process" when no pid is found)
//   3  not in use: no WAL file under DIR is locked (also when DIR does not exist); prints
//      "not in use: ..."
//   1  cannot tell (DIR exists but cannot be read), with "Error: ..." on stderr
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "etcdctl-ext/command.h"
#include "shared/base/file.h"
#include "shared/restore/target.h"

namespace etcdrestore::etcdctl_ext {
namespace {

constexpr int kInUse = 0;
constexpr int kNotInUse = 3;

struct WalFile {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
};

std::vector<WalFile> WalFiles(const std::string& dir) {
  std::vector<WalFile> out;
  for (const std::string& wd : {dir, JoinPath(dir, "member/wal")}) {
    DIR* d = ::opendir(wd.c_str());
    if (!d) continue;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() < 4 || n.compare(n.size() - 4, 4, ".wal") != 0) continue;
      struct stat st{};
      const std::string p = JoinPath(wd, n);
      if (::stat(p.c_str(), &st) == 0) out.push_back({p, st.st_dev, st.st_ino});
    }
    ::closedir(d);
  }
  return out;
}

std::string Comm(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string c;
  std::getline(f, c);
  return c;
}

// The pid that /proc/locks names for a lock on (dev, ino); 0 when none is named.
long PidFromProcLocks(const WalFile& w) {
  std::ifstream f("/proc/locks");
  std::string line;
  while (std::getline(f, line)) {
    // "1: OFDLCK ADVISORY  WRITE -1 08:01:1234 0 EOF" or "... POSIX ADVISORY WRITE 42 ..."
    std::istringstream in(line);
    std::string num, kind, mode, rw, pid, where;
    if (!(in >> num >> kind)) continue;
    if (kind == "->") in >> kind;
    if (!(in >> mode >> rw >> pid >> where)) continue;
    unsigned maj = 0, min = 0;
    unsigned long long ino = 0;
    if (std::sscanf(where.c_str(), "%x:%x:%llu", &maj, &min, &ino) != 3) continue;
    if (ino != w.ino || maj != major(w.dev) || min != minor(w.dev)) continue;
    long p = std::atol(pid.c_str());
    if (p > 0) return p;
  }
  return 0;
}

// A process with the WAL file open (etcd keeps its locked WAL files open).
long PidFromProcFds(const WalFile& w) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return 0;
  long found = 0;
  while (dirent* e = ::readdir(proc)) {
    const std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string fd_dir = "/proc/" + pid + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (!fds) continue;
    while (dirent* f = ::readdir(fds)) {
      struct stat st{};
      if (f->d_name[0] == '.') continue;
      if (::stat((fd_dir + "/" + f->d_name).c_str(), &st) == 0 && st.st_dev == w.dev && st.st_ino == w.ino) {
        found = std::atol(pid.c_str());
        break;
      }
    }
    ::closedir(fds);
    if (found) break;
  }
  ::closedir(proc);
  return found;
}

Result<int> RunDatadirInUse(CommandContext& ctx) {
  if (ctx.args.size() != 1)
    return Fail(ErrorCode::kInvalidArgument, "datadir-in-use requires exactly one argument: the data (or WAL) dir");
  const std::string dir = AbsolutePath(ctx.args[0]);
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Fail(ErrnoError("datadir-in-use: stat " + dir, errno));
    WriteStdout("not in use: " + dir + " does not exist\n");
    return kNotInUse;
  }
  if (!S_ISDIR(st.st_mode)) return Fail(ErrorCode::kInvalidArgument, "datadir-in-use: " + dir + " is not a directory");
  if (::access(dir.c_str(), R_OK | X_OK) != 0)
    return Fail(ErrnoError("datadir-in-use: cannot read " + dir + " (cannot tell whether etcd uses it)", errno));
  const std::string wal_dir = JoinPath(dir, "member/wal");
  if (::access(wal_dir.c_str(), F_OK) == 0 && ::access(wal_dir.c_str(), R_OK | X_OK) != 0)
    return Fail(ErrnoError("datadir-in-use: cannot read " + wal_dir + " (cannot tell whether etcd uses it)", errno));
  if (!restore::WalLockedByRunningEtcd(dir)) {
    WriteStdout("not in use: no WAL file under " + dir + " is locked\n");
    return kNotInUse;
  }
  // Locked: name the file and its holder (for the message only).
  for (const WalFile& w : WalFiles(dir)) {
    int fd = ::open(w.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const bool locked = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    ::close(fd);
    if (!locked) continue;
    long pid = fl.l_pid > 0 ? fl.l_pid : PidFromProcLocks(w);
    if (pid <= 0) pid = PidFromProcFds(w);
    std::string who = "another process";
    if (pid > 0) {
      who = "pid " + std::to_string(pid);
      if (std::string comm = Comm(pid); !comm.empty()) who += " (" + comm + ")";
    }
    WriteStdout("in use: " + w.path + " locked by " + who + "\n");
    return kInUse;
  }
  WriteStdout("in use: a WAL file under " + dir + " is locked\n");
  return kInUse;
}

const bool kRegistered = RegisterCommand({
    .name = "datadir-in-use",
    .usage = "etcdctl-ext datadir-in-use <data-dir or wal-dir> [flags]",
    .summary = "etcdctl-ext: tells whether a running etcd uses a data dir (its WAL lock)",
    .description =
        "\tNot an etcdctl command. Decides from the data dir itself, without a container runtime:\n"
        "\tetcd holds a write lock on its WAL files while it runs. Exit 0: in use (the holder's pid\n"
        "\tis printed when it can be found); exit 3: not in use (or the dir does not exist);\n"
        "\texit 1: cannot tell (the dir cannot be read).\n",
    .uses_client = false,
    .run = RunDatadirInUse,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
