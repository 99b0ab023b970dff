#include "shared/backup/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "shared/base/file.h"
#include "shared/base/sha256.h"
#include "shared/etcdclient/snapshot_file.h"
#include "shared/etcdclient/snapshot_save.h"
#include "shared/etcddb/status.h"
#include "shared/kube/discover.h"

namespace etcdrestore::backup {
namespace {

using nlohmann::json;

bool Readable(const std::string& p) { return !p.empty() && ::access(p.c_str(), R_OK) == 0; }

bool IsHttps(const std::string& endpoint) { return endpoint.starts_with("https://"); }

// Fills the sidecar's members from MemberList, joined with the pods by name.
void FillMembers(const etcdclient::MemberListResponse& list, const topology::Topology& t,
                 topology::Sidecar* sc) {
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

// --- direct mode ---

struct Candidate {
  std::string name;  // member name ("" for external endpoints until MemberList)
  std::string endpoint;
  const topology::EtcdMember* member = nullptr;
  std::unique_ptr<etcdclient::Client> client;
  std::optional<etcdclient::StatusResponse> status;
  std::string error;

  std::string Shown() const { return name.empty() ? endpoint : name + " (" + endpoint + ")"; }
};

// One candidate per member with a client URL (its first), or per external endpoint.
std::vector<Candidate> Candidates(const topology::Topology& t) {
  std::vector<Candidate> cands;
  auto add = [&](const std::string& name, const std::vector<std::string>& urls,
                 const topology::EtcdMember* m) {
    if (urls.empty()) return;
    Candidate c;
    c.name = name;
    c.endpoint = urls.front();
    c.member = m;
    cands.push_back(std::move(c));
  };
  if (!t.members.empty()) {
    for (const auto& m : t.members) add(m.name, m.client_urls, &m);
  } else {
    for (const auto& e : t.endpoints) add("", {e}, nullptr);
  }
  return cands;
}

// Dials each candidate and asks for its Status; a failure is kept in Candidate::error.
void Probe(Cluster& cluster, const etcdclient::TlsMaterial& material, std::chrono::seconds timeout,
           std::vector<Candidate>& cands) {
  for (auto& c : cands) {
    etcdclient::Config cfg;
    cfg.endpoint = c.endpoint;
    cfg.use_tls = IsHttps(c.endpoint);
    cfg.tls = material;
    auto client = cluster.Dial(cfg);
    if (!client) {
      c.error = client.error().message();
      continue;
    }
    c.client = std::move(*client);
    if (auto st = c.client->WaitConnected(timeout); !st) {
      c.error = st.error().message();
      continue;
    }
    auto status = c.client->Status(etcdclient::DeadlineAfter(timeout));
    if (!status) {
      c.error = status.error().message();
      continue;
    }
    c.status = *status;
  }
}

// The member list from the first healthy candidate that answers; names the external
// endpoints' candidates by their member ID.
std::optional<etcdclient::MemberListResponse> ListMembers(std::chrono::seconds timeout,
                                                          std::vector<Candidate>& cands) {
  std::optional<etcdclient::MemberListResponse> list;
  for (auto& c : cands) {
    if (!c.status) continue;
    auto l = c.client->MemberList(etcdclient::DeadlineAfter(timeout));
    if (l) {
      list = std::move(*l);
      break;
    }
  }
  if (!list) return list;
  for (auto& c : cands) {
    if (!c.status || !c.name.empty()) continue;
    for (const auto& m : list->members) {
      if (m.id == c.status->header.member_id) c.name = m.name;
    }
  }
  return list;
}

// A learner serves no snapshot (etcd 3.4 and 3.5 answer "rpc not supported for learner" to
// every stream RPC): the error for --member naming one, and its line in a list of failures.
std::unexpected<Error> LearnerNamed(const std::string& member) {
  return Fail(ErrorCode::kFailedPrecondition,
              "member " + Quote(member) +
                  " is a learner: etcd serves no snapshot from a learner; save from a voting member");
}
std::string LearnerFailure(const std::string& shown) { return "\n  " + shown + ": a learner (serves no snapshot)"; }

// --member's candidate (which must be healthy and a voter), else the healthy voter with the
// highest raft index; a learner is never chosen.
Result<Candidate*> ChooseCandidate(const std::string& member, std::vector<Candidate>& cands) {
  Candidate* chosen = nullptr;
  std::string failures;
  for (auto& c : cands) {
    if (!c.status) failures += "\n  " + c.Shown() + ": " + c.error;
    if (c.status && c.status->is_learner) failures += LearnerFailure(c.Shown());
    if (!member.empty()) {
      if (c.name == member) {
        if (!c.status)
          return Fail(ErrorCode::kUnavailable,
                      "member " + Quote(member) + " is not healthy:" + failures);
        if (c.status->is_learner) return LearnerNamed(member);
        chosen = &c;
      }
      continue;
    }
    if (c.status && !c.status->is_learner && (!chosen || c.status->raft_index > chosen->status->raft_index))
      chosen = &c;
  }
  if (!member.empty() && !chosen) {
    std::string names;
    for (const auto& c : cands)
      names += (names.empty() ? "" : ", ") + (c.name.empty() ? c.endpoint : c.name);
    return Fail(ErrorCode::kNotFound,
                "no member named " + Quote(member) + " (members: " + names + ")");
  }
  if (!chosen) return Fail(ErrorCode::kUnavailable, "no healthy etcd member:" + failures);
  return chosen;
}

Status SaveDirect(const Request& r, Cluster& cluster, const topology::Topology& t, Outcome* out) {
  std::vector<Candidate> cands = Candidates(t);
  if (cands.empty()) return Fail(ErrorCode::kNotFound, "no etcd client URL found");
  bool need_tls = false;
  for (const auto& c : cands) need_tls = need_tls || IsHttps(c.endpoint);
  ASSIGN_OR_RETURN(TlsChoice tls, ChooseTls(r, t, need_tls));
  etcdclient::TlsMaterial material;
  if (!tls.cert.empty() || !tls.ca.empty()) {
    ASSIGN_OR_RETURN(material, etcdclient::LoadTlsFiles(tls.ca, tls.cert, tls.key));
  }
  Probe(cluster, material, r.connect_timeout, cands);
  std::optional<etcdclient::MemberListResponse> list = ListMembers(r.connect_timeout, cands);
  ASSIGN_OR_RETURN(Candidate * chosen, ChooseCandidate(r.member, cands));

  etcddb::SnapshotStatus db_status;
  etcdclient::SaveOptions opts;
  opts.path = out->path;
  opts.connect_timeout = r.connect_timeout;
  opts.progress = r.progress;
  opts.verify = [&](const std::string& part_path) -> Status {
    ASSIGN_OR_RETURN(db_status, etcddb::ComputeStatus(part_path));
    return {};
  };
  auto saved = etcdclient::SaveSnapshot(*chosen->client, opts);
  if (!saved) return Fail(std::move(saved).error().Wrap("snapshot from " + chosen->endpoint));

  topology::Sidecar* sc = &out->sidecar;
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
  out->tls_origin = tls.origin;
  return {};
}

// --- exec mode ---

// etcdctl in one member's pod, talking to that member.
struct PodEtcdctl {
  Cluster* cluster;
  const topology::EtcdMember* m;

  // The member's own client URL as seen from inside its pod: a loopback listener if it has
  // one, else its advertised client URL.
  std::string Endpoint() const {
    for (const auto& u : m->listen_client_urls) {
      if (u.find("://127.") != std::string::npos || u.find("://localhost") != std::string::npos)
        return u;
    }
    return m->client_urls.empty() ? "" : m->client_urls.front();
  }

  std::vector<std::string> Base() const {
    const std::string endpoint = Endpoint();
    std::vector<std::string> argv = {"etcdctl", "--endpoints=" + endpoint};
    if (IsHttps(endpoint)) {
      if (!m->server.trusted_ca_file.empty())
        argv.push_back("--cacert=" + m->server.trusted_ca_file);
      if (!m->server.cert_file.empty()) argv.push_back("--cert=" + m->server.cert_file);
      if (!m->server.key_file.empty()) argv.push_back("--key=" + m->server.key_file);
    }
    return argv;
  }

  Result<std::string> Run(const std::vector<std::string>& args, bool with_endpoint = true) const {
    std::vector<std::string> argv = with_endpoint ? Base() : std::vector<std::string>{"etcdctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string shown;
    for (const auto& a : args) shown += (shown.empty() ? "" : " ") + a;
    ASSIGN_OR_RETURN(kube::ExecResult r,
                     cluster->Exec({m->pod.namespace_, m->pod.name, m->pod.container, argv}));
    if (r.exit_code != 0) {
      std::string err = r.stderr_data;
      while (!err.empty() && err.back() == '\n') err.pop_back();
      return Fail(ErrorCode::kFailedPrecondition,
                  "etcdctl " + shown + " in pod " + m->pod.name + " exited with " +
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

// Copies the node's snapshot file to `path` through the same SnapshotFile as direct mode.
Result<etcdclient::SaveResult> CopyVerified(const std::string& from, const std::string& path,
                                            etcddb::SnapshotStatus* db_status) {
  ASSIGN_OR_RETURN(UniqueFd in, OpenFile(from, O_RDONLY | O_CLOEXEC));
  auto created = etcdclient::SnapshotFile::Create(path);
  if (!created) return Fail(std::move(created).error().Wrap("save"));
  etcdclient::SnapshotFile out = std::move(*created);
  std::string buf(1 << 20, '\0');
  uint64_t off = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, ReadSomeAt(in.get(), from, buf.data(), buf.size(), off));
    if (n == 0) break;
    RETURN_IF_ERROR(out.Write(std::string_view(buf.data(), n)));
    off += n;
  }
  return out.Commit(
      [&](const std::string& part) -> Status {
        ASSIGN_OR_RETURN(*db_status, etcddb::ComputeStatus(part));
        return {};
      },
      from);
}

// The member to save through exec: --member's pod, else the running one with the highest
// raft index (`etcdctl endpoint status` in each pod); *status gets its Status object.
Result<const topology::EtcdMember*> ChooseExecMember(const Request& r, Cluster& cluster,
                                                     const topology::Topology& t, json* status) {
  const topology::EtcdMember* chosen = nullptr;
  std::string failures;
  for (const auto& m : t.members) {
    if (!r.member.empty() && m.name != r.member) continue;
    PodEtcdctl e{&cluster, &m};
    auto text = e.Run({"endpoint", "status", "-w", "json"});
    if (!text) {
      failures += "\n  " + m.name + ": " + text.error().message();
      continue;
    }
    ASSIGN_OR_RETURN(json st, ParseJson(*text, "endpoint status"));
    if (!st.is_array() || st.empty()) continue;
    const json& s = st[0]["Status"];
    if (s.value("isLearner", false)) {  // serves no snapshot (see ChooseCandidate)
      if (!r.member.empty()) return LearnerNamed(r.member);
      failures += LearnerFailure(m.name);
      continue;
    }
    if (!chosen || s.value("raftIndex", uint64_t{0}) > status->value("raftIndex", uint64_t{0})) {
      chosen = &m;
      *status = s;
    }
  }
  if (!chosen) {
    if (!r.member.empty() && !t.MemberByName(r.member)) {
      return Fail(ErrorCode::kNotFound, "no etcd pod with member name " + Quote(r.member));
    }
    return Fail(ErrorCode::kUnavailable,
                "no healthy etcd member reachable through exec:" + failures);
  }
  return chosen;
}

etcdclient::MemberListResponse MemberListFromJson(const json& list) {
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
  return ml;
}

Status SaveExecUnchecked(const Request& r, Cluster& cluster, const topology::Topology& t,
                         Outcome* out) {
  if (t.members.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                "--via exec needs etcd pods; this cluster's etcd is external");
  }
  json chosen_status;
  ASSIGN_OR_RETURN(const topology::EtcdMember* chosen,
                   ChooseExecMember(r, cluster, t, &chosen_status));
  PodEtcdctl e{&cluster, chosen};
  std::string dir = r.node_dir.empty() ? chosen->data_dir : r.node_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::string node_file =
      dir + "/etcdrestore-snapshot-" + UtcTime(r.now, "%Y%m%dT%H%M%SZ") + ".db";
  RETURN_IF_ERROR(e.Run({"snapshot", "save", node_file}));
  ASSIGN_OR_RETURN(std::string status_text,
                   e.Run({"snapshot", "status", node_file, "-w", "json"}, false));
  ASSIGN_OR_RETURN(json pod_status, ParseJson(status_text, "snapshot status"));
  ASSIGN_OR_RETURN(std::string list_text, e.Run({"member", "list", "-w", "json"}));
  ASSIGN_OR_RETURN(json list, ParseJson(list_text, "member list"));

  topology::Sidecar* sc = &out->sidecar;
  FillMembers(MemberListFromJson(list), t, sc);
  const json& header = chosen_status["header"];
  sc->cluster_id = header.value("cluster_id", uint64_t{0});
  sc->source.method = "exec";
  sc->source.member = chosen->name;
  sc->source.member_id = header.value("member_id", uint64_t{0});
  sc->source.endpoint = e.Endpoint();
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
  out->node_file = node_file;
  out->host_file = host_file;

  if (host_file.empty() || !Readable(host_file)) {
    out->copied = false;
    out->not_copied = host_file.empty() ? std::string("no host path")
                                        : host_file + " is not readable on this machine";
    return {};
  }
  etcddb::SnapshotStatus local;
  ASSIGN_OR_RETURN(etcdclient::SaveResult saved, CopyVerified(host_file, out->path, &local));
  if (local.hash != sc->snapshot.hash || local.revision != sc->snapshot.revision) {
    ::unlink(out->path.c_str());
    return Fail(ErrorCode::kCorruption,
                "copy of " + host_file + " differs from what etcdctl checked in the pod (hash " +
                    std::to_string(local.hash) + " vs " + std::to_string(sc->snapshot.hash) +
                    ", revision " + std::to_string(local.revision) + " vs " +
                    std::to_string(sc->snapshot.revision) + ")");
  }
  sc->snapshot.size = saved.size;
  sc->snapshot.db_sha256 = HexDigest(saved.db_sha256);
  return {};
}

// etcdctl's JSON in the pod is outside input: a field of another type than etcdctl writes
// (nlohmann's type_error) is an error value, not an exception out of Save.
Status SaveExec(const Request& r, Cluster& cluster, const topology::Topology& t, Outcome* out) {
  try {
    return SaveExecUnchecked(r, cluster, t, out);
  } catch (const json::exception& e) {
    return Fail(
        ErrorCode::kInternal,
        std::string("--via exec: etcdctl in the etcd pod printed unexpected JSON: ") + e.what());
  }
}

}  // namespace

Result<kube::Client*> RealCluster::Api() {
  if (!client_) {
    ASSIGN_OR_RETURN(client_, connect_());
  }
  return client_.get();
}

Result<topology::Topology> RealCluster::Discover() {
  ASSIGN_OR_RETURN(kube::Client * api, Api());
  return kube::Discover(*api);
}

Result<std::unique_ptr<etcdclient::Client>> RealCluster::Dial(const etcdclient::Config& config) {
  return etcdclient::Dial(config);
}

Result<kube::ExecResult> RealCluster::Exec(const kube::ExecRequest& request) {
  ASSIGN_OR_RETURN(kube::Client * api, Api());
  return api->Exec(request);
}

std::string UtcTime(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

Result<TlsChoice> ChooseTls(const Request& r, const topology::Topology& t, bool need_tls) {
  if (!r.cacert.empty() || !r.cert.empty() || !r.key.empty()) {
    return TlsChoice{r.cacert, r.cert, r.key, "--cacert/--cert/--key"};
  }
  if (!need_tls) return TlsChoice{};
  std::vector<std::string> tried;
  auto consider = [&](const std::string& ca, const std::string& cert, const std::string& key,
                      const std::string& origin) -> std::optional<TlsChoice> {
    if (cert.empty() || key.empty()) return std::nullopt;
    if (Readable(cert) && Readable(key) && (ca.empty() || Readable(ca)))
      return TlsChoice{ca, cert, key, origin};
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
    if (auto c = consider(host(m.server.trusted_ca_file), host(m.server.cert_file),
                          host(m.server.key_file), "server cert of pod " + m.pod.name)) {
      return *c;
    }
  }
  std::string list;
  for (const auto& s : tried) list += "\n  " + s;
  return Fail(ErrorCode::kPermissionDenied, "no readable etcd client certificate here; tried:" +
                                                (list.empty() ? std::string(" none found") : list) +
                                                "\nrun on a control-plane node with read access to "
                                                "them, pass --cacert/--cert/--key, or use "
                                                "--via exec");
}

Result<Outcome> Save(const Request& r, Cluster& cluster) {
  Outcome out;
  out.path = r.path.empty() ? "etcd-snapshot-" + UtcTime(r.now, "%Y%m%dT%H%M%SZ") + ".db" : r.path;
  out.sidecar_path = topology::SidecarPath(out.path);
  // PATH and PATH.json must be new (lstat: a planted symlink counts as existing); a stale
  // PATH.part or PATH.json.tmp is checked by AtomicFile when it is created.
  for (const std::string& p : {out.path, out.sidecar_path}) {
    if (PathExists(p))
      return Fail(ErrorCode::kAlreadyExists,
                  Quote(p) + " already exists (" + DescribePath(p) + "); choose another path");
  }
  ASSIGN_OR_RETURN(topology::Topology t, cluster.Discover());
  if (t.members.empty() && t.endpoints.empty()) {
    std::string why;
    for (const auto& p : t.problems) why += "\n  " + p.object + ": " + p.message;
    return Fail(ErrorCode::kNotFound, "no etcd found in the cluster:" + why);
  }
  topology::Sidecar& sc = out.sidecar;
  sc.tool = r.tool;
  sc.created = UtcTime(r.now, "%Y-%m-%dT%H:%M:%SZ");
  sc.kubernetes_version = t.kubernetes_version;
  sc.external_etcd = t.external_etcd;
  sc.apiservers = t.apiservers;
  sc.cluster_config = t.cluster_config;
  if (r.via == Via::kDirect) {
    RETURN_IF_ERROR(SaveDirect(r, cluster, t, &out));
  } else {
    RETURN_IF_ERROR(SaveExec(r, cluster, t, &out));
  }
  if (out.copied) {
    sc.snapshot.file = BaseName(out.path);
    ASSIGN_OR_RETURN(Sha256Digest digest, Sha256File(out.path));
    sc.snapshot.sha256 = HexDigest(digest);
  }
  if (Status st = topology::WriteSidecar(out.sidecar_path, sc); !st) {
    // A snapshot without its sidecar is half a save: take it back out (it is the file we
    // just wrote, so that a rerun with the same PATH works).
    if (out.copied) ::unlink(out.path.c_str());
    return Fail(std::move(st).error().Wrap(out.copied ? "save (the snapshot " + Quote(out.path) +
                                                            " was removed again)"
                                                      : std::string("save")));
  }
  return out;
}

}  // namespace etcdrestore::backup
