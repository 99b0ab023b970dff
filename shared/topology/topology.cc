#include "shared/topology/topology.h"

#include "shared/topology/sidecar.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace etcdrestore::topology {
namespace {

using nlohmann::json;

// --- YAML access that never throws on a missing or mistyped field ---

YAML::Node Child(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node c = n[key];
  if (!c) return YAML::Node(YAML::NodeType::Undefined);
  return c;
}

YAML::Node Path(const YAML::Node& n, std::initializer_list<const char*> keys) {
  // yaml-cpp's Node::operator= writes through to the referenced node; reset() rebinds.
  YAML::Node cur;
  cur.reset(n);
  for (const char* k : keys) cur.reset(Child(cur, k));
  return cur;
}

std::string Str(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return "";
  return n.Scalar();
}

std::vector<std::string> StrList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n || !n.IsSequence()) return out;
  for (const auto& item : n) out.push_back(Str(item));
  return out;
}

std::vector<YAML::Node> Items(const YAML::Node& n) {
  std::vector<YAML::Node> out;
  const YAML::Node items = Child(n, "items");
  if (!items || !items.IsSequence()) return out;
  for (const auto& item : items) out.push_back(item);
  return out;
}

// The offset of the first byte of s that is not well-formed UTF-8 (overlongs, surrogates
// and code points above U+10FFFF are not), or npos.
size_t FirstNonUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return i;
    }
    if (s.size() - i <= n) return i;
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

// Kubernetes objects are UTF-8 (the API server and the kubelet refuse anything else), and
// what is read here goes out again as JSON (sidecar, plan, -o json), which cannot carry
// other bytes: text that is not UTF-8 is refused here rather than failing there. (yaml-cpp
// itself refuses escapes of surrogates and of code points above U+10FFFF.)
Result<YAML::Node> LoadText(std::string_view text, std::string_view what) {
  if (const size_t bad = FirstNonUtf8(text); bad != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": not valid UTF-8 at byte " + std::to_string(bad));
  }
  try {
    YAML::Node n = YAML::Load(std::string(text));
    if (!n.IsMap()) {
      return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": not a YAML/JSON object");
    }
    return n;
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(what) + ": cannot parse as YAML/JSON: " + e.what());
  }
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Splits a shell command line into words (quotes and backslashes; no expansions).
std::vector<std::string> ShellWords(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

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
                "pod " + (info.name.empty() ? std::string("(unnamed)") : info.name) +
                    ": no " + std::string(program) + " container");
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

constexpr std::string_view kEtcdBoolFlags[] = {
    "client-cert-auth", "peer-client-cert-auth", "auto-tls", "peer-auto-tls",
    "enable-v2", "enable-pprof", "debug", "force-new-cluster", "strict-reconfig-check",
    "experimental-initial-corrupt-check", "enable-grpc-gateway", "pre-vote",
    "experimental-enable-lease-checkpoint", "experimental-memory-mlock", "unsafe-no-fsync",
    "socket-reuse-port", "socket-reuse-address", "experimental-enable-v2v3",
    "experimental-compact-hash-check-enabled", "experimental-enable-distributed-tracing",
    "experimental-enable-lease-checkpoint-persist", "version", "help"};

constexpr std::string_view kApiServerBoolFlags[] = {
    "allow-privileged", "enable-bootstrap-token-auth", "enable-aggregator-routing",
    "anonymous-auth", "profiling", "enable-priority-and-fairness", "enable-garbage-collector",
    "enable-logs-handler", "service-account-lookup", "watch-cache", "logtostderr",
    "alsologtostderr", "help"};

template <size_t N>
std::vector<std::string_view> ToVector(const std::string_view (&a)[N]) {
  return std::vector<std::string_view>(a, a + N);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// (scheme, host, port) of "https://10.0.0.1:2379"; port "" if absent.
struct HostPort {
  std::string scheme, host, port;
};
HostPort SplitUrl(std::string_view url) {
  HostPort hp;
  const size_t sep = url.find("://");
  if (sep != std::string_view::npos) {
    hp.scheme = Lower(std::string(url.substr(0, sep)));
    url.remove_prefix(sep + 3);
  }
  url = url.substr(0, url.find('/'));
  if (StartsWith(url, "[")) {
    const size_t close = url.find(']');
    hp.host = std::string(url.substr(1, close == std::string_view::npos ? url.npos : close - 1));
    if (close != std::string_view::npos && close + 1 < url.size() && url[close + 1] == ':') {
      hp.port = std::string(url.substr(close + 2));
    }
  } else {
    const size_t colon = url.rfind(':');
    hp.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) hp.port = std::string(url.substr(colon + 1));
  }
  return hp;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || StartsWith(host, "127.") || host == "::1";
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

// --- flags ---

std::vector<Flag> ParseFlags(const std::vector<std::string>& argv,
                             const std::vector<std::string_view>& bool_flags) {
  std::vector<Flag> flags;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string_view w = argv[i];
    if (w.size() < 2 || w[0] != '-' || w == "--") continue;  // positional
    w.remove_prefix(w[1] == '-' ? 2 : 1);
    Flag f;
    const size_t eq = w.find('=');
    if (eq != std::string_view::npos) {
      f.name = std::string(w.substr(0, eq));
      f.value = std::string(w.substr(eq + 1));
    } else {
      f.name = std::string(w);
      const bool is_bool =
          std::find(bool_flags.begin(), bool_flags.end(), f.name) != bool_flags.end();
      if (!is_bool && i + 1 < argv.size() && !StartsWith(argv[i + 1], "-")) {
        f.value = argv[++i];
      } else {
        f.value = "true";
      }
    }
    flags.push_back(std::move(f));
  }
  return flags;
}

std::optional<std::string> FlagValue(const std::vector<Flag>& flags, std::string_view name) {
  for (auto it = flags.rbegin(); it != flags.rend(); ++it) {
    if (it->name == name) return it->value;
  }
  return std::nullopt;
}

std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view item = value.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

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
    const bool covers = path == mp || (StartsWith(path, mp) && (mp == "/" || path[mp.size()] == '/'));
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

const EtcdMember* Topology::MemberByName(std::string_view name) const {
  for (const auto& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// --- pods ---

Result<EtcdMember> ParseEtcdPod(const YAML::Node& pod) {
  YAML::Node container;
  ASSIGN_OR_RETURN(PodInfo info, ParsePodInfo(pod, "etcd", &container));
  EtcdMember m;
  m.flags = ParseFlags(info.command, ToVector(kEtcdBoolFlags));
  m.pod = std::move(info);
  auto flag = [&](std::string_view name, std::string def = "") {
    return FlagValue(m.flags, name).value_or(std::move(def));
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

Result<EtcdMember> ParseEtcdPodFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail(ErrnoError("open " + Quote(path), errno));
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = ParseEtcdPod(ss.str());
  if (!m) return Fail(std::move(m).error().Wrap(Quote(path)));
  m->pod.manifest_path = path;
  return m;
}

Result<ApiServer> ParseApiServerPod(const YAML::Node& pod) {
  YAML::Node container;
  ASSIGN_OR_RETURN(PodInfo info, ParsePodInfo(pod, "kube-apiserver", &container));
  ApiServer a;
  a.flags = ParseFlags(info.command, ToVector(kApiServerBoolFlags));
  a.pod = std::move(info);
  auto flag = [&](std::string_view name, std::string def = "") {
    return FlagValue(a.flags, name).value_or(std::move(def));
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

// --- assembly ---

namespace {

Result<std::vector<YAML::Node>> ListItems(const std::string& text, std::string_view what) {
  if (text.empty()) return std::vector<YAML::Node>{};
  ASSIGN_OR_RETURN(YAML::Node n, LoadText(text, what));
  if (Str(Child(n, "kind")) == "Pod" || Str(Child(n, "kind")) == "Node") {
    return std::vector<YAML::Node>{n};
  }
  return Items(n);
}

std::string PodRef(const PodInfo& p) {
  return "pod " + (p.namespace_.empty() ? std::string("kube-system") : p.namespace_) + "/" + p.name;
}

void CheckPodState(const PodInfo& p, std::vector<Problem>* problems) {
  if (p.phase != "Running") {
    problems->push_back({PodRef(p), "pod phase is " + (p.phase.empty() ? "unknown" : p.phase) +
                                        ", not Running"});
  } else if (!p.ready) {
    problems->push_back({PodRef(p), "pod is Running but not Ready"});
  }
}

bool AnyHttps(const std::vector<std::string>& urls) {
  return std::any_of(urls.begin(), urls.end(),
                     [](const std::string& u) { return SplitUrl(u).scheme == "https"; });
}

// Whether member m serves etcd client URL `url` (by host:port; a loopback URL matches a
// loopback listener of a member on the same node as the asking apiserver).
bool Serves(const EtcdMember& m, const std::string& url, const std::string& from_node) {
  const HostPort want = SplitUrl(url);
  auto match = [&](const std::vector<std::string>& urls, bool loopback_ok) {
    for (const auto& u : urls) {
      const HostPort have = SplitUrl(u);
      if (have.port != want.port) continue;
      if (have.host == want.host && !IsLoopback(want.host)) return true;
      if (loopback_ok && IsLoopback(want.host) &&
          (IsLoopback(have.host) || have.host == "0.0.0.0" || have.host == "::")) {
        return true;
      }
      if (!IsLoopback(want.host) && (have.host == "0.0.0.0" || have.host == "::") &&
          want.host == m.pod.node_address) {
        return true;
      }
    }
    return false;
  };
  const bool same_node = !from_node.empty() && from_node == m.pod.node;
  return match(m.client_urls, false) || match(m.listen_client_urls, same_node);
}

}  // namespace

Result<Topology> Assemble(const ClusterObjects& objects) {
  if (FirstNonUtf8(objects.kubernetes_version) != std::string_view::npos ||
      FirstNonUtf8(objects.static_pod_path) != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "kubernetes version or static pod path: not valid UTF-8");
  }
  Topology t;
  std::map<std::string, std::string> node_addresses;
  ASSIGN_OR_RETURN(std::vector<YAML::Node> nodes, ListItems(objects.nodes, "node list"));
  for (const auto& node : nodes) {
    const std::string name = Str(Path(node, {"metadata", "name"}));
    const YAML::Node addrs = Path(node, {"status", "addresses"});
    if (!addrs || !addrs.IsSequence()) continue;
    for (const auto& a : addrs) {
      if (Str(Child(a, "type")) == "InternalIP" && !node_addresses.count(name)) {
        node_addresses[name] = Str(Child(a, "address"));
      }
    }
  }
  auto fill_node = [&](PodInfo& p, const std::string& component,
                       const std::vector<std::string>& fallback_urls) {
    auto it = node_addresses.find(p.node);
    if (it != node_addresses.end()) {
      p.node_address = it->second;
    } else {
      for (const auto& u : fallback_urls) {
        const HostPort hp = SplitUrl(u);
        if (!IsLoopback(hp.host) && !hp.host.empty()) {
          p.node_address = hp.host;
          break;
        }
      }
    }
    if (p.config_source == "file" && !objects.static_pod_path.empty()) {
      p.manifest_path = objects.static_pod_path + "/" + component + ".yaml";
    }
  };

  ASSIGN_OR_RETURN(std::vector<YAML::Node> etcd_pods, ListItems(objects.etcd_pods, "etcd pod list"));
  for (const auto& pod : etcd_pods) {
    auto m = ParseEtcdPod(pod);
    if (!m) {
      t.problems.push_back({"pod " + Str(Path(pod, {"metadata", "name"})), m.error().message()});
      continue;
    }
    fill_node(m->pod, "etcd", m->client_urls);
    t.members.push_back(std::move(*m));
  }
  ASSIGN_OR_RETURN(std::vector<YAML::Node> api_pods,
                   ListItems(objects.apiserver_pods, "kube-apiserver pod list"));
  for (const auto& pod : api_pods) {
    auto a = ParseApiServerPod(pod);
    if (!a) {
      t.problems.push_back({"pod " + Str(Path(pod, {"metadata", "name"})), a.error().message()});
      continue;
    }
    fill_node(a->pod, "kube-apiserver", {"https://" + a->advertise_address});
    t.apiservers.push_back(std::move(*a));
  }
  std::sort(t.members.begin(), t.members.end(),
            [](const EtcdMember& a, const EtcdMember& b) { return a.name < b.name; });
  std::sort(t.apiservers.begin(), t.apiservers.end(),
            [](const ApiServer& a, const ApiServer& b) { return a.pod.name < b.pod.name; });

  if (!objects.kubeadm_config.empty()) {
    auto c = ParseClusterConfiguration(objects.kubeadm_config);
    if (c) {
      t.cluster_config = std::move(*c);
    } else {
      t.problems.push_back({"configmap kube-system/kubeadm-config", c.error().message()});
    }
  } else {
    t.problems.push_back({"configmap kube-system/kubeadm-config",
                          "not found or not readable: no kubeadm ClusterConfiguration"});
  }
  t.kubernetes_version = objects.kubernetes_version;
  if (t.kubernetes_version.empty() && t.cluster_config) {
    t.kubernetes_version = t.cluster_config->kubernetes_version;
  }

  // Members.
  std::set<std::string> names;
  for (const auto& m : t.members) {
    const std::string ref = PodRef(m.pod);
    if (!names.insert(m.name).second) {
      t.problems.push_back({ref, "member name " + Quote(m.name) + " is used by another etcd pod"});
    }
    CheckPodState(m.pod, &t.problems);
    if (m.data_dir.empty()) {
      t.problems.push_back({ref, "no --data-dir flag: etcd uses " + Quote(m.name + ".etcd") +
                                     " relative to its working directory"});
    } else if (m.data_host_path.empty()) {
      t.problems.push_back({ref, "data dir " + Quote(m.data_dir) +
                                     " is not on a hostPath volume: no host path to restore into"});
    }
    if (AnyHttps(m.listen_client_urls) &&
        (m.server.cert_file.empty() || m.server.key_file.empty())) {
      t.problems.push_back({ref, "https client URLs but no --cert-file/--key-file"});
    }
    if (m.server.client_cert_auth && m.server.trusted_ca_file.empty()) {
      t.problems.push_back({ref, "--client-cert-auth without --trusted-ca-file"});
    }
    if (m.initial_cluster.empty()) {
      t.problems.push_back({ref, "no --initial-cluster flag"});
    }
    if (m.pod.node.empty()) t.problems.push_back({ref, "pod has no spec.nodeName"});
    else if (m.pod.node_address.empty()) {
      t.problems.push_back({ref, "no InternalIP for node " + Quote(m.pod.node)});
    }
  }
  // initial-cluster names without a pod (a member whose pod is gone or on a node we
  // cannot see).
  if (!t.members.empty()) {
    std::set<std::string> listed;
    for (const auto& m : t.members) {
      for (const auto& item : SplitList(m.initial_cluster)) {
        listed.insert(item.substr(0, item.find('=')));
      }
    }
    for (const auto& n : listed) {
      if (!names.count(n)) {
        t.problems.push_back({"cluster", "--initial-cluster names member " + Quote(n) +
                                             " but no etcd pod has --name=" + n});
      }
    }
  }
  // API servers.
  for (const auto& a : t.apiservers) {
    const std::string ref = PodRef(a.pod);
    CheckPodState(a.pod, &t.problems);
    if (a.etcd_servers.empty()) {
      t.problems.push_back({ref, "no --etcd-servers flag"});
      continue;
    }
    if (AnyHttps(a.etcd_servers) && (a.etcd_certfile.empty() || a.etcd_keyfile.empty())) {
      t.problems.push_back({ref, "https --etcd-servers but no --etcd-certfile/--etcd-keyfile"});
    }
    if (!t.members.empty()) {
      for (const auto& url : a.etcd_servers) {
        const bool served = std::any_of(t.members.begin(), t.members.end(), [&](const auto& m) {
          return Serves(m, url, a.pod.node);
        });
        if (!served) {
          t.problems.push_back({ref, "--etcd-servers URL " + url + " is not served by any etcd pod"});
        }
      }
    }
  }

  if (t.members.empty()) {
    for (const auto& a : t.apiservers) {
      for (const auto& url : a.etcd_servers) {
        if (std::find(t.endpoints.begin(), t.endpoints.end(), url) == t.endpoints.end()) {
          t.endpoints.push_back(url);
        }
      }
    }
    if (t.endpoints.empty() && t.cluster_config && t.cluster_config->external_etcd) {
      t.endpoints = t.cluster_config->external_endpoints;
    }
    if (!t.endpoints.empty()) {
      t.external_etcd = true;
    } else {
      t.problems.push_back(
          {"cluster",
           "no etcd pods (label component=etcd in kube-system) and no kube-apiserver pod with "
           "--etcd-servers: cannot find etcd"});
    }
  } else {
    for (const auto& m : t.members) {
      for (const auto& u : m.client_urls) {
        if (std::find(t.endpoints.begin(), t.endpoints.end(), u) == t.endpoints.end()) {
          t.endpoints.push_back(u);
        }
      }
    }
  }
  return t;
}

// --- JSON ---

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
  return {{"name", p.name},          {"namespace", p.namespace_},
          {"uid", p.uid},            {"node", p.node},
          {"nodeAddress", p.node_address}, {"phase", p.phase},
          {"ready", p.ready},        {"mirror", p.mirror},
          {"configSource", p.config_source}, {"image", p.image},
          {"container", p.container}, {"manifestPath", p.manifest_path},
          {"command", p.command},    {"mounts", mounts}};
}

template <typename T>
void Get(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) *out = it->get<T>();
}

std::vector<Flag> FlagsFromJson(const json& j) {
  std::vector<Flag> flags;
  if (!j.is_array()) return flags;
  for (const auto& f : j) flags.push_back({f.at("name").get<std::string>(), f.at("value").get<std::string>()});
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
  return {{"etcdServers", a.etcd_servers}, {"etcdCafile", a.etcd_cafile},
          {"etcdCertfile", a.etcd_certfile}, {"etcdKeyfile", a.etcd_keyfile},
          {"etcdPrefix", a.etcd_prefix},   {"advertiseAddress", a.advertise_address},
          {"version", a.version},          {"pod", PodJson(a.pod)},
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
  for (const auto& p : t.problems) problems.push_back({{"object", p.object}, {"message", p.message}});
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
