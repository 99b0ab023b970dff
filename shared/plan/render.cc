#include "shared/plan/render.h"

#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/base/strings.h"

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

// `"$HOST_ROOT"'/var/lib/etcd'`: a host path under the settable root.
std::string HostPath(const std::string& path) { return "\"$HOST_ROOT\"" + ShellQuote(path); }

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
  o += "Snapshot:      " + p.snapshot_path + "\n";
  o += "  sha256       " + p.snapshot_sha256 + "\n";
  if (p.snapshot_revision > 0) o += "  revision     " + std::to_string(p.snapshot_revision) + "\n";
  if (!p.snapshot_created.empty()) o += "  saved        " + p.snapshot_created + "\n";
  o += "Restore tool:  " + ToolName(p.tool) + "\n";
  o += "Members:       " + std::to_string(p.nodes.size()) + " (a new cluster; every member restores the same snapshot)\n";
  o += "  --initial-cluster       " + p.initial_cluster + "\n";
  o += "  --initial-cluster-token " + p.token + " (new: the restored cluster must not meet the old one)\n";
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
  o += "  7. after    look for stale objects\n";
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

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string SedPattern(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.[]*^$|").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string SedReplacement(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '&' || c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string RenderRunbook(const Plan& p) {
  std::string o = "etcd restore runbook\n====================\n\n" + Facts(p);
  for (const auto& n : p.nodes) {
    std::string head = "Node " + n.node + " (etcd member " + n.member + ")" + (n.leader ? ", the leader" : "") +
                       ": " + std::to_string(n.order) + " of " + std::to_string(p.nodes.size());
    o += "\n\n" + head + "\n" + std::string(head.size(), '-') + "\n";
    o += "  manifests dir " + n.manifests_dir + " (etcd: " + n.manifest_file + "), stash " + n.stash_dir + "\n";
    o += "  data dir      " + n.data_dir + " -> kept as " + n.aside_dir + "\n";
    o += "  restored into " + n.restore_dir + "\n";
    o += "  peer URLs     " + Join(n.peer_urls, ",") + "\n";
    Steps(o, n.steps, 1);
  }
  std::string head = "Cluster-wide steps";
  o += "\n\n" + head + "\n" + std::string(head.size(), '-') + "\n";
  Steps(o, p.cluster_steps, 5);
  return o;
}

namespace {

std::string Script(const Plan& p, const NodePlan& n) {
  const bool ext = p.tool == RestoreTool::kEtcdctlExt;
  const std::string n_members = std::to_string(p.nodes.size());
  std::string s;
  s += "#!/bin/sh\n";
  s += "# etcd restore plan " + p.id + ": node " + n.node + " (etcd member " + n.member + "), " +
       std::to_string(n.order) + " of " + n_members + ".\n";
  s += "# Generated by `kubectl etcdrestore plan` from " + p.source + ". Read README.md first.\n";
  s += "#\n";
  s += "# Usage: sh " + ScriptName(n.node) + " PHASE\n";
  s += "#   PHASE: check | stop | restore | start | verify | finish" +
       std::string(p.nodes.size() == 1 ? " | all" : "") + "\n";
  s += "#   Run each phase on every node before the next phase (README.md has the order).\n";
  s += "#   Each phase refuses to go on when a check fails, and does nothing when already done.\n";
  s += "#\n";
  s += "# Settable from the environment:\n";
  s += "#   SNAPSHOT             the snapshot on this node (default " + p.snapshot_path + ")\n";
  s += "#   HOST_ROOT            prefix of every host path (default empty: the real root)\n";
  if (ext) {
    s += "#   ETCDCTL_EXT          etcdctl-ext (restore, snapshot status and the cluster checks)\n";
  } else {
    s += "#   ETCDUTL              etcdutl 3.5+ (restore, snapshot status)\n";
    s += "#   ETCDCTL              etcdctl (the cluster checks)\n";
  }
  s += "#   CRICTL               crictl command (split into words)\n";
  s += "#   KUBELET_RESTART_CMD  shell command that restarts the kubelet\n";
  s += "#   WAIT_SECONDS         how long to wait for containers and health (default 300)\n";
  s += "set -eu\n\n";
  s += "PLAN_ID=" + ShellQuote(p.id) + "\n";
  s += "NODE=" + ShellQuote(n.node) + "\n";
  s += "MEMBER=" + ShellQuote(n.member) + "\n";
  s += "SNAPSHOT_SHA256=" + ShellQuote(p.snapshot_sha256) + "\n";
  s += "SNAPSHOT_DEFAULT=" + ShellQuote(p.snapshot_path) + "\n";
  s += "SNAPSHOT=\"${SNAPSHOT:-$SNAPSHOT_DEFAULT}\"\n";
  s += "HOST_ROOT=\"${HOST_ROOT:-}\"\n";
  if (ext) {
    s += "ETCDCTL_EXT_DEFAULT=" + ShellQuote(p.etcdctl_ext_path) + "\n";
    s += "ETCDCTL_EXT=\"${ETCDCTL_EXT:-$ETCDCTL_EXT_DEFAULT}\"\n";
    s += "TOOL=\"$ETCDCTL_EXT\"\nETCDCTL=\"$ETCDCTL_EXT\"\n";
  } else {
    s += "ETCDUTL_DEFAULT=" + ShellQuote(p.etcdutl_path) + "\n";
    s += "ETCDUTL=\"${ETCDUTL:-$ETCDUTL_DEFAULT}\"\n";
    s += "ETCDCTL_DEFAULT=" + ShellQuote(p.etcdctl_path) + "\n";
    s += "ETCDCTL=\"${ETCDCTL:-$ETCDCTL_DEFAULT}\"\n";
    s += "TOOL=\"$ETCDUTL\"\n";
  }
  s += "CRICTL=\"${CRICTL:-crictl}\"\n";
  s += "KUBELET_RESTART_CMD=\"${KUBELET_RESTART_CMD:-systemctl restart kubelet}\"\n";
  s += "WAIT_SECONDS=\"${WAIT_SECONDS:-300}\"\n\n";
  s += "MANIFESTS=" + HostPath(n.manifests_dir) + "\n";
  s += "MANIFEST_FILE=" + ShellQuote(n.manifest_file) + "\n";
  s += "STASH=" + HostPath(n.stash_dir) + "\n";
  s += "DATA_DIR=" + HostPath(n.data_dir) + "\n";
  s += "ASIDE_DIR=" + HostPath(n.aside_dir) + "\n";
  s += "RESTORE_DIR=" + HostPath(n.restore_dir) + "\n";
  s += "DRY_DIR=" + HostPath(n.restore_dir + ".dry-run") + "\n";
  s += "CONTAINER=" + ShellQuote(n.container) + "\n";
  s += "DONE=\"$STASH/.etcdrestore-restored\"\n";
  s += "ORIG=\"$STASH/.orig-$MANIFEST_FILE\"\n";
  s += "LOCAL_ENDPOINTS=" + ShellQuote(Join(n.client_urls, ",")) + "\n";
  std::vector<std::string> all;
  for (const auto& m : p.nodes)
    for (const auto& u : m.client_urls) all.push_back(u);
  s += "ALL_ENDPOINTS=" + ShellQuote(Join(all, ",")) + "\n\n";

  s += R"SH(say() { printf 'etcdrestore[%s] %s\n' "$NODE" "$*"; }
die() { printf 'etcdrestore[%s] REFUSED: %s\n' "$NODE" "$*" >&2; exit 1; }

# wait_until DESCRIPTION COMMAND...: runs COMMAND every second until it succeeds.
wait_until() {
  what=$1
  shift
  waited=0
  while ! "$@"; do
    waited=$((waited + 1))
    [ "$waited" -lt "$WAIT_SECONDS" ] || die "gave up after $WAIT_SECONDS s waiting for $what"
    sleep 1
  done
}

# The etcd containers on this node; refuses when crictl fails (then nothing is known).
etcd_ids() {
  ids=$($CRICTL ps -q --name "^$CONTAINER\$") || die "crictl failed: cannot tell whether etcd runs (CRICTL=$CRICTL)"
}
etcd_gone() { etcd_ids; [ -z "$ids" ]; }
etcd_running() { etcd_ids; [ -n "$ids" ]; }
healthy() { ctl "$1" endpoint health >/dev/null 2>&1; }

check_snapshot() {
  [ -f "$SNAPSHOT" ] || die "snapshot $SNAPSHOT not found: copy it to this node or set SNAPSHOT"
  got=$(sha256sum "$SNAPSHOT" | cut -d ' ' -f 1)
  [ "$got" = "$SNAPSHOT_SHA256" ] || die "snapshot $SNAPSHOT has sha256 $got; the plan was made for $SNAPSHOT_SHA256"
  "$TOOL" snapshot status "$SNAPSHOT" -w table || die "snapshot status of $SNAPSHOT failed"
}

)SH";
  // restore_cmd
  s += "# restore_cmd DIR [FLAG...]: the restore of this member into DIR.\n";
  s += "restore_cmd() {\n  dir=$1\n  shift\n  \"$TOOL\" snapshot restore \"$SNAPSHOT\"";
  for (size_t i = 0; i < n.restore_args.size(); ++i) {
    const std::string& a = n.restore_args[i];
    if (a == "--data-dir") {
      s += " --data-dir \"$dir\"";
      ++i;
      continue;
    }
    s += " " + (a.rfind("--", 0) == 0 ? a : ShellQuote(a));
  }
  s += " \"$@\"\n}\n\n";

  // ctl
  s += "# ctl ENDPOINTS ARGS...: " + std::string(ext ? "etcdctl-ext" : "etcdctl") + " against ENDPOINTS.\n";
  s += "ctl() {\n  eps=$1\n  shift\n  \"$ETCDCTL\" --endpoints \"$eps\"";
  if (!n.cert_file.empty()) {
    s += " --cacert " + HostPath(n.ca_file) + " --cert " + HostPath(n.cert_file) + " --key " + HostPath(n.key_file);
  }
  s += " \"$@\"\n}\n\n";

  // edit_manifest
  s += "# edit_manifest SRC DST: writes SRC with the planned edits to DST; fails unless exactly\n";
  s += "# the planned lines changed.\n";
  s += "edit_manifest() {\n";
  if (n.edits.empty()) {
    s += "  cp \"$1\" \"$2\"\n}\n\n";
  } else {
    s += "  sed";
    for (const auto& e : n.edits) {
      if (e.field == "--data-dir") {
        s += " -e " + ShellQuote("s|--data-dir\\([= ]\\)" + SedPattern(e.from) + "\\([^[:alnum:]/._-]\\)|--data-dir\\1" +
                                 SedReplacement(e.to) + "\\2|g");
        s += " -e " + ShellQuote("s|--data-dir\\([= ]\\)" + SedPattern(e.from) + "$|--data-dir\\1" +
                                 SedReplacement(e.to) + "|");
      } else {
        const std::string key = e.field == "hostPath" ? "path" : "mountPath";
        s += " -e " + ShellQuote("s|^\\([[:space:]]*\\(- \\)\\{0,1\\}\"\\{0,1\\}" + key +
                                 "\"\\{0,1\\}:[[:space:]]*[\"']\\{0,1\\}\\)" + SedPattern(e.from) +
                                 "\\([\"']\\{0,1\\},\\{0,1\\}[[:space:]]*\\)$|\\1" + SedReplacement(e.to) + "\\3|");
      }
    }
    s += " \"$1\" > \"$2\" || return 1\n";
    s += "  added=$(diff \"$1\" \"$2\" | grep -c '^>') || true\n";
    s += "  removed=$(diff \"$1\" \"$2\" | grep -c '^<') || true\n";
    s += "  [ \"$added\" -eq " + std::to_string(n.edits.size()) + " ] && [ \"$removed\" -eq " +
         std::to_string(n.edits.size()) + " ]\n}\n\n";
  }
  std::string edits_text;
  for (const auto& e : n.edits)
    edits_text += (edits_text.empty() ? "" : "; ") + (e.field == "--data-dir" ? e.field : e.volume + " " + e.field) +
                  " " + e.from + " -> " + e.to;

  // Phases.
  s += "phase_check() {\n";
  s += "  check_snapshot\n";
  s += "  if [ -f \"$DONE\" ]; then say \"check: the restore is already done on this node ($DONE)\"; return 0; fi\n";
  s += "  if [ -f \"$MANIFESTS/$MANIFEST_FILE\" ]; then src=\"$MANIFESTS/$MANIFEST_FILE\"\n";
  s += "  elif [ -f \"$STASH/$MANIFEST_FILE\" ]; then src=\"$STASH/$MANIFEST_FILE\"\n";
  s += "  else die \"the etcd manifest $MANIFEST_FILE is neither in $MANIFESTS nor in $STASH\"; fi\n";
  s += "  tmp=$(mktemp)\n";
  s += "  if ! edit_manifest \"$src\" \"$tmp\"; then\n    rm -f \"$tmp\"\n";
  s += "    die \"$src does not have the lines the plan edits (" + edits_text +
       "): it has no such data volume or changed since the plan was made; re-plan from it or edit it by hand\"\n";
  s += "  fi\n  rm -f \"$tmp\"\n";
  s += "  grep -q -e \"$CONTAINER\" \"$src\" || die \"$src does not mention the container $CONTAINER\"\n";
  if (!p.in_place)
    s += "  [ ! -e \"$RESTORE_DIR\" ] || die \"the restore target $RESTORE_DIR already exists\"\n";
  s += "  [ ! -e \"$ASIDE_DIR\" ] || die \"$ASIDE_DIR already exists: the old data dir cannot be moved there\"\n";
  s += "  [ ! -e \"$DRY_DIR\" ] || die \"$DRY_DIR exists; remove it (a dry run left it)\"\n";
  if (ext) {
    s += "  restore_cmd \"$DRY_DIR\" --dry-run || die \"the dry-run restore failed\"\n";
  } else {
    s += "  if ! restore_cmd \"$DRY_DIR\"; then rm -rf \"$DRY_DIR\"; die \"the rehearsal restore into $DRY_DIR failed\"; fi\n";
    s += "  rm -rf \"$DRY_DIR\"\n";
  }
  s += "  say \"check: ok (snapshot verified, restore rehearsed, manifest edits apply)\"\n}\n\n";

  s += "phase_stop() {\n";
  s += "  if [ -f \"$DONE\" ]; then say \"stop: the restore is already done on this node\"; return 0; fi\n";
  s += "  mkdir -p \"$STASH\"\n";
  s += "  for f in \"$MANIFESTS\"/*; do\n";
  s += "    [ -e \"$f\" ] || continue\n";
  s += "    b=$(basename \"$f\")\n";
  s += "    [ ! -e \"$STASH/$b\" ] || die \"$STASH/$b already exists; not overwriting it (move $f away by hand)\"\n";
  s += "    mv \"$f\" \"$STASH/$b\"\n";
  s += "    say \"stop: moved $f out to $STASH/\"\n";
  s += "  done\n";
  s += "  [ -f \"$STASH/$MANIFEST_FILE\" ] || die \"the etcd manifest is not in $STASH\"\n";
  s += "  wait_until \"the etcd container to stop\" etcd_gone\n";
  s += "  say \"stop: etcd is stopped; its manifest waits in $STASH\"\n}\n\n";

  s += "phase_restore() {\n";
  s += "  if [ -f \"$DONE\" ]; then say \"restore: already done on this node\"; return 0; fi\n";
  s += "  [ -f \"$STASH/$MANIFEST_FILE\" ] || die \"$STASH/$MANIFEST_FILE not found: run the stop phase first\"\n";
  s += "  [ ! -e \"$MANIFESTS/$MANIFEST_FILE\" ] || die \"$MANIFESTS/$MANIFEST_FILE exists: etcd would run\"\n";
  s += "  etcd_gone || die \"an etcd container still runs\"\n";
  s += "  check_snapshot\n";
  s += "  if [ -e \"$DATA_DIR\" ]; then\n";
  s += "    [ ! -e \"$ASIDE_DIR\" ] || die \"both $DATA_DIR and $ASIDE_DIR exist; sort them out by hand\"\n";
  s += "    mv \"$DATA_DIR\" \"$ASIDE_DIR\"\n";
  s += "    say \"restore: moved the old data dir to $ASIDE_DIR (kept)\"\n";
  s += "  elif [ -e \"$ASIDE_DIR\" ]; then\n";
  s += "    say \"restore: the old data dir is already at $ASIDE_DIR\"\n";
  s += "  else\n";
  s += "    say \"restore: there is no old data dir at $DATA_DIR\"\n";
  s += "  fi\n";
  s += "  [ ! -e \"$RESTORE_DIR\" ] || die \"$RESTORE_DIR exists (an interrupted restore?): move it away by hand, then "
       "run this phase again\"\n";
  s += "  mkdir -p \"$(dirname \"$RESTORE_DIR\")\"\n";
  s += "  restore_cmd \"$RESTORE_DIR\" || die \"the restore into $RESTORE_DIR failed\"\n";
  s += "  [ -d \"$RESTORE_DIR/member/wal\" ] || die \"the restore did not write $RESTORE_DIR/member/wal\"\n";
  s += "  [ -f \"$ORIG\" ] || cp -p \"$STASH/$MANIFEST_FILE\" \"$ORIG\"\n";
  s += "  edit_manifest \"$ORIG\" \"$STASH/.new-$MANIFEST_FILE\" || die \"the manifest edit did not apply to $ORIG\"\n";
  s += "  mv \"$STASH/.new-$MANIFEST_FILE\" \"$STASH/$MANIFEST_FILE\"\n";
  if (!n.edits.empty()) s += "  say \"restore: re-pointed $MANIFEST_FILE: " + edits_text + "\"\n";
  s += "  : > \"$DONE\"\n";
  s += "  say \"restore: done; the original manifest is kept as $ORIG\"\n}\n\n";

  s += "phase_start() {\n";
  s += "  [ -f \"$DONE\" ] || die \"the restore phase has not run on this node\"\n";
  s += "  if [ -f \"$STASH/$MANIFEST_FILE\" ]; then\n";
  s += "    [ ! -e \"$MANIFESTS/$MANIFEST_FILE\" ] || die \"both $STASH/$MANIFEST_FILE and $MANIFESTS/$MANIFEST_FILE "
       "exist\"\n";
  s += "    mv \"$STASH/$MANIFEST_FILE\" \"$MANIFESTS/$MANIFEST_FILE\"\n";
  s += "    say \"start: put $MANIFEST_FILE back into $MANIFESTS\"\n";
  s += "  fi\n";
  s += "  [ -f \"$MANIFESTS/$MANIFEST_FILE\" ] || die \"$MANIFESTS/$MANIFEST_FILE is missing\"\n";
  s += "  sh -c \"$KUBELET_RESTART_CMD\" || die \"restarting the kubelet failed ($KUBELET_RESTART_CMD)\"\n";
  s += "  wait_until \"the etcd container to start\" etcd_running\n";
  s += "  say \"start: etcd runs; start it on every member, then run verify\"\n}\n\n";

  s += "phase_verify() {\n";
  s += "  wait_until \"etcd on this node to be healthy\" healthy \"$LOCAL_ENDPOINTS\"\n";
  s += "  wait_until \"every member to be healthy\" healthy \"$ALL_ENDPOINTS\"\n";
  s += "  list=$(ctl \"$LOCAL_ENDPOINTS\" member list) || die \"member list failed\"\n";
  s += "  count=$(printf '%s\\n' \"$list\" | grep -c .) || true\n";
  s += "  [ \"$count\" -eq " + n_members + " ] || die \"member list has $count members, the plan has " + n_members +
       ": $list\"\n";
  for (const auto& m : p.nodes) {
    const std::string want = ", started, " + m.member + ", " + Join(m.peer_urls, ",") + ", ";
    s += "  printf '%s\\n' \"$list\" | grep -q -F -e " + ShellQuote(want) + " || die " +
         ShellQuote("member " + m.member + " (" + Join(m.peer_urls, ",") + ") is not started in the member list: ") +
         "\"$list\"\n";
  }
  s += "  say \"verify: the member list is the planned one and every endpoint is healthy\"\n}\n\n";

  s += "phase_finish() {\n";
  s += "  [ -f \"$DONE\" ] || die \"the restore phase has not run on this node\"\n";
  s += "  healthy \"$ALL_ENDPOINTS\" || die \"the etcd cluster is not healthy: run verify\"\n";
  s += "  for f in \"$STASH\"/*; do\n";
  s += "    [ -e \"$f\" ] || continue\n";
  s += "    b=$(basename \"$f\")\n";
  s += "    [ ! -e \"$MANIFESTS/$b\" ] || die \"$MANIFESTS/$b exists; not overwriting it\"\n";
  s += "    mv \"$f\" \"$MANIFESTS/$b\"\n";
  s += "    say \"finish: put $b back\"\n";
  s += "  done\n";
  s += "  sh -c \"$KUBELET_RESTART_CMD\" || die \"restarting the kubelet failed ($KUBELET_RESTART_CMD)\"\n";
  s += "  say \"finish: done. Kept: the old data in $ASIDE_DIR, the original manifest in $ORIG.\"\n";
  s += "  say \"finish: restart the kubelet on every worker node, then look for stale objects (README.md)\"\n}\n\n";

  s += "case \"${1:-}\" in\n";
  for (const char* ph : {"check", "stop", "restore", "start", "verify", "finish"})
    s += "  " + std::string(ph) + ") phase_" + ph + " ;;\n";
  if (p.nodes.size() == 1) {
    s += "  all) phase_check; phase_stop; phase_restore; phase_start; phase_verify; phase_finish ;;\n";
  } else {
    s += "  all) die \"this plan has " + n_members +
         " members: run each phase on every node before the next one (README.md)\" ;;\n";
  }
  s += "  *)\n    echo \"usage: $0 check|stop|restore|start|verify|finish" +
       std::string(p.nodes.size() == 1 ? "|all" : "") + "\" >&2\n    exit 2 ;;\n";
  s += "esac\n";
  return s;
}

}  // namespace

std::vector<File> RenderScripts(const Plan& p) {
  std::vector<File> files;
  std::string readme = "# etcd restore plan " + p.id + "\n\n";
  readme += "One script per control-plane node. Copy each to its node (with the snapshot at `" + p.snapshot_path +
            "`,\nor set `SNAPSHOT`) and run the phases in this order, each on every node before the next:\n\n";
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
  readme += "Example: `sudo sh " + ScriptName(p.nodes.front().node) + " check`. A phase that finds its work done says so\n";
  readme += "and does nothing; a failed check prints `REFUSED: ...` and exits 1 before changing anything.\n\n";
  readme += "Environment: `SNAPSHOT`, `HOST_ROOT`, " +
            std::string(p.tool == RestoreTool::kEtcdctlExt ? "`ETCDCTL_EXT`" : "`ETCDUTL`, `ETCDCTL`") +
            ", `CRICTL`, `KUBELET_RESTART_CMD`, `WAIT_SECONDS` (see the head of each script).\n\n";
  readme += "The runbook below has the same steps as commands for a person.\n\n```\n" + RenderRunbook(p) + "```\n";
  files.push_back({"README.md", readme, false});
  files.push_back({"plan.json", RenderJson(p), false});
  for (const auto& n : p.nodes) files.push_back({ScriptName(n.node), Script(p, n), true});
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
    for (const auto& e : n.edits) edits.push_back({{"field", e.field}, {"volume", e.volume}, {"from", e.from}, {"to", e.to}});
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
                     {"volume", n.volume},
                     {"manifestEdits", edits},
                     {"tls", {{"caFile", n.ca_file}, {"certFile", n.cert_file}, {"keyFile", n.key_file}}},
                     {"restoreArgs", n.restore_args},
                     {"steps", steps(n.steps)}});
  }
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
                    {"nodes", nodes},
                    {"clusterSteps", steps(p.cluster_steps)},
                    {"notes", p.notes}};
  return j.dump(2) + "\n";
}

}  // namespace etcdrestore::plan
