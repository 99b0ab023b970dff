#include "shared/plan/render.h"

#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/base/strings.h"
#include "shared/plan/template.h"

namespace etcdrestore::plan {
namespace {

std::string ScriptName(const std::string& node) {
  std::string out = "etcdrestore-";
  for (char c : node) {
    bool ok = isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out + ".sh";
}

std::string BundleText(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  return "<plan bundle dir>/" + path;
}

std::string Wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out, line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    if (sp == std::string::npos) sp = text.size();
    std::string word = text.substr(pos, sp - pos);
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    pos = sp + 1;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}


std::string Facts(const Plan& p) {
  std::string o;
  o += "Plan " + p.id + " (made " + p.created + " from " + p.source + ")\n\n";
  o += "Snapshot:      " + BundleText(p.snapshot_path) + "  (on the nodes; the scripts' SNAPSHOT)\n";
  o += "  sha256       " + p.snapshot_sha256 + "\n";
  if (p.snapshot_revision > 0) o += "  revision     " + std::to_string(p.snapshot_revision) + "\n";
  if (!p.snapshot_created.empty()) o += "  saved        " + p.snapshot_created + "\n";
  o += "Restore tool:  " + ToolName(p.tool) + "  (" +
       (p.tool == RestoreTool::kEtcdctlExt ? BundleText(p.etcdctl_ext_path) + " on the nodes; the scripts' ETCDCTL_EXT"
                                           : p.etcdutl_path + " on the nodes; the scripts' ETCDUTL") +
       ")\n";
  o += "  relative paths are relative to the plan bundle dir (the dir of the scripts, README.md and plan.json)\n";
  o += "Members:       " + std::to_string(p.nodes.size()) +
       (p.replaced.empty() ? "" : " restored + " + std::to_string(p.replaced.size()) + " joining later") +
       " (a new cluster; every restored member restores the same snapshot)\n";
  o += "  --initial-cluster       " + p.initial_cluster + "\n";
  o += "  --initial-cluster-token " + p.token + " (new: the restored cluster must not meet the old one)\n";
  if (!p.left_out.empty()) o += "  left out on purpose      " + Join(p.left_out, ", ") + " (--members)\n";
  for (const auto& r : p.replaced)
    o += "  replaced                 " + r.old_name + " by " + r.name + " " + r.peer_url +
         " (in the cluster, joins afterwards)\n";
  if (p.bump > 0) {
    o += "Revision bump: --bump-revision " + std::to_string(p.bump) + " --mark-compacted\n";
    o += Wrap("The restored data goes back in time. Raising every revision past what the old cluster ever handed "
              "out, and marking it compacted, makes every watch of the kube-apiserver, controllers and informers "
              "fail with \"compacted\" and re-list, instead of keeping objects newer than the snapshot in their "
              "caches. Size: " + p.bump_reason + ".",
              100, "  ");
  } else {
    o += "Revision bump: none\n";
    o += Wrap(p.bump_reason + ".", 100, "  ");
  }
  o += "Data dirs:     " + std::string(p.in_place ? "restored at the original path (--in-place); the old data is "
                                                    "moved aside first"
                                                  : "restored into a new dir; the etcd manifest is re-pointed at it; "
                                                    "the old data is moved aside") +
       "\n";
  if (!p.notes.empty()) {
    o += "\nNotes from the input:\n";
    for (const auto& n : p.notes) o += Wrap("- " + n, 100, "  ");
  }
  o += "\nOrder: do each step on every node before the next step:\n";
  std::string nodes;
  for (const auto& n : p.nodes) nodes += (n.order > 1 ? ", " : "") + n.node + (n.leader ? " (leader)" : "");
  o += "  1. check    on " + nodes + "\n";
  o += "  2. stop     on " + nodes + "  (all members stop before any is restored; the leader last)\n";
  o += "  3. restore  on " + nodes + "\n";
  o += "  4. start    on " + nodes + "\n";
  o += "  5. verify   the etcd cluster (once every member is started)\n";
  o += "  6. finish   on " + nodes + ", then restart the kubelet on every worker node\n";
  int next = 7;
  if (!p.joins.empty()) {
    std::vector<std::string> names;
    for (const auto& j : p.joins) names.push_back(j.name);
    o += "  " + std::to_string(next++) + ". join     " + Join(names, ", ") + ", one at a time\n";
  }
  o += "  " + std::to_string(next) + ". after    look for stale objects (kubectl etcdrestore verify, finish)\n";
  return o;
}

void Steps(std::string& o, const std::vector<Step>& steps, int first_number) {
  int i = first_number;
  for (const auto& s : steps) {
    o += "\n" + std::to_string(i++) + ". " + s.phase + ": " + s.title + "\n";
    o += Wrap(s.why + ".", 100, "   ");
    for (const auto& c : s.commands) o += (c.rfind("#", 0) == 0 ? "     " : "   $ ") + c + "\n";
  }
}

}  // namespace

std::string RenderRunbook(const Plan& p) {
  std::string o = "etcd restore runbook\n====================\n\n" + Facts(p);
  for (const auto& n : p.nodes) {
    std::string head = "Node " + n.node + " (etcd member " + n.member + ")" + (n.leader ? ", the leader" : "") +
                       ": " + std::to_string(n.order) + " of " + std::to_string(p.nodes.size());
    o += "\n\n" + head + "\n" + std::string(head.size(), '-') + "\n";
    o += "  manifests dir " + n.manifests_dir + " (etcd: " + n.manifest_file + "), stash " + n.stash_dir + "\n";
    o += "  data dir      " + n.data_dir + " -> kept as " + n.aside_dir + "\n";
    o += "  restored into " + n.restore_dir + " (into " + n.data_dir + " itself when it is a mount point)\n";
    if (!n.wal_dir.empty())
      o += "  WAL dir       " + n.wal_dir + " -> kept as " + n.wal_aside_dir + "; restored into " + n.wal_restore_dir +
           "\n";
    o += "  peer URLs     " + Join(n.peer_urls, ",") + "\n";
    Steps(o, n.steps, 1);
  }
  std::string head = "Cluster-wide steps";
  o += "\n\n" + head + "\n" + std::string(head.size(), '-') + "\n";
  Steps(o, p.cluster_steps, 5);
  return o;
}

namespace {

// The edits as FIELD FROM TO triples (edit_manifest in templates/edit_manifest.sh).
std::vector<std::string> EditWords(const std::vector<ManifestEdit>& edits) {
  std::vector<std::string> words;
  for (const auto& e : edits) {
    words.push_back(e.field);
    words.push_back(e.from);
    words.push_back(e.to);
  }
  return words;
}

// The edits of a WAL dir outside the data dir's volume: what still applies when the data dir
// is a mount point (restored into itself, its volume unchanged).
std::vector<ManifestEdit> WalEdits(const NodePlan& n) {
  std::string data_volume;
  for (const auto& e : n.edits)
    if (e.field == "hostPath" && n.restore_dir.rfind(e.to, 0) == 0 &&
        (n.restore_dir.size() == e.to.size() || n.restore_dir[e.to.size()] == '/'))
      data_volume = e.volume;
  std::vector<ManifestEdit> out;
  for (const auto& e : n.edits)
    if (e.field == "hostPath" && e.volume != data_volume) out.push_back(e);
  if (out.empty()) return out;  // the WAL is in the data volume, or not moved
  for (const auto& e : n.edits)
    if (e.field == "mountPath" ? e.volume != data_volume : e.field == "--wal-dir") out.push_back(e);
  return out;
}

// The edits in words, for messages.
std::string EditsText(const NodePlan& n) {
  std::string out;
  for (const auto& e : n.edits)
    out += (out.empty() ? "" : "; ") + (e.field.rfind("--", 0) == 0 ? e.field : e.volume + " " + e.field) + " " +
           e.from + " -> " + e.to;
  return out;
}

Result<std::string> Script(const Plan& p, const NodePlan& n) {
  std::vector<std::string> all;
  for (const auto& m : p.nodes)
    for (const auto& u : m.client_urls) all.push_back(u);
  // The restore's flags besides --data-dir and --wal-dir (the script picks those dirs: a
  // mount point, the dry run).
  std::vector<std::string> flags;
  for (size_t i = 0; i < n.restore_args.size(); ++i) {
    if (n.restore_args[i] == "--data-dir" || n.restore_args[i] == "--wal-dir") {
      ++i;
      continue;
    }
    flags.push_back(n.restore_args[i]);
  }
  // NAME PEER_URLS STATE triples; STATE "joins-later" for a --replace member (never started).
  std::vector<std::string> expected;
  for (const auto& m : p.expected_members) {
    bool joins = false;
    for (const auto& r : p.replaced) joins |= r.name == m.name;
    expected.push_back(m.name);
    expected.push_back(Join(m.peer_urls, ","));
    expected.push_back(joins ? "joins-later" : "restored");
  }
  TemplateValues v = {
      {"PLAN_ID", {p.id}},
      {"NODE", {n.node}},
      {"MEMBER", {n.member}},
      {"MEMBER_COUNT", {std::to_string(p.nodes.size())}},
      {"SNAPSHOT_PATH", {p.snapshot_path}},
      {"SNAPSHOT_SHA256", {p.snapshot_sha256}},
      {"RESTORE_TOOL", {ToolName(p.tool)}},
      {"ETCDCTL_EXT_PATH", {p.etcdctl_ext_path}},
      {"ETCDUTL_PATH", {p.etcdutl_path}},
      {"ETCDCTL_PATH", {p.etcdctl_path}},
      {"BUMP", {p.bump > 0 ? std::to_string(p.bump) : ""}},
      {"CONTAINER", {n.container}},
      {"LOCAL_ENDPOINTS", {Join(n.client_urls, ",")}},
      {"ALL_ENDPOINTS", {Join(all, ",")}},
      {"MANIFESTS_DIR", {n.manifests_dir}},
      {"MANIFEST_FILE", {n.manifest_file}},
      {"STASH_DIR", {n.stash_dir}},
      {"DATA_DIR", {n.data_dir}},
      {"ASIDE_DIR", {n.aside_dir}},
      {"RESTORE_DIR", {n.restore_dir}},
      {"WAL_DIR", {n.wal_dir}},
      {"WAL_ASIDE_DIR", {n.wal_aside_dir}},
      {"WAL_RESTORE_DIR", {n.wal_restore_dir}},
      {"CA_FILE", {n.ca_file}},
      {"CERT_FILE", {n.cert_file}},
      {"KEY_FILE", {n.key_file}},
      {"EDITS_TEXT", {EditsText(n)}},
      {"KUBEADM_CONFIG_CMD", {p.kubeadm_config_command}},
      {"MANIFEST_EDITS", EditWords(n.edits)},
      {"MANIFEST_WAL_EDITS", EditWords(WalEdits(n))},
      {"RESTORE_FLAGS", flags},
      {"EXPECTED_MEMBERS", expected},
  };
  return FillTemplate("node.sh", v);
}

}  // namespace

Result<std::string> RenderEditScript(const std::vector<ManifestEdit>& edits) {
  return FillTemplate("edit.sh", {{"MANIFEST_EDITS", EditWords(edits)}});
}

Result<std::vector<File>> RenderScripts(const Plan& p) {
  std::vector<File> files;
  std::string readme = "# etcd restore plan " + p.id + "\n\n";
  readme += "One script per control-plane node. Copy this whole dir (the bundle) to each node, with the snapshot at `" +
            BundleText(p.snapshot_path) + "`\n(or set `SNAPSHOT`), and run the phases in this order, each on every "
            "node before the next:\n\n";
  std::string nodes;
  for (const auto& n : p.nodes)
    nodes += (n.order > 1 ? ", " : "") + std::string("`") + ScriptName(n.node) + "` (" + n.node + ")";
  readme += "1. `check` on " + nodes + ": verifies the snapshot and rehearses the restore; touches nothing.\n";
  readme += "2. `stop` on every node in the order above (the leader last): moves the manifests out.\n";
  readme += "3. `restore` on every node: old data aside, restore, re-point the etcd manifest.\n";
  readme += "4. `start` on every node: etcd's manifest back, kubelet restarted.\n";
  readme += "5. `verify` on every node: waits until every member is healthy and checks the member list.\n";
  readme += "6. `finish` on every node: the other control-plane manifests back, kubelet restarted.\n";
  readme += "7. Restart the kubelet on every worker node; look for stale objects (below).\n\n";
  readme +=
      "Example: `sudo sh " + ScriptName(p.nodes.front().node) + " check`. A phase that finds its work done says so\n";
  readme += "and does nothing; a failed check prints `REFUSED: ...` and exits 1 before changing anything.\n\n";
  if (p.tool == RestoreTool::kEtcdctlExt && !p.etcdctl_ext_path.empty() && p.etcdctl_ext_path[0] != '/')
    readme += "The scripts run `" + BundleText(p.etcdctl_ext_path) + "` (" +
              "`plan -o script` copies it here with its sha256 in `" + p.etcdctl_ext_path +
              ".sha256`; check it with `sha256sum -c " + p.etcdctl_ext_path + ".sha256` in the bundle dir).\n";
  readme += "Each phase prints the snapshot and tool paths it uses. Whether etcd runs is decided from its data dir "
            "(the WAL lock), not from crictl.\n\n";
  readme += "Environment: `SNAPSHOT`, `HOST_ROOT`, " +
            std::string(p.tool == RestoreTool::kEtcdctlExt ? "`ETCDCTL_EXT`" : "`ETCDUTL`, `ETCDCTL`") +
            ", `CRICTL`, `KUBELET_RESTART_CMD`, `WAIT_SECONDS` (see the head of each script).\n\n";
  readme += "The runbook below has the same steps as commands for a person.\n\n```\n" + RenderRunbook(p) + "```\n";
  files.push_back({"README.md", readme, false});
  files.push_back({"plan.json", RenderJson(p), false});
  for (const auto& n : p.nodes) {
    ASSIGN_OR_RETURN(std::string script, Script(p, n));
    files.push_back({ScriptName(n.node), std::move(script), true});
  }
  return files;
}

std::string RenderJson(const Plan& p) {
  using nlohmann::ordered_json;
  auto steps = [](const std::vector<Step>& v) {
    ordered_json a = ordered_json::array();
    for (const auto& s : v)
      a.push_back({{"phase", s.phase}, {"title", s.title}, {"why", s.why}, {"commands", s.commands}});
    return a;
  };
  ordered_json nodes = ordered_json::array();
  for (const auto& n : p.nodes) {
    ordered_json edits = ordered_json::array();
    for (const auto& e : n.edits)
      edits.push_back({{"field", e.field}, {"volume", e.volume}, {"from", e.from}, {"to", e.to}});
    nodes.push_back({{"order", n.order},
                     {"node", n.node},
                     {"member", n.member},
                     {"leader", n.leader},
                     {"etcdVersion", n.etcd_version},
                     {"peerURLs", n.peer_urls},
                     {"clientURLs", n.client_urls},
                     {"container", n.container},
                     {"manifestsDir", n.manifests_dir},
                     {"manifestFile", n.manifest_file},
                     {"stashDir", n.stash_dir},
                     {"dataDir", n.data_dir},
                     {"asideDir", n.aside_dir},
                     {"restoreDir", n.restore_dir},
                     {"walDir", n.wal_dir},
                     {"walAsideDir", n.wal_aside_dir},
                     {"walRestoreDir", n.wal_restore_dir},
                     {"volume", n.volume},
                     {"manifestEdits", edits},
                     {"tls", {{"caFile", n.ca_file}, {"certFile", n.cert_file}, {"keyFile", n.key_file}}},
                     {"restoreArgs", n.restore_args},
                     {"steps", steps(n.steps)}});
  }
  ordered_json replaced = ordered_json::array();
  for (const auto& r : p.replaced)
    replaced.push_back({{"member", r.old_name}, {"by", r.name}, {"peerURL", r.peer_url}});
  ordered_json joins = ordered_json::array();
  for (const auto& j : p.joins)
    joins.push_back({{"name", j.name},
                     {"peerURL", j.peer_url},
                     {"replaces", j.replaces},
                     {"oldNode", j.old_node},
                     {"inCluster", j.in_cluster}});
  ordered_json expected = ordered_json::array();
  for (const auto& m : p.expected_members) expected.push_back({{"name", m.name}, {"peerURLs", m.peer_urls}});
  ordered_json j = {{"id", p.id},
                    {"created", p.created},
                    {"input", InputKindName(p.input)},
                    {"source", p.source},
                    {"restoreTool", ToolName(p.tool)},
                    {"snapshot",
                     {{"path", p.snapshot_path},
                      {"sha256", p.snapshot_sha256},
                      {"revision", p.snapshot_revision},
                      {"created", p.snapshot_created}}},
                    {"initialCluster", p.initial_cluster},
                    {"initialClusterToken", p.token},
                    {"bumpRevision", p.bump},
                    {"markCompacted", p.bump > 0},
                    {"bumpReason", p.bump_reason},
                    {"inPlace", p.in_place},
                    {"leftOut", p.left_out},
                    {"replaced", replaced},
                    {"joins", joins},
                    {"expectedMembers", expected},
                    {"nodes", nodes},
                    {"clusterSteps", steps(p.cluster_steps)},
                    {"notes", p.notes}};
  return j.dump(2) + "\n";
}

}  // namespace etcdrestore::plan
