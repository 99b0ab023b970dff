// snapshot restore: etcdutl 3.5's restore (flags, defaults, validation, the data dir it
// writes, the member and cluster IDs), implemented by shared/restore, made safe: nothing
// is ever overwritten, the data dir appears in one rename only when complete, and its
// absolute path is printed with the next step. stdout stays empty like etcdctl's.
#include "etcdctl-ext/command.h"
#include "etcdctl-ext/etcdutl.h"
#include "shared/base/file.h"
#include "shared/restore/restore.h"

#include <fmt/format.h>

#include <chrono>
#include <functional>

namespace etcdrestore::etcdctl_ext {
namespace {

restore::Options g_opts;
int64_t g_bump = 0;
int64_t g_memory_map_size = 0;  // accepted for etcdutl compatibility; bbolt mapping is not used here
bool g_dry_run = false;
std::string g_etcd_version = "3.5";

}  // namespace

void AddRestoreFlags(cli::FlagSet& f) {
  f.AddString(
      "data-dir", 0, &g_opts.data_dir,
      "Path to the data directory (default: <name>.etcd in the current directory; its absolute path is printed)");
  f.AddString("wal-dir", 0, &g_opts.wal_dir, "Path to the WAL directory (use --data-dir if none given)");
  f.AddString("name", 0, &g_opts.name, "Human-readable name for this member");
  f.AddString("initial-cluster", 0, &g_opts.initial_cluster, "Initial cluster configuration for restore bootstrap");
  f.AddString("initial-cluster-token", 0, &g_opts.initial_cluster_token,
              "Initial cluster token for the etcd cluster during restore bootstrap");
  f.AddString("initial-advertise-peer-urls", 0, &g_opts.initial_advertise_peer_urls,
              "List of this member's peer URLs to advertise to the rest of the cluster");
  f.AddBool("skip-hash-check", 0, &g_opts.skip_hash_check,
            "Ignore snapshot integrity hash value (required if copied from data directory)");
  f.AddInt64("bump-revision", 0, &g_bump, "How much to increase the latest revision after restore");
  f.AddBool("mark-compacted", 0, &g_opts.mark_compacted,
            "Mark the latest revision after restore as the point of scheduled compaction (required if "
            "--bump-revision > 0, disallowed otherwise)");
  f.AddInt64("initial-memory-map-size", 0, &g_memory_map_size,
             "Accepted for etcdutl compatibility (etcdctl-ext never maps the db into memory)");
  f.AddBool("dry-run", 0, &g_dry_run,
            "Do every check (flags, targets, sha256, bbolt structure) and print what would be written");
  f.AddString("etcd-version", 0, &g_etcd_version,
              "Write the WAL the way this etcd writes it: 3.5 (etcdutl 3.5, default) or 3.4 (etcdctl 3.4); both "
              "versions start from either");
}

Result<int> RunRestore(CommandContext& ctx) {
  if (ctx.args.size() != 1)
    return Fail(ErrorCode::kInvalidArgument, "snapshot restore requires exactly one argument");
  if (g_bump < 0)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("--bump-revision must not be negative (got {})", g_bump));
  if (g_etcd_version == "3.5") {
    g_opts.flavor = wal::Flavor::kEtcd35;
  } else if (g_etcd_version == "3.4") {
    g_opts.flavor = wal::Flavor::kEtcd34;
  } else {
    return Fail(ErrorCode::kInvalidArgument, "--etcd-version must be 3.4 or 3.5, got \"" + g_etcd_version + "\"");
  }
  g_opts.bump_revision = static_cast<uint64_t>(g_bump);
  RETURN_IF_ERROR(restore::ValidateBumpFlags(g_opts.bump_revision, g_opts.mark_compacted));
  g_opts.snapshot_path = ctx.args[0];

  auto plan = restore::MakePlan(g_opts);
  if (!plan) {
    // etcdctl exits 1 for flag values it rejects while restoring (bad URLs, unknown
    // name); only argument-count and flag-pair errors are 128.
    if (plan.error().code() == ErrorCode::kInvalidArgument)
      return Fail(ErrorCode::kFailedPrecondition, plan.error().message());
    return Fail(plan.error());
  }
  for (const auto& stale : plan->removed_stale)
    WriteStderr(fmt::format("removed {}: the staging dir of an earlier restore that was killed\n", Quote(stale)));
  WriteStderr(fmt::format("restoring snapshot {} ({} bytes{}) into {}\n", plan->snapshot_path, plan->snapshot_size,
                          plan->has_trailer ? ", with sha256 trailer" : ", no trailer", plan->data_dir));
  WriteStderr(restore::DescribeMembers(*plan));
  if (g_dry_run) {
    ASSIGN_OR_RETURN(restore::Report r, restore::Verify(*plan));
    std::string msg = "dry run: snapshot verified (";
    msg += r.hash_verified ? "sha256 " + r.sha256 + ", " : "sha256 not checked, ";
    msg += fmt::format("bbolt structure ok, revision {}", plan->snapshot_revision);
    if (plan->new_revision != plan->snapshot_revision) msg += fmt::format(" -> {} after the bump", plan->new_revision);
    msg += "); would write:\n";
    for (const auto& f : plan->files) msg += "  " + (f[0] == '/' ? f : plan->data_dir + "/" + f) + "\n";
    WriteStderr(msg);
    WriteStderr(restore::NextSteps(*plan, true));
    return 0;
  }
  // --debug: each step with the time since the start (where a slow restore spends it).
  auto start = std::chrono::steady_clock::now();
  auto on_step = [&](const std::string& step) {
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WriteStderr(fmt::format("[{:7.3f}s] {}\n", t, step));
  };
  ASSIGN_OR_RETURN(
      restore::Report r,
      restore::Execute(*plan, ctx.global.debug ? std::function<void(const std::string&)>(on_step) : nullptr));
  if (g_opts.bump_revision > 0)
    WriteStderr(fmt::format("bumped revision {} -> {} and marked it compacted\n", plan->snapshot_revision, r.revision));
  WriteStderr(fmt::format("restored snapshot in {:.2f}s ({}, revision {})\n", r.seconds,
                          r.hash_verified ? "sha256 verified" : "sha256 not checked (--skip-hash-check)", r.revision));
  WriteStderr(restore::NextSteps(*plan, false));
  return 0;
}

namespace {

const bool kRegistered = RegisterCommand({
    .name = "snapshot restore",
    .usage = "etcdctl snapshot restore <filename> [options] [flags]",
    .summary = "Restores an etcd member snapshot to an etcd directory",
    .description =
        "\tetcdctl-ext writes what etcdutl 3.5 writes (same member and cluster IDs), safely:\n"
        "\t- the snapshot's sha256 and bbolt structure are verified before anything is written;\n"
        "\t- an existing non-empty --data-dir/--wal-dir, or the data dir of a running etcd, is refused\n"
        "\t  (etcdctl leaves a partial dir behind on errors; an empty dir, e.g. a mount point, is fine);\n"
        "\t- the data dir is built in a staging dir beside it and appears in one rename when complete;\n"
        "\t  a failure or a kill leaves nothing that looks usable, and a rerun works;\n"
        "\t- dirs are 0700, files 0600; the absolute data dir and the next step are printed on stderr.\n"
        "\t--bump-revision N --mark-compacted raise the revision by N and mark it compacted, so\n"
        "\tKubernetes watch caches relist after the restore (use at least the writes since the backup).\n",
    .uses_client = false,
    .add_flags = AddRestoreFlags,
    .run = RunRestore,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
