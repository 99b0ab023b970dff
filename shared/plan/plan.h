// shared/plan/plan.h
//
// Restore planning: what each control-plane node must do to bring the etcd cluster back
// from one snapshot. Pure: inputs (a topology from the API, a sidecar PATH.json, or static
// pod manifests copied from the nodes) and options in, a Plan value out. Nothing here
// touches the disk or the network; the renderers (render.h) turn a Plan into a runbook for
// a person, POSIX sh scripts, or JSON.
//
// What a plan guarantees (the pain points it exists for):
//   - every member restores the same snapshot (its sha256 is in every step that reads it)
//     with its own --name and --initial-advertise-peer-urls, one shared --initial-cluster
//     listing every member, and one new --initial-cluster-token;
//   - static pods are stopped by moving every manifest OUT of the manifests dir into a
//     sibling "stash" dir (the kubelet runs any file left inside it, backups included);
//   - the old data dir is moved aside, never deleted;
//   - by default the restore goes into a new dir and the etcd manifest is re-pointed at it
//     (the data volume's hostPath, and --data-dir and the mountPath when kubeadm wrote them
//     as the same path); with in_place the restore goes to the original path;
//   - the revision is bumped and marked compacted unless the caller opts out, so watch
//     caches and informers re-list instead of serving stale data;
//   - a --wal-dir is restored (the restore's --wal-dir) and re-pointed like the data dir;
//   - every path, port and name comes from the input; where the input cannot say (copied
//     manifests, no kubelet-config ConfigMap) kubeadm's /etc/kubernetes/manifests/etcd.yaml
//     is assumed and a note says so;
//   - the members are cross-checked against the snapshot's own member list;
//   - a lost machine is handled on purpose: Options::members restores a subset,
//     Options::replace gives a lost member's slot to a new machine (NEW=URL in every
//     --initial-cluster, unstarted until it joins); Plan::joins has the join steps;
//   - the scripts' text is templates/node.sh (template.h), the plan only decides its values.
//
// MakePlan refuses (kInvalidArgument / kFailedPrecondition, before anything is touched):
// a member named in some --initial-cluster or in the snapshot's member list with no node
// in the input (unless Options::members names the subset on purpose), a learner without
// Options::learners_as_voters, a member with no node name, no data dir behind a hostPath
// volume, a snapshot sha256 that differs from the one recorded in the sidecar, conflicting
// peer URLs, a --replace of an unknown member or one that is also restored, a replacement
// whose name or peer URL another member has, a restore too small to reach quorum.
#ifndef ETCDRESTORE_SHARED_PLAN_PLAN_H_
#define ETCDRESTORE_SHARED_PLAN_PLAN_H_

#include <cstdint>
#include <map>
#include <string_view>
#include <string>
#include <vector>

#include "shared/base/error.h"
#include "shared/topology/sidecar.h"
#include "shared/topology/topology.h"

namespace etcdrestore::plan {

// The smallest bump ever planned: the etcd recovery guide's 1e9 ("covers a week at
// <1500 writes/s").
inline constexpr uint64_t kMinBump = 1000000000;
// The write rate assumed when sizing a bump from a snapshot's age.
inline constexpr uint64_t kAssumedWritesPerSecond = 1500;

enum class RestoreTool { kEtcdctlExt, kEtcdutl };

// `--replace OLD=NEW=PEER_URL`: the lost member OLD gets a new machine; the member NEW with
// PEER_URL takes its slot in the restored cluster.
struct Replacement {
  std::string old_name;
  std::string name;
  std::string peer_url;  // etcd's URL form (membership::ParsePeerUrls): http(s)://host:port
};

// Parses `OLD=NEW=PEER_URL` (kInvalidArgument naming what is wrong: a missing part, a name
// with ',' or '=' or a newline, a URL that is not http(s)://host:port as etcd wants).
Result<Replacement> ParseReplacement(std::string_view spec);
enum class InputKind { kApi, kSidecar, kManifests };

// A member as the snapshot itself records it (its db's "members" bucket), or as the sidecar
// recorded it at save time: what the plan's members are cross-checked against.
struct RecordedMember {
  std::string name;  // may be empty (a member that never started)
  std::vector<std::string> peer_urls;
  bool is_learner = false;
};

// What the plan is made from; build with FromTopology / FromSidecar / FromManifests.
struct Input {
  InputKind kind = InputKind::kManifests;
  std::string source;  // for the record: "sidecar /b/snap.db.json", "api server 10.0.0.1:6443"
  std::vector<topology::EtcdMember> members;  // pod.node must be set
  std::vector<topology::ApiServer> apiservers;
  std::vector<std::string> notes;  // problems found while reading the input
  // From a sidecar: the snapshot as recorded at save time (empty/0 when unknown).
  std::string recorded_sha256;
  int64_t recorded_revision = 0;
  std::string recorded_created;  // RFC 3339 UTC
  // The cluster's members as the snapshot records them (the caller reads the db's
  // "members" bucket; FromSidecar fills them from the sidecar). Empty: not known, no
  // cross-check (a note says so).
  std::vector<RecordedMember> snapshot_members;
  std::string snapshot_members_source;  // "the snapshot's members bucket", "sidecar ..."
};

Input FromTopology(const topology::Topology& t, std::string source);
Input FromSidecar(const topology::Sidecar& s, std::string source);
// members: manifests parsed with topology::ParseEtcdPod; node names are taken from
// pod.node, which the caller sets from `--manifest NODE=FILE`.
Input FromManifests(std::vector<topology::EtcdMember> members);

// kubeadm's static pod dir and etcd manifest, assumed (with a note) when the input does not
// say (copied manifests, or no readable kubelet-config ConfigMap).
inline constexpr char kKubeadmManifestsDir[] = "/etc/kubernetes/manifests";
inline constexpr char kKubeadmEtcdManifest[] = "etcd.yaml";

struct Options {
  // Where the snapshot is on the nodes: absolute, or relative to the plan bundle dir (the
  // dir of the scripts), e.g. "snap.db" copied beside them.
  std::string snapshot_path;
  std::string snapshot_sha256;  // hex sha256 of the whole snapshot file (caller computes)
  std::string now;              // RFC 3339 UTC, e.g. "2024-05-01T12:00:00Z"
  RestoreTool tool = RestoreTool::kEtcdctlExt;
  bool bump = true;             // false: --no-bump
  uint64_t bump_revision = 0;   // > 0: use exactly this bump
  bool in_place = false;
  std::string leader;           // member to stop and restore last; empty: unknown
  std::string token;            // new --initial-cluster-token; empty: derived from the plan id
  // Static pod dir per node name; the key "" applies to every node. Overrides the dir of
  // the member's pod.manifest_path.
  std::map<std::string, std::string> manifests_dirs;
  // File name of the etcd manifest in that dir; empty: the base name of pod.manifest_path
  // from the API or a sidecar, kKubeadmEtcdManifest for copied manifests (a copy's own name
  // says nothing about the node).
  std::string manifest_file;
  // Default of ETCDCTL_EXT in the scripts: absolute, or relative to the plan bundle dir
  // ("etcdctl-ext": the copy `plan -o script` puts beside the scripts).
  std::string etcdctl_ext_path = "etcdctl-ext";
  std::string etcdutl_path = "etcdutl";          // default of ETCDUTL
  std::string etcdctl_path = "etcdctl";          // default of ETCDCTL (etcdutl tool only)
  // The members to restore, named on purpose (`--members a,b`): the others (in the input's
  // --initial-cluster or the snapshot's member list) are left out with a note. Empty:
  // every member of the snapshot must be in the plan.
  std::vector<std::string> members;
  // Restore members that are learners in the snapshot as voters (a restore cannot make
  // learners); without it such a member is refused.
  bool learners_as_voters = false;
  // Lost members given a new machine (`--replace OLD=NEW=URL`, ParseReplacement): OLD is not
  // restored; NEW takes its slot in the restored cluster (NEW=URL in --initial-cluster), to
  // join afterwards (Plan::joins has the steps).
  std::vector<Replacement> replace;
};

// One change to the etcd manifest. `field` is "hostPath", "mountPath", "--data-dir" or
// "--wal-dir".
struct ManifestEdit {
  std::string field;
  std::string volume;  // the data volume's name for hostPath/mountPath
  std::string from;
  std::string to;
};

// One step for a person: what to do, why, and the commands (host paths, no variables).
struct Step {
  std::string phase;  // "check", "stop", "restore", "start", "verify", "finish"
  std::string title;
  std::string why;
  std::vector<std::string> commands;
};

struct NodePlan {
  int order = 0;       // 1-based position in the run order
  std::string node;
  std::string member;  // --name
  bool leader = false;
  std::string etcd_version;  // from the image, may be empty
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  std::string container;      // container name for crictl ("etcd")
  std::string manifests_dir;  // static pod dir (host)
  std::string manifest_file;  // base name of the etcd manifest ("etcd.yaml")
  std::string stash_dir;      // where manifests wait while etcd is stopped (host, outside)
  std::string data_dir;       // host path of the current data dir
  std::string aside_dir;      // where the current data dir is moved (kept)
  std::string restore_dir;    // host path the snapshot is restored into
  // With --wal-dir in the manifest (else empty): its host path, where it is moved, where the
  // restore writes it (--wal-dir of the restore).
  std::string wal_dir;
  std::string wal_aside_dir;
  std::string wal_restore_dir;
  std::string volume;         // name of the hostPath volume behind --data-dir
  std::vector<ManifestEdit> edits;  // empty with in_place
  // etcdctl TLS files for health and member checks (host paths; empty on http).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::vector<std::string> restore_args;  // argv after the tool name, without --dry-run
  std::vector<Step> steps;
};

// A member that joins the restored cluster afterwards, with its node's steps.
struct Joining {
  std::string name;       // the member (NEW of --replace, or the left-out member)
  std::string peer_url;   // empty for a left-out member (its new URL is not known yet)
  std::string replaces;   // the lost member (--replace), empty for --members
  std::string old_node;   // the lost member's node (its Node object to delete), may be empty
  bool in_cluster = false;  // true: already a member of the restored cluster (--replace)
};

struct Plan {
  std::string id;       // "20240501-120000": names the stash, aside and restore dirs
  std::string created;  // Options::now
  InputKind input = InputKind::kManifests;
  std::string source;
  RestoreTool tool = RestoreTool::kEtcdctlExt;
  std::string snapshot_path;
  std::string snapshot_sha256;
  int64_t snapshot_revision = 0;     // 0: unknown
  std::string snapshot_created;      // "": unknown
  std::string initial_cluster;
  std::string token;
  uint64_t bump = 0;                 // 0: no bump
  std::string bump_reason;
  bool in_place = false;
  std::string etcdctl_ext_path, etcdutl_path, etcdctl_path;
  std::vector<std::string> left_out;  // members not restored (--members), with a join note
  std::vector<Replacement> replaced;  // --replace, by old name
  std::vector<Joining> joins;            // members to join afterwards: replacements, then left out
  // The member list the restored cluster must have (the verify phase checks it), by name.
  std::vector<RecordedMember> expected_members;
  // The command that points kubeadm-config's etcd.local.dataDir at the restored dir (run
  // once with kubectl), empty when the data dir keeps its path or the nodes differ.
  std::string kubeadm_config_command;
  std::vector<NodePlan> nodes;       // run order; the leader (if known) last
  std::vector<Step> cluster_steps;   // after every node's steps
  std::vector<std::string> notes;    // input problems and warnings, for the person
};

Result<Plan> MakePlan(const Input& input, const Options& options);

// The bump for a snapshot of `revision` taken `age_seconds` ago (either may be unknown,
// < 0): max(kMinBump, 2 * (revision + kAssumedWritesPerSecond * age)), rounded up to a
// multiple of 1e8. `reason` explains the number in one sentence.
uint64_t SizeBump(int64_t revision, int64_t age_seconds, std::string* reason);

// Seconds from `from` to `to` (RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ", fractions allowed);
// kInvalidArgument on other text.
Result<int64_t> SecondsBetween(const std::string& from, const std::string& to);

// Applies the edits to manifest text as edit_manifest of templates/edit_manifest.sh does in
// the node scripts (one edit description, two implementations compared on the same
// manifests by tests/unit/plan; line-wise: a
// `hostPath`/`mountPath` edit rewrites lines `path: FROM` / `mountPath: FROM`, quoted or
// not, YAML or JSON; a `--data-dir` edit rewrites the word `--data-dir=FROM`). Fails with
// kFailedPrecondition unless exactly one line changes per edit, naming the edit that did
// not apply. Used by tests and by `plan` to check a manifest given with --manifest.
Result<std::string> ApplyEdits(const std::string& manifest, const std::vector<ManifestEdit>& edits);

std::string ToolName(RestoreTool t);
std::string InputKindName(InputKind k);

}  // namespace etcdrestore::plan

#endif  // ETCDRESTORE_SHARED_PLAN_PLAN_H_
