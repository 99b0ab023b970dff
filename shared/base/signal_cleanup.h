// shared/base/signal_cleanup.h
//
// Temporary paths that must not outlive an interrupted process: a `.part` file being
// downloaded, a staging dir being filled. While a path is registered, SIGINT, SIGTERM,
// SIGHUP and SIGPIPE remove it (a file, or a dir tree up to 8 levels deep) before the
// process dies. The handler uses async-signal-safe syscalls only and then re-raises the
// signal with its default action, so the exit status still names the signal.
//
// SIGKILL cannot be caught: callers also give temporary paths names that never look
// complete (".part", ".<name>.etcdrestore-staging.<pid>").
//
// Limits: kMaxSignalCleanupPaths paths at once, each shorter than 4096 bytes. Beyond them
// a path is not registered (RemoveOnSignal returns false); the caller's normal error
// paths still remove it.
#ifndef ETCDRESTORE_SHARED_BASE_SIGNAL_CLEANUP_H_
#define ETCDRESTORE_SHARED_BASE_SIGNAL_CLEANUP_H_

#include <signal.h>

#include <string>

namespace etcdrestore {

inline constexpr int kMaxSignalCleanupPaths = 8;

// Registers path for removal on a signal (installs the handlers the first time). The path
// is used as given: make it absolute if the working directory may change. Thread-safe.
bool RemoveOnSignal(const std::string& path);
// Unregisters path (it was renamed into place, or removed by the caller). Unknown paths
// are ignored. Thread-safe.
void ForgetOnSignal(const std::string& path);

// Registers a path for its own lifetime; removes nothing itself.
class ScopedRemoveOnSignal {
 public:
  explicit ScopedRemoveOnSignal(std::string path) : path_(std::move(path)) { RemoveOnSignal(path_); }
  ~ScopedRemoveOnSignal() { ForgetOnSignal(path_); }
  ScopedRemoveOnSignal(const ScopedRemoveOnSignal&) = delete;
  ScopedRemoveOnSignal& operator=(const ScopedRemoveOnSignal&) = delete;

 private:
  std::string path_;
};

// Holds SIGINT, SIGTERM, SIGHUP and SIGPIPE back (sigprocmask) for its lifetime, for steps
// that must not be split by the cleanup: a signal that arrives meanwhile is delivered when
// this ends, against the registrations as they are then. For the calling thread.
class ScopedHoldCleanupSignals {
 public:
  ScopedHoldCleanupSignals();
  ~ScopedHoldCleanupSignals();
  ScopedHoldCleanupSignals(const ScopedHoldCleanupSignals&) = delete;
  ScopedHoldCleanupSignals& operator=(const ScopedHoldCleanupSignals&) = delete;

 private:
  sigset_t old_mask_;
};

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_SIGNAL_CLEANUP_H_
