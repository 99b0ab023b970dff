#include "shared/base/signal_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

namespace etcdrestore {
namespace {

// Registered paths live in fixed buffers, so the handler touches no heap and takes no lock.
constexpr size_t kMaxPath = 4096;
struct Slot {
  std::atomic<bool> used{false};
  char path[kMaxPath];
};
std::array<Slot, kMaxSignalCleanupPaths> g_slots;
std::mutex g_register_mu;  // Register/Forget only; never taken by the handler
std::once_flag g_handlers_once;

// Removes path: unlink for a file, else the tree below it (getdents64 directly: opendir
// and readdir are not async-signal-safe), then rmdir.
void RemoveTreeRaw(const char* path, int depth) {
  if (depth > 8) return;
  int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    ::unlink(path);
    return;
  }
  char buf[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buf, sizeof(buf));
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
      char child[kMaxPath];
      size_t pl = std::strlen(path), nl = std::strlen(d->d_name);
      if (pl + 1 + nl + 1 > sizeof(child)) continue;
      std::memcpy(child, path, pl);
      child[pl] = '/';
      std::memcpy(child + pl + 1, d->d_name, nl + 1);
      if (d->d_type == DT_DIR) {
        RemoveTreeRaw(child, depth + 1);
      } else {
        ::unlink(child);
      }
    }
  }
  ::close(fd);
  ::rmdir(path);
}

void OnSignal(int sig) {
  for (auto& s : g_slots)
    if (s.used.load()) RemoveTreeRaw(s.path, 0);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void InstallHandlers() {
  std::call_once(g_handlers_once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
      struct sigaction sa{};
      sa.sa_handler = OnSignal;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

}  // namespace

bool RemoveOnSignal(const std::string& path) {
  InstallHandlers();
  if (path.empty() || path.size() >= kMaxPath) return false;
  std::lock_guard lock(g_register_mu);
  for (auto& s : g_slots) {
    if (s.used.load()) continue;
    std::memcpy(s.path, path.c_str(), path.size() + 1);
    s.used.store(true);  // published after the bytes: the handler never sees a half path
    return true;
  }
  return false;
}

ScopedHoldCleanupSignals::ScopedHoldCleanupSignals() {
  sigset_t hold;
  sigemptyset(&hold);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&hold, sig);
  ::pthread_sigmask(SIG_BLOCK, &hold, &old_mask_);
}

ScopedHoldCleanupSignals::~ScopedHoldCleanupSignals() {
  ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void ForgetOnSignal(const std::string& path) {
  std::lock_guard lock(g_register_mu);
  for (auto& s : g_slots)
    if (s.used.load() && path == s.path) s.used.store(false);
}

}  // namespace etcdrestore
