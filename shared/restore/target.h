// shared/restore/target.h
//
// Where a restore writes, and the rules that keep it from ever clobbering anything:
// - the data dir must not exist or be an empty directory (a mount point), as etcd 3.5;
// - an explicit wal dir must not exist or be empty;
// - a data dir whose WAL is locked belongs to a running etcd and is refused with that reason;
// - everything is built in a staging dir beside the target (same filesystem) and appears
//   with one rename, so a failure or a kill never leaves a data dir that looks usable.
#ifndef ETCDRESTORE_SHARED_RESTORE_TARGET_H_
#define ETCDRESTORE_SHARED_RESTORE_TARGET_H_

#include <string>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::restore {

// Refuses a target dir that exists and is not empty (an empty "lost+found" alone, as on a
// freshly made ext4 filesystem mounted there, counts as empty) (kAlreadyExists, message names the
// absolute path and what to do), or that is in use by a running etcd (kFailedPrecondition).
// `what` is "data-dir" or "wal-dir". A missing or empty dir is fine. First removes the
// staging dirs that an earlier restore into this target left when it was killed (named like
// StagingDir's, real dirs of ours, their pid gone) and appends their paths to *removed_stale.
Status CheckTarget(const std::string& what, const std::string& abs_path,
                   std::vector<std::string>* removed_stale = nullptr);

// True if some *.wal file under dir (dir itself, or dir/member/wal) is locked by another
// process: etcd holds an fcntl write lock on its WAL files while it runs.
bool WalLockedByRunningEtcd(const std::string& dir);

// A directory beside `target` (missing parents are created, and removed again unless
// committed) named ".<base>.etcdrestore-staging.<pid>" (0700), or inside
// it as ".etcdrestore-staging.<pid>" when the target is an existing empty dir (a mount
// point cannot be renamed over), that is removed on destruction unless committed.
// SIGINT/SIGTERM/SIGHUP remove it too (the handler knows every path registered with it).
// A SIGKILL leaves it behind; the next StagingDir::Create for the same target removes
// stale ones whose pid is gone.
class StagingDir {
 public:
  static Result<StagingDir> Create(const std::string& target);
  StagingDir(StagingDir&& o) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  StagingDir(const StagingDir&) = delete;
  ~StagingDir();

  const std::string& path() const { return path_; }

  // fsyncs every file and directory below the staging dir. Commit does it when not done
  // yet; call it first to make a later Commit fast (a pair of dirs appears back to back).
  Status Sync();

  // Syncs, then renames the staging dir to the target, or (target exists) renames each of
  // its entries into the target; fsyncs the parent. After this the destructor does nothing.
  Status Commit();

  // Commit, but provisional: what was moved into place (the target, or the entries moved
  // into an existing target) stays registered for SIGINT/SIGTERM/SIGHUP removal and is
  // removed by the destructor unless Keep() is called. For the first of two dirs that
  // must appear together (the wal dir before the data dir).
  Status CommitProvisionally();
  // Ends a provisional commit: what was placed stays.
  void Keep();

 private:
  enum class State { kStaged, kPlaced, kDone };
  StagingDir(std::string target, std::string path, bool inside);
  Status Place();
  std::string target_;
  std::string path_;
  bool inside_;  // staging lives inside an existing empty target dir
  bool synced_ = false;
  State state_ = State::kStaged;
  std::vector<std::string> placed_;  // absolute paths moved into place by Place()
  std::vector<std::string> created_parents_;  // made by Create, deepest first; rmdir'ed unless done
};

}  // namespace etcdrestore::restore

#endif  // ETCDRESTORE_SHARED_RESTORE_TARGET_H_
