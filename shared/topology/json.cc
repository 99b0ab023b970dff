// The JSON forms of the topology model (topology.h ToJson / *FromJson).
#include <nlohmann/json.hpp>

#include "shared/base/strings.h"
#include "shared/topology/sidecar.h"
#include "shared/topology/topology.h"

namespace etcdrestore::topology {

using nlohmann::json;

namespace {

json FlagsJson(const std::vector<Flag>& flags) {
  json a = json::array();
  for (const auto& f : flags) a.push_back({{"name", f.name}, {"value", f.value}});
  return a;
}

json TlsJson(const TlsFiles& t) {
  return {{"certFile", t.cert_file},
          {"keyFile", t.key_file},
          {"trustedCaFile", t.trusted_ca_file},
          {"clientCertAuth", t.client_cert_auth}};
}

json PodJson(const PodInfo& p) {
  json mounts = json::array();
  for (const auto& m : p.mounts) {
    mounts.push_back({{"volume", m.volume},
                      {"mountPath", m.mount_path},
                      {"hostPath", m.host_path},
                      {"readOnly", m.read_only}});
  }
  return {{"name", p.name},
          {"namespace", p.namespace_},
          {"uid", p.uid},
          {"node", p.node},
          {"nodeAddress", p.node_address},
          {"phase", p.phase},
          {"ready", p.ready},
          {"mirror", p.mirror},
          {"configSource", p.config_source},
          {"image", p.image},
          {"container", p.container},
          {"manifestPath", p.manifest_path},
          {"command", p.command},
          {"mounts", mounts}};
}

template <typename T>
void Get(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) *out = it->get<T>();
}

std::vector<Flag> FlagsFromJson(const json& j) {
  std::vector<Flag> flags;
  if (!j.is_array()) return flags;
  for (const auto& f : j)
    flags.push_back({f.at("name").get<std::string>(), f.at("value").get<std::string>()});
  return flags;
}

TlsFiles TlsFromJson(const json& j) {
  TlsFiles t;
  if (!j.is_object()) return t;
  Get(j, "certFile", &t.cert_file);
  Get(j, "keyFile", &t.key_file);
  Get(j, "trustedCaFile", &t.trusted_ca_file);
  Get(j, "clientCertAuth", &t.client_cert_auth);
  return t;
}

PodInfo PodFromJson(const json& j) {
  PodInfo p;
  if (!j.is_object()) return p;
  Get(j, "name", &p.name);
  Get(j, "namespace", &p.namespace_);
  Get(j, "uid", &p.uid);
  Get(j, "node", &p.node);
  Get(j, "nodeAddress", &p.node_address);
  Get(j, "phase", &p.phase);
  Get(j, "ready", &p.ready);
  Get(j, "mirror", &p.mirror);
  Get(j, "configSource", &p.config_source);
  Get(j, "image", &p.image);
  Get(j, "container", &p.container);
  Get(j, "manifestPath", &p.manifest_path);
  Get(j, "command", &p.command);
  if (auto it = j.find("mounts"); it != j.end() && it->is_array()) {
    for (const auto& m : *it) {
      Mount mount;
      Get(m, "volume", &mount.volume);
      Get(m, "mountPath", &mount.mount_path);
      Get(m, "hostPath", &mount.host_path);
      Get(m, "readOnly", &mount.read_only);
      p.mounts.push_back(std::move(mount));
    }
  }
  return p;
}

template <typename F>
auto Guard(std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const json::exception& e) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": " + e.what());
  }
}

}  // namespace

json ToJson(const EtcdMember& m) {
  return {{"name", m.name},
          {"id", m.id == 0 ? "" : HexId(m.id)},
          {"isLearner", m.is_learner},
          {"version", m.version},
          {"peerURLs", m.peer_urls},
          {"clientURLs", m.client_urls},
          {"listenPeerURLs", m.listen_peer_urls},
          {"listenClientURLs", m.listen_client_urls},
          {"listenMetricsURLs", m.listen_metrics_urls},
          {"dataDir", m.data_dir},
          {"dataHostPath", m.data_host_path},
          {"walDir", m.wal_dir},
          {"server", TlsJson(m.server)},
          {"peer", TlsJson(m.peer)},
          {"initialCluster", m.initial_cluster},
          {"initialClusterState", m.initial_cluster_state},
          {"initialClusterToken", m.initial_cluster_token},
          {"snapshotCount", m.snapshot_count},
          {"pod", PodJson(m.pod)},
          {"flags", FlagsJson(m.flags)}};
}

json ToJson(const ApiServer& a) {
  return {{"etcdServers", a.etcd_servers},
          {"etcdCafile", a.etcd_cafile},
          {"etcdCertfile", a.etcd_certfile},
          {"etcdKeyfile", a.etcd_keyfile},
          {"etcdPrefix", a.etcd_prefix},
          {"advertiseAddress", a.advertise_address},
          {"version", a.version},
          {"pod", PodJson(a.pod)},
          {"flags", FlagsJson(a.flags)}};
}

json ToJson(const ClusterConfiguration& c) {
  return {{"apiVersion", c.api_version},
          {"kubernetesVersion", c.kubernetes_version},
          {"clusterName", c.cluster_name},
          {"controlPlaneEndpoint", c.control_plane_endpoint},
          {"imageRepository", c.image_repository},
          {"certificatesDir", c.cert_dir},
          {"localEtcd", c.local_etcd},
          {"localDataDir", c.local_data_dir},
          {"localImageTag", c.local_image_tag},
          {"localExtraArgs", c.local_extra_args},
          {"externalEtcd", c.external_etcd},
          {"externalEndpoints", c.external_endpoints},
          {"externalCaFile", c.external_ca_file},
          {"externalCertFile", c.external_cert_file},
          {"externalKeyFile", c.external_key_file}};
}

json ToJson(const Topology& t) {
  json members = json::array();
  for (const auto& m : t.members) members.push_back(ToJson(m));
  json apis = json::array();
  for (const auto& a : t.apiservers) apis.push_back(ToJson(a));
  json problems = json::array();
  for (const auto& p : t.problems)
    problems.push_back({{"object", p.object}, {"message", p.message}});
  return {{"kubernetesVersion", t.kubernetes_version},
          {"externalEtcd", t.external_etcd},
          {"endpoints", t.endpoints},
          {"members", members},
          {"apiservers", apis},
          {"clusterConfiguration", t.cluster_config ? ToJson(*t.cluster_config) : json(nullptr)},
          {"problems", problems}};
}

Result<EtcdMember> EtcdMemberFromJson(const json& j) {
  return Guard("etcd member", [&]() -> Result<EtcdMember> {
    if (!j.is_object()) return Fail(ErrorCode::kInvalidArgument, "etcd member: not an object");
    EtcdMember m;
    Get(j, "name", &m.name);
    std::string id;
    Get(j, "id", &id);
    if (!id.empty()) {
      auto parsed = ParseHexId(id);
      if (!parsed) return Fail(std::move(parsed).error().Wrap("etcd member " + Quote(m.name)));
      m.id = *parsed;
    }
    Get(j, "isLearner", &m.is_learner);
    Get(j, "version", &m.version);
    Get(j, "peerURLs", &m.peer_urls);
    Get(j, "clientURLs", &m.client_urls);
    Get(j, "listenPeerURLs", &m.listen_peer_urls);
    Get(j, "listenClientURLs", &m.listen_client_urls);
    Get(j, "listenMetricsURLs", &m.listen_metrics_urls);
    Get(j, "dataDir", &m.data_dir);
    Get(j, "dataHostPath", &m.data_host_path);
    Get(j, "walDir", &m.wal_dir);
    if (j.contains("server")) m.server = TlsFromJson(j["server"]);
    if (j.contains("peer")) m.peer = TlsFromJson(j["peer"]);
    Get(j, "initialCluster", &m.initial_cluster);
    Get(j, "initialClusterState", &m.initial_cluster_state);
    Get(j, "initialClusterToken", &m.initial_cluster_token);
    Get(j, "snapshotCount", &m.snapshot_count);
    if (j.contains("pod")) m.pod = PodFromJson(j["pod"]);
    if (j.contains("flags")) m.flags = FlagsFromJson(j["flags"]);
    return m;
  });
}

Result<ApiServer> ApiServerFromJson(const json& j) {
  return Guard("kube-apiserver", [&]() -> Result<ApiServer> {
    if (!j.is_object()) return Fail(ErrorCode::kInvalidArgument, "kube-apiserver: not an object");
    ApiServer a;
    Get(j, "etcdServers", &a.etcd_servers);
    Get(j, "etcdCafile", &a.etcd_cafile);
    Get(j, "etcdCertfile", &a.etcd_certfile);
    Get(j, "etcdKeyfile", &a.etcd_keyfile);
    Get(j, "etcdPrefix", &a.etcd_prefix);
    Get(j, "advertiseAddress", &a.advertise_address);
    Get(j, "version", &a.version);
    if (j.contains("pod")) a.pod = PodFromJson(j["pod"]);
    if (j.contains("flags")) a.flags = FlagsFromJson(j["flags"]);
    return a;
  });
}

Result<ClusterConfiguration> ClusterConfigurationFromJson(const json& j) {
  return Guard("cluster configuration", [&]() -> Result<ClusterConfiguration> {
    if (!j.is_object()) {
      return Fail(ErrorCode::kInvalidArgument, "cluster configuration: not an object");
    }
    ClusterConfiguration c;
    Get(j, "apiVersion", &c.api_version);
    Get(j, "kubernetesVersion", &c.kubernetes_version);
    Get(j, "clusterName", &c.cluster_name);
    Get(j, "controlPlaneEndpoint", &c.control_plane_endpoint);
    Get(j, "imageRepository", &c.image_repository);
    Get(j, "certificatesDir", &c.cert_dir);
    Get(j, "localEtcd", &c.local_etcd);
    Get(j, "localDataDir", &c.local_data_dir);
    Get(j, "localImageTag", &c.local_image_tag);
    Get(j, "localExtraArgs", &c.local_extra_args);
    Get(j, "externalEtcd", &c.external_etcd);
    Get(j, "externalEndpoints", &c.external_endpoints);
    Get(j, "externalCaFile", &c.external_ca_file);
    Get(j, "externalCertFile", &c.external_cert_file);
    Get(j, "externalKeyFile", &c.external_key_file);
    return c;
  });
}

}  // namespace etcdrestore::topology
