// Pod, manifest and ClusterConfiguration parsing and the topology assembly
// (shared/topology/topology.h), on YAML/JSON text as the API or a static pod file gives
// it. Input parts split at NUL: etcd PodList, kube-apiserver PodList, NodeList,
// kubeadm-config, then a static pod path; each part is also parsed alone as an etcd pod,
// an apiserver pod, a ClusterConfiguration and a command line. Oracle: the JSON forms
// round-trip (ToJson(FromJson(ToJson(x))) == ToJson(x)).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shared/topology/topology.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

namespace {
void RoundTripMember(const topology::EtcdMember& m) {
  const nlohmann::json j = topology::ToJson(m);
  auto back = topology::EtcdMemberFromJson(j);
  if (!back || topology::ToJson(*back) != j) std::abort();
}
void RoundTripApi(const topology::ApiServer& a) {
  const nlohmann::json j = topology::ToJson(a);
  auto back = topology::ApiServerFromJson(j);
  if (!back || topology::ToJson(*back) != j) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> p = fuzz::Split(in, '\0');
  for (const std::string& s : p) {
    if (auto m = topology::ParseEtcdPod(s)) {
      RoundTripMember(*m);
      (void)m->HostPath(m->data_dir);
    }
    if (auto a = topology::ParseApiServerPod(s)) RoundTripApi(*a);
    if (auto c = topology::ParseClusterConfiguration(s)) {
      const nlohmann::json j = topology::ToJson(*c);
      auto back = topology::ClusterConfigurationFromJson(j);
      if (!back || topology::ToJson(*back) != j) std::abort();
    }
    (void)topology::ImageVersion(s);
    (void)topology::SplitList(s);
  }
  std::vector<std::string> argv = fuzz::Split(in, ' ');
  auto flags = topology::ParseFlags(argv, {"client-cert-auth", "peer-client-cert-auth"});
  (void)topology::FlagValue(flags, "name");
  if (p.size() >= 2) {
    topology::ClusterObjects o;
    p.resize(std::max<size_t>(p.size(), 6));
    o.etcd_pods = p[0];
    o.apiserver_pods = p[1];
    o.nodes = p[2];
    o.kubeadm_config = p[3];
    o.static_pod_path = p[4];
    o.kubernetes_version = p[5];
    if (auto t = topology::Assemble(o)) {
      (void)topology::ToJson(*t).dump();
      for (const auto& m : t->members) RoundTripMember(m);
      for (const auto& a : t->apiservers) RoundTripApi(a);
    }
  }
  return 0;
}
