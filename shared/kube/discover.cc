#include "shared/kube/discover.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace etcdrestore::kube {
namespace {

using nlohmann::json;

std::string PodsPath(const std::string& component) {
  return std::string("/api/v1/namespaces/") + kControlPlaneNamespace +
         "/pods?labelSelector=" + QueryEscape("component=" + component);
}

std::string ConfigMapPath(const std::string& name) {
  return std::string("/api/v1/namespaces/") + kControlPlaneNamespace + "/configmaps/" + name;
}

// staticPodPath from a kubelet-config ConfigMap (data.kubelet is a KubeletConfiguration).
std::string StaticPodPath(const std::string& configmap_json) {
  const json j = json::parse(configmap_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("data") || !j["data"].contains("kubelet")) return "";
  try {
    const YAML::Node k = YAML::Load(j["data"]["kubelet"].get<std::string>());
    if (k.IsMap() && k["staticPodPath"] && k["staticPodPath"].IsScalar()) return k["staticPodPath"].Scalar();
  } catch (const YAML::Exception&) {
  }
  return "";
}

}  // namespace

Result<topology::Topology> Discover(Client& client) {
  topology::ClusterObjects objs;
  std::vector<topology::Problem> extra;
  auto optional_get = [&](const std::string& path, const Access& access, const std::string& object) -> std::string {
    auto body = client.Get(path, access);
    if (body) return std::move(*body);
    // 404 of an optional object is reported by Assemble where it matters.
    if (body.error().code() != ErrorCode::kNotFound) extra.push_back({object, body.error().message()});
    return "";
  };

  const std::string version = optional_get("/version", {"get", "version", "", ""}, "/version");
  std::string minor;
  if (!version.empty()) {
    const json v = json::parse(version, nullptr, false);
    if (!v.is_discarded()) {
      objs.kubernetes_version = v.value("gitVersion", "");
      minor = v.value("major", "") + "." + v.value("minor", "");
      while (!minor.empty() && minor.back() == '+') minor.pop_back();  // "20+" on some distros
    }
  }
  ASSIGN_OR_RETURN(objs.etcd_pods, client.Get(PodsPath("etcd"), {"list", "pods", kControlPlaneNamespace, ""}));
  ASSIGN_OR_RETURN(objs.apiserver_pods,
                   client.Get(PodsPath("kube-apiserver"), {"list", "pods", kControlPlaneNamespace, ""}));
  objs.nodes = optional_get("/api/v1/nodes", {"list", "nodes", "", ""}, "nodes");
  objs.kubeadm_config = optional_get(ConfigMapPath("kubeadm-config"),
                                     {"get", "configmaps", kControlPlaneNamespace, "kubeadm-config"},
                                     "configmap kube-system/kubeadm-config");
  std::string kubelet = optional_get(ConfigMapPath("kubelet-config"),
                                     {"get", "configmaps", kControlPlaneNamespace, "kubelet-config"},
                                     "configmap kube-system/kubelet-config");
  if (kubelet.empty() && !minor.empty() && minor != ".") {
    const std::string name = "kubelet-config-" + minor;
    kubelet = optional_get(ConfigMapPath(name), {"get", "configmaps", kControlPlaneNamespace, name},
                           "configmap kube-system/" + name);
  }
  objs.static_pod_path = StaticPodPath(kubelet);

  auto t = topology::Assemble(objs);
  if (!t) return Fail(std::move(t).error().Wrap("discover"));
  // A specific read error (e.g. 403) replaces Assemble's generic "not found or not readable".
  for (const auto& e : extra) {
    std::erase_if(t->problems, [&](const topology::Problem& p) { return p.object == e.object; });
  }
  t->problems.insert(t->problems.begin(), extra.begin(), extra.end());
  return t;
}

}  // namespace etcdrestore::kube
