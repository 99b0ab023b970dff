// Pods and kubeadm's ClusterConfiguration: ParseEtcdPod, ParseApiServerPod,
// ParseClusterConfiguration, ImageVersion, HostPathOf (topology.h).
#include <map>

#include "shared/base/strings.h"
#include "shared/topology/internal.h"
#include "shared/topology/topology.h"

namespace etcdrestore::topology {
namespace {

using namespace internal;  // NOLINT: the module's own helpers

// command + args, with `sh -c "..."` unwrapped (the words after the program that the
// shell script starts with; a leading `exec` is dropped).
std::vector<std::string> Argv(const YAML::Node& container) {
  std::vector<std::string> argv = StrList(Child(container, "command"));
  for (auto& a : StrList(Child(container, "args"))) argv.push_back(std::move(a));
  if (argv.size() >= 3 && (EndsWith(argv[0], "sh") || EndsWith(argv[0], "bash")) &&
      argv[1] == "-c") {
    std::vector<std::string> words = ShellWords(argv[2]);
    if (!words.empty() && words[0] == "exec") words.erase(words.begin());
    return words;
  }
  return argv;
}

bool IsProgram(const YAML::Node& container, std::string_view program) {
  if (Str(Child(container, "name")) == program) return true;
  const std::vector<std::string> argv = Argv(container);
  if (argv.empty()) return false;
  const std::string& a0 = argv[0];
  return a0 == program || EndsWith(a0, "/" + std::string(program));
}

// Finds the container by name first, then by program.
YAML::Node FindContainer(const YAML::Node& pod, std::string_view program) {
  const YAML::Node containers = Path(pod, {"spec", "containers"});
  if (!containers || !containers.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& c : containers) {
    if (Str(Child(c, "name")) == program) return c;
  }
  for (const auto& c : containers) {
    if (IsProgram(c, program)) return c;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

Result<PodInfo> ParsePodInfo(const YAML::Node& pod, std::string_view program,
                             YAML::Node* container_out) {
  const std::string kind = Str(Child(pod, "kind"));
  if (!kind.empty() && kind != "Pod") {
    return Fail(ErrorCode::kInvalidArgument, "expected a Pod, got kind " + kind);
  }
  PodInfo info;
  const YAML::Node meta = Child(pod, "metadata");
  info.name = Str(Child(meta, "name"));
  info.namespace_ = Str(Child(meta, "namespace"));
  info.uid = Str(Child(meta, "uid"));
  const YAML::Node annotations = Child(meta, "annotations");
  info.mirror = static_cast<bool>(Child(annotations, "kubernetes.io/config.mirror"));
  info.config_source = Str(Child(annotations, "kubernetes.io/config.source"));
  info.node = Str(Path(pod, {"spec", "nodeName"}));
  info.phase = Str(Path(pod, {"status", "phase"}));
  const YAML::Node conditions = Path(pod, {"status", "conditions"});
  if (conditions && conditions.IsSequence()) {
    for (const auto& c : conditions) {
      if (Str(Child(c, "type")) == "Ready") info.ready = Str(Child(c, "status")) == "True";
    }
  }
  const YAML::Node container = FindContainer(pod, program);
  if (!container) {
    return Fail(ErrorCode::kInvalidArgument,
                "pod " + (info.name.empty() ? std::string("(unnamed)") : info.name) + ": no " +
                    std::string(program) + " container");
  }
  info.container = Str(Child(container, "name"));
  info.image = Str(Child(container, "image"));
  info.command = Argv(container);

  std::map<std::string, std::string> host_paths;  // volume name -> hostPath
  const YAML::Node volumes = Path(pod, {"spec", "volumes"});
  if (volumes && volumes.IsSequence()) {
    for (const auto& v : volumes) {
      host_paths[Str(Child(v, "name"))] = Str(Path(v, {"hostPath", "path"}));
    }
  }
  const YAML::Node mounts = Child(container, "volumeMounts");
  if (mounts && mounts.IsSequence()) {
    for (const auto& m : mounts) {
      Mount mount;
      mount.volume = Str(Child(m, "name"));
      mount.mount_path = Str(Child(m, "mountPath"));
      mount.read_only = Str(Child(m, "readOnly")) == "true";
      auto it = host_paths.find(mount.volume);
      if (it != host_paths.end()) mount.host_path = it->second;
      info.mounts.push_back(std::move(mount));
    }
  }
  container_out->reset(container);
  return info;
}

// clang-format off
constexpr std::string_view kEtcdBoolFlags[] = {
    "client-cert-auth", "peer-client-cert-auth", "auto-tls", "peer-auto-tls", "enable-v2",
    "enable-pprof", "debug", "force-new-cluster", "strict-reconfig-check",
    "experimental-initial-corrupt-check", "enable-grpc-gateway", "pre-vote",
    "experimental-enable-lease-checkpoint", "experimental-memory-mlock", "unsafe-no-fsync",
    "socket-reuse-port", "socket-reuse-address", "experimental-enable-v2v3",
    "experimental-compact-hash-check-enabled", "experimental-enable-distributed-tracing",
    "experimental-enable-lease-checkpoint-persist", "version", "help"};
// clang-format on

// clang-format off
constexpr std::string_view kApiServerBoolFlags[] = {
    "allow-privileged", "enable-bootstrap-token-auth", "enable-aggregator-routing",
    "anonymous-auth", "profiling", "enable-priority-and-fairness", "enable-garbage-collector",
    "enable-logs-handler", "service-account-lookup", "watch-cache", "logtostderr",
    "alsologtostderr", "help"};
// clang-format on

template <size_t N>
std::vector<std::string_view> ToVector(const std::string_view (&a)[N]) {
  return std::vector<std::string_view>(a, a + N);
}

// An EtcdMember or ApiServer with .pod and .flags read from the pod's `program` container.
template <typename T, size_t N>
Result<T> FromPod(const YAML::Node& pod, std::string_view program,
                  const std::string_view (&bool_flags)[N]) {
  YAML::Node container;
  ASSIGN_OR_RETURN(PodInfo info, ParsePodInfo(pod, program, &container));
  T t;
  t.flags = ParseFlags(info.command, ToVector(bool_flags));
  t.pod = std::move(info);
  return t;
}

// The value of the last --name, else def.
std::string FlagOr(const std::vector<Flag>& flags, std::string_view name, std::string def) {
  return FlagValue(flags, name).value_or(std::move(def));
}

}  // namespace

std::string ImageVersion(std::string_view image) {
  if (image.find('@') != std::string_view::npos) image = image.substr(0, image.find('@'));
  const size_t slash = image.rfind('/');
  const size_t colon = image.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    return "";
  }
  std::string_view tag = image.substr(colon + 1);
  if (StartsWith(tag, "v")) tag.remove_prefix(1);
  tag = tag.substr(0, tag.find('-'));
  if (tag.empty() || !std::isdigit(static_cast<unsigned char>(tag[0]))) return "";
  return std::string(tag);
}

std::optional<std::string> HostPathOf(const std::vector<Mount>& mounts, std::string_view path) {
  const Mount* best = nullptr;
  for (const Mount& m : mounts) {
    if (m.host_path.empty() || m.mount_path.empty()) continue;
    std::string_view mp = m.mount_path;
    while (mp.size() > 1 && mp.back() == '/') mp.remove_suffix(1);
    const bool covers =
        path == mp || (StartsWith(path, mp) && (mp == "/" || path[mp.size()] == '/'));
    if (covers && (!best || m.mount_path.size() > best->mount_path.size())) best = &m;
  }
  if (!best) return std::nullopt;
  std::string_view mp = best->mount_path;
  while (mp.size() > 1 && mp.back() == '/') mp.remove_suffix(1);
  std::string rest(path.substr(mp == "/" ? 0 : mp.size()));
  std::string host = best->host_path;
  while (host.size() > 1 && host.back() == '/') host.pop_back();
  if (rest.empty()) return host;
  if (rest.front() != '/') rest.insert(0, "/");
  return host == "/" ? rest : host + rest;
}

std::optional<std::string> EtcdMember::HostPath(std::string_view container_path) const {
  return HostPathOf(pod.mounts, container_path);
}

std::optional<std::string> ApiServer::HostPath(std::string_view container_path) const {
  return HostPathOf(pod.mounts, container_path);
}

Result<EtcdMember> ParseEtcdPod(const YAML::Node& pod) {
  ASSIGN_OR_RETURN(EtcdMember m, FromPod<EtcdMember>(pod, "etcd", kEtcdBoolFlags));
  auto flag = [&m](std::string_view name, std::string def = "") {
    return FlagOr(m.flags, name, def);
  };
  m.name = flag("name", "default");
  m.version = ImageVersion(m.pod.image);
  m.peer_urls = SplitList(flag("initial-advertise-peer-urls", "http://localhost:2380"));
  m.client_urls = SplitList(flag("advertise-client-urls", "http://localhost:2379"));
  m.listen_peer_urls = SplitList(flag("listen-peer-urls", "http://localhost:2380"));
  m.listen_client_urls = SplitList(flag("listen-client-urls", "http://localhost:2379"));
  m.listen_metrics_urls = SplitList(flag("listen-metrics-urls"));
  m.data_dir = flag("data-dir");
  if (!m.data_dir.empty()) m.data_host_path = m.HostPath(m.data_dir).value_or("");
  m.wal_dir = flag("wal-dir");
  m.server.cert_file = flag("cert-file");
  m.server.key_file = flag("key-file");
  m.server.trusted_ca_file = flag("trusted-ca-file");
  m.server.client_cert_auth = flag("client-cert-auth", "false") == "true";
  m.peer.cert_file = flag("peer-cert-file");
  m.peer.key_file = flag("peer-key-file");
  m.peer.trusted_ca_file = flag("peer-trusted-ca-file");
  m.peer.client_cert_auth = flag("peer-client-cert-auth", "false") == "true";
  m.initial_cluster = flag("initial-cluster");
  m.initial_cluster_state = flag("initial-cluster-state");
  m.initial_cluster_token = flag("initial-cluster-token");
  m.snapshot_count = flag("snapshot-count");
  return m;
}

Result<EtcdMember> ParseEtcdPod(std::string_view text) {
  ASSIGN_OR_RETURN(YAML::Node n, LoadText(text, "etcd pod"));
  return ParseEtcdPod(n);
}

Result<ApiServer> ParseApiServerPod(const YAML::Node& pod) {
  ASSIGN_OR_RETURN(ApiServer a, FromPod<ApiServer>(pod, "kube-apiserver", kApiServerBoolFlags));
  auto flag = [&a](std::string_view name, std::string def = "") {
    return FlagOr(a.flags, name, def);
  };
  a.etcd_servers = SplitList(flag("etcd-servers"));
  a.etcd_cafile = flag("etcd-cafile");
  a.etcd_certfile = flag("etcd-certfile");
  a.etcd_keyfile = flag("etcd-keyfile");
  a.etcd_prefix = flag("etcd-prefix", "/registry");
  a.advertise_address = flag("advertise-address");
  a.version = ImageVersion(a.pod.image);
  return a;
}

Result<ApiServer> ParseApiServerPod(std::string_view text) {
  ASSIGN_OR_RETURN(YAML::Node n, LoadText(text, "kube-apiserver pod"));
  return ParseApiServerPod(n);
}

Result<ClusterConfiguration> ParseClusterConfiguration(std::string_view text) {
  ASSIGN_OR_RETURN(YAML::Node n, LoadText(text, "kubeadm ClusterConfiguration"));
  if (Str(Child(n, "kind")) == "ConfigMap") {
    const std::string inner = Str(Path(n, {"data", "ClusterConfiguration"}));
    if (inner.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "kubeadm-config ConfigMap has no data.ClusterConfiguration");
    }
    ASSIGN_OR_RETURN(YAML::Node doc, LoadText(inner, "kubeadm ClusterConfiguration"));
    n.reset(doc);
  }
  if (Str(Child(n, "kind")) != "ClusterConfiguration") {
    return Fail(ErrorCode::kInvalidArgument,
                "kubeadm ClusterConfiguration: kind is " + Quote(Str(Child(n, "kind"))));
  }
  ClusterConfiguration c;
  c.api_version = Str(Child(n, "apiVersion"));
  c.kubernetes_version = Str(Child(n, "kubernetesVersion"));
  c.cluster_name = Str(Child(n, "clusterName"));
  c.control_plane_endpoint = Str(Child(n, "controlPlaneEndpoint"));
  c.image_repository = Str(Child(n, "imageRepository"));
  c.cert_dir = Str(Child(n, "certificatesDir"));
  const YAML::Node local = Path(n, {"etcd", "local"});
  if (local) {
    c.local_etcd = true;
    c.local_data_dir = Str(Child(local, "dataDir"));
    c.local_image_tag = Str(Child(local, "imageTag"));
    const YAML::Node extra = Child(local, "extraArgs");
    if (extra && extra.IsMap()) {
      for (const auto& kv : extra) c.local_extra_args[Str(kv.first)] = Str(kv.second);
    }
  }
  const YAML::Node external = Path(n, {"etcd", "external"});
  if (external) {
    c.external_etcd = true;
    c.external_endpoints = StrList(Child(external, "endpoints"));
    c.external_ca_file = Str(Child(external, "caFile"));
    c.external_cert_file = Str(Child(external, "certFile"));
    c.external_key_file = Str(Child(external, "keyFile"));
  }
  return c;
}

}  // namespace etcdrestore::topology
