#include "shared/restore/restore.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "shared/base/file.h"
#include "shared/base/signal_cleanup.h"
#include "shared/bbolt/check.h"
#include "shared/bbolt/editor.h"
#include "shared/bbolt/reader.h"
#include "shared/etcddb/edits.h"
#include "shared/etcddb/query.h"
#include "shared/membership/bootstrap.h"
#include "shared/membership/urls.h"
#include "shared/restore/target.h"
#include "shared/snap/db_copy.h"
#include "shared/snap/snap_file.h"
#include "shared/wal/format.h"

namespace etcdrestore::restore {
namespace {

// Runs the bbolt structural check; any problem is a corrupt snapshot (the first few
// problems are quoted, with the total).
Status CheckStructure(bbolt::Reader& reader, const std::string& what) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(uint64_t n, bbolt::Check(reader, [&](const std::string& p) {
                     if (problems.size() < 5) problems.push_back(p);
                   }));
  if (n == 0) return {};
  std::string msg = what + ": bbolt structure check failed, " + std::to_string(n) + " problem(s) found";
  for (const auto& p : problems) msg += "\n  " + p;
  if (n > problems.size()) msg += "\n  ...";
  return Fail(ErrorCode::kCorruption, msg);
}

// Opens the snapshot's bbolt part. bbolt::Reader refuses a file shorter than its meta page
// says; with a trailer that also covers the db part, since the db size and the file size
// differ by 32 bytes and the db is a whole number of pages of at least 512 bytes.
Result<std::unique_ptr<bbolt::Reader>> OpenSnapshotDb(const std::string& path) {
  auto reader = bbolt::Reader::Open(path);
  if (!reader) return Fail(reader.error().Wrap("snapshot " + Quote(path)));
  return std::move(*reader);
}

}  // namespace

Status ValidateBumpFlags(uint64_t bump_revision, bool mark_compacted) {
  if ((bump_revision == 0 && mark_compacted) || (bump_revision > 0 && !mark_compacted))
    return Fail(ErrorCode::kInvalidArgument, "--mark-compacted required if --revision-bump > 0");
  return {};
}

Result<Plan> MakePlan(const Options& o) {
  Plan plan;
  plan.options = o;
  RETURN_IF_ERROR(ValidateBumpFlags(o.bump_revision, o.mark_compacted));

  // Flags first, in etcd's order: advertise URLs, --initial-cluster, VerifyBootstrap, IDs.
  ASSIGN_OR_RETURN(std::vector<std::string> peer_urls, membership::ParsePeerUrls(o.initial_advertise_peer_urls));
  ASSIGN_OR_RETURN(membership::UrlsMap urls_map, membership::NewUrlsMap(o.initial_cluster));
  RETURN_IF_ERROR(membership::VerifyBootstrap(o.name, peer_urls, urls_map));
  ASSIGN_OR_RETURN(plan.cluster, membership::NewClusterFromUrlsMap(o.initial_cluster_token, urls_map));
  const membership::Member* local = plan.cluster.MemberByName(o.name);
  if (local == nullptr)  // VerifyBootstrap guarantees it; keep the invariant explicit
    return Fail(ErrorCode::kInternal, "member " + o.name + " missing after bootstrap check");
  plan.local_id = local->id;
  plan.commit_index = plan.cluster.members.size();

  // Targets.
  plan.data_dir_defaulted = o.data_dir.empty();
  plan.data_dir = AbsolutePath(o.data_dir.empty() ? o.name + ".etcd" : o.data_dir);
  plan.snap_dir = JoinPath(plan.data_dir, "member/snap");
  plan.separate_wal_dir = !o.wal_dir.empty();
  plan.wal_dir = plan.separate_wal_dir ? AbsolutePath(o.wal_dir) : JoinPath(plan.data_dir, "member/wal");
  RETURN_IF_ERROR(CheckTarget("data-dir", plan.data_dir, &plan.removed_stale));
  if (plan.separate_wal_dir) {
    if (plan.wal_dir == plan.data_dir || plan.wal_dir.rfind(plan.data_dir + "/", 0) == 0 ||
        plan.data_dir.rfind(plan.wal_dir + "/", 0) == 0)
      return Fail(ErrorCode::kInvalidArgument, "wal-dir " + Quote(plan.wal_dir) + " must not be inside data-dir " +
                                                   Quote(plan.data_dir) + " or contain it; omit --wal-dir to use " +
                                                   "<data-dir>/member/wal");
    RETURN_IF_ERROR(CheckTarget("wal-dir", plan.wal_dir, &plan.removed_stale));
  }

  // The snapshot: size, trailer, bbolt meta, latest revision. Reads a few pages only.
  plan.snapshot_path = AbsolutePath(o.snapshot_path);
  // A fifo would block the open forever, a directory or device is no snapshot: regular
  // files only (stat follows symlinks).
  if (struct stat st{}; ::stat(o.snapshot_path.c_str(), &st) != 0) {
    return Fail(ErrnoError("open " + Quote(plan.snapshot_path), errno));
  } else if (!S_ISREG(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument,
                "snapshot " + Quote(plan.snapshot_path) + " is not a regular file (" +
                    (S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a fifo" : "a device or socket") +
                    "); pass the file written by `snapshot save`, or a member/snap/db with --skip-hash-check");
  }
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(o.snapshot_path, O_RDONLY));
  ASSIGN_OR_RETURN(plan.snapshot_size, FileSize(fd.get(), o.snapshot_path));
  plan.has_trailer = snap::HasSha256Trailer(plan.snapshot_size);
  plan.db_size = plan.has_trailer ? plan.snapshot_size - snap::kSha256TrailerSize : plan.snapshot_size;
  if (plan.snapshot_size < 2 * 1024)
    return Fail(ErrorCode::kCorruption,
                "snapshot " + Quote(o.snapshot_path) + " is " + std::to_string(plan.snapshot_size) +
                    " bytes: too small to be an etcd snapshot (a bbolt db has at least 4 pages)");
  if (!plan.has_trailer && !o.skip_hash_check)
    return Fail(ErrorCode::kCorruption,
                "snapshot missing hash but --skip-hash-check=false (" + Quote(o.snapshot_path) + " is " +
                    std::to_string(plan.snapshot_size) +
                    " bytes, not a `snapshot save` file with a sha256 trailer: truncated, or a member/snap/db copied "
                    "from a data dir, which needs --skip-hash-check)");
  ASSIGN_OR_RETURN(auto reader, OpenSnapshotDb(o.snapshot_path));
  plan.page_size = reader->page_size();
  auto latest = etcddb::LatestRevision(*reader);
  if (!latest) return Fail(latest.error().Wrap("snapshot " + Quote(o.snapshot_path)));
  plan.snapshot_revision = latest->main;
  // etcdutl 3.5.30 wraps around into a negative revision here; refuse before writing.
  if (o.bump_revision > static_cast<uint64_t>(INT64_MAX - plan.snapshot_revision))
    return Fail(ErrorCode::kInvalidArgument,
                "--bump-revision " + std::to_string(o.bump_revision) + " overflows the snapshot's latest revision " +
                    std::to_string(plan.snapshot_revision) + " (the sum must be at most 9223372036854775807)");
  plan.new_revision = plan.snapshot_revision + static_cast<int64_t>(o.bump_revision);

  std::string wal_file = wal::WalFileName(0, 0);
  plan.files = {"member/snap/db", "member/snap/" + snap::SnapFileName(1, plan.commit_index),
                plan.separate_wal_dir ? JoinPath(plan.wal_dir, wal_file) : "member/wal/" + wal_file};
  return plan;
}

Result<Report> Verify(const Plan& plan) {
  auto t0 = std::chrono::steady_clock::now();
  Report r;
  const std::string& path = plan.options.snapshot_path;
  ASSIGN_OR_RETURN(UniqueFd src, OpenFile(path, O_RDONLY));
  if (plan.has_trailer && !plan.options.skip_hash_check) {
    ASSIGN_OR_RETURN(snap::DbCopyResult c, snap::HashSnapshotDb(src.get(), path));
    RETURN_IF_ERROR(snap::CheckSnapshotHash(c, false));
    r.hash_verified = true;
    r.sha256 = HexDigest(c.computed);
    r.bytes_copied = c.db_size;
  }
  ASSIGN_OR_RETURN(auto reader, OpenSnapshotDb(path));
  RETURN_IF_ERROR(CheckStructure(*reader, "snapshot " + Quote(path)));
  r.revision = plan.new_revision;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

Result<Report> Execute(const Plan& plan, const std::function<void(const std::string&)>& on_step) {
  auto t0 = std::chrono::steady_clock::now();
  auto step = [&](const std::string& s) {
    if (on_step) on_step(s);
  };
  const Options& o = plan.options;
  Report r;

  // Time has passed since the plan: the targets must still be free.
  RETURN_IF_ERROR(CheckTarget("data-dir", plan.data_dir));
  if (plan.separate_wal_dir) RETURN_IF_ERROR(CheckTarget("wal-dir", plan.wal_dir));

  ASSIGN_OR_RETURN(StagingDir data_stage, StagingDir::Create(plan.data_dir));
  std::optional<StagingDir> wal_stage;
  if (plan.separate_wal_dir) {
    ASSIGN_OR_RETURN(StagingDir w, StagingDir::Create(plan.wal_dir));
    wal_stage.emplace(std::move(w));
  }
  const std::string snap_dir = JoinPath(data_stage.path(), "member/snap");
  const std::string wal_dir =
      plan.separate_wal_dir ? wal_stage->path() : JoinPath(data_stage.path(), "member/wal");
  RETURN_IF_ERROR(MakeDirs(snap_dir, 0700));
  RETURN_IF_ERROR(MakeDirs(wal_dir, 0700));

  // 1. Copy the db out of the snapshot while hashing it; verify the trailer. 2. Meanwhile,
  // a second reader checks the bbolt structure of the snapshot file itself, so the check
  // costs no time of its own. What ties the check to the copy: the copy's bytes hash to the
  // snapshot's trailer, and the file is the same before and after (inode, size, mtime and
  // ctime), so the checked bytes are the copied bytes.
  step("copying " + plan.snapshot_path + " and verifying its sha256, checking its bbolt structure");
  const std::string db_path = JoinPath(snap_dir, "db");
  {
    ASSIGN_OR_RETURN(UniqueFd src, OpenFile(o.snapshot_path, O_RDONLY));
    struct stat before{};
    if (::fstat(src.get(), &before) != 0) return Fail(ErrnoError("stat " + Quote(o.snapshot_path), errno));
    Status checked;
    std::jthread checker([&] {
      auto reader = bbolt::Reader::OpenFd(src.get(), o.snapshot_path);
      checked = reader ? CheckStructure(**reader, "snapshot " + Quote(o.snapshot_path)) : Status(Fail(reader.error()));
    });
    ASSIGN_OR_RETURN(UniqueFd dst, CreateExclusive(db_path, 0600, O_RDWR));  // hashed as written
    ASSIGN_OR_RETURN(uint64_t size_now, FileSize(src.get(), o.snapshot_path));
    if (size_now != plan.snapshot_size)
      return Fail(ErrorCode::kFailedPrecondition, "snapshot " + Quote(o.snapshot_path) +
                                                      " changed size while restoring (" +
                                                      std::to_string(plan.snapshot_size) + " -> " +
                                                      std::to_string(size_now) + " bytes); is it still being written?");
    snap::DbCopyOptions copt;
    copt.hash = !o.skip_hash_check;
    ASSIGN_OR_RETURN(snap::DbCopyResult c, snap::CopySnapshotDb(src.get(), o.snapshot_path, dst.get(), db_path, copt));
    if (auto st = snap::CheckSnapshotHash(c, o.skip_hash_check); !st)
      return Fail(st.error().Wrap("snapshot " + Quote(o.snapshot_path)));
    r.bytes_copied = c.db_size;
    r.hash_verified = c.hashed;
    if (c.hashed) r.sha256 = HexDigest(c.computed);
    RETURN_IF_ERROR(dst.Close(db_path));
    checker.join();
    RETURN_IF_ERROR(checked);
    struct stat after{};
    if (::fstat(src.get(), &after) != 0) return Fail(ErrnoError("stat " + Quote(o.snapshot_path), errno));
    if (after.st_ino != before.st_ino || after.st_size != before.st_size ||
        after.st_mtim.tv_sec != before.st_mtim.tv_sec || after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
        after.st_ctim.tv_sec != before.st_ctim.tv_sec || after.st_ctim.tv_nsec != before.st_ctim.tv_nsec) {
      return Fail(ErrorCode::kFailedPrecondition, "snapshot " + Quote(o.snapshot_path) +
                                                      " changed while restoring; is it still being written?");
    }
  }

  // 3. The db edits of etcdutl 3.5, as one bbolt transaction.
  step("writing membership and consistent index into the db");
  {
    ASSIGN_OR_RETURN(auto editor, bbolt::Editor::Open(db_path));
    RETURN_IF_ERROR(etcddb::TrimMembership(*editor));
    if (o.bump_revision > 0) {
      ASSIGN_OR_RETURN(etcddb::Revision bumped, etcddb::BumpRevision(*editor, o.bump_revision));
      r.revision = bumped.main;
    } else {
      r.revision = plan.snapshot_revision;
    }
    for (const auto& m : plan.cluster.members)
      RETURN_IF_ERROR(etcddb::AddMember(*editor, m.id, membership::MemberJson(m)));
    RETURN_IF_ERROR(etcddb::SetConsistentIndex(*editor, plan.commit_index, 1));
    RETURN_IF_ERROR(editor->Commit());
  }

  // 4. WAL and .snap.
  step("writing the WAL and the .snap file");
  RETURN_IF_ERROR(wal::WriteBootstrapWal(wal_dir, plan.cluster, plan.local_id, o.flavor));
  RETURN_IF_ERROR(snap::WriteRestoreSnap(snap_dir, plan.cluster));

  // 5. Into place: the wal dir first, so the data dir (what makes a restore look done)
  // appears last and complete. Both are synced first so that the two renames follow each
  // other closely; until the data dir is in place, an error or a signal takes the wal dir
  // back out (wal_stage's destructor / signal handler), so a rerun finds both targets free.
  step("moving the data dir into place");
  RETURN_IF_ERROR(data_stage.Sync());
  if (wal_stage) {
    RETURN_IF_ERROR(wal_stage->Sync());
    RETURN_IF_ERROR(wal_stage->CommitProvisionally());
  }
  {
    // The data dir's rename and the end of the wal dir's provisional commit are one step
    // for the signal cleanup: a SIGTERM between them would take the wal dir back out from
    // under a data dir already in place.
    ScopedHoldCleanupSignals hold;
    RETURN_IF_ERROR(data_stage.Commit());
    if (wal_stage) wal_stage->Keep();
  }
  step("done");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string DescribeMembers(const Plan& plan) {
  std::string s;
  for (const auto& m : plan.cluster.members) {
    s += "added member " + membership::IdString(m.id) + " [";
    for (size_t i = 0; i < m.peer_urls.size(); ++i) s += (i ? " " : "") + m.peer_urls[i];
    s += "] to cluster " + membership::IdString(plan.cluster.id) + "\n";
  }
  return s;
}

std::string NextSteps(const Plan& plan, bool dry_run) {
  const Options& o = plan.options;
  std::string s;
  if (plan.data_dir_defaulted)
    s += "note: no --data-dir given, so the data dir is \"" + o.name +
         ".etcd\" in the current directory, as etcdctl does; pass --data-dir to choose it\n";
  s += std::string(dry_run ? "would restore" : "restored") + " member " + o.name + " (" +
       membership::IdString(plan.local_id) + ") into data dir " + plan.data_dir + "\n";
  if (plan.separate_wal_dir) s += "wal dir: " + plan.wal_dir + "\n";
  s += "next: start etcd with --name=" + o.name + " --data-dir=" + plan.data_dir;
  if (plan.separate_wal_dir) s += " --wal-dir=" + plan.wal_dir;
  s += " --initial-advertise-peer-urls=" + o.initial_advertise_peer_urls + "\n";
  s += "      (the cluster, token and member IDs now come from the data dir; --initial-cluster* flags are ignored)\n";
  s += "      kubeadm: in /etc/kubernetes/manifests/etcd.yaml set the etcd-data volume's hostPath to " +
       plan.data_dir + "\n      (or keep the hostPath and restore into that path); the kubelet restarts etcd\n";
  return s;
}

}  // namespace etcdrestore::restore
