// kubectl etcdrestore save [PATH]: a verified snapshot of the cluster's etcd plus the
// sidecar PATH.json (shared/topology/sidecar.h).
//
//   direct (default): gRPC Maintenance.Snapshot from here to the chosen member's client URL,
//     with --cacert/--cert/--key if given, else the kube-apiserver's --etcd-* client cert,
//     else etcd's own server cert (host paths through the pods' hostPath volumes; this runs
//     on a control-plane node). shared/etcdclient/snapshot_save.h writes PATH.part 0600,
//     checks the sha256 trailer, the bbolt check runs on the .part, then fsync + rename.
//   --via exec: `etcdctl snapshot save` inside the etcd pod (pods/exec; etcd images are
//     distroless, etcdctl is there) into --node-dir (default: the data dir, the etcd-data
//     hostPath), checked there with `etcdctl snapshot status`; when that host path is
//     readable here the file is copied to PATH with the same checks.
// The member: --member NAME, else the healthy member with the highest raft index.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/output.h"
#include "shared/base/file.h"
#include "shared/base/sha256.h"
#include "shared/base/version.h"
#include "shared/etcdclient/client.h"
#include "shared/etcdclient/snapshot_save.h"
#include "shared/etcddb/status.h"
#include "shared/kube/discover.h"
#include "shared/topology/sidecar.h"

namespace etcdrestore::kubectl_plugin {
namespace {

// etcdctl snapshot status's hash column: %08x.
std::string HexHash(uint32_t h) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

using nlohmann::json;

struct SaveFlags {
  std::string path;
  std::string member;
  std::string via = "direct";
  std::string cacert, cert, key;
  std::string node_dir;
  std::string output;
  int connect_timeout_s = 5;
};

std::string UtcNow(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

bool Readable(const std::string& p) { return !p.empty() && ::access(p.c_str(), R_OK) == 0; }


// "\rdownloading snapshot: 12.3 MB" on a terminal, at most 5 times a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void Update(uint64_t bytes) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::fprintf(stderr, "\r\x1b[Ksaving snapshot: %s", HumanBytes(bytes).c_str());
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fputs("\r\x1b[K", stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// Which client cert to use from here (direct mode), with where it came from.
struct TlsChoice {
  std::string ca, cert, key;
  std::string origin;
};

Result<TlsChoice> ChooseTls(const SaveFlags& f, const topology::Topology& t, bool need_tls) {
  if (!f.cacert.empty() || !f.cert.empty() || !f.key.empty()) {
    return TlsChoice{f.cacert, f.cert, f.key, "--cacert/--cert/--key"};
  }
  if (!need_tls) return TlsChoice{};
  std::vector<std::string> tried;
  auto consider = [&](const std::string& ca, const std::string& cert, const std::string& key,
                      const std::string& origin) -> std::optional<TlsChoice> {
    if (cert.empty() || key.empty()) return std::nullopt;
    if (Readable(cert) && Readable(key) && (ca.empty() || Readable(ca))) return TlsChoice{ca, cert, key, origin};
    tried.push_back(origin + " (" + cert + ", " + key + ")");
    return std::nullopt;
  };
  for (const auto& a : t.apiservers) {
    auto host = [&](const std::string& p) { return p.empty() ? "" : a.HostPath(p).value_or(p); };
    if (auto c = consider(host(a.etcd_cafile), host(a.etcd_certfile), host(a.etcd_keyfile),
                          "etcd client cert of pod " + a.pod.name)) {
      return *c;
    }
  }
  for (const auto& m : t.members) {
    auto host = [&](const std::string& p) { return p.empty() ? "" : m.HostPath(p).value_or(p); };
    if (auto c = consider(host(m.server.trusted_ca_file), host(m.server.cert_file), host(m.server.key_file),
                          "server cert of pod " + m.pod.name)) {
      return *c;
    }
  }
  std::string list;
  for (const auto& s : tried) list += "\n  " + s;
  return Fail(ErrorCode::kPermissionDenied,
              "no readable etcd client certificate here; tried:" + (list.empty() ? std::string(" none found") : list) +
                  "\nrun on a control-plane node with read access to them, pass --cacert/--cert/--key, or use --via exec");
}

struct Candidate {
  std::string name;  // member name ("" for external endpoints until MemberList)
  std::string endpoint;
  const topology::EtcdMember* member = nullptr;
  std::unique_ptr<etcdclient::Client> client;
  std::optional<etcdclient::StatusResponse> status;
  std::string error;
};

// Fills the sidecar's members from MemberList, joined with the pods by name.
void FillMembers(const etcdclient::MemberListResponse& list, const topology::Topology& t, topology::Sidecar* sc) {
  for (const auto& lm : list.members) {
    topology::EtcdMember m;
    if (const auto* pod_member = t.MemberByName(lm.name)) m = *pod_member;
    m.name = lm.name;
    m.id = lm.id;
    m.is_learner = lm.is_learner;
    if (m.peer_urls.empty()) m.peer_urls = lm.peer_urls;
    if (m.client_urls.empty()) m.client_urls = lm.client_urls;
    sc->members.push_back(std::move(m));
  }
}

Status SaveDirect(const SaveFlags& f, const topology::Topology& t, topology::Sidecar* sc, std::string* summary) {
  std::vector<Candidate> cands;
  bool need_tls = false;
  auto add = [&](const std::string& name, const std::vector<std::string>& urls, const topology::EtcdMember* m) {
    if (urls.empty()) return;
    Candidate c;
    c.name = name;
    c.endpoint = urls.front();
    c.member = m;
    need_tls = need_tls || c.endpoint.rfind("https://", 0) == 0;
    cands.push_back(std::move(c));
  };
  if (!t.members.empty()) {
    for (const auto& m : t.members) add(m.name, m.client_urls, &m);
  } else {
    for (const auto& e : t.endpoints) add("", {e}, nullptr);
  }
  if (cands.empty()) return Fail(ErrorCode::kNotFound, "no etcd client URL found");
  ASSIGN_OR_RETURN(TlsChoice tls, ChooseTls(f, t, need_tls));
  etcdclient::TlsMaterial material;
  if (!tls.cert.empty() || !tls.ca.empty()) {
    ASSIGN_OR_RETURN(material, etcdclient::LoadTlsFiles(tls.ca, tls.cert, tls.key));
  }
  const auto connect_timeout = std::chrono::seconds(f.connect_timeout_s);
  for (auto& c : cands) {
    etcdclient::Config cfg;
    cfg.endpoint = c.endpoint;
    cfg.use_tls = c.endpoint.rfind("https://", 0) == 0;
    cfg.tls = material;
    auto client = etcdclient::Dial(cfg);
    if (!client) {
      c.error = client.error().message();
      continue;
    }
    c.client = std::move(*client);
    if (auto st = c.client->WaitConnected(connect_timeout); !st) {
      c.error = st.error().message();
      continue;
    }
    auto status = c.client->Status(etcdclient::DeadlineAfter(connect_timeout));
    if (!status) {
      c.error = status.error().message();
      continue;
    }
    c.status = *status;
  }
  std::optional<etcdclient::MemberListResponse> list;
  for (auto& c : cands) {
    if (!c.status) continue;
    auto l = c.client->MemberList(etcdclient::DeadlineAfter(connect_timeout));
    if (l) {
      list = std::move(*l);
      break;
    }
  }
  if (list) {
    for (auto& c : cands) {
      if (!c.status || !c.name.empty()) continue;
      for (const auto& m : list->members) {
        if (m.id == c.status->header.member_id) c.name = m.name;
      }
    }
  }
  Candidate* chosen = nullptr;
  std::string failures;
  for (auto& c : cands) {
    if (!c.status) failures += "\n  " + (c.name.empty() ? c.endpoint : c.name + " (" + c.endpoint + ")") + ": " + c.error;
    if (!f.member.empty()) {
      if (c.name == f.member) {
        if (!c.status) return Fail(ErrorCode::kUnavailable, "member " + Quote(f.member) + " is not healthy:" + failures);
        chosen = &c;
      }
      continue;
    }
    if (c.status && (!chosen || c.status->raft_index > chosen->status->raft_index)) chosen = &c;
  }
  if (!f.member.empty() && !chosen) {
    std::string names;
    for (const auto& c : cands) names += (names.empty() ? "" : ", ") + (c.name.empty() ? c.endpoint : c.name);
    return Fail(ErrorCode::kNotFound, "no member named " + Quote(f.member) + " (members: " + names + ")");
  }
  if (!chosen) return Fail(ErrorCode::kUnavailable, "no healthy etcd member:" + failures);

  Progress progress(::isatty(2));
  etcddb::SnapshotStatus db_status;
  etcdclient::SaveOptions opts;
  opts.path = f.path;
  opts.connect_timeout = connect_timeout;
  opts.progress = [&](uint64_t n) { progress.Update(n); };
  opts.verify = [&](const std::string& part_path) -> Status {
    ASSIGN_OR_RETURN(db_status, etcddb::ComputeStatus(part_path));
    return {};
  };
  auto saved = etcdclient::SaveSnapshot(*chosen->client, opts);
  progress.Done();
  if (!saved) return Fail(std::move(saved).error().Wrap("snapshot from " + chosen->endpoint));

  sc->cluster_id = chosen->status->header.cluster_id;
  sc->snapshot.size = saved->size;
  sc->snapshot.db_sha256 = HexDigest(saved->db_sha256);
  sc->snapshot.hash = db_status.hash;
  sc->snapshot.revision = db_status.revision;
  sc->snapshot.total_keys = db_status.total_keys;
  sc->snapshot.total_size = db_status.total_size;
  sc->source.method = "direct";
  sc->source.member = chosen->name;
  sc->source.member_id = chosen->status->header.member_id;
  sc->source.endpoint = chosen->endpoint;
  sc->source.etcd_version = chosen->status->version;
  sc->source.raft_index = chosen->status->raft_index;
  sc->source.raft_term = chosen->status->raft_term;
  sc->source.ca_file = tls.ca;
  sc->source.cert_file = tls.cert;
  sc->source.key_file = tls.key;
  if (chosen->member) {
    sc->source.node = chosen->member->pod.node;
    sc->source.pod = chosen->member->pod.namespace_ + "/" + chosen->member->pod.name;
  }
  if (list) FillMembers(*list, t, sc);
  *summary = "  method:    direct, client cert: " + (tls.origin.empty() ? std::string("none (plain http)") : tls.origin) + "\n";
  return {};
}

// --- exec mode ---

struct PodEtcdctl {
  kube::Client* client;
  const topology::EtcdMember* m;

  std::vector<std::string> Base() const {
    std::string endpoint;
    for (const auto& u : m->listen_client_urls) {
      if (u.find("://127.") != std::string::npos || u.find("://localhost") != std::string::npos) {
        endpoint = u;
        break;
      }
    }
    if (endpoint.empty() && !m->client_urls.empty()) endpoint = m->client_urls.front();
    std::vector<std::string> argv = {"etcdctl", "--endpoints=" + endpoint};
    if (endpoint.rfind("https://", 0) == 0) {
      if (!m->server.trusted_ca_file.empty()) argv.push_back("--cacert=" + m->server.trusted_ca_file);
      if (!m->server.cert_file.empty()) argv.push_back("--cert=" + m->server.cert_file);
      if (!m->server.key_file.empty()) argv.push_back("--key=" + m->server.key_file);
    }
    return argv;
  }

  Result<std::string> Run(std::vector<std::string> args, bool with_endpoint = true) const {
    std::vector<std::string> argv = with_endpoint ? Base() : std::vector<std::string>{"etcdctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string shown;
    for (const auto& a : args) shown += (shown.empty() ? "" : " ") + a;
    ASSIGN_OR_RETURN(kube::ExecResult r, client->Exec({m->pod.namespace_, m->pod.name, m->pod.container, argv}));
    if (r.exit_code != 0) {
      std::string err = r.stderr_data;
      while (!err.empty() && err.back() == '\n') err.pop_back();
      return Fail(ErrorCode::kFailedPrecondition, "etcdctl " + shown + " in pod " + m->pod.name + " exited with " +
                                                      std::to_string(r.exit_code) + (err.empty() ? "" : ": " + err));
    }
    return r.stdout_data;
  }
};

Result<json> ParseJson(const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Fail(ErrorCode::kInternal, what + ": etcdctl printed no JSON");
  return j;
}

// Copies the node's snapshot file to `path` with the checks of direct mode, through a
// fresh "<path>.part" of our own (AtomicFile: never through a planted link or file).
Result<etcdclient::SaveResult> CopyVerified(const std::string& from, const std::string& path,
                                            etcddb::SnapshotStatus* db_status) {
  ASSIGN_OR_RETURN(UniqueFd in, OpenFile(from, O_RDONLY | O_CLOEXEC));
  auto created = AtomicFile::Create(path, ".part", 0600);
  if (!created) return Fail(std::move(created).error().Wrap("save"));
  AtomicFile out = std::move(*created);
  const std::string& part = out.temp_path();
  etcdclient::TrailerVerifier verifier;
  std::string buf(1 << 20, '\0');
  uint64_t off = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, ReadSomeAt(in.get(), from, buf.data(), buf.size(), off));
    if (n == 0) break;
    verifier.Update(std::string_view(buf.data(), n));
    RETURN_IF_ERROR(WriteAll(out.fd(), part, buf.data(), n));
    off += n;
  }
  auto digest = verifier.Finish();
  if (!digest) return Fail(digest.error().Wrap(Quote(from)));
  RETURN_IF_ERROR(Fsync(out.fd(), part));
  ASSIGN_OR_RETURN(*db_status, etcddb::ComputeStatus(part));
  RETURN_IF_ERROR(out.Commit());
  return etcdclient::SaveResult{off, *digest};
}

Status SaveExec(const SaveFlags& f, kube::Client& client, const topology::Topology& t, topology::Sidecar* sc,
                std::string* summary, bool* copied) {
  if (t.members.empty()) {
    return Fail(ErrorCode::kFailedPrecondition, "--via exec needs etcd pods; this cluster's etcd is external");
  }
  // Status of each running member, through its own pod.
  const topology::EtcdMember* chosen = nullptr;
  json chosen_status;
  std::string failures;
  for (const auto& m : t.members) {
    if (!f.member.empty() && m.name != f.member) continue;
    PodEtcdctl e{&client, &m};
    auto out = e.Run({"endpoint", "status", "-w", "json"});
    if (!out) {
      failures += "\n  " + m.name + ": " + out.error().message();
      continue;
    }
    ASSIGN_OR_RETURN(json st, ParseJson(*out, "endpoint status"));
    if (!st.is_array() || st.empty()) continue;
    const json& s = st[0]["Status"];
    if (!chosen || s.value("raftIndex", uint64_t{0}) > chosen_status.value("raftIndex", uint64_t{0})) {
      chosen = &m;
      chosen_status = s;
    }
  }
  if (!chosen) {
    if (!f.member.empty() && !t.MemberByName(f.member)) {
      return Fail(ErrorCode::kNotFound, "no etcd pod with member name " + Quote(f.member));
    }
    return Fail(ErrorCode::kUnavailable, "no healthy etcd member reachable through exec:" + failures);
  }
  PodEtcdctl e{&client, chosen};
  std::string dir = f.node_dir.empty() ? chosen->data_dir : f.node_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::string node_file = dir + "/etcdrestore-snapshot-" + UtcNow("%Y%m%dT%H%M%SZ") + ".db";
  RETURN_IF_ERROR(e.Run({"snapshot", "save", node_file}));
  ASSIGN_OR_RETURN(std::string status_text, e.Run({"snapshot", "status", node_file, "-w", "json"}, false));
  ASSIGN_OR_RETURN(json pod_status, ParseJson(status_text, "snapshot status"));
  ASSIGN_OR_RETURN(std::string list_text, e.Run({"member", "list", "-w", "json"}));
  ASSIGN_OR_RETURN(json list, ParseJson(list_text, "member list"));

  etcdclient::MemberListResponse ml;
  for (const auto& m : list.value("members", json::array())) {
    etcdclient::Member mm;
    mm.id = m.value("ID", uint64_t{0});
    mm.name = m.value("name", "");
    mm.peer_urls = m.value("peerURLs", std::vector<std::string>{});
    mm.client_urls = m.value("clientURLs", std::vector<std::string>{});
    mm.is_learner = m.value("isLearner", false);
    ml.members.push_back(std::move(mm));
  }
  FillMembers(ml, t, sc);
  const json& header = chosen_status["header"];
  sc->cluster_id = header.value("cluster_id", uint64_t{0});
  sc->source.method = "exec";
  sc->source.member = chosen->name;
  sc->source.member_id = header.value("member_id", uint64_t{0});
  sc->source.endpoint = e.Base()[1].substr(std::strlen("--endpoints="));
  sc->source.node = chosen->pod.node;
  sc->source.pod = chosen->pod.namespace_ + "/" + chosen->pod.name;
  sc->source.etcd_version = chosen_status.value("version", "");
  sc->source.raft_index = chosen_status.value("raftIndex", uint64_t{0});
  sc->source.raft_term = chosen_status.value("raftTerm", uint64_t{0});
  const std::string host_file = chosen->HostPath(node_file).value_or("");
  sc->source.node_path = host_file.empty() ? node_file : host_file;
  sc->snapshot.hash = pod_status.value("hash", uint32_t{0});
  sc->snapshot.revision = pod_status.value("revision", int64_t{0});
  sc->snapshot.total_keys = pod_status.value("totalKey", int64_t{0});
  sc->snapshot.total_size = pod_status.value("totalSize", int64_t{0});

  *summary = "  method:    exec in pod " + sc->source.pod + " (etcdctl snapshot save + snapshot status)\n" +
             "  on node:   " + chosen->pod.node + " at " + (host_file.empty() ? node_file + " (container path; no hostPath behind it)" : host_file) + "\n";
  if (host_file.empty() || !Readable(host_file)) {
    *copied = false;
    *summary += "  not copied here: " + (host_file.empty() ? std::string("no host path") : host_file + " is not readable on this machine") +
                "; copy it from node " + chosen->pod.node + "\n";
    return {};
  }
  etcddb::SnapshotStatus local;
  ASSIGN_OR_RETURN(etcdclient::SaveResult saved, CopyVerified(host_file, f.path, &local));
  if (local.hash != sc->snapshot.hash || local.revision != sc->snapshot.revision) {
    ::unlink(f.path.c_str());
    return Fail(ErrorCode::kCorruption,
                "copy of " + host_file + " differs from what etcdctl checked in the pod (hash " +
                    std::to_string(local.hash) + " vs " + std::to_string(sc->snapshot.hash) + ", revision " +
                    std::to_string(local.revision) + " vs " + std::to_string(sc->snapshot.revision) + ")");
  }
  sc->snapshot.size = saved.size;
  sc->snapshot.db_sha256 = HexDigest(saved.db_sha256);
  *copied = true;
  return {};
}

RunResult Run(const SaveFlags& flags, const GlobalFlags& global) {
  SaveFlags f = flags;
  if (f.via != "direct" && f.via != "exec") {
    return Fail(ErrorCode::kInvalidArgument, "--via must be direct or exec, not " + Quote(f.via));
  }
  if (!f.output.empty() && f.output != "json") {
    return Fail(ErrorCode::kInvalidArgument, "--output must be json (or absent), not " + Quote(f.output));
  }
  if (f.path.empty()) f.path = "etcd-snapshot-" + UtcNow("%Y%m%dT%H%M%SZ") + ".db";
  // PATH and PATH.json must be new (lstat: a planted symlink counts as existing); a stale
  // PATH.part or PATH.json.tmp is checked by AtomicFile when it is created.
  for (const std::string& p : {f.path, topology::SidecarPath(f.path)}) {
    if (PathExists(p))
      return Fail(ErrorCode::kAlreadyExists, Quote(p) + " already exists (" + DescribePath(p) + "); choose another path");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, global.NewClient());
  ASSIGN_OR_RETURN(topology::Topology t, kube::Discover(*client));
  if (t.members.empty() && t.endpoints.empty()) {
    std::string why;
    for (const auto& p : t.problems) why += "\n  " + p.object + ": " + p.message;
    return Fail(ErrorCode::kNotFound, "no etcd found in the cluster:" + why);
  }
  topology::Sidecar sc;
  sc.tool = std::string("kubectl-etcdrestore ") + kVersion;
  sc.created = UtcNow("%Y-%m-%dT%H:%M:%SZ");
  sc.kubernetes_version = t.kubernetes_version;
  sc.external_etcd = t.external_etcd;
  sc.apiservers = t.apiservers;
  sc.cluster_config = t.cluster_config;
  std::string summary;
  bool copied = true;
  if (f.via == "direct") {
    RETURN_IF_ERROR(SaveDirect(f, t, &sc, &summary));
  } else {
    RETURN_IF_ERROR(SaveExec(f, *client, t, &sc, &summary, &copied));
  }
  if (copied) {
    sc.snapshot.file = BaseName(f.path);
    ASSIGN_OR_RETURN(Sha256Digest digest, Sha256File(f.path));
    sc.snapshot.sha256 = HexDigest(digest);
  }
  const std::string sidecar_path = topology::SidecarPath(f.path);
  if (Status st = topology::WriteSidecar(sidecar_path, sc); !st) {
    // A snapshot without its sidecar is half a save: take it back out (it is the file we
    // just wrote, so that a rerun with the same PATH works).
    if (copied) ::unlink(f.path.c_str());
    return Fail(std::move(st).error().Wrap(copied ? "save (the snapshot " + Quote(f.path) + " was removed again)"
                                                  : std::string("save")));
  }

  if (f.output == "json") {
    std::fputs(topology::SidecarToJson(sc).c_str(), stdout);
    return 0;
  }
  std::string out;
  if (copied) {
    out += "Snapshot saved to " + AbsolutePath(f.path) + "\n";
  } else {
    out += "Snapshot saved on node " + sc.source.node + " at " + sc.source.node_path + "\n";
  }
  out += "  sidecar:   " + AbsolutePath(sidecar_path) + "\n";
  out += "  member:    " + sc.source.member + " (" + topology::HexId(sc.source.member_id) + ") at " + sc.source.endpoint +
         (sc.source.node.empty() ? "" : ", node " + sc.source.node) + ", etcd " + sc.source.etcd_version + "\n";
  out += summary;
  out += "  cluster:   " + topology::HexId(sc.cluster_id) + ", " + std::to_string(sc.members.size()) + " member(s)\n";
  out += "  revision:  " + std::to_string(sc.snapshot.revision) + ", keys: " + std::to_string(sc.snapshot.total_keys) +
         ", hash: " + HexHash(sc.snapshot.hash) + " (as etcdctl snapshot status prints it)\n";
  if (copied) {
    out += "  size:      " + HumanBytes(sc.snapshot.size) + " (" + std::to_string(sc.snapshot.size) + " bytes)\n";
    out += "  sha256:    " + sc.snapshot.sha256 + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

Runner Setup(CLI::App& sub, const GlobalFlags& global) {
  auto f = std::make_shared<SaveFlags>();
  sub.add_option("path", f->path, "Snapshot file to write (default: etcd-snapshot-<UTC time>.db); PATH.json is the sidecar");
  sub.add_option("--member", f->member, "Snapshot this member (default: the healthy one with the highest raft index)");
  sub.add_option("--via", f->via, "direct (gRPC from here, default) or exec (etcdctl inside the etcd pod)");
  sub.add_option("--cacert", f->cacert, "CA file for etcd (default: the kube-apiserver's --etcd-cafile)");
  sub.add_option("--cert", f->cert, "Client cert for etcd (default: the kube-apiserver's --etcd-certfile)");
  sub.add_option("--key", f->key, "Client key for etcd (default: the kube-apiserver's --etcd-keyfile)");
  sub.add_option("--node-dir", f->node_dir,
                 "--via exec: directory inside the etcd container for the snapshot (default: its data dir)");
  sub.add_option("--connect-timeout", f->connect_timeout_s, "Seconds to wait for each etcd member");
  sub.add_option("-o,--output", f->output, "json: print the sidecar instead of a summary");
  return [f, &global]() -> RunResult { return Run(*f, global); };
}

const bool kRegistered = RegisterCommand(
    {"save", "Take a verified etcd snapshot plus a PATH.json sidecar describing the cluster", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
