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

// A path on the node for the scripts: absolute as is, else under the plan bundle dir.
std::string BundlePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return ShellQuote(path);
  return "\"$BUNDLE_DIR\"/" + ShellQuote(path);
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
  o += "Members:       " + std::to_string(p.nodes.size()) + " (a new cluster; every member restores the same snapshot)\n";
  o += "  --initial-cluster       " + p.initial_cluster + "\n";
  o += "  --initial-cluster-token " + p.token + " (new: the restored cluster must not meet the old one)\n";
  if (!p.left_out.empty()) o += "  left out on purpose      " + Join(p.left_out, ", ") + " (--members)\n";
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
  s += "#   SNAPSHOT             the snapshot on this node (default " + BundleText(p.snapshot_path) + ")\n";
  s += "#   HOST_ROOT            prefix of every host path (default empty: the real root)\n";
  if (ext) {
    s += "#   ETCDCTL_EXT          etcdctl-ext (restore, snapshot status, the cluster checks, whether etcd runs;\n";
    s += "#                        default " + BundleText(p.etcdctl_ext_path) + ")\n";
  } else {
    s += "#   ETCDUTL              etcdutl 3.5+ (restore, snapshot status)\n";
    s += "#   ETCDCTL              etcdctl (the cluster checks)\n";
  }
  s += "#   CRICTL               crictl command (split into words); only for messages, not required\n";
  s += "#   KUBELET_RESTART_CMD  shell command that restarts the kubelet\n";
  s += "#   WAIT_SECONDS         how long to wait for containers and health (default 300)\n";
  s += "# Relative defaults are relative to the plan bundle dir (where this script is); every phase\n";
  s += "# prints the paths it uses.\n";
  s += "set -eu\n\n";
  s += "PLAN_ID=" + ShellQuote(p.id) + "\n";
  s += "NODE=" + ShellQuote(n.node) + "\n";
  s += "MEMBER=" + ShellQuote(n.member) + "\n";
  s += "SNAPSHOT_SHA256=" + ShellQuote(p.snapshot_sha256) + "\n";
  s += "BUNDLE_DIR=$(cd \"$(dirname \"$0\")\" && pwd)\n";
  s += "SNAPSHOT_DEFAULT=" + BundlePath(p.snapshot_path) + "\n";
  s += "SNAPSHOT=\"${SNAPSHOT:-$SNAPSHOT_DEFAULT}\"\n";
  s += "HOST_ROOT=\"${HOST_ROOT:-}\"\n";
  if (ext) {
    s += "ETCDCTL_EXT_DEFAULT=" + BundlePath(p.etcdctl_ext_path) + "\n";
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
  if (n.wal_dir.empty()) {
    s += "WAL_DIR=''\nWAL_RESTORE_DIR=''\n";
  } else {
    s += "WAL_DIR=" + HostPath(n.wal_dir) + "\n";
    s += "WAL_ASIDE_DIR=" + HostPath(n.wal_aside_dir) + "\n";
    s += "WAL_RESTORE_DIR=" + HostPath(n.wal_restore_dir) + "\n";
  }
  s += "# A data dir that is a mount point (a dedicated disk) cannot be moved: the restore goes\n";
  s += "# into it, its old contents are moved aside inside it (the same file system), and the\n";
  s += "# manifest keeps pointing at it.\n";
  s += "MOUNTED=no\n";
  s += "if [ -d \"$DATA_DIR\" ] && [ \"$(stat -c %d \"$DATA_DIR\")\" != \"$(stat -c %d \"$DATA_DIR/..\")\" ]; then\n";
  s += "  MOUNTED=yes\n  ASIDE_DIR=\"$DATA_DIR/.before-restore-$PLAN_ID\"\n  RESTORE_DIR=\"$DATA_DIR\"\n";
  s += "  DRY_DIR=\"$DATA_DIR/.restore-$PLAN_ID.dry-run\"\nfi\n";
  s += "WAL_OF_DATA=\"${WAL_DIR:-$DATA_DIR}\"\nWAL_OF_RESTORE=\"${WAL_RESTORE_DIR:-$RESTORE_DIR}\"\n";
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

# in_use DIR: does a running etcd use DIR (its data dir or WAL dir)? Decided from the
# data itself: etcd holds a write lock on its WAL files while it runs. No container runtime
# is asked (crictl may be missing on the node). Dies when it cannot tell.
in_use() {
@@IN_USE@@
}
etcd_gone() { ! in_use "$WAL_OF_DATA"; }
etcd_running() { in_use "$WAL_OF_RESTORE"; }
# crictl_note TEXT: TEXT, with what crictl says about the etcd container where crictl is
# installed (a message only: nothing depends on it).
crictl_note() {
  # shellcheck disable=SC2086
  if command -v ${CRICTL%% *} >/dev/null 2>&1 && c=$($CRICTL ps -q --name "^$CONTAINER\$" 2>/dev/null); then
    say "$1 (crictl: etcd container ${c:-gone})"
  else
    say "$1"
  fi
}
healthy() { ctl "$1" endpoint health >/dev/null 2>&1; }

# The sha256 is the whole snapshot file's, as in the plan (snapshot status's hash is etcd's
# CRC of the db, another number: not printed).
check_snapshot() {
  [ -f "$SNAPSHOT" ] || die "snapshot $SNAPSHOT not found: copy it to this node (beside this script) or set SNAPSHOT"
  got=$(sha256sum "$SNAPSHOT" | cut -d ' ' -f 1)
  [ "$got" = "$SNAPSHOT_SHA256" ] || die "snapshot $SNAPSHOT has sha256 $got; the plan was made for $SNAPSHOT_SHA256"
  st=$("$TOOL" snapshot status "$SNAPSHOT" -w simple) || die "snapshot status of $SNAPSHOT failed"
  say "snapshot $SNAPSHOT: sha256 $got (the file's, as planned); revision, keys, size: ${st#*, }"
}

# check_space DIR: the file system that will hold DIR has room for the restore (the db, the
# size of the snapshot, plus a 64 MiB WAL segment).
check_space() {
  d=$1
  while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  size=$(wc -c < "$SNAPSHOT")
  need=$(( (size + 67108864) / 1024 + 1 ))
  avail=$(df -P "$d" | awk 'NR == 2 { print $4 }')
  case $avail in
    ''|*[!0-9]*) die "cannot tell the free space on the file system of $d (df -P printed \"$avail\")" ;;
  esac
  [ "$avail" -ge "$need" ] || die "the file system of $d has $avail KiB free; the restore needs $need KiB (the snapshot's size plus a 64 MiB WAL segment): free space first"
  say "check: $d has $avail KiB free, the restore needs $need KiB"
}

banner() {
  say "plan $PLAN_ID, member $MEMBER, phase $1: snapshot $SNAPSHOT, tool $TOOL (bundle $BUNDLE_DIR)"
}

)SH";
  {
    const std::string ext_in_use =
        "  if holder=$(\"$ETCDCTL_EXT\" datadir-in-use \"$1\" 2>&1); then return 0; else rc=$?; fi\n"
        "  [ \"$rc\" -ne 3 ] || return 1\n"
        "  die \"cannot tell whether etcd uses $1 ($ETCDCTL_EXT datadir-in-use exited $rc): $holder\"";
    // Without etcdctl-ext: a process with one of the WAL files open (etcd keeps its locked
    // WAL files open), found in /proc (ls and awk; no fuser, no lsof).
    const std::string proc_in_use =
        "  holder=\"no process has a WAL file under $1 open\"\n"
        "  [ -d \"$1\" ] || return 1\n"
        "  d=$(cd \"$1\" && pwd -P) || die \"cannot read $1: cannot tell whether etcd uses it\"\n"
        "  for w in \"$d\"/member/wal/*.wal \"$d\"/*.wal; do\n"
        "    [ -e \"$w\" ] || continue\n"
        "    # shellcheck disable=SC2012\n"
        "    pid=$(ls -l /proc/[0-9]*/fd 2>/dev/null | awk -v w=\" -> $w\" '/^\\/proc\\/.*:$/ { p = $0 }\n"
        "      length($0) > length(w) && substr($0, length($0) - length(w) + 1) == w { print p; exit }')\n"
        "    if [ -n \"$pid\" ]; then\n"
        "      pid=${pid#/proc/}\n"
        "      holder=\"$w is open in pid ${pid%/fd:}\"\n"
        "      return 0\n"
        "    fi\n"
        "  done\n"
        "  return 1";
    const size_t at = s.find("@@IN_USE@@");
    s.replace(at, 10, ext ? ext_in_use : proc_in_use);
  }
  // restore_cmd
  s += "# restore_cmd DIR WALDIR [FLAG...]: the restore of this member into DIR (WALDIR: its --wal-dir,\n";
  s += "# when the manifest has one).\n";
  s += "restore_cmd() {\n  dir=$1\n  wal=$2\n  shift 2\n";
  // The restore must be the function's last command: its status is the function's.
  if (n.wal_dir.empty()) s += "  : \"$wal\"  # no --wal-dir in this member's manifest\n";
  s += "  \"$TOOL\" snapshot restore \"$SNAPSHOT\"";
  for (size_t i = 0; i < n.restore_args.size(); ++i) {
    const std::string& a = n.restore_args[i];
    if (a == "--data-dir" || a == "--wal-dir") {
      s += a == "--data-dir" ? " --data-dir \"$dir\"" : " --wal-dir \"$wal\"";
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
    s += "  if [ \"$MOUNTED\" = yes ]; then cp \"$1\" \"$2\"; return 0; fi\n";
    s += "  sed";
    for (const auto& e : n.edits) {
      if (e.field.rfind("--", 0) == 0) {  // --data-dir, --wal-dir
        s += " -e " + ShellQuote("s|" + e.field + "\\([= ]\\)" + SedPattern(e.from) + "\\([^[:alnum:]/._-]\\)|" +
                                 e.field + "\\1" + SedReplacement(e.to) + "\\2|g");
        s += " -e " + ShellQuote("s|" + e.field + "\\([= ]\\)" + SedPattern(e.from) + "$|" + e.field + "\\1" +
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
    edits_text += (edits_text.empty() ? "" : "; ") + (e.field.rfind("--", 0) == 0 ? e.field : e.volume + " " + e.field) +
                  " " + e.from + " -> " + e.to;

  // Phases.
  s += "phase_check() {\n";
  s += "  banner check\n";
  s += "  check_snapshot\n";
  s += "  if [ -f \"$DONE\" ]; then say \"check: the restore is already done on this node ($DONE)\"; return 0; fi\n";
  s += "  if [ -f \"$MANIFESTS/$MANIFEST_FILE\" ]; then src=\"$MANIFESTS/$MANIFEST_FILE\"\n";
  s += "  elif [ -f \"$STASH/$MANIFEST_FILE\" ]; then src=\"$STASH/$MANIFEST_FILE\"\n";
  s += "  else die \"the etcd manifest $MANIFEST_FILE is neither in $MANIFESTS nor in $STASH (the plan assumed that "
       "path: plan again with --manifests-dir DIR and --etcd-manifest-name NAME)\"; fi\n";
  s += "  tmp=$(mktemp)\n";
  s += "  if ! edit_manifest \"$src\" \"$tmp\"; then\n    rm -f \"$tmp\"\n";
  s += "    die \"$src does not have the lines the plan edits (" + edits_text +
       "): it has no such data volume or changed since the plan was made; re-plan from it or edit it by hand\"\n";
  s += "  fi\n  rm -f \"$tmp\"\n";
  s += "  grep -q -e \"$CONTAINER\" \"$src\" || die \"$src does not mention the container $CONTAINER\"\n";
  s += "  if [ \"$MOUNTED\" = yes ]; then\n";
  s += "    say \"check: $DATA_DIR is a mount point: the restore goes into it (the manifest keeps pointing at it), its "
       "old contents move to $ASIDE_DIR\"\n";
  s += "  elif [ \"$RESTORE_DIR\" != \"$DATA_DIR\" ]; then\n";
  s += "    [ ! -e \"$RESTORE_DIR\" ] || die \"the restore target $RESTORE_DIR already exists\"\n";
  s += "  fi\n";
  s += "  [ ! -e \"$ASIDE_DIR\" ] || die \"$ASIDE_DIR already exists: the old data dir cannot be moved there\"\n";
  s += "  [ ! -e \"$DRY_DIR\" ] || die \"$DRY_DIR exists; remove it (a dry run left it)\"\n";
  if (!n.wal_dir.empty()) {
    s += "  [ ! -e \"$WAL_ASIDE_DIR\" ] || die \"$WAL_ASIDE_DIR already exists: the old WAL dir cannot be moved "
         "there\"\n";
    if (!p.in_place)
      s += "  [ ! -e \"$WAL_RESTORE_DIR\" ] || die \"the WAL restore target $WAL_RESTORE_DIR already exists\"\n";
  }
  s += "  check_space \"$RESTORE_DIR\"\n";
  if (!n.wal_dir.empty()) s += "  check_space \"$WAL_RESTORE_DIR\"\n";
  if (ext) {
    s += "  restore_cmd \"$DRY_DIR\" \"$DRY_DIR.wal\" --dry-run || die \"the dry-run restore failed\"\n";
  } else {
    s += "  if ! restore_cmd \"$DRY_DIR\" \"$DRY_DIR.wal\"; then rm -rf \"$DRY_DIR\" \"$DRY_DIR.wal\"; die \"the "
         "rehearsal restore into $DRY_DIR failed\"; fi\n";
    s += "  rm -rf \"$DRY_DIR\" \"$DRY_DIR.wal\"\n";
  }
  s += "  say \"check: ok (snapshot verified, restore rehearsed, manifest edits apply, space enough)\"\n}\n\n";

  s += "phase_stop() {\n";
  s += "  banner stop\n";
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
  s += "  wait_until \"etcd to stop using $WAL_OF_DATA (its WAL lock)\" etcd_gone\n";
  s += "  crictl_note \"stop: etcd is stopped ($holder); its manifest waits in $STASH\"\n}\n\n";

  s += "phase_restore() {\n";
  s += "  banner restore\n";
  s += "  if [ -f \"$DONE\" ]; then say \"restore: already done on this node\"; return 0; fi\n";
  s += "  [ -f \"$STASH/$MANIFEST_FILE\" ] || die \"$STASH/$MANIFEST_FILE not found: run the stop phase first\"\n";
  s += "  [ ! -e \"$MANIFESTS/$MANIFEST_FILE\" ] || die \"$MANIFESTS/$MANIFEST_FILE exists: etcd would run\"\n";
  s += "  etcd_gone || die \"etcd still runs on $WAL_OF_DATA: $holder\"\n";
  s += "  check_snapshot\n";
  s += "  if [ \"$MOUNTED\" = yes ]; then\n";
  s += "    # The mount point stays; its contents move aside inside it (one file system: plain renames).\n";
  s += "    mkdir -p \"$ASIDE_DIR\"\n";
  s += "    for f in \"$DATA_DIR\"/* \"$DATA_DIR\"/.[!.]* \"$DATA_DIR\"/..?*; do\n";
  s += "      [ -e \"$f\" ] || continue\n";
  s += "      case ${f##*/} in lost+found | .before-restore-\"$PLAN_ID\") continue ;; esac\n";
  s += "      mv \"$f\" \"$ASIDE_DIR/\"\n";
  s += "    done\n";
  s += "    say \"restore: $DATA_DIR is a mount point: moved its contents to $ASIDE_DIR (kept)\"\n";
  s += "  elif [ -e \"$DATA_DIR\" ]; then\n";
  s += "    [ ! -e \"$ASIDE_DIR\" ] || die \"both $DATA_DIR and $ASIDE_DIR exist; sort them out by hand\"\n";
  s += "    mv \"$DATA_DIR\" \"$ASIDE_DIR\"\n";
  s += "    say \"restore: moved the old data dir to $ASIDE_DIR (kept)\"\n";
  s += "  elif [ -e \"$ASIDE_DIR\" ]; then\n";
  s += "    say \"restore: the old data dir is already at $ASIDE_DIR\"\n";
  s += "  else\n";
  s += "    say \"restore: there is no old data dir at $DATA_DIR\"\n";
  s += "  fi\n";
  if (!n.wal_dir.empty()) {
    s += "  if [ -d \"$WAL_DIR\" ] && [ \"$(stat -c %d \"$WAL_DIR\")\" != \"$(stat -c %d \"$WAL_DIR/..\")\" ]; then\n";
    s += "    die \"the WAL dir $WAL_DIR is a mount point: not supported by this plan (move its contents aside and "
         "restore by hand)\"\n";
    s += "  elif [ -e \"$WAL_DIR\" ]; then\n";
    s += "    [ ! -e \"$WAL_ASIDE_DIR\" ] || die \"both $WAL_DIR and $WAL_ASIDE_DIR exist; sort them out by hand\"\n";
    s += "    mv \"$WAL_DIR\" \"$WAL_ASIDE_DIR\"\n";
    s += "    say \"restore: moved the old WAL dir to $WAL_ASIDE_DIR (kept)\"\n";
    s += "  fi\n";
    s += "  [ ! -e \"$WAL_RESTORE_DIR\" ] || die \"$WAL_RESTORE_DIR exists (an interrupted restore?): move it away by "
         "hand, then run this phase again\"\n";
  }
  s += "  if [ \"$MOUNTED\" = yes ]; then\n";
  s += "    target=\"$DATA_DIR/.restore-$PLAN_ID\"\n";
  s += "  else\n";
  s += "    target=\"$RESTORE_DIR\"\n";
  s += "  fi\n";
  s += "  [ ! -e \"$target\" ] || die \"$target exists (an interrupted restore?): move it away by hand, then "
       "run this phase again\"\n";
  s += "  mkdir -p \"$(dirname \"$target\")\"\n";
  s += "  restore_cmd \"$target\" \"$WAL_RESTORE_DIR\" || die \"the restore into $target failed\"\n";
  s += "  if [ \"$MOUNTED\" = yes ]; then\n";
  s += "    for f in \"$target\"/*; do mv \"$f\" \"$DATA_DIR/\"; done\n";
  s += "    rmdir \"$target\"\n";
  s += "  fi\n";
  if (n.wal_dir.empty())
    s += "  [ -d \"$RESTORE_DIR/member/wal\" ] || die \"the restore did not write $RESTORE_DIR/member/wal\"\n";
  else
    s += "  [ -d \"$WAL_RESTORE_DIR\" ] || die \"the restore did not write the WAL dir $WAL_RESTORE_DIR\"\n";
  s += "  [ -f \"$ORIG\" ] || cp -p \"$STASH/$MANIFEST_FILE\" \"$ORIG\"\n";
  s += "  edit_manifest \"$ORIG\" \"$STASH/.new-$MANIFEST_FILE\" || die \"the manifest edit did not apply to $ORIG\"\n";
  s += "  mv \"$STASH/.new-$MANIFEST_FILE\" \"$STASH/$MANIFEST_FILE\"\n";
  if (!n.edits.empty())
    s += "  [ \"$MOUNTED\" = yes ] || say \"restore: re-pointed $MANIFEST_FILE: " + edits_text + "\"\n";
  s += "  : > \"$DONE\"\n";
  s += "  say \"restore: done into $RESTORE_DIR; the original manifest is kept as $ORIG\"\n}\n\n";

  s += "phase_start() {\n";
  s += "  banner start\n";
  s += "  [ -f \"$DONE\" ] || die \"the restore phase has not run on this node\"\n";
  s += "  if [ -f \"$STASH/$MANIFEST_FILE\" ]; then\n";
  s += "    [ ! -e \"$MANIFESTS/$MANIFEST_FILE\" ] || die \"both $STASH/$MANIFEST_FILE and $MANIFESTS/$MANIFEST_FILE "
       "exist\"\n";
  s += "    mv \"$STASH/$MANIFEST_FILE\" \"$MANIFESTS/$MANIFEST_FILE\"\n";
  s += "    say \"start: put $MANIFEST_FILE back into $MANIFESTS\"\n";
  s += "  fi\n";
  s += "  [ -f \"$MANIFESTS/$MANIFEST_FILE\" ] || die \"$MANIFESTS/$MANIFEST_FILE is missing\"\n";
  s += "  sh -c \"$KUBELET_RESTART_CMD\" || die \"restarting the kubelet failed ($KUBELET_RESTART_CMD)\"\n";
  s += "  wait_until \"etcd to run on $WAL_OF_RESTORE (its WAL lock)\" etcd_running\n";
  s += "  crictl_note \"start: etcd runs ($holder); start it on every member, then run verify\"\n}\n\n";

  s += "phase_verify() {\n";
  s += "  banner verify\n";
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
  s += "  banner finish\n";
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
  for (const auto& st : p.cluster_steps)
    for (const auto& c : st.commands)
      if (c.find("kubeadm-config -o yaml | sed") != std::string::npos)
        s += "  [ \"$MOUNTED\" = yes ] || say " +
             ShellQuote("finish: kubeadm-config's etcd.local.dataDir still names the old data dir; once, from a "
                        "machine with kubectl, run: " + c) +
             "\n";
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
  readme += "Example: `sudo sh " + ScriptName(p.nodes.front().node) + " check`. A phase that finds its work done says so\n";
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
                     {"walDir", n.wal_dir},
                     {"walAsideDir", n.wal_aside_dir},
                     {"walRestoreDir", n.wal_restore_dir},
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
                    {"leftOut", p.left_out},
                    {"nodes", nodes},
                    {"clusterSteps", steps(p.cluster_steps)},
                    {"notes", p.notes}};
  return j.dump(2) + "\n";
}

}  // namespace etcdrestore::plan
