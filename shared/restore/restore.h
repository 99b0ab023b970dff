// shared/restore/restore.h
//
// `snapshot restore` as a value pipeline: Options -> MakePlan (every check that can be
// made before a byte is written) -> Execute (build the data dir in a staging dir beside
// the target, fsync, one rename). The steps and what they write are etcdutl 3.5's
// (etcdutl/snapshot/v3_snapshot.go: copy+verify, saveDB, bump, saveWALAndSnap,
// updateCIndex); the ordering and the refusals are ours (see README "Restore safety").
//
// A failure or a kill at any point leaves either nothing or a complete data dir: the
// staging dir is removed on error and on SIGINT/SIGTERM/SIGHUP, and a SIGKILLed run's
// staging dir is removed by the next run. With a separate wal dir, the wal dir is placed
// first and taken back out on error or signal until the data dir is in place; only a
// SIGKILL between those two renames (no fsync of data in between) can leave the wal dir
// holding the WAL without a data dir, which the rerun reports as a non-empty wal-dir.
// Memory stays flat whatever the snapshot size.
#ifndef ETCDRESTORE_SHARED_RESTORE_RESTORE_H_
#define ETCDRESTORE_SHARED_RESTORE_RESTORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shared/base/error.h"
#include "shared/membership/member.h"
#include "shared/wal/bootstrap.h"

namespace etcdrestore::restore {

// The flags of etcdutl 3.5 `snapshot restore`, with its defaults.
struct Options {
  std::string snapshot_path;
  std::string data_dir;  // empty: "<name>.etcd" in the current directory (etcdctl's default)
  std::string wal_dir;   // empty: <data_dir>/member/wal
  std::string name = "default";
  std::string initial_cluster = "default=http://localhost:2380";
  std::string initial_cluster_token = "etcd-cluster";
  std::string initial_advertise_peer_urls = "http://localhost:2380";
  bool skip_hash_check = false;
  uint64_t bump_revision = 0;  // requires mark_compacted (checked by ValidateBumpFlags)
  bool mark_compacted = false;
  wal::Flavor flavor = wal::Flavor::kEtcd35;
};

// etcdutl's pair rule: --bump-revision > 0 requires --mark-compacted and vice versa.
// The message is etcdutl's, flag name typo included, so scripts matching it keep working.
Status ValidateBumpFlags(uint64_t bump_revision, bool mark_compacted);

struct Plan {
  Options options;
  bool data_dir_defaulted = false;  // no --data-dir: "<name>.etcd" was chosen
  // Staging dirs of earlier restores into these targets that were killed, removed while
  // planning (see CheckTarget); the command says so.
  std::vector<std::string> removed_stale;
  std::string snapshot_path;        // absolute
  uint64_t snapshot_size = 0;
  bool has_trailer = false;         // size % 512 == 32: a `snapshot save` file
  uint64_t db_size = 0;             // bbolt bytes (snapshot_size - 32 with a trailer)
  uint32_t page_size = 0;
  std::string data_dir;             // absolute
  std::string wal_dir;              // absolute
  bool separate_wal_dir = false;
  std::string snap_dir;             // <data_dir>/member/snap
  membership::Cluster cluster;      // members ascending by id
  uint64_t local_id = 0;
  uint64_t commit_index = 0;        // number of members: consistent_index, WAL commit
  int64_t snapshot_revision = 0;    // latest revision in the snapshot's `key` bucket
  int64_t new_revision = 0;         // after the bump (== snapshot_revision without one)
  // Files Execute writes, relative to data_dir (wal file absolute if separate_wal_dir).
  std::vector<std::string> files;
};

// Validates the flags like etcd (URLs, name in cluster, advertise URLs match, duplicate
// URLs, member IDs), refuses existing non-empty targets and a data dir of a running etcd,
// opens the snapshot and reads its bbolt meta pages and latest revision. Writes nothing.
Result<Plan> MakePlan(const Options& options);

struct Report {
  uint64_t bytes_copied = 0;
  bool hash_verified = false;
  std::string sha256;  // hex of the db bytes, when verified
  int64_t revision = 0;
  double seconds = 0;
};

// Reads the snapshot once: verifies the sha256 trailer (unless skip_hash_check) and the
// bbolt structure. This is all of --dry-run's checking; Execute does the same checks
// on its staged copy.
Result<Report> Verify(const Plan& plan);

// Writes the data dir described by plan. Re-checks the targets first (time passed).
// on_step, if set, receives a short line per step ("copying and verifying ...").
Result<Report> Execute(const Plan& plan, const std::function<void(const std::string&)>& on_step = {});

// The human-readable lines for the operator after a restore (or a dry run): the
// absolute data dir, the member and cluster IDs, and the next step (etcd flags and the
// kubeadm static pod's etcd-data hostPath).
std::string DescribeMembers(const Plan& plan);
std::string NextSteps(const Plan& plan, bool dry_run);

}  // namespace etcdrestore::restore

#endif  // ETCDRESTORE_SHARED_RESTORE_RESTORE_H_
