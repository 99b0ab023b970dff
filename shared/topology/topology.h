// shared/topology/topology.h
//
// The etcd topology of a kubeadm control plane, as an operator would read it from
// `kubectl -n kube-system get pod etcd-<node> -o yaml`: a pure data model plus parsers.
// Nothing here talks to the network or the disk; the callers (kubectl-etcdrestore
// discover/save/plan, shared/backup) fetch the objects and hand them in. The code is split
// by concern: command_line.cc (flags), pods.cc (pods, ClusterConfiguration), assemble.cc
// (Assemble and its checks), json.cc (JSON forms); sidecar.h is the file save writes.
//
// Inputs are Kubernetes objects as YAML or JSON text (yaml-cpp parses both): a Pod
// (mirror pod from the API, or a static pod manifest file), a PodList, a NodeList, the
// kubeadm-config ConfigMap. Parsing is lenient: a field that is missing leaves the model
// field empty and, where a restore would need it, Assemble() records a Problem saying what
// is missing. Only text that is not YAML/JSON or not an object of the expected kind fails.
//
// Command lines: argv = container command + args. Flags may be written `--f=v`, `--f v`,
// `-f=v` or `-f v` (etcd uses Go's flag package, kube-apiserver pflag: both accept all of
// these for non-boolean flags); a known boolean flag never takes the next word. A
// `sh -c "etcd ..."` command is split into words. The last occurrence of a flag wins.
//
// Defaults are etcd's when a flag is absent: --name "default", --data-dir "<name>.etcd",
// --listen/advertise-client-urls http://localhost:2379, peer URLs http://localhost:2380.
//
// Host paths: a container path (data dir, cert file) is mapped through the container's
// volumeMounts to the hostPath volume behind it (longest mountPath prefix wins); kubeadm
// mounts etcd-data at the data dir and etcd-certs at /etc/kubernetes/pki/etcd.
//
// Paths to keys and certs are recorded, never their contents; nothing here holds secrets.
#ifndef ETCDRESTORE_SHARED_TOPOLOGY_TOPOLOGY_H_
#define ETCDRESTORE_SHARED_TOPOLOGY_TOPOLOGY_H_

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"

namespace YAML {
class Node;
}

namespace etcdrestore::topology {

// One `--name=value` (or `--name value`) word of a command line, without the dashes.
// A boolean flag given bare has value "true".
struct Flag {
  std::string name;
  std::string value;
};

// Parses argv (argv[0] is the program and is skipped). Words that are not flags
// (positional arguments) are ignored. `bool_flags` names flags that never take the next
// word as their value.
std::vector<Flag> ParseFlags(const std::vector<std::string>& argv,
                             const std::vector<std::string_view>& bool_flags);
// The value of the last occurrence of name; nullopt if absent.
std::optional<std::string> FlagValue(const std::vector<Flag>& flags, std::string_view name);
// Splits a comma-separated flag value, trimming spaces and dropping empty items.
std::vector<std::string> SplitList(std::string_view value);

// etcd image version from its reference: "registry.k8s.io/etcd:3.5.9-0" -> "3.5.9",
// "quay.io/coreos/etcd:v3.4.23" -> "3.4.23", a digest or no tag -> "".
std::string ImageVersion(std::string_view image);

struct Mount {
  std::string volume;      // volume name ("etcd-data")
  std::string mount_path;  // inside the container
  std::string host_path;   // hostPath.path of the volume; empty for other volume kinds
  bool read_only = false;
};

// Maps a container path to the host through mounts; nullopt if no hostPath mount covers it.
std::optional<std::string> HostPathOf(const std::vector<Mount>& mounts, std::string_view path);

// TLS files of one etcd listener (container paths as written in the flags).
struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string trusted_ca_file;
  bool client_cert_auth = false;
};

// Pod-level facts common to etcd and kube-apiserver pods.
struct PodInfo {
  std::string name;  // metadata.name ("etcd-cp1")
  std::string namespace_;
  std::string uid;
  std::string node;           // spec.nodeName; empty in a manifest file
  std::string node_address;   // the node's InternalIP (Assemble fills it from the NodeList)
  std::string phase;          // status.phase ("Running"); empty in a manifest file
  bool ready = false;         // status.conditions Ready=True
  bool mirror = false;        // has the kubernetes.io/config.mirror annotation
  std::string config_source;  // kubernetes.io/config.source ("file" for static pods)
  std::string image;
  std::string container;             // the container the command was read from
  std::string manifest_path;         // static pod file, when known (see Assemble)
  std::vector<std::string> command;  // command + args as run
  std::vector<Mount> mounts;
};

struct EtcdMember {
  PodInfo pod;
  std::string name;  // --name
  uint64_t id = 0;   // member ID; 0 until a MemberList filled it (save does)
  bool is_learner = false;
  std::string version;  // ImageVersion(pod.image), or the server's version when known
  std::vector<std::string> peer_urls;           // --initial-advertise-peer-urls
  std::vector<std::string> client_urls;         // --advertise-client-urls
  std::vector<std::string> listen_peer_urls;    // --listen-peer-urls
  std::vector<std::string> listen_client_urls;  // --listen-client-urls
  std::vector<std::string> listen_metrics_urls;
  std::string data_dir;               // --data-dir inside the container
  std::string data_host_path;         // host path behind data_dir; empty if not a hostPath
  std::string wal_dir;                // --wal-dir, usually empty
  TlsFiles server;                    // --cert-file/--key-file/--trusted-ca-file/--client-cert-auth
  TlsFiles peer;                      // --peer-* equivalents
  std::string initial_cluster;        // raw flag value "a=https://...,b=..."
  std::string initial_cluster_state;  // "new" / "existing"
  std::string initial_cluster_token;
  std::string snapshot_count;
  std::vector<Flag> flags;  // every flag, for what the model does not name

  // Host path of a container path of this pod (HostPathOf over pod.mounts).
  std::optional<std::string> HostPath(std::string_view container_path) const;
};

struct ApiServer {
  PodInfo pod;
  std::vector<std::string> etcd_servers;  // --etcd-servers
  std::string etcd_cafile;                // container paths
  std::string etcd_certfile;
  std::string etcd_keyfile;
  std::string etcd_prefix;        // --etcd-prefix, default "/registry"
  std::string advertise_address;  // --advertise-address
  std::string version;            // ImageVersion(pod.image)
  std::vector<Flag> flags;

  std::optional<std::string> HostPath(std::string_view container_path) const;
};

// The parts of kubeadm's ClusterConfiguration (kubeadm-config ConfigMap) a restore uses.
struct ClusterConfiguration {
  std::string api_version;  // "kubeadm.k8s.io/v1beta2"
  std::string kubernetes_version;
  std::string cluster_name;
  std::string control_plane_endpoint;
  std::string image_repository;
  std::string cert_dir;  // certificatesDir
  // etcd.local
  bool local_etcd = false;
  std::string local_data_dir;
  std::string local_image_tag;
  std::map<std::string, std::string> local_extra_args;
  // etcd.external
  bool external_etcd = false;
  std::vector<std::string> external_endpoints;
  std::string external_ca_file;
  std::string external_cert_file;
  std::string external_key_file;
};

struct Problem {
  std::string object;   // what it is about: "pod kube-system/etcd-cp1", "cluster"
  std::string message;  // what is missing or wrong, lower-case
};

struct Topology {
  std::vector<EtcdMember> members;    // sorted by name
  std::vector<ApiServer> apiservers;  // sorted by pod name
  // No etcd pods but kube-apiserver --etcd-servers (or ClusterConfiguration
  // etcd.external): etcd runs outside the cluster.
  bool external_etcd = false;
  // The etcd client endpoints to use: the members' client URLs, or for external etcd the
  // apiservers' --etcd-servers (deduplicated, in order of appearance).
  std::vector<std::string> endpoints;
  std::optional<ClusterConfiguration> cluster_config;
  std::string kubernetes_version;  // server /version gitVersion, else ClusterConfiguration's
  std::vector<Problem> problems;

  const EtcdMember* MemberByName(std::string_view name) const;
};

// Parses one etcd pod (a Pod object as YAML or JSON, or the YAML node of one). Fails with
// kInvalidArgument if it is not a Pod or has no etcd container (a container named "etcd",
// else one whose argv[0] ends in "etcd").
Result<EtcdMember> ParseEtcdPod(const YAML::Node& pod);
Result<EtcdMember> ParseEtcdPod(std::string_view text);

// Parses one kube-apiserver pod (container "kube-apiserver", else argv[0] ending in
// "kube-apiserver").
Result<ApiServer> ParseApiServerPod(const YAML::Node& pod);
Result<ApiServer> ParseApiServerPod(std::string_view text);

// Parses the ClusterConfiguration YAML document (the ConfigMap's data value), or the
// whole kubeadm-config ConfigMap (YAML or JSON) holding it.
Result<ClusterConfiguration> ParseClusterConfiguration(std::string_view text);

// What the caller fetched from the API; each text is YAML or JSON. Empty text: not
// fetched (forbidden or absent), which Assemble notes as a problem where it matters.
struct ClusterObjects {
  std::string etcd_pods;           // PodList: kube-system pods with label component=etcd
  std::string apiserver_pods;      // PodList: component=kube-apiserver
  std::string nodes;               // NodeList (InternalIP of each node)
  std::string kubeadm_config;      // ConfigMap kube-system/kubeadm-config
  std::string kubernetes_version;  // /version gitVersion
  // kubelet staticPodPath (kubelet-config ConfigMap); with it, file-sourced mirror pods get
  // manifest_path "<staticPodPath>/<component>.yaml" (kubeadm's file names).
  std::string static_pod_path;
};

// Builds the topology. Fails only on text that does not parse; everything else missing
// or inconsistent becomes a Problem:
//   no etcd pods and no --etcd-servers; an etcd pod not Running/Ready; no --data-dir or no
//   hostPath behind it; no client TLS files on an https listener; initial-cluster names
//   without a pod; apiserver --etcd-servers not served by any etcd pod; no etcd client
//   cert on an apiserver; kubeadm-config missing.
Result<Topology> Assemble(const ClusterObjects& objects);

// JSON forms (camelCase keys; every field is always present). FromJson accepts
// what ToJson writes and ignores unknown keys.
nlohmann::json ToJson(const EtcdMember& m);
nlohmann::json ToJson(const ApiServer& a);
nlohmann::json ToJson(const ClusterConfiguration& c);
nlohmann::json ToJson(const Topology& t);
Result<EtcdMember> EtcdMemberFromJson(const nlohmann::json& j);
Result<ApiServer> ApiServerFromJson(const nlohmann::json& j);
Result<ClusterConfiguration> ClusterConfigurationFromJson(const nlohmann::json& j);

}  // namespace etcdrestore::topology

#endif  // ETCDRESTORE_SHARED_TOPOLOGY_TOPOLOGY_H_
