// kubectl etcdrestore plan: node-specific restore steps for every etcd member, from the
// live API, a sidecar (`--from PATH.json`, written by save) or manifests copied from the
// nodes (`--manifest NODE=FILE`), for one snapshot (`--snapshot PATH`). Planning and
// rendering are shared/plan; this file reads the inputs, hashes the snapshot and writes.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/output.h"
#include "shared/base/file.h"
#include "shared/base/sha256.h"
#include "shared/base/strings.h"
#include "shared/bbolt/reader.h"
#include "shared/etcddb/schema.h"
#include "shared/kube/discover.h"
#include "shared/plan/plan.h"
#include "shared/plan/render.h"
#include "shared/topology/sidecar.h"
#include "shared/topology/topology.h"

namespace etcdrestore::kubectl_plugin {
namespace {

struct PlanFlags {
  std::string from;
  std::vector<std::string> manifests;
  std::vector<std::string> manifests_dirs;
  std::string manifest_name;
  std::string snapshot;
  std::string node_snapshot;
  std::string output = "runbook";
  std::string out_dir;
  std::string restore_tool = "etcdctl-ext";
  bool no_bump = false;
  uint64_t bump_revision = 0;
  bool in_place = false;
  std::string leader;
  std::string token;
  std::string etcdctl_ext;
  std::string etcdutl = "etcdutl";
  std::string etcdctl = "etcdctl";
  std::vector<std::string> members;
  std::vector<std::string> replace;
  bool learners_as_voters = false;
};

// The members the snapshot itself records (its db's "members" bucket: json.Marshal of
// etcd's membership.Member). Empty when the bucket is missing or empty (no cross-check).
Result<std::vector<plan::RecordedMember>> SnapshotMembers(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, bbolt::Reader::Open(path));
  ASSIGN_OR_RETURN(auto bucket, reader->FindBucket(etcddb::kMembersBucket));
  std::vector<plan::RecordedMember> out;
  if (!bucket) return out;
  Status st = reader->ForEach(*bucket, [&](const bbolt::Entry& e) -> Status {
    if (e.is_bucket()) return {};
    const auto j = nlohmann::json::parse(e.value, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      return Fail(ErrorCode::kCorruption, "plan: " + path + ": a member in the members bucket is not JSON");
    plan::RecordedMember m;
    if (auto n = j.find("name"); n != j.end() && n->is_string()) m.name = n->get<std::string>();
    if (auto u = j.find("peerURLs"); u != j.end() && u->is_array())
      for (const auto& x : *u)
        if (x.is_string()) m.peer_urls.push_back(x.get<std::string>());
    if (auto l = j.find("isLearner"); l != j.end() && l->is_boolean()) m.is_learner = l->get<bool>();
    out.push_back(std::move(m));
    return {};
  });
  RETURN_IF_ERROR(st);
  return out;
}


// etcdctl-ext beside this binary (krew installs both into one dir), else the bare name.
Result<std::pair<std::string, std::string>> SplitPair(const std::string& flag, const std::string& value) {
  auto eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size())
    return Fail(ErrorCode::kInvalidArgument, flag + " wants NODE=PATH, got \"" + value + "\"");
  return std::make_pair(value.substr(0, eq), value.substr(eq + 1));
}

// Writes the scripts into out_dir: all of them, or (on any error) none. The dir holds what
// root runs later on the nodes, so it must be missing (made 0700 here) or a real directory
// of ours: not a symlink, not another user's (who could edit the scripts before they run).
Status WriteScripts(const std::string& out_dir, const std::vector<plan::File>& files) {
  struct stat st{};
  const bool existed = ::lstat(out_dir.c_str(), &st) == 0;
  if (existed && (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()))
    return Fail(ErrorCode::kFailedPrecondition,
                "plan: --out-dir " + Quote(out_dir) + " is " + DescribePath(out_dir) +
                    "; scripts go only into a new directory or one of your own (use a new --out-dir)");
  for (const auto& file : files) {
    const std::string path = JoinPath(out_dir, file.name);
    if (PathExists(path))
      return Fail(ErrorCode::kAlreadyExists, "plan: " + Quote(path) + " exists (" + DescribePath(path) +
                                                 "); not overwriting it (use a new --out-dir)");
  }
  // A new out dir is made exclusively (MakeDir): one that someone else creates between the
  // check above and now is an error, never a dir of theirs used.
  Status made;
  if (!existed) {
    made = MakeDirs(DirName(AbsolutePath(out_dir)), 0700);
    if (made) made = MakeDir(out_dir, 0700);
  }
  if (!made) return Fail(std::move(made).error().Wrap("plan"));
  std::vector<std::string> written;
  for (const auto& file : files) {
    const std::string path = JoinPath(out_dir, file.name);
    if (auto w = WriteNewFile(path, file.content, file.executable ? 0755 : 0644); !w) {
      for (const auto& p : written) ::unlink(p.c_str());
      if (!existed) ::rmdir(out_dir.c_str());
      return Fail(std::move(w).error().Wrap("plan: writing the scripts (none were kept)"));
    }
    written.push_back(path);
  }
  return {};
}

RunResult RunPlan(const PlanFlags& f, const GlobalFlags& global) {
  if (f.output != "runbook" && f.output != "script" && f.output != "json")
    return Fail(ErrorCode::kInvalidArgument, "plan: -o must be runbook, script or json, got \"" + f.output + "\"");
  if (f.output == "script" && f.out_dir.empty())
    return Fail(ErrorCode::kInvalidArgument, "plan: -o script needs --out-dir DIR");
  if (!f.from.empty() && !f.manifests.empty())
    return Fail(ErrorCode::kInvalidArgument, "plan: give either --from or --manifest, not both");
  if (f.no_bump && f.bump_revision > 0)
    return Fail(ErrorCode::kInvalidArgument, "plan: --no-bump and --bump-revision contradict each other");

  plan::Options o;
  if (f.restore_tool == "etcdctl-ext") {
    o.tool = plan::RestoreTool::kEtcdctlExt;
  } else if (f.restore_tool == "etcdutl") {
    o.tool = plan::RestoreTool::kEtcdutl;
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                "plan: --restore-tool must be etcdctl-ext or etcdutl, got \"" + f.restore_tool + "\"");
  }
  // The sidecar first: a missing --from file is named as such, not as the snapshot path
  // derived from it.
  std::optional<topology::Sidecar> sidecar;
  if (!f.from.empty()) {
    ASSIGN_OR_RETURN(sidecar, topology::ReadSidecar(f.from));
  }
  std::string snapshot = f.snapshot;
  if (snapshot.empty() && f.from.size() > 5 && f.from.ends_with(".json"))
    snapshot = f.from.substr(0, f.from.size() - 5);
  if (snapshot.empty()) return Fail(ErrorCode::kInvalidArgument, "plan: --snapshot PATH is required");
  ASSIGN_OR_RETURN(Sha256Digest digest, Sha256File(snapshot));
  o.snapshot_sha256 = HexDigest(digest);
  // On the nodes: where --node-snapshot-path says, else beside the scripts in the bundle (the
  // planning machine's path means nothing there).
  o.snapshot_path = f.node_snapshot.empty() ? BaseName(snapshot) : f.node_snapshot;
  if (!f.node_snapshot.empty() && f.node_snapshot[0] != '/')
    return Fail(ErrorCode::kInvalidArgument,
                "plan: --node-snapshot-path must be absolute, got \"" + f.node_snapshot +
                    "\" (without it the scripts use the snapshot beside them in the plan bundle)");
  o.now = NowUtc();
  o.bump = !f.no_bump;
  o.bump_revision = f.bump_revision;
  o.in_place = f.in_place;
  o.leader = f.leader;
  o.manifest_file = f.manifest_name;
  o.token = f.token;
  // etcdctl-ext on the nodes: the copy in the bundle unless --etcdctl-ext names another.
  o.etcdctl_ext_path = f.etcdctl_ext.empty() ? "etcdctl-ext" : f.etcdctl_ext;
  o.members = f.members;
  for (const auto& spec : f.replace) {
    ASSIGN_OR_RETURN(plan::Replacement r, plan::ParseReplacement(spec));
    o.replace.push_back(std::move(r));
  }
  o.learners_as_voters = f.learners_as_voters;
  o.etcdutl_path = f.etcdutl;
  o.etcdctl_path = f.etcdctl;
  for (const auto& d : f.manifests_dirs) {
    if (d.find('=') == std::string::npos) {
      o.manifests_dirs[""] = d;
    } else {
      ASSIGN_OR_RETURN(auto kv, SplitPair("--manifests-dir", d));
      o.manifests_dirs[kv.first] = kv.second;
    }
  }

  plan::Input input;
  std::vector<std::pair<std::string, std::string>> manifest_texts;  // node, text
  if (sidecar) {
    input = plan::FromSidecar(*sidecar, "sidecar " + AbsolutePath(f.from));
  } else if (!f.manifests.empty()) {
    std::vector<topology::EtcdMember> members;
    for (const auto& spec : f.manifests) {
      ASSIGN_OR_RETURN(auto kv, SplitPair("--manifest", spec));
      ASSIGN_OR_RETURN(std::string text, ReadFile(kv.second));
      auto m = topology::ParseEtcdPod(text);
      if (!m) return Fail(std::move(m).error().Wrap("plan: --manifest " + spec));
      m->pod.node = kv.first;
      m->pod.manifest_path = kv.second;
      members.push_back(std::move(*m));
      manifest_texts.emplace_back(kv.first, std::move(text));
    }
    input = plan::FromManifests(std::move(members));
  } else {
    ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, global.NewClient());
    auto t = kube::Discover(*client);
    if (!t) return Fail(std::move(t).error().Wrap("plan: reading the control plane from the API (when it is down, "
                                                  "use --from SNAPSHOT.json or --manifest NODE=FILE)"));
    input = plan::FromTopology(*t, "api server " + client->ServerAddress());
  }

  {
    auto recorded = SnapshotMembers(snapshot);
    if (!recorded) {
      // Not an etcd db: nothing to cross-check against (the check phase refuses the file
      // on the nodes); said in the plan's notes.
      input.notes.push_back("the snapshot's member list could not be read (" + recorded.error().message() +
                            "), so the plan's members were not cross-checked against it; the check phase "
                            "refuses a snapshot that etcdctl-ext snapshot status cannot read");
    } else if (!recorded->empty()) {
      input.snapshot_members = std::move(*recorded);
      input.snapshot_members_source = "the snapshot's member list (" + AbsolutePath(snapshot) + ")";
    }
  }
  ASSIGN_OR_RETURN(plan::Plan p, plan::MakePlan(input, o));
  // A copied manifest must take the planned edits now, not at 3 a.m. on the node.
  for (const auto& [node, text] : manifest_texts) {
    for (const auto& n : p.nodes) {
      if (n.node != node) continue;
      auto edited = plan::ApplyEdits(text, n.edits);
      if (!edited)
        return Fail(std::move(edited).error().Wrap("plan: --manifest " + node + ": re-pointing the data dir"));
    }
  }

  if (f.output == "runbook") {
    std::fputs(plan::RenderRunbook(p).c_str(), stdout);
  } else if (f.output == "json") {
    std::fputs(plan::RenderJson(p).c_str(), stdout);
  } else {
    ASSIGN_OR_RETURN(auto files, plan::RenderScripts(p));
    if (o.tool == plan::RestoreTool::kEtcdctlExt && f.etcdctl_ext.empty()) {
      // The bundle carries the etcdctl-ext the scripts run, with its sha256.
      const std::string exe = InstalledEtcdctlExt();
      auto bin = ReadFile(exe);
      if (!bin)
        return Fail(std::move(bin).error().Wrap("plan: the bundle needs etcdctl-ext, looked for beside this plugin "
                                                "(" + exe + "); install it there, or pass --etcdctl-ext PATH (its path "
                                                "on the nodes)"));
      Sha256 h;
      h.Update(bin->data(), bin->size());
      const std::string sum = HexDigest(h.Final());
      files.push_back({"etcdctl-ext", std::move(*bin), true});
      files.push_back({"etcdctl-ext.sha256", sum + "  etcdctl-ext\n", false});
    }
    RETURN_IF_ERROR(WriteScripts(f.out_dir, files));
    std::printf("plan %s: wrote %zu scripts, README.md and plan.json to %s; run the phases in the order README.md "
                "gives\n",
                p.id.c_str(), p.nodes.size(), AbsolutePath(f.out_dir).c_str());
  }
  return 0;
}

Runner Setup(CLI::App& sub, const GlobalFlags& global) {
  auto f = std::make_shared<PlanFlags>();
  sub.add_option("--from", f->from, "Plan from the sidecar PATH.json written by save (works with the API down)");
  sub.add_option("--manifest", f->manifests,
                 "NODE=FILE: an etcd static pod manifest copied from NODE (repeat for every member)");
  sub.add_option("--manifests-dir", f->manifests_dirs,
                 "DIR or NODE=DIR: the kubelet's static pod dir on the nodes (needed with --manifest)");
  sub.add_option("--etcd-manifest-name", f->manifest_name,
                 "File name of the etcd manifest on the nodes (default: that of the --manifest copy, or the API's)");
  sub.add_option("--snapshot", f->snapshot, "The snapshot file to restore (default: --from without .json)");
  sub.add_option("--node-snapshot-path", f->node_snapshot,
                 "Where the snapshot will be on the nodes, absolute (default: beside the scripts in the bundle, "
                 "under the --snapshot file's name)");
  sub.add_option("-o,--output", f->output, "runbook (default), script (with --out-dir) or json");
  sub.add_option("--out-dir", f->out_dir, "Directory for -o script: one script per node and README.md");
  sub.add_option("--restore-tool", f->restore_tool, "etcdctl-ext (default) or etcdutl (stock etcdutl 3.5+)");
  sub.add_flag("--no-bump", f->no_bump, "Do not raise the revision (not advised: caches may keep stale objects)");
  sub.add_option("--bump-revision", f->bump_revision, "Raise the revision by exactly N (default: sized by the plan)");
  sub.add_flag("--in-place", f->in_place, "Restore at the original data dir path (the old data is still moved aside)");
  sub.add_option("--leader", f->leader, "The current leader member: stopped and restored last");
  sub.add_option("--initial-cluster-token", f->token, "The new cluster token (default: etcdrestore-<plan id>)");
  sub.add_option("--etcdctl-ext", f->etcdctl_ext,
                 "etcdctl-ext path on the nodes, absolute or relative to the bundle (default: the copy of the "
                 "etcdctl-ext beside this plugin that -o script puts into the bundle)");
  sub.add_option("--etcdutl", f->etcdutl, "etcdutl path on the nodes (with --restore-tool etcdutl)");
  sub.add_option("--etcdctl", f->etcdctl, "etcdctl path on the nodes (checks, with --restore-tool etcdutl)");
  sub.add_option("--members", f->members,
                 "NAME,...: restore only these members, on purpose (the others are left out; by default every "
                 "member the snapshot lists must be in the plan)")
      ->delimiter(',');
  sub.add_option("--replace", f->replace,
                 "OLD=NEW=PEER_URL: the lost member OLD is not restored; NEW (its new machine, at PEER_URL) takes "
                 "its slot in the restored cluster and joins afterwards (repeatable; the runbook's join steps)");
  sub.add_flag("--learners-as-voters", f->learners_as_voters,
               "Restore members that are learners in the snapshot as voters (otherwise refused)");
  return [f, &global]() -> RunResult { return RunPlan(*f, global); };
}

const bool kRegistered = RegisterCommand(
    {"plan", "Write node-specific restore steps (runbook, scripts or JSON) for a snapshot", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
