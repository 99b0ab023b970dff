// kubectl etcdrestore discover: the etcd topology of the cluster (shared/kube/discover.h).
#include <CLI/CLI.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/output.h"
#include "shared/kube/discover.h"

namespace etcdrestore::kubectl_plugin {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "<none>" : s;
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

std::string TopologyTable(const topology::Topology& t) {
  std::string out;
  if (!t.members.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"MEMBER", "NODE", "ADDRESS", "PHASE", "VERSION", "CLIENT URLS", "PEER URLS", "DATA DIR", "HOST PATH"}};
    for (const auto& m : t.members) {
      rows.push_back({m.name, OrNone(m.pod.node), OrNone(m.pod.node_address), OrNone(m.pod.phase),
                      OrNone(m.version), Join(m.client_urls), Join(m.peer_urls), OrNone(m.data_dir),
                      OrNone(m.data_host_path)});
    }
    out += Table(rows);
    out += "\n";
    std::vector<std::vector<std::string>> certs = {{"MEMBER", "CERT", "KEY", "TRUSTED CA", "PEER CERT", "MANIFEST"}};
    for (const auto& m : t.members) {
      certs.push_back({m.name, OrNone(m.server.cert_file), OrNone(m.server.key_file),
                       OrNone(m.server.trusted_ca_file), OrNone(m.peer.cert_file), OrNone(m.pod.manifest_path)});
    }
    out += Table(certs);
  } else if (t.external_etcd) {
    out += "external etcd (no etcd pods in kube-system): " + Join(t.endpoints) + "\n";
  }
  if (!t.apiservers.empty()) {
    out += "\n";
    std::vector<std::vector<std::string>> rows = {
        {"KUBE-APISERVER", "NODE", "ETCD SERVERS", "ETCD CA", "ETCD CERT", "ETCD KEY"}};
    for (const auto& a : t.apiservers) {
      rows.push_back({a.pod.name, OrNone(a.pod.node), Join(a.etcd_servers), OrNone(a.etcd_cafile),
                      OrNone(a.etcd_certfile), OrNone(a.etcd_keyfile)});
    }
    out += Table(rows);
  }
  out += "\nkubernetes " + OrNone(t.kubernetes_version);
  if (t.cluster_config) {
    out += ", kubeadm ClusterConfiguration " + t.cluster_config->api_version;
    if (!t.cluster_config->control_plane_endpoint.empty()) {
      out += " (controlPlaneEndpoint " + t.cluster_config->control_plane_endpoint + ")";
    }
  }
  out += "\n";
  if (!t.problems.empty()) {
    out += "\nproblems:\n";
    for (const auto& p : t.problems) out += "  " + p.object + ": " + p.message + "\n";
  }
  return out;
}

Runner Setup(CLI::App& sub, const GlobalFlags& global) {
  auto output = std::make_shared<std::string>();
  sub.add_option("-o,--output", *output, "Output format: json or yaml (default: a table)");
  return [output, &global]() -> RunResult {
    if (!output->empty()) RETURN_IF_ERROR(Render(nlohmann::json(nullptr), *output));  // validates -o
    ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, global.NewClient());
    ASSIGN_OR_RETURN(topology::Topology t, kube::Discover(*client));
    if (output->empty()) {
      std::fputs(TopologyTable(t).c_str(), stdout);
    } else {
      ASSIGN_OR_RETURN(std::string text, Render(topology::ToJson(t), *output));
      std::fputs(text.c_str(), stdout);
    }
    return 0;
  };
}

const bool kRegistered = RegisterCommand(
    {"discover", "Show the etcd topology of the cluster (members, certs, data dirs, kube-apiserver flags)", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
