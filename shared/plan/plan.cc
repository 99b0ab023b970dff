#include "shared/plan/plan.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>
#include <string_view>

#include "shared/base/file.h"
#include "shared/base/strings.h"
#include "shared/membership/urls.h"

namespace etcdrestore::plan {
namespace {

using topology::EtcdMember;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "2024-05-01T12:00:00Z" -> "20240501-120000".
std::string PlanId(const std::string& now) {
  std::string digits;
  for (char c : now.substr(0, 19))
    if (c >= '0' && c <= '9') digits += c;
  if (digits.size() != 14) return "plan";
  return digits.substr(0, 8) + "-" + digits.substr(8);
}

// Is `path` equal to `prefix` or below it?
bool Under(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return false;
  if (prefix == "/") return true;
  return path == prefix || (StartsWith(path, prefix) && path[prefix.size()] == '/');
}

// The hostPath mount that holds the container path `path` (longest mountPath wins).
const topology::Mount* MountOf(const std::vector<topology::Mount>& mounts, std::string_view path) {
  const topology::Mount* best = nullptr;
  for (const auto& m : mounts) {
    if (m.host_path.empty() || !Under(path, m.mount_path)) continue;
    if (!best || m.mount_path.size() > best->mount_path.size()) best = &m;
  }
  return best;
}

// Initial-cluster names of a member's flag ("a=u1,b=u2" -> {a, b}).
std::vector<std::string> InitialClusterNames(const std::string& flag) {
  std::vector<std::string> names;
  for (const auto& item : topology::SplitList(flag)) {
    auto eq = item.find('=');
    if (eq != std::string::npos) names.push_back(item.substr(0, eq));
  }
  return names;
}

// Escapes s for the pattern (BRE) / replacement side of a sed `s|...|...|` command.
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

std::string Command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += ShellQuoteIfNeeded(a);
  }
  return out;
}

struct Parsed {
  int y, mo, d, h, mi, s;
};

bool ParseTime(const std::string& t, Parsed* p) {
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') return false;
  if (t.back() != 'Z') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
    if (t[i] < '0' || t[i] > '9') return false;
  auto num = [&](int at, int n) { return std::stoi(t.substr(at, n)); };
  *p = {num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)};
  return p->mo >= 1 && p->mo <= 12 && p->d >= 1 && p->d <= 31 && p->h < 24 && p->mi < 60 && p->s < 61;
}

int64_t EpochSeconds(const Parsed& p) {
  // Days from civil (Howard Hinnant's algorithm), so no time zone is involved.
  int y = p.y - (p.mo <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (p.mo + (p.mo > 2 ? -3 : 9)) + 2) / 5 + p.d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  return days * 86400 + p.h * 3600 + p.mi * 60 + p.s;
}

// Line-wise edit helpers of ApplyEdits: the semantics of edit_manifest in
// templates/edit_manifest.sh (tests/unit/plan runs both on the same manifests).
bool IsPathChar(char c) {
  return isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' || c == '-';
}

// `key: VALUE` line (YAML or JSON, optional list dash and quotes, optional trailing comma):
// the position of VALUE in it, npos when the line is something else.
size_t KeyValueAt(std::string_view line, std::string_view key, std::string_view value) {
  constexpr size_t kNo = std::string_view::npos;
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (line.substr(i, 2) == "- ") i += 2;
  bool quoted_key = i < line.size() && line[i] == '"';
  if (quoted_key) ++i;
  if (line.substr(i, key.size()) != key) return kNo;
  i += key.size();
  if (quoted_key) {
    if (i >= line.size() || line[i] != '"') return kNo;
    ++i;
  }
  if (i >= line.size() || line[i] != ':') return kNo;
  ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  bool quoted = i < line.size() && (line[i] == '"' || line[i] == '\'');
  char q = quoted ? line[i] : 0;
  if (quoted) ++i;
  if (line.substr(i, value.size()) != value) return kNo;
  const size_t at = i;
  i += value.size();
  if (quoted) {
    if (i >= line.size() || line[i] != q) return kNo;
    ++i;
  }
  if (i < line.size() && line[i] == ',') ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  return i == line.size() ? at : kNo;
}

// Replaces `FLAG=FROM` / `FLAG FROM` words (FLAG: --data-dir, --wal-dir); returns whether
// the line changed.
bool EditFlagWord(std::string& line, const std::string& flag, const std::string& from, const std::string& to) {
  bool changed = false;
  for (const std::string& form : {flag + "=", flag + " "}) {
    const std::string word = form + from;
    size_t pos = 0;
    while ((pos = line.find(word, pos)) != std::string::npos) {
      size_t end = pos + word.size();
      if (end < line.size() && IsPathChar(line[end])) {
        pos = end;
        continue;
      }
      line.replace(pos, word.size(), form + to);
      pos += form.size() + to.size();
      changed = true;
    }
  }
  return changed;
}

}  // namespace

std::string ToolName(RestoreTool t) { return t == RestoreTool::kEtcdutl ? "etcdutl" : "etcdctl-ext"; }

std::string InputKindName(InputKind k) {
  switch (k) {
    case InputKind::kApi: return "api";
    case InputKind::kSidecar: return "sidecar";
    case InputKind::kManifests: return "manifests";
  }
  return "unknown";
}

Result<Replacement> ParseReplacement(std::string_view spec) {
  const std::string text(spec);
  const size_t a = spec.find('=');
  const size_t b = a == std::string_view::npos ? a : spec.find('=', a + 1);
  if (b == std::string_view::npos)
    return Fail(ErrorCode::kInvalidArgument,
                "plan: --replace wants OLD=NEW=PEER_URL (e.g. cp3=cp4=https://10.0.0.14:2380), got \"" + text + "\"");
  Replacement r{text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
  for (const std::string* name : {&r.old_name, &r.name}) {
    if (name->empty())
      return Fail(ErrorCode::kInvalidArgument,
                  "plan: --replace " + text + ": a member name is empty (want OLD=NEW=PEER_URL)");
    if (name->find_first_of(",=\n\r") != std::string::npos)
      return Fail(ErrorCode::kInvalidArgument,
                  "plan: --replace " + text + ": member name \"" + *name + "\" has ',', '=' or a line break");
  }
  auto urls = membership::ParsePeerUrls(r.peer_url);
  if (!urls)
    return Fail(ErrorCode::kInvalidArgument, "plan: --replace " + text + ": peer URL: " + urls.error().message());
  if (urls->size() != 1 || !(StartsWith((*urls)[0], "http://") || StartsWith((*urls)[0], "https://")))
    return Fail(
        ErrorCode::kInvalidArgument,
        "plan: --replace " + text + ": the peer URL must be one http(s)://HOST:PORT, got \"" + r.peer_url + "\"");
  r.peer_url = (*urls)[0];
  return r;
}

Result<int64_t> SecondsBetween(const std::string& from, const std::string& to) {
  Parsed a, b;
  if (!ParseTime(from, &a)) return Fail(ErrorCode::kInvalidArgument, "bad RFC 3339 UTC time \"" + from + "\"");
  if (!ParseTime(to, &b)) return Fail(ErrorCode::kInvalidArgument, "bad RFC 3339 UTC time \"" + to + "\"");
  return EpochSeconds(b) - EpochSeconds(a);
}

uint64_t SizeBump(int64_t revision, int64_t age_seconds, std::string* reason) {
  constexpr uint64_t kRound = 100000000;
  if (age_seconds < 0 || revision < 0) {
    *reason = "the snapshot's age is unknown, so the bump is the floor of 1000000000 (the etcd recovery "
              "guide's value: a week of writes at 1500/s)";
    return kMinBump;
  }
  const uint64_t writes = kAssumedWritesPerSecond * static_cast<uint64_t>(age_seconds);
  uint64_t want = 2 * (static_cast<uint64_t>(revision) + writes);
  want = (want + kRound - 1) / kRound * kRound;
  const uint64_t bump = std::max(kMinBump, want);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "the snapshot is at revision %lld and %lld s old; at up to %llu writes/s the lost revisions are at "
                "most %llu, doubled and rounded up to %llu%s",
                static_cast<long long>(revision), static_cast<long long>(age_seconds),
                static_cast<unsigned long long>(kAssumedWritesPerSecond),
                static_cast<unsigned long long>(static_cast<uint64_t>(revision) + writes),
                static_cast<unsigned long long>(want),
                bump == kMinBump && want < kMinBump ? ", below the floor of 1000000000, so 1000000000" : "");
  *reason = buf;
  return bump;
}

Result<std::string> ApplyEdits(const std::string& manifest, const std::vector<ManifestEdit>& edits) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= manifest.size()) {
    size_t nl = manifest.find('\n', pos);
    if (nl == std::string::npos) {
      if (pos < manifest.size()) lines.push_back(manifest.substr(pos));
      break;
    }
    lines.push_back(manifest.substr(pos, nl - pos));
    pos = nl + 1;
  }
  const bool final_newline = !manifest.empty() && manifest.back() == '\n';
  for (const auto& e : edits) {
    int changed = 0;
    for (auto& line : lines) {
      if (StartsWith(e.field, "--")) {
        if (EditFlagWord(line, e.field, e.from, e.to)) ++changed;
      } else {
        const std::string key = e.field == "hostPath" ? "path" : "mountPath";
        if (size_t at = KeyValueAt(line, key, e.from); at != std::string::npos) {
          line.replace(at, e.from.size(), e.to);
          ++changed;
        }
      }
    }
    if (changed != 1)
      return Fail(ErrorCode::kFailedPrecondition,
                  "edit " + e.field + " " + e.from + " -> " + e.to + ": " + std::to_string(changed) +
                      " lines match (want exactly 1)");
  }
  std::string out = Join(lines, "\n");
  if (final_newline) out += "\n";
  return out;
}

Input FromTopology(const topology::Topology& t, std::string source) {
  Input in;
  in.kind = InputKind::kApi;
  in.source = std::move(source);
  in.members = t.members;
  in.apiservers = t.apiservers;
  for (const auto& p : t.problems) in.notes.push_back(p.object + ": " + p.message);
  return in;
}

Input FromSidecar(const topology::Sidecar& s, std::string source) {
  Input in;
  in.kind = InputKind::kSidecar;
  in.source = std::move(source);
  in.members = s.members;
  in.apiservers = s.apiservers;
  in.recorded_sha256 = s.snapshot.sha256;
  in.recorded_revision = s.snapshot.revision;
  in.recorded_created = s.created;
  for (const auto& m : s.members) in.snapshot_members.push_back({m.name, m.peer_urls, m.is_learner});
  in.snapshot_members_source = in.source;
  return in;
}

Input FromManifests(std::vector<topology::EtcdMember> members) {
  Input in;
  in.kind = InputKind::kManifests;
  in.source = "static pod manifests";
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.pod.node < b.pod.node; });
  in.members = std::move(members);
  return in;
}

namespace {

bool Replaced(const Options& o, const std::string& name) {
  for (const auto& r : o.replace)
    if (r.old_name == name) return true;
  return false;
}

// --replace OLD=NEW=URL: OLD is a member the cluster had (in the input, some
// --initial-cluster or the snapshot's member list) and is not restored; NEW and URL are
// nobody else's.
Status CheckReplacements(const Input& in, const Options& o) {
  std::map<std::string, std::vector<std::string>> known;  // name -> peer URLs
  for (const auto& m : in.members) known[m.name] = m.peer_urls;
  for (const auto& m : in.members)
    for (const auto& item : topology::SplitList(m.initial_cluster)) {
      auto eq = item.find('=');
      if (eq != std::string::npos) known[item.substr(0, eq)].push_back(item.substr(eq + 1));
    }
  for (const auto& r : in.snapshot_members)
    if (!r.name.empty()) known[r.name].insert(known[r.name].end(), r.peer_urls.begin(), r.peer_urls.end());
  std::set<std::string> olds, news, urls;
  for (const auto& r : o.replace) {
    const std::string what = "plan: --replace " + r.old_name + "=" + r.name + "=" + r.peer_url;
    if (!known.contains(r.old_name)) {
      std::vector<std::string> names;
      for (const auto& [n, u] : known) names.push_back(n);
      return Fail(ErrorCode::kInvalidArgument, what + ": there is no member \"" + r.old_name +
                                                   "\" to replace (the members: " + Join(names, ", ") + ")");
    }
    if (!olds.insert(r.old_name).second)
      return Fail(ErrorCode::kInvalidArgument, what + ": member " + r.old_name + " is replaced twice");
    if (std::find(o.members.begin(), o.members.end(), r.old_name) != o.members.end())
      return Fail(ErrorCode::kInvalidArgument, what + ": member " + r.old_name +
                                                   " is both restored (--members) and replaced (--replace)");
    if (r.old_name == o.leader)
      return Fail(ErrorCode::kInvalidArgument, what + ": the --leader " + o.leader + " is replaced, so not restored");
    if (!news.insert(r.name).second)
      return Fail(ErrorCode::kInvalidArgument, what + ": two replacements are named " + r.name);
    if (r.name != r.old_name && known.contains(r.name))
      return Fail(ErrorCode::kInvalidArgument, what + ": the name " + r.name + " is another member's; pick a new one");
    if (!urls.insert(r.peer_url).second)
      return Fail(ErrorCode::kInvalidArgument, what + ": two replacements have the peer URL " + r.peer_url);
    for (const auto& [name, peer] : known)
      if (name != r.old_name && std::find(peer.begin(), peer.end(), r.peer_url) != peer.end())
        return Fail(ErrorCode::kInvalidArgument,
                    what + ": the peer URL " + r.peer_url + " is member " + name + "'s; the replacement needs its own");
  }
  return {};
}

Status CheckInput(const Input& in, const Options& o) {
  if (in.members.empty()) return Fail(ErrorCode::kInvalidArgument, "plan: the input has no etcd members");
  if (o.snapshot_path.empty() || o.snapshot_path.find("..") != std::string::npos)
    return Fail(ErrorCode::kInvalidArgument,
                "plan: the snapshot path on the nodes must be absolute or relative to the plan bundle dir (no ..), "
                "got \"" + o.snapshot_path + "\"");
  if (o.snapshot_sha256.size() != 64)
    return Fail(ErrorCode::kInvalidArgument, "plan: snapshot sha256 must be 64 hex digits");
  if (!in.recorded_sha256.empty() && in.recorded_sha256 != o.snapshot_sha256)
    return Fail(ErrorCode::kFailedPrecondition,
                "plan: snapshot \"" + o.snapshot_path + "\" has sha256 " + o.snapshot_sha256 + " but " + in.source +
                    " records " + in.recorded_sha256 + ": it is not the snapshot the sidecar describes");
  std::set<std::string> names, nodes;
  for (const auto& m : in.members) {
    if (m.name.empty()) return Fail(ErrorCode::kInvalidArgument, "plan: a member has no --name");
    if (!names.insert(m.name).second)
      return Fail(ErrorCode::kInvalidArgument, "plan: member \"" + m.name + "\" appears twice in the input");
    if (m.pod.node.empty())
      return Fail(ErrorCode::kInvalidArgument,
                  "plan: member \"" + m.name + "\" has no node in " + in.source +
                      " (its pod was not found); give its manifest with --manifest NODE=FILE");
    if (!nodes.insert(m.pod.node).second)
      return Fail(ErrorCode::kInvalidArgument, "plan: node \"" + m.pod.node + "\" runs two members");
    if (m.peer_urls.empty())
      return Fail(ErrorCode::kInvalidArgument, "plan: member \"" + m.name + "\" has no --initial-advertise-peer-urls");
  }
  RETURN_IF_ERROR(CheckReplacements(in, o));
  for (const auto& want : o.members)
    if (!names.contains(want))
      return Fail(ErrorCode::kInvalidArgument, "plan: --members names \"" + want + "\", which has no node in " +
                                                   in.source + " (give its manifest with --manifest NODE=FILE)");
  for (const auto& m : in.members) {
    for (const auto& n : InitialClusterNames(m.initial_cluster)) {
      if (!names.contains(n) && o.members.empty() && !Replaced(o, n))
        return Fail(
            ErrorCode::kInvalidArgument,
            "plan: member \"" + n + "\" is in the --initial-cluster of \"" + m.name + "\" but not in " + in.source +
                "; every member must be restored: add its node (e.g. --manifest NODE=FILE), or name the members to "
                "restore on purpose with --members NAME,... (a lost machine: --replace OLD=NEW=PEER_URL)");
    }
  }
  if (!o.leader.empty() && !names.contains(o.leader))
    return Fail(ErrorCode::kInvalidArgument, "plan: --leader \"" + o.leader + "\" is not a member");
  return {};
}

// Where a container path of the member's pod is on the host: the hostPath volume that
// holds it (host path of the volume, the path below it, the mount).
struct HostLocation {
  const topology::Mount* mount = nullptr;
  std::string vol_host;  // the volume's hostPath, no trailing '/'
  std::string rel;       // the rest of the path below the mountPath ("" or "/sub")
};

HostLocation Locate(const EtcdMember& m, const std::string& container_path) {
  HostLocation l;
  l.mount = MountOf(m.pod.mounts, container_path);
  if (!l.mount) return l;
  l.rel = container_path.substr(
      std::min(container_path.size(), l.mount->mount_path == "/" ? 0 : l.mount->mount_path.size()));
  l.vol_host = l.mount->host_path;
  while (l.vol_host.size() > 1 && l.vol_host.back() == '/') l.vol_host.pop_back();
  return l;
}

Result<NodePlan> PlanNode(const EtcdMember& m, const Input& in, const Options& o, const std::string& id,
                          std::vector<std::string>* notes) {
  NodePlan n;
  n.node = m.pod.node;
  n.member = m.name;
  n.etcd_version = m.version;
  n.peer_urls = m.peer_urls;
  n.client_urls = m.client_urls;
  n.container = m.pod.container.empty() ? "etcd" : m.pod.container;

  std::string dir;
  bool assumed_dir = false;
  if (auto it = o.manifests_dirs.find(n.node); it != o.manifests_dirs.end()) {
    dir = it->second;
  } else if (auto all = o.manifests_dirs.find(""); all != o.manifests_dirs.end()) {
    dir = all->second;
  } else if (!m.pod.manifest_path.empty() && in.kind != InputKind::kManifests) {
    dir = DirName(m.pod.manifest_path);
  } else {
    // A copied manifest says nothing about where it lives on the node, and without the
    // kubelet-config ConfigMap the API does not either: kubeadm's dir, said loudly.
    dir = kKubeadmManifestsDir;
    assumed_dir = true;
  }
  if (dir[0] != '/')
    return Fail(ErrorCode::kInvalidArgument, "plan: node \"" + n.node +
                                                 "\": the static pod manifests dir must be absolute (got \"" + dir +
                                                 "\"); pass --manifests-dir DIR (the kubelet's staticPodPath)");
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  n.manifests_dir = dir;
  bool assumed_file = false;
  if (!o.manifest_file.empty()) {
    n.manifest_file = o.manifest_file;
  } else if (!m.pod.manifest_path.empty() && in.kind != InputKind::kManifests) {
    n.manifest_file = BaseName(m.pod.manifest_path);
  } else {
    n.manifest_file = kKubeadmEtcdManifest;
    assumed_file = true;
  }
  if (n.manifest_file.empty() || n.manifest_file.find('/') != std::string::npos)
    return Fail(ErrorCode::kInvalidArgument, "plan: node \"" + n.node +
                                                 "\": the etcd manifest's file name is not known; pass "
                                                 "--etcd-manifest-name NAME");
  if (assumed_dir || assumed_file) {
    std::string why = in.kind == InputKind::kManifests ? "the copied manifest does not say where it is on the node"
                                                       : "the kubelet's staticPodPath is not known (the "
                                                         "kubelet-config ConfigMap could not be read)";
    notes->push_back("node " + n.node + ": " + why + "; assuming kubeadm's " + n.manifests_dir + "/" +
                     n.manifest_file + " (pass --manifests-dir DIR and --etcd-manifest-name NAME if it is elsewhere; "
                     "the check phase refuses when the file is not there)");
  }
  n.stash_dir = n.manifests_dir + ".etcdrestore-" + id;

  if (m.data_dir.empty())
    return Fail(ErrorCode::kInvalidArgument, "plan: member \"" + m.name + "\" has no --data-dir");
  const HostLocation data = Locate(m, m.data_dir);
  if (!data.mount)
    return Fail(ErrorCode::kInvalidArgument,
                "plan: member \"" + m.name + "\" on node \"" + n.node + "\": no hostPath volume holds --data-dir " +
                    m.data_dir + " (kubeadm mounts one named etcd-data); cannot tell where its data is on the node");
  n.volume = data.mount->volume;
  n.data_dir = data.vol_host + data.rel;
  n.aside_dir = n.data_dir + ".before-restore-" + id;
  HostLocation wal;
  if (!m.wal_dir.empty()) {
    wal = Locate(m, m.wal_dir);
    if (!wal.mount)
      return Fail(ErrorCode::kInvalidArgument, "plan: member \"" + m.name + "\" on node \"" + n.node +
                                                   "\": no hostPath volume holds --wal-dir " + m.wal_dir +
                                                   "; cannot tell where its WAL is on the node");
    n.wal_dir = wal.vol_host + wal.rel;
    if (Under(n.wal_dir, n.data_dir))
      return Fail(ErrorCode::kInvalidArgument,
                  "plan: member \"" + m.name + "\": --wal-dir " + m.wal_dir + " is inside --data-dir " + m.data_dir +
                      "; not supported (restore by hand)");
    n.wal_aside_dir = n.wal_dir + ".before-restore-" + id;
  }
  // Re-points one volume (hostPath, and mountPath plus FLAG when kubeadm wrote the same path
  // for the host and the container, so the flag names the real dir) at its new host dir.
  auto repoint = [&](const HostLocation& l, const std::string& flag, const std::string& flag_value) {
    const std::string new_vol = l.vol_host + "-restore-" + id;
    for (const auto& e : n.edits)
      if (e.field == "hostPath" && e.volume == l.mount->volume) return new_vol + l.rel;  // shared volume
    n.edits.push_back({"hostPath", l.mount->volume, l.vol_host, new_vol});
    if (l.mount->mount_path == l.mount->host_path) {
      n.edits.push_back({"mountPath", l.mount->volume, l.mount->mount_path, new_vol});
      n.edits.push_back({flag, "", flag_value, new_vol + l.rel});
    }
    return new_vol + l.rel;
  };
  if (o.in_place) {
    n.restore_dir = n.data_dir;
    n.wal_restore_dir = n.wal_dir;
  } else {
    n.restore_dir = repoint(data, "--data-dir", m.data_dir);
    if (wal.mount) {
      const bool shared = wal.mount->volume == data.mount->volume;
      n.wal_restore_dir = repoint(wal, "--wal-dir", m.wal_dir);
      if (shared && data.mount->mount_path == data.mount->host_path)
        n.edits.push_back({"--wal-dir", "", m.wal_dir, n.wal_restore_dir});
    }
  }

  // TLS for etcdctl checks: the apiserver's etcd client cert on this node when known, else
  // the member's server cert (kubeadm issues it for server and client auth).
  auto host = [&](const auto& obj, const std::string& p) -> std::string {
    if (p.empty()) return "";
    auto h = obj.HostPath(p);
    return h ? *h : p;
  };
  bool https = false;
  for (const auto& u : n.client_urls) https |= StartsWith(u, "https://");
  if (https) {
    n.ca_file = host(m, m.server.trusted_ca_file);
    n.cert_file = host(m, m.server.cert_file);
    n.key_file = host(m, m.server.key_file);
    for (const auto& a : in.apiservers) {
      if (a.pod.node == n.node && !a.etcd_certfile.empty() && !a.etcd_keyfile.empty()) {
        if (!a.etcd_cafile.empty()) n.ca_file = host(a, a.etcd_cafile);
        n.cert_file = host(a, a.etcd_certfile);
        n.key_file = host(a, a.etcd_keyfile);
      }
    }
  }
  return n;
}

std::string CrictlQuery(const NodePlan& n) { return "crictl ps -q --name '^" + n.container + "$'"; }

void AddSteps(const Plan& p, NodePlan& n) {
  const std::string tool = p.tool == RestoreTool::kEtcdutl ? p.etcdutl_path : p.etcdctl_ext_path;
  const std::string status_tool = tool;
  std::vector<std::string> dry = {tool, "snapshot", "restore", p.snapshot_path};
  const std::string manifest = n.manifests_dir + "/" + n.manifest_file;
  const std::string stashed = n.stash_dir + "/" + n.manifest_file;

  Step check{"check", "Verify the snapshot and rehearse the restore (nothing is stopped yet)",
             "the same snapshot must be restored on every member; a damaged or different file is caught here, "
             "before anything is stopped",
             {"sha256sum " + ShellQuoteIfNeeded(p.snapshot_path) + "    # must print " + p.snapshot_sha256,
              Command({status_tool, "snapshot", "status", p.snapshot_path, "-w", "table"}) +
                  "    # its HASH is etcd's CRC of the db, not the file's sha256 above"}};
  if (p.tool == RestoreTool::kEtcdctlExt) {
    std::vector<std::string> argv = {tool, "snapshot", "restore", p.snapshot_path, "--dry-run"};
    argv.insert(argv.end(), n.restore_args.begin(), n.restore_args.end());
    check.commands.push_back(Command(argv));
  } else {
    std::vector<std::string> argv = {tool, "snapshot", "restore", p.snapshot_path};
    std::vector<std::string> args = n.restore_args;
    // etcdutl has no --dry-run: restore into a scratch dir and remove it.
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--data-dir") args[i + 1] = n.restore_dir + ".dry-run";
    argv.insert(argv.end(), args.begin(), args.end());
    check.commands.push_back(Command(argv) + " && rm -rf " + ShellQuoteIfNeeded(n.restore_dir + ".dry-run"));
  }
  if (!n.edits.empty())
    check.commands.push_back("grep -n -e " + ShellQuoteIfNeeded(n.edits.front().from) + " " +
                             ShellQuoteIfNeeded(manifest) + "    # the lines the restore step will change (see below)");
  n.steps.push_back(std::move(check));

  n.steps.push_back(
      {"stop", "Stop the static pods: move every manifest OUT of " + n.manifests_dir,
       "the kubelet runs every file in its manifests dir, a backup copy too; moving them to a sibling dir "
       "stops etcd and the control plane on this node",
       {"mkdir -p " + ShellQuoteIfNeeded(n.stash_dir),
        "mv " + ShellQuoteIfNeeded(n.manifests_dir) + "/* " + ShellQuoteIfNeeded(n.stash_dir) + "/",
        "ls -A " + ShellQuoteIfNeeded(n.manifests_dir) + "    # must print nothing",
        CrictlQuery(n) + "    # repeat until it prints nothing: the etcd container is gone"}});

  Step restore{"restore",
               "Move the old data aside and restore the snapshot",
               "the old data dir is kept (renamed, never deleted); the member is recreated with its own name and "
               "peer URLs in a new cluster shared by all members",
               {"mv " + ShellQuoteIfNeeded(n.data_dir) + " " + ShellQuoteIfNeeded(n.aside_dir) +
                "    # a mount point: move its contents into " +
                ShellQuoteIfNeeded(n.data_dir + "/.before-restore-" + p.id) + " instead (the script does)"}};
  if (!n.wal_dir.empty())
    restore.commands.push_back("mv " + ShellQuoteIfNeeded(n.wal_dir) + " " + ShellQuoteIfNeeded(n.wal_aside_dir));
  {
    std::vector<std::string> argv = {tool, "snapshot", "restore", p.snapshot_path};
    argv.insert(argv.end(), n.restore_args.begin(), n.restore_args.end());
    restore.commands.push_back(Command(argv));
  }
  if (!n.edits.empty()) {
    restore.commands.push_back("# edit " + stashed + ":");
    for (const auto& e : n.edits) {
      if (StartsWith(e.field, "--")) {
        restore.commands.push_back("#   in the etcd command: " + e.field + "=" + e.from + "  ->  " + e.field + "=" +
                                   e.to);
      } else if (e.field == "hostPath") {
        restore.commands.push_back("#   volume " + e.volume + ": hostPath path: " + e.from + "  ->  " + e.to);
      } else {
        restore.commands.push_back("#   volumeMount " + e.volume + ": mountPath: " + e.from + "  ->  " + e.to);
      }
    }
  }
  n.steps.push_back(std::move(restore));

  n.steps.push_back({"start",
                     "Start etcd: put the etcd manifest back and restart the kubelet",
                     "only etcd comes back now; the kube-apiserver, controller-manager and scheduler wait until "
                     "the whole etcd cluster is healthy",
                     {"mv " + ShellQuoteIfNeeded(stashed) + " " + ShellQuoteIfNeeded(manifest),
                      "systemctl restart kubelet", CrictlQuery(n) + "    # repeat until it prints a container id"}});
}

}  // namespace

Result<Plan> MakePlan(const Input& in, const Options& o) {
  RETURN_IF_ERROR(CheckInput(in, o));
  Plan p;
  p.id = PlanId(o.now);
  p.created = o.now;
  p.input = in.kind;
  p.source = in.source;
  p.tool = o.tool;
  p.snapshot_path = o.snapshot_path;
  p.snapshot_sha256 = o.snapshot_sha256;
  p.snapshot_revision = in.recorded_revision;
  p.snapshot_created = in.recorded_created;
  p.in_place = o.in_place;
  p.etcdctl_ext_path = o.etcdctl_ext_path;
  p.etcdutl_path = o.etcdutl_path;
  p.etcdctl_path = o.etcdctl_path;
  p.notes = in.notes;
  p.token = o.token.empty() ? "etcdrestore-" + p.id : o.token;
  if (o.leader.empty() && in.members.size() > 1)
    p.notes.push_back("the leader is not known: stop it last (IS LEADER in `etcdctl-ext endpoint status -w table`), "
                      "or plan again with --leader NAME");

  if (!o.bump) {
    p.bump = 0;
    p.bump_reason =
        "--no-bump: the revision is not raised, so the kube-apiserver, controllers and every informer may keep "
        "serving cached objects newer than the snapshot until they are all restarted";
  } else if (o.bump_revision > 0) {
    p.bump = o.bump_revision;
    p.bump_reason = "given with --bump-revision";
  } else {
    int64_t age = -1;
    if (!in.recorded_created.empty() && !o.now.empty()) {
      auto s = SecondsBetween(in.recorded_created, o.now);
      if (s && *s >= 0) age = *s;
    }
    p.bump = SizeBump(age < 0 ? -1 : in.recorded_revision, age, &p.bump_reason);
  }

  // The members to restore: every member of the input, or those named with --members.
  std::vector<const EtcdMember*> order;
  std::set<std::string> planned;
  for (const auto& m : in.members) {
    if (Replaced(o, m.name)) continue;
    if (!o.members.empty() && std::find(o.members.begin(), o.members.end(), m.name) == o.members.end()) {
      p.left_out.push_back(m.name);
      continue;
    }
    order.push_back(&m);
    planned.insert(m.name);
  }
  if (!o.leader.empty() && !planned.contains(o.leader))
    return Fail(ErrorCode::kInvalidArgument, "plan: --leader \"" + o.leader + "\" is not among the members restored");
  for (const auto& m : in.members)
    for (const auto& name : InitialClusterNames(m.initial_cluster))
      if (!planned.contains(name) && !Replaced(o, name) &&
          std::find(p.left_out.begin(), p.left_out.end(), name) == p.left_out.end())
        p.left_out.push_back(name);
  // Cross-check against the snapshot's own member list: kubeadm's first node lists only
  // itself in --initial-cluster, so a plan from its manifest alone would restore a
  // one-member cluster and split the control plane.
  auto planned_member = [&](const RecordedMember& r) -> const EtcdMember* {
    for (const auto* m : order) {
      if (!r.name.empty() && r.name == m->name) return m;
      if (r.name.empty())
        for (const auto& u : r.peer_urls)
          if (std::find(m->peer_urls.begin(), m->peer_urls.end(), u) != m->peer_urls.end()) return m;
    }
    return nullptr;
  };
  if (in.snapshot_members.empty() && in.notes.end() == std::find_if(in.notes.begin(), in.notes.end(), [](auto& n) {
        return n.starts_with("the snapshot's member list could not be read");
      })) {
    p.notes.push_back("the snapshot's member list is not known, so the plan's members were not cross-checked "
                      "against it: make sure every member is in the plan");
  }
  std::vector<std::string> missing;
  for (const auto& r : in.snapshot_members)
    if (!planned_member(r) && !Replaced(o, r.name))
      missing.push_back((r.name.empty() ? "(unnamed)" : r.name) + " " + Join(r.peer_urls, ","));
  std::sort(missing.begin(), missing.end());
  if (!missing.empty() && o.members.empty())
    return Fail(ErrorCode::kFailedPrecondition,
                "plan: " + in.snapshot_members_source + " lists " +
                    (missing.size() == 1 ? "member " + missing[0] + ", which is"
                                         : "members " + Join(missing, ", ") + ", which are") +
                    " not in the plan (made from " + in.source + "); restoring without " +
                    (missing.size() == 1 ? "it" : "them") + " splits the control plane. Give " +
                    (missing.size() == 1 ? "its node" : "their nodes") +
                    " (e.g. --manifest NODE=FILE), "
                    "or name the members to restore on purpose with --members NAME,... (a lost machine: --replace "
                    "OLD=NEW=PEER_URL)");
  for (const auto& r : in.snapshot_members) {
    const std::string who = (r.name.empty() ? "(unnamed)" : r.name) + " " + Join(r.peer_urls, ",");
    const EtcdMember* m = planned_member(r);
    if (!m) {
      if (Replaced(o, r.name)) continue;
      const std::string name = r.name.empty() ? who : r.name;
      if (std::find(p.left_out.begin(), p.left_out.end(), name) == p.left_out.end()) p.left_out.push_back(name);
      continue;
    }
    if ((r.is_learner || m->is_learner) && !o.learners_as_voters)
      return Fail(ErrorCode::kFailedPrecondition,
                  "plan: member " + m->name + " is a learner in " + in.snapshot_members_source +
                      "; a restore makes every member a voter. Pass --learners-as-voters to restore it as a voter, "
                      "or leave it out with --members (and add it again as a learner afterwards)");
  }
  for (const auto* m : order)
    if (m->is_learner && !o.learners_as_voters)
      return Fail(ErrorCode::kFailedPrecondition,
                  "plan: member " + m->name + " is a learner in " + in.source +
                      "; a restore makes every member a voter. Pass --learners-as-voters to restore it as a voter, "
                      "or leave it out with --members (and add it again as a learner afterwards)");
  if (o.learners_as_voters) {
    for (const auto* m : order) {
      bool learner = m->is_learner;
      for (const auto& r : in.snapshot_members) learner |= r.is_learner && planned_member(r) == m;
      if (learner) p.notes.push_back("member " + m->name + " was a learner; it is restored as a voter "
                                     "(--learners-as-voters)");
    }
  }
  std::sort(p.left_out.begin(), p.left_out.end());
  if (!p.left_out.empty())
    p.notes.push_back("left out on purpose (--members): " + Join(p.left_out, ", ") +
                      "; the restored cluster does not know them. Add each back afterwards as a new member "
                      "(etcdctl-ext member add, then kubeadm join --control-plane on a wiped node)");

  // Members in run order: by node name, the leader last.
  std::sort(order.begin(), order.end(), [&](const EtcdMember* a, const EtcdMember* b) {
    bool la = a->name == o.leader, lb = b->name == o.leader;
    if (la != lb) return lb;
    return a->pod.node < b->pod.node;
  });

  // One --initial-cluster for all, sorted by member name.
  std::vector<const EtcdMember*> by_name = order;
  std::sort(by_name.begin(), by_name.end(), [](auto* a, auto* b) { return a->name < b->name; });
  // The restored cluster: the restored members and the replacements, by name.
  std::vector<RecordedMember> cluster;
  for (const auto* m : by_name) cluster.push_back({m->name, m->peer_urls, false});
  for (const auto& r : o.replace) cluster.push_back({r.name, {r.peer_url}, false});
  std::sort(cluster.begin(), cluster.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::string> items;
  std::set<std::string> peer_seen;
  for (const auto& m : cluster) {
    for (const auto& u : m.peer_urls) {
      if (!peer_seen.insert(u).second)
        return Fail(ErrorCode::kInvalidArgument, "plan: peer URL " + u + " is used by two members");
      items.push_back(m.name + "=" + u);
    }
  }
  p.initial_cluster = Join(items, ",");
  p.expected_members = cluster;
  // The restored members start; the replacements join later: the started ones must be a
  // quorum of the whole cluster, or it never elects a leader.
  const size_t quorum = cluster.size() / 2 + 1;
  if (order.size() < quorum)
    return Fail(ErrorCode::kFailedPrecondition,
                "plan: the restored cluster has " + std::to_string(cluster.size()) + " members (" +
                    std::to_string(order.size()) + " restored, " + std::to_string(o.replace.size()) +
                    " replaced by members that join later) and needs " + std::to_string(quorum) +
                    " started for a quorum; restore more members, or leave the lost ones out with --members "
                    "(and add them back afterwards)");
  if (!o.replace.empty() || !p.left_out.empty()) {
    if (order.size() == quorum && cluster.size() > 1)
      p.notes.push_back("until the " + std::string(o.replace.empty() ? "left-out members are added back"
                                                                     : "replacements join") +
                        ", the cluster runs on " + std::to_string(order.size()) + " of " +
                        std::to_string(cluster.size()) + " members with no failure to spare");
  }
  for (const auto& r : o.replace) {
    Joining j{r.name, r.peer_url, r.old_name, "", true};
    for (const auto& m : in.members)
      if (m.name == r.old_name) j.old_node = m.pod.node;
    p.replaced.push_back(r);
    p.joins.push_back(j);
    p.notes.push_back("member " + r.old_name + " is replaced by " + r.name + " (" + r.peer_url +
                      "): the restored cluster lists " + r.name + " as a member that has not started; its machine "
                      "joins afterwards (the join steps) and needs etcd certs for its own address");
  }
  for (const auto& name : p.left_out) {
    Joining j{name, "", "", "", false};
    for (const auto& m : in.members)
      if (m.name == name) j.old_node = m.pod.node;
    p.joins.push_back(j);
  }

  for (const auto* m : order) {
    ASSIGN_OR_RETURN(NodePlan n, PlanNode(*m, in, o, p.id, &p.notes));
    n.order = static_cast<int>(p.nodes.size()) + 1;
    n.leader = !o.leader.empty() && m->name == o.leader;
    n.restore_args = {"--data-dir", n.restore_dir, "--name", n.member, "--initial-cluster", p.initial_cluster,
                      "--initial-cluster-token", p.token, "--initial-advertise-peer-urls", Join(n.peer_urls, ",")};
    if (!n.wal_restore_dir.empty()) {
      n.restore_args.push_back("--wal-dir");
      n.restore_args.push_back(n.wal_restore_dir);
    }
    if (p.bump > 0) {
      n.restore_args.push_back("--bump-revision");
      n.restore_args.push_back(std::to_string(p.bump));
      n.restore_args.push_back("--mark-compacted");
    }
    if (p.tool == RestoreTool::kEtcdctlExt && StartsWith(n.etcd_version, "3.4")) {
      n.restore_args.push_back("--etcd-version");
      n.restore_args.push_back("3.4");
    }
    AddSteps(p, n);
    p.nodes.push_back(std::move(n));
  }

  // Cluster-wide steps.
  const std::string ctl = p.tool == RestoreTool::kEtcdutl ? p.etcdctl_path : p.etcdctl_ext_path;
  std::vector<std::string> endpoints;
  for (const auto& n : p.nodes)
    for (const auto& u : n.client_urls) endpoints.push_back(u);
  std::vector<std::string> tls;
  if (!p.nodes.empty() && !p.nodes.front().cert_file.empty())
    tls = {"--cacert", p.nodes.front().ca_file, "--cert", p.nodes.front().cert_file, "--key",
           p.nodes.front().key_file};
  auto ctl_cmd = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {ctl, "--endpoints", Join(endpoints, ",")};
    argv.insert(argv.end(), tls.begin(), tls.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return Command(argv);
  };
  std::string expect = "members: ";
  for (size_t i = 0; i < p.expected_members.size(); ++i)
    expect += (i ? ", " : "") + p.expected_members[i].name + " " + Join(p.expected_members[i].peer_urls, ",");
  p.cluster_steps.push_back({"verify", "Check the etcd cluster",
                             "every member must be healthy and the member list must be exactly the planned one "
                             "(a member that came up alone would form its own one-member cluster)",
                             {ctl_cmd({"endpoint", "health"}), ctl_cmd({"member", "list", "-w", "table"}),
                              "# expected " + expect}});
  std::vector<std::string> finish;
  for (const auto& n : p.nodes) {
    finish.push_back("# on " + n.node + ":");
    finish.push_back("mv " + ShellQuoteIfNeeded(n.stash_dir) + "/* " + ShellQuoteIfNeeded(n.manifests_dir) + "/");
    finish.push_back("systemctl restart kubelet");
  }
  // kubeadm keeps etcd.local.dataDir in kubeadm-config and writes the etcd manifest from it
  // on `kubeadm upgrade`: it must name the restored dir, or etcd goes back to the old data.
  std::set<std::string> new_dirs, old_dirs;
  for (const auto& n : p.nodes)
    for (const auto& e : n.edits)
      if (e.field == "--data-dir") {
        old_dirs.insert(e.from);
        new_dirs.insert(e.to);
      }
  if (new_dirs.size() == 1 && old_dirs.size() == 1) {
    finish.push_back("# once, from a machine with kubectl: kubeadm-config's etcd.local.dataDir must name the new dir "
                     "(kubeadm upgrade writes the etcd manifest from it)");
    p.kubeadm_config_command = "kubectl -n kube-system get configmap kubeadm-config -o yaml | sed " +
                               ShellQuoteIfNeeded("s|^\\( *dataDir: \\)" + SedPattern(*old_dirs.begin()) + "$|\\1" +
                                     SedReplacement(*new_dirs.begin()) + "|") +
                               " | kubectl replace -f -";
    finish.push_back(p.kubeadm_config_command);
    // The check reads the ClusterConfiguration alone: `-o yaml` also prints the ConfigMap's annotations
    // (kubectl's last-applied-configuration holds a copy of the data), so a grep of it can match more.
    finish.push_back("kubectl -n kube-system get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' "
                     "| grep dataDir    # must print " + *new_dirs.begin());
  } else if (!new_dirs.empty()) {
    finish.push_back("# kubeadm-config's etcd.local.dataDir: the nodes' data dirs moved to different paths (" +
                     Join(std::vector<std::string>(new_dirs.begin(), new_dirs.end()), ", ") +
                     "); one ClusterConfiguration cannot name them all: before the next kubeadm upgrade, edit it "
                     "(kubectl -n kube-system edit configmap kubeadm-config) or the manifests");
  }
  p.cluster_steps.push_back(
      {"finish", "Start the control plane and restart the kubelets",
       "the kube-apiserver, controller-manager and scheduler start fresh against the restored data; restarting "
       "every kubelet (workers too) drops connections and caches from before the restore",
       finish});
  if (!p.joins.empty()) {
    std::vector<std::string> join;
    for (const auto& j : p.joins) {
      const std::string old_node = j.old_node.empty() ? (j.replaces.empty() ? j.name : j.replaces) : j.old_node;
      if (j.in_cluster) {
        join.push_back(
            "# " + j.name + " (" + j.peer_url + ") replaces the lost member " + j.replaces +
            ": the restored cluster already lists it, as unstarted (no name, no client URLs) until it starts");
        join.push_back("kubectl delete node " + ShellQuoteIfNeeded(old_node) +
                       " --ignore-not-found    # the lost node's Node object (finish --delete may have deleted it)");
        join.push_back("# its machine needs etcd server and peer certs for its own address, signed by this cluster's "
                       "etcd CA (/etc/kubernetes/pki/etcd/ca.crt and ca.key): kubeadm join --control-plane "
                       "--certificate-key writes them; by hand: copy the CA there, then kubeadm init phase certs "
                       "etcd-server and etcd-peer on that machine");
        join.push_back("# with kubeadm, which runs member add itself: take the placeholder out first (its ID: the "
                       "unstarted member with peer URL " + j.peer_url + " in member list), then join the wiped "
                       "machine (kubeadm reset)");
        join.push_back(ctl_cmd({"member", "list", "-w", "table"}));
        join.push_back(ctl_cmd({"member", "remove", "ID_OF_" + j.name}));
        join.push_back("kubeadm token create --print-join-command    # on a control-plane node");
        join.push_back(
            "kubeadm init phase upload-certs --upload-certs    # on a control-plane node: the certificate key");
        join.push_back("kubeadm join ENDPOINT --token T --discovery-token-ca-cert-hash H --control-plane "
                       "--certificate-key KEY    # on the new machine; its node name must be " + j.name);
        join.push_back(
            "# or by hand, with no member add (it is a member already): start etcd on the new machine "
            "with an empty data dir and --name " +
            ShellQuoteIfNeeded(j.name) + " --initial-advertise-peer-urls " + ShellQuoteIfNeeded(j.peer_url) +
            " --initial-cluster " + ShellQuoteIfNeeded(p.initial_cluster) + " --initial-cluster-state existing");
      } else {
        join.push_back("# " + j.name + " was left out (--members): the restored cluster does not know it");
        join.push_back("kubectl delete node " + ShellQuoteIfNeeded(old_node) +
                       " --ignore-not-found    # if its machine is gone; a machine that comes back must be wiped "
                       "(kubeadm reset) before "
                       "it joins again");
        join.push_back("# with kubeadm: kubeadm join ENDPOINT ... --control-plane --certificate-key KEY on the wiped "
                       "machine (it adds the etcd member itself; kubeadm token create --print-join-command and "
                       "kubeadm init phase upload-certs --upload-certs on a control-plane node give the flags)");
        join.push_back("# by hand: add it, then start its etcd with an empty data dir, the ETCD_INITIAL_CLUSTER that "
                       "member add prints and --initial-cluster-state existing");
        join.push_back(ctl_cmd({"member", "add", j.name, "--peer-urls", "https://NEW_IP:2380"}));
      }
      join.push_back(ctl_cmd({"endpoint", "health", "--cluster"}) + "    # once it runs: every member healthy");
    }
    p.cluster_steps.push_back(
        {"join", "Join the replacement and left-out members",
         "the restore brought back only the members whose machines survived; the others join the restored "
         "cluster as new machines, one at a time, and their Node objects of the lost machines go",
         join});
  }
  p.cluster_steps.push_back(
      {"after", "Look for stale objects",
       "the cluster went back to the snapshot's time; what changed since then is gone or stale",
       {"kubectl etcdrestore verify --plan plan.json    # every kube-apiserver ready, the revision bumped, the "
        "leftovers named (Nodes, Leases, Endpoints addresses of machines and processes that are gone)",
        "kubectl etcdrestore finish --plan plan.json    # their cleanup commands; --delete runs the API deletes",
        "kubectl get nodes    # nodes added after the snapshot are missing; removed ones are back (delete them)",
        "kubectl get --raw /api/v1/namespaces/default/endpoints/kubernetes    # only live apiservers should be listed",
        "kubectl -n kube-system get leases    # leader leases of components that no longer exist",
        "kubectl get pods -A -o wide | grep -v Running    # pods of deployments created or scaled after the "
        "snapshot",
        "kubectl -n kube-system rollout restart daemonset    # kube-proxy and CNI agents re-list after the restore",
        "# operators and controllers outside kube-system keep informer caches: restart them too"}});
  return p;
}

}  // namespace etcdrestore::plan
