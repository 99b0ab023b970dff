// Assemble (topology.h): the topology from what was fetched, each check a named step.
#include <algorithm>
#include <map>
#include <set>

#include "shared/base/strings.h"
#include "shared/topology/internal.h"
#include "shared/topology/topology.h"

namespace etcdrestore::topology {
namespace {

using namespace internal;  // NOLINT: the module's own helpers

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
    problems->push_back(
        {PodRef(p), "pod phase is " + (p.phase.empty() ? "unknown" : p.phase) + ", not Running"});
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

// InternalIP of each node of the NodeList, by node name (the first one listed).
Result<std::map<std::string, std::string>> NodeAddresses(const std::string& node_list) {
  std::map<std::string, std::string> node_addresses;
  ASSIGN_OR_RETURN(std::vector<YAML::Node> nodes, ListItems(node_list, "node list"));
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
  return node_addresses;
}

// The pod's node address (from the NodeList, else the first non-loopback host of
// fallback_urls) and, for a static pod, its manifest path under the kubelet's staticPodPath.
void FillNode(const std::map<std::string, std::string>& node_addresses,
              const std::string& static_pod_path, const std::string& component,
              const std::vector<std::string>& fallback_urls, PodInfo& p) {
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
  if (p.config_source == "file" && !static_pod_path.empty()) {
    p.manifest_path = static_pod_path + "/" + component + ".yaml";
  }
}

// Every pod of a PodList (or one Pod) through parse; a pod that does not parse is a
// problem, not an error.
template <typename T>
Result<std::vector<T>> ParsePodList(const std::string& text, std::string_view what,
                                    Result<T> (*parse)(const YAML::Node&),
                                    std::vector<Problem>* problems) {
  ASSIGN_OR_RETURN(std::vector<YAML::Node> pods, ListItems(text, what));
  std::vector<T> out;
  for (const auto& pod : pods) {
    auto p = parse(pod);
    if (!p) {
      problems->push_back({"pod " + Str(Path(pod, {"metadata", "name"})), p.error().message()});
      continue;
    }
    out.push_back(std::move(*p));
  }
  return out;
}

// The etcd and kube-apiserver pods, each sorted by name, with their nodes filled in.
Status ParsePods(const ClusterObjects& objects,
                 const std::map<std::string, std::string>& node_addresses, Topology& t) {
  ASSIGN_OR_RETURN(t.members, ParsePodList<EtcdMember>(objects.etcd_pods, "etcd pod list",
                                                       ParseEtcdPod, &t.problems));
  for (auto& m : t.members) {
    FillNode(node_addresses, objects.static_pod_path, "etcd", m.client_urls, m.pod);
  }
  ASSIGN_OR_RETURN(t.apiservers,
                   ParsePodList<ApiServer>(objects.apiserver_pods, "kube-apiserver pod list",
                                           ParseApiServerPod, &t.problems));
  for (auto& a : t.apiservers) {
    FillNode(node_addresses, objects.static_pod_path, "kube-apiserver",
             {"https://" + a.advertise_address}, a.pod);
  }
  std::sort(t.members.begin(), t.members.end(),
            [](const EtcdMember& a, const EtcdMember& b) { return a.name < b.name; });
  std::sort(t.apiservers.begin(), t.apiservers.end(),
            [](const ApiServer& a, const ApiServer& b) { return a.pod.name < b.pod.name; });
  return {};
}

// kubeadm's ClusterConfiguration (missing or bad: a problem) and the Kubernetes version
// (the server's, else the ClusterConfiguration's).
void ReadClusterConfig(const ClusterObjects& objects, Topology& t) {
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
}

// Each member: a unique name, Running and Ready, a data dir on a hostPath, TLS files for
// https, a CA for client cert auth, --initial-cluster, a node with an address.
void CheckMembers(Topology& t) {
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
    if (m.pod.node.empty())
      t.problems.push_back({ref, "pod has no spec.nodeName"});
    else if (m.pod.node_address.empty()) {
      t.problems.push_back({ref, "no InternalIP for node " + Quote(m.pod.node)});
    }
  }
}

// --initial-cluster names without a pod (a member whose pod is gone or on a node we cannot
// see).
void CheckInitialCluster(Topology& t) {
  if (t.members.empty()) return;
  std::set<std::string> names, listed;
  for (const auto& m : t.members) {
    names.insert(m.name);
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

// Each kube-apiserver: Running and Ready, --etcd-servers with a client cert for https, and
// every one of them served by an etcd pod (when there are etcd pods).
void CheckApiServers(Topology& t) {
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
        const bool served = std::any_of(t.members.begin(), t.members.end(),
                                        [&](const auto& m) { return Serves(m, url, a.pod.node); });
        if (!served) {
          t.problems.push_back(
              {ref, "--etcd-servers URL " + url + " is not served by any etcd pod"});
        }
      }
    }
  }
}

void AddOnce(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

// The client endpoints: the members' client URLs; without etcd pods the apiservers'
// --etcd-servers, else ClusterConfiguration's etcd.external (external etcd), else a problem.
void ChooseEndpoints(Topology& t) {
  if (!t.members.empty()) {
    for (const auto& m : t.members) {
      for (const auto& u : m.client_urls) AddOnce(t.endpoints, u);
    }
    return;
  }
  for (const auto& a : t.apiservers) {
    for (const auto& url : a.etcd_servers) AddOnce(t.endpoints, url);
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
}

}  // namespace

Result<Topology> Assemble(const ClusterObjects& objects) {
  if (!IsUtf8(objects.kubernetes_version) || !IsUtf8(objects.static_pod_path)) {
    return Fail(ErrorCode::kInvalidArgument,
                "kubernetes version or static pod path: not valid UTF-8");
  }
  Topology t;
  ASSIGN_OR_RETURN(auto node_addresses, NodeAddresses(objects.nodes));
  RETURN_IF_ERROR(ParsePods(objects, node_addresses, t));
  ReadClusterConfig(objects, t);
  CheckMembers(t);
  CheckInitialCluster(t);
  CheckApiServers(t);
  ChooseEndpoints(t);
  return t;
}

const EtcdMember* Topology::MemberByName(std::string_view name) const {
  for (const auto& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace etcdrestore::topology
