// Tests for shared/topology/topology.h with kubeadm-shaped manifests written here (the
// layout kubeadm 1.20 writes to /etc/kubernetes/manifests/etcd.yaml, and the mirror pods
// the kubelet creates from it).
#include "shared/topology/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace etcdrestore::topology {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A single-node kubeadm static pod manifest (flags in `--f=v` form), verbatim shape.
constexpr char kSingleNodeManifest[] = R"(apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://10.0.0.11:2379
  creationTimestamp: null
  labels:
    component: etcd
    tier: control-plane
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=https://10.0.0.11:2379
    - --cert-file=/etc/kubernetes/pki/etcd/server.crt
    - --client-cert-auth=true
    - --data-dir=/var/lib/etcd
    - --initial-advertise-peer-urls=https://10.0.0.11:2380
    - --initial-cluster=cp1=https://10.0.0.11:2380
    - --key-file=/etc/kubernetes/pki/etcd/server.key
    - --listen-client-urls=https://127.0.0.1:2379,https://10.0.0.11:2379
    - --listen-metrics-urls=http://127.0.0.1:2381
    - --listen-peer-urls=https://10.0.0.11:2380
    - --name=cp1
    - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
    - --peer-client-cert-auth=true
    - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
    - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    - --snapshot-count=10000
    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    image: k8s.gcr.io/etcd:3.4.13-0
    imagePullPolicy: IfNotPresent
    name: etcd
    resources: {}
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
    - mountPath: /etc/kubernetes/pki/etcd
      name: etcd-certs
  hostNetwork: true
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: /etc/kubernetes/pki/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
status: {}
)";

struct PodOptions {
  std::string node;
  std::string ip;
  std::string initial_cluster;
  bool space_form = false;  // `--f v` instead of `--f=v`
  std::string data_dir = "/var/lib/etcd";
  std::string data_host = "/var/lib/etcd";
  int client_port = 2379;
  int peer_port = 2380;
  std::string phase = "Running";
  bool ready = true;
  std::string image = "k8s.gcr.io/etcd:3.4.13-0";
};

// The mirror pod the kubelet creates from a kubeadm etcd manifest on node opts.node.
std::string EtcdMirrorPod(const PodOptions& o) {
  const std::string cp = std::to_string(o.client_port);
  const std::string pp = std::to_string(o.peer_port);
  const std::vector<std::pair<std::string, std::string>> flags = {
      {"advertise-client-urls", "https://" + o.ip + ":" + cp},
      {"cert-file", "/etc/kubernetes/pki/etcd/server.crt"},
      {"client-cert-auth", "true"},
      {"data-dir", o.data_dir},
      {"initial-advertise-peer-urls", "https://" + o.ip + ":" + pp},
      {"initial-cluster", o.initial_cluster},
      {"initial-cluster-state", "new"},
      {"key-file", "/etc/kubernetes/pki/etcd/server.key"},
      {"listen-client-urls", "https://127.0.0.1:" + cp + ",https://" + o.ip + ":" + cp},
      {"listen-peer-urls", "https://" + o.ip + ":" + pp},
      {"name", o.node},
      {"peer-cert-file", "/etc/kubernetes/pki/etcd/peer.crt"},
      {"peer-key-file", "/etc/kubernetes/pki/etcd/peer.key"},
      {"peer-trusted-ca-file", "/etc/kubernetes/pki/etcd/ca.crt"},
      {"trusted-ca-file", "/etc/kubernetes/pki/etcd/ca.crt"},
  };
  std::string cmd = "    - etcd\n";
  for (const auto& [k, v] : flags) {
    if (o.space_form) {
      // Boolean flags stay in `--f=v` form: Go's flag package does not take `--bool v`.
      if (k == "client-cert-auth") {
        cmd += "    - --client-cert-auth\n";
      } else {
        cmd += "    - --" + k + "\n    - " + v + "\n";
      }
    } else {
      cmd += "    - --" + k + "=" + v + "\n";
    }
  }
  return R"(apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubernetes.io/config.hash: 0123456789abcdef
    kubernetes.io/config.mirror: 0123456789abcdef
    kubernetes.io/config.source: file
  labels:
    component: etcd
    tier: control-plane
  name: etcd-)" + o.node + R"(
  namespace: kube-system
  ownerReferences:
  - apiVersion: v1
    controller: true
    kind: Node
    name: )" + o.node + R"(
    uid: 5c0b7c1e-0000-4000-8000-000000000001
spec:
  containers:
  - command:
)" + cmd + R"(    image: )" + o.image + R"(
    name: etcd
    volumeMounts:
    - mountPath: )" + o.data_dir + R"(
      name: etcd-data
    - mountPath: /etc/kubernetes/pki/etcd
      name: etcd-certs
  hostNetwork: true
  nodeName: )" + o.node + R"(
  volumes:
  - hostPath:
      path: /etc/kubernetes/pki/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: )" + o.data_host + R"(
      type: DirectoryOrCreate
    name: etcd-data
status:
  conditions:
  - status: ")" + (o.ready ? "True" : "False") + R"("
    type: Ready
  phase: )" + o.phase + "\n";
}

std::string ApiServerPod(const std::string& node, const std::string& ip,
                         const std::string& etcd_servers) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"kube-apiserver-)" + node +
         R"(","namespace":"kube-system","annotations":{"kubernetes.io/config.source":"file",
"kubernetes.io/config.mirror":"x"}},"spec":{"nodeName":")" + node +
         R"(","containers":[{"name":"kube-apiserver","image":"k8s.gcr.io/kube-apiserver:v1.20.15",
"command":["kube-apiserver","--advertise-address=)" + ip +
         R"(","--allow-privileged=true","--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
"--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
"--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key","--etcd-servers=)" +
         etcd_servers + R"(","--secure-port=6443"],
"volumeMounts":[{"name":"k8s-certs","mountPath":"/etc/kubernetes/pki","readOnly":true}]}],
"volumes":[{"name":"k8s-certs","hostPath":{"path":"/etc/kubernetes/pki","type":"DirectoryOrCreate"}}]},
"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})";
}

std::string List(const std::vector<std::string>& items_yaml) {
  // A PodList/NodeList in YAML: each item indented under items.
  std::string out = "apiVersion: v1\nkind: List\nitems:\n";
  for (const auto& item : items_yaml) {
    bool first = true;
    size_t pos = 0;
    while (pos < item.size()) {
      size_t nl = item.find('\n', pos);
      if (nl == std::string::npos) nl = item.size();
      out += (first ? "- " : "  ") + item.substr(pos, nl - pos) + "\n";
      first = false;
      pos = nl + 1;
    }
  }
  return out;
}

std::string NodeListJson(const std::vector<std::pair<std::string, std::string>>& nodes) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& [name, ip] : nodes) {
    items.push_back({{"kind", "Node"},
                     {"metadata", {{"name", name}}},
                     {"status",
                      {{"addresses",
                        {{{"type", "Hostname"}, {"address", name}},
                         {{"type", "InternalIP"}, {"address", ip}}}}}}});
  }
  return nlohmann::json{{"kind", "NodeList"}, {"apiVersion", "v1"}, {"items", items}}.dump();
}

constexpr char kKubeadmConfig[] = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: kubeadm-config
  namespace: kube-system
data:
  ClusterConfiguration: |
    apiServer:
      extraArgs:
        authorization-mode: Node,RBAC
    apiVersion: kubeadm.k8s.io/v1beta2
    certificatesDir: /etc/kubernetes/pki
    clusterName: kubernetes
    controlPlaneEndpoint: cp.example:6443
    etcd:
      local:
        dataDir: /var/lib/etcd
        extraArgs:
          listen-metrics-urls: http://0.0.0.0:2381
    imageRepository: k8s.gcr.io
    kind: ClusterConfiguration
    kubernetesVersion: v1.20.15
)";

TEST(ParseFlags, AcceptsEqualsAndSpaceFormsAndSingleDash) {
  const std::vector<Flag> flags =
      ParseFlags({"etcd", "--name=a", "--data-dir", "/d", "-wal-dir", "/w", "--client-cert-auth",
                  "--listen-client-urls=", "positional", "--name", "b"},
                 {"client-cert-auth"});
  ASSERT_EQ(flags.size(), 6u);
  EXPECT_EQ(flags[0].name, "name");
  EXPECT_EQ(flags[0].value, "a");
  EXPECT_EQ(flags[1].value, "/d");
  EXPECT_EQ(flags[2].name, "wal-dir");
  EXPECT_EQ(flags[2].value, "/w");
  EXPECT_EQ(flags[3].value, "true");
  EXPECT_EQ(flags[4].name, "listen-client-urls");
  EXPECT_EQ(flags[4].value, "");
  EXPECT_EQ(flags[5].value, "b");
  EXPECT_EQ(FlagValue(flags, "name"), "b");  // the last occurrence wins
  EXPECT_EQ(FlagValue(flags, "absent"), std::nullopt);
}

TEST(ParseFlags, BoolFlagDoesNotTakeNextWord) {
  const auto flags = ParseFlags({"etcd", "--client-cert-auth", "--name", "x"}, {"client-cert-auth"});
  EXPECT_EQ(FlagValue(flags, "client-cert-auth"), "true");
  EXPECT_EQ(FlagValue(flags, "name"), "x");
  // Unknown flag at the end without a value is a bare boolean.
  EXPECT_EQ(FlagValue(ParseFlags({"etcd", "--debug"}, {}), "debug"), "true");
}

TEST(SplitList, TrimsAndDropsEmpty) {
  EXPECT_THAT(SplitList(" a, b,,c "), ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitList(""), IsEmpty());
}

TEST(ImageVersion, TagForms) {
  EXPECT_EQ(ImageVersion("k8s.gcr.io/etcd:3.4.13-0"), "3.4.13");
  EXPECT_EQ(ImageVersion("registry.k8s.io/etcd:3.5.9-0"), "3.5.9");
  EXPECT_EQ(ImageVersion("quay.io/coreos/etcd:v3.4.23"), "3.4.23");
  EXPECT_EQ(ImageVersion("localhost:5000/etcd:3.5.16"), "3.5.16");
  EXPECT_EQ(ImageVersion("localhost:5000/etcd"), "");
  EXPECT_EQ(ImageVersion("etcd:latest"), "");
  EXPECT_EQ(ImageVersion("k8s.gcr.io/etcd:3.4.13-0@sha256:4ad90a11"), "3.4.13");
}

TEST(HostPathOf, LongestMountPrefixWins) {
  const std::vector<Mount> mounts = {{"root", "/", "/host", false},
                                     {"data", "/var/lib/etcd/", "/mnt/disk1/etcd", false},
                                     {"cfg", "/etc/cfg", "", false}};
  EXPECT_EQ(HostPathOf(mounts, "/var/lib/etcd"), "/mnt/disk1/etcd");
  EXPECT_EQ(HostPathOf(mounts, "/var/lib/etcd/member/snap"), "/mnt/disk1/etcd/member/snap");
  EXPECT_EQ(HostPathOf(mounts, "/var/lib/etcd2"), "/host/var/lib/etcd2");
  EXPECT_EQ(HostPathOf({mounts[1]}, "/var/lib/etcd2"), std::nullopt);
  EXPECT_EQ(HostPathOf({mounts[2]}, "/etc/cfg/a"), std::nullopt);  // not a hostPath
}

TEST(ParseEtcdPod, KubeadmSingleNodeManifest) {
  auto m = ParseEtcdPod(kSingleNodeManifest);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->name, "cp1");
  EXPECT_EQ(m->pod.name, "etcd");
  EXPECT_EQ(m->pod.namespace_, "kube-system");
  EXPECT_EQ(m->pod.node, "");  // a manifest file has no nodeName
  EXPECT_FALSE(m->pod.mirror);
  EXPECT_EQ(m->pod.image, "k8s.gcr.io/etcd:3.4.13-0");
  EXPECT_EQ(m->version, "3.4.13");
  EXPECT_THAT(m->client_urls, ElementsAre("https://10.0.0.11:2379"));
  EXPECT_THAT(m->peer_urls, ElementsAre("https://10.0.0.11:2380"));
  EXPECT_THAT(m->listen_client_urls, ElementsAre("https://127.0.0.1:2379", "https://10.0.0.11:2379"));
  EXPECT_THAT(m->listen_peer_urls, ElementsAre("https://10.0.0.11:2380"));
  EXPECT_THAT(m->listen_metrics_urls, ElementsAre("http://127.0.0.1:2381"));
  EXPECT_EQ(m->data_dir, "/var/lib/etcd");
  EXPECT_EQ(m->data_host_path, "/var/lib/etcd");
  EXPECT_EQ(m->server.cert_file, "/etc/kubernetes/pki/etcd/server.crt");
  EXPECT_EQ(m->server.key_file, "/etc/kubernetes/pki/etcd/server.key");
  EXPECT_EQ(m->server.trusted_ca_file, "/etc/kubernetes/pki/etcd/ca.crt");
  EXPECT_TRUE(m->server.client_cert_auth);
  EXPECT_EQ(m->peer.cert_file, "/etc/kubernetes/pki/etcd/peer.crt");
  EXPECT_EQ(m->peer.key_file, "/etc/kubernetes/pki/etcd/peer.key");
  EXPECT_EQ(m->peer.trusted_ca_file, "/etc/kubernetes/pki/etcd/ca.crt");
  EXPECT_TRUE(m->peer.client_cert_auth);
  EXPECT_EQ(m->initial_cluster, "cp1=https://10.0.0.11:2380");
  EXPECT_EQ(m->initial_cluster_state, "");
  EXPECT_EQ(m->snapshot_count, "10000");
  EXPECT_EQ(m->HostPath("/etc/kubernetes/pki/etcd/ca.crt"), "/etc/kubernetes/pki/etcd/ca.crt");
  EXPECT_EQ(m->flags.size(), 17u);
}

TEST(ParseEtcdPod, SpaceFormEqualsEqualsForm) {
  PodOptions o{.node = "cp1", .ip = "10.0.0.11", .initial_cluster = "cp1=https://10.0.0.11:2380"};
  auto eq = ParseEtcdPod(EtcdMirrorPod(o));
  o.space_form = true;
  auto sp = ParseEtcdPod(EtcdMirrorPod(o));
  ASSERT_TRUE(eq) << eq.error().message();
  ASSERT_TRUE(sp) << sp.error().message();
  EXPECT_EQ(ToJson(*eq)["flags"], ToJson(*sp)["flags"]);
  nlohmann::json a = ToJson(*eq), b = ToJson(*sp);
  a.erase("pod");
  b.erase("pod");
  EXPECT_EQ(a, b);
  EXPECT_EQ(sp->name, "cp1");
  EXPECT_TRUE(sp->server.client_cert_auth);
  EXPECT_EQ(sp->data_dir, "/var/lib/etcd");
  EXPECT_TRUE(sp->pod.mirror);
  EXPECT_EQ(sp->pod.config_source, "file");
  EXPECT_EQ(sp->pod.node, "cp1");
  EXPECT_EQ(sp->pod.phase, "Running");
  EXPECT_TRUE(sp->pod.ready);
}

TEST(ParseEtcdPod, NonDefaultDataDirAndPorts) {
  PodOptions o{.node = "cp1", .ip = "10.0.0.11", .initial_cluster = "cp1=https://10.0.0.11:12380",
               .space_form = true, .data_dir = "/data/etcd", .data_host = "/mnt/ssd/etcd",
               .client_port = 12379, .peer_port = 12380};
  auto m = ParseEtcdPod(EtcdMirrorPod(o));
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->data_dir, "/data/etcd");
  EXPECT_EQ(m->data_host_path, "/mnt/ssd/etcd");
  EXPECT_EQ(m->HostPath("/data/etcd/member/wal"), "/mnt/ssd/etcd/member/wal");
  EXPECT_THAT(m->client_urls, ElementsAre("https://10.0.0.11:12379"));
  EXPECT_THAT(m->peer_urls, ElementsAre("https://10.0.0.11:12380"));
}

TEST(ParseEtcdPod, ArgsAndShellWrappedCommand) {
  auto m = ParseEtcdPod(R"({"kind":"Pod","metadata":{"name":"etcd-x"},"spec":{"containers":[
    {"name":"sidecar","image":"busybox","command":["sleep","1d"]},
    {"name":"main","image":"quay.io/coreos/etcd:v3.5.16",
     "command":["/bin/sh","-c","exec /usr/local/bin/etcd --name 'my node' --data-dir=/x"]}]}})");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->pod.container, "main");
  EXPECT_EQ(m->name, "my node");
  EXPECT_EQ(m->data_dir, "/x");
  EXPECT_EQ(m->version, "3.5.16");

  auto a = ParseEtcdPod(R"({"kind":"Pod","metadata":{"name":"etcd-y"},"spec":{"containers":[
    {"name":"etcd","image":"etcd:3.4","command":["etcd"],"args":["--name","y","--data-dir","/d"]}]}})");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->name, "y");
  EXPECT_EQ(a->data_dir, "/d");
}

TEST(ParseEtcdPod, DefaultsWhenFlagsAbsent) {
  auto m = ParseEtcdPod(R"({"kind":"Pod","metadata":{"name":"e"},"spec":{"containers":[
    {"name":"etcd","image":"etcd","command":["etcd"]}]}})");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->name, "default");
  EXPECT_THAT(m->client_urls, ElementsAre("http://localhost:2379"));
  EXPECT_THAT(m->peer_urls, ElementsAre("http://localhost:2380"));
  EXPECT_EQ(m->data_dir, "");
}

TEST(ParseEtcdPod, RejectsNonPodAndPodWithoutEtcd) {
  auto m = ParseEtcdPod(R"({"kind":"Service","metadata":{"name":"x"}})");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message(), "expected a Pod, got kind Service");
  m = ParseEtcdPod(R"({"kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[
    {"name":"nginx","command":["nginx"]}]}})");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message(), "pod web: no etcd container");
  m = ParseEtcdPod("{not: [valid");
  ASSERT_FALSE(m);
  EXPECT_THAT(m.error().message(), HasSubstr("etcd pod: cannot parse as YAML/JSON"));
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
}

// Found by tests/fuzz/topology_fuzz: a byte that is not UTF-8 (here Latin-1 0xAE) was
// accepted, then the JSON writers (sidecar, plan.json, -o json) threw
// nlohmann type_error 316 on it. Such text is refused when it is parsed.
TEST(ParseEtcdPod, RejectsTextThatIsNotUtf8) {
  const std::string latin1 = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"etcd-\xae\"},\"spec\":{\"containers\":["
                             "{\"name\":\"etcd\",\"command\":[\"etcd\"]}]}}";
  auto m = ParseEtcdPod(latin1);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.error().message(), "etcd pod: not valid UTF-8 at byte 39");
  // Truncated, overlong and surrogate sequences too.
  for (const char* bad : {"{\"a\": \"\xc3\"}", "{\"a\": \"\xc0\xaf\"}", "{\"a\": \"\xed\xa0\x80\"}"}) {
    auto s = ParseApiServerPod(bad);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message(), "kube-apiserver pod: not valid UTF-8 at byte 7");
  }
  // Valid multi-byte UTF-8 is kept.
  auto ok = ParseEtcdPod("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"etcd-\xc3\xa9\"},\"spec\":{\"containers\":["
                         "{\"name\":\"etcd\",\"command\":[\"etcd\"]}]}}");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->pod.name, "etcd-\xc3\xa9");
  topology::ClusterObjects o;
  o.kubernetes_version = "v1.30\xff";
  auto t = Assemble(o);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message(), "kubernetes version or static pod path: not valid UTF-8");
}

TEST(ParseApiServerPod, EtcdFlags) {
  auto a = ParseApiServerPod(ApiServerPod("cp1", "10.0.0.11", "https://127.0.0.1:2379"));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_THAT(a->etcd_servers, ElementsAre("https://127.0.0.1:2379"));
  EXPECT_EQ(a->etcd_cafile, "/etc/kubernetes/pki/etcd/ca.crt");
  EXPECT_EQ(a->etcd_certfile, "/etc/kubernetes/pki/apiserver-etcd-client.crt");
  EXPECT_EQ(a->etcd_keyfile, "/etc/kubernetes/pki/apiserver-etcd-client.key");
  EXPECT_EQ(a->etcd_prefix, "/registry");
  EXPECT_EQ(a->advertise_address, "10.0.0.11");
  EXPECT_EQ(a->version, "1.20.15");
  EXPECT_EQ(a->HostPath(a->etcd_keyfile), "/etc/kubernetes/pki/apiserver-etcd-client.key");
}

TEST(ParseClusterConfiguration, FromConfigMap) {
  auto c = ParseClusterConfiguration(kKubeadmConfig);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->api_version, "kubeadm.k8s.io/v1beta2");
  EXPECT_EQ(c->kubernetes_version, "v1.20.15");
  EXPECT_EQ(c->control_plane_endpoint, "cp.example:6443");
  EXPECT_EQ(c->cert_dir, "/etc/kubernetes/pki");
  EXPECT_TRUE(c->local_etcd);
  EXPECT_FALSE(c->external_etcd);
  EXPECT_EQ(c->local_data_dir, "/var/lib/etcd");
  EXPECT_EQ(c->local_extra_args.at("listen-metrics-urls"), "http://0.0.0.0:2381");
}

TEST(Assemble, ThreeNodeStackedHa) {
  const std::string ic =
      "cp1=https://10.0.0.11:2380,cp2=https://10.0.0.12:2380,cp3=https://10.0.0.13:2380";
  std::vector<std::string> pods;
  std::vector<std::pair<std::string, std::string>> nodes;
  for (int i = 3; i >= 1; --i) {  // listed out of order: Assemble sorts by name
    const std::string n = "cp" + std::to_string(i), ip = "10.0.0.1" + std::to_string(i);
    pods.push_back(EtcdMirrorPod({.node = n, .ip = ip, .initial_cluster = ic, .space_form = i == 2}));
    nodes.emplace_back(n, ip);
  }
  ClusterObjects objs;
  objs.etcd_pods = List(pods);
  objs.apiserver_pods = R"({"kind":"PodList","items":[)" +
                        ApiServerPod("cp1", "10.0.0.11", "https://127.0.0.1:2379") + "," +
                        ApiServerPod("cp2", "10.0.0.12", "https://127.0.0.1:2379") + "]}";
  objs.nodes = NodeListJson(nodes);
  objs.kubeadm_config = kKubeadmConfig;
  objs.kubernetes_version = "v1.20.15";
  objs.static_pod_path = "/etc/kubernetes/manifests";
  auto t = Assemble(objs);
  ASSERT_TRUE(t) << t.error().message();
  ASSERT_EQ(t->members.size(), 3u);
  EXPECT_EQ(t->members[0].name, "cp1");
  EXPECT_EQ(t->members[1].name, "cp2");
  EXPECT_EQ(t->members[2].pod.node, "cp3");
  EXPECT_EQ(t->members[2].pod.node_address, "10.0.0.13");
  EXPECT_EQ(t->members[0].pod.manifest_path, "/etc/kubernetes/manifests/etcd.yaml");
  EXPECT_EQ(t->members[1].initial_cluster, ic);
  EXPECT_FALSE(t->external_etcd);
  EXPECT_THAT(t->endpoints, ElementsAre("https://10.0.0.11:2379", "https://10.0.0.12:2379",
                                        "https://10.0.0.13:2379"));
  ASSERT_EQ(t->apiservers.size(), 2u);
  EXPECT_EQ(t->apiservers[1].pod.node_address, "10.0.0.12");
  ASSERT_TRUE(t->cluster_config.has_value());
  EXPECT_EQ(t->kubernetes_version, "v1.20.15");
  EXPECT_THAT(t->problems, IsEmpty()) << ToJson(*t)["problems"].dump();
  EXPECT_NE(t->MemberByName("cp2"), nullptr);
  EXPECT_EQ(t->MemberByName("cp4"), nullptr);
}

TEST(Assemble, ReportsWhatIsMissing) {
  const std::string ic = "cp1=https://10.0.0.11:2380,cp2=https://10.0.0.12:2380";
  PodOptions o{.node = "cp1", .ip = "10.0.0.11", .initial_cluster = ic, .data_dir = "/data",
               .phase = "Pending", .ready = false};
  std::string pod = EtcdMirrorPod(o);
  // Not a hostPath volume behind the data dir.
  pod.replace(pod.find("  - hostPath:\n      path: /var/lib/etcd"), std::string::npos,
              "  - name: etcd-data\n    emptyDir: {}\nstatus:\n  phase: Pending\n");
  ClusterObjects objs;
  objs.etcd_pods = List({pod});
  objs.apiserver_pods = ApiServerPod("cp1", "10.0.0.11", "https://127.0.0.1:2379,https://10.9.9.9:2379");
  auto t = Assemble(objs);
  ASSERT_TRUE(t) << t.error().message();
  std::vector<std::string> got;
  for (const auto& p : t->problems) got.push_back(p.object + ": " + p.message);
  EXPECT_THAT(got, ElementsAre(
      "configmap kube-system/kubeadm-config: not found or not readable: no kubeadm ClusterConfiguration",
      "pod kube-system/etcd-cp1: pod phase is Pending, not Running",
      "pod kube-system/etcd-cp1: data dir \"/data\" is not on a hostPath volume: no host path to restore into",
      "cluster: --initial-cluster names member \"cp2\" but no etcd pod has --name=cp2",
      "pod kube-system/kube-apiserver-cp1: --etcd-servers URL https://10.9.9.9:2379 is not served by any etcd pod"));
  // No NodeList: the node address comes from the advertise client URL.
  EXPECT_EQ(t->members[0].pod.node_address, "10.0.0.11");
}

TEST(Assemble, ExternalEtcdFoundThroughApiServer) {
  ClusterObjects objs;
  objs.etcd_pods = R"({"kind":"PodList","apiVersion":"v1","items":[]})";
  objs.apiserver_pods = R"({"kind":"PodList","items":[)" +
                        ApiServerPod("cp1", "10.0.0.11", "https://10.0.1.1:2379,https://10.0.1.2:2379") +
                        "]}";
  auto t = Assemble(objs);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_TRUE(t->external_etcd);
  EXPECT_THAT(t->members, IsEmpty());
  EXPECT_THAT(t->endpoints, ElementsAre("https://10.0.1.1:2379", "https://10.0.1.2:2379"));
  ASSERT_EQ(t->problems.size(), 1u);  // only the missing kubeadm-config
  EXPECT_EQ(t->problems[0].object, "configmap kube-system/kubeadm-config");
}

TEST(Assemble, NothingFound) {
  auto t = Assemble(ClusterObjects{.kubeadm_config = kKubeadmConfig});
  ASSERT_TRUE(t) << t.error().message();
  ASSERT_EQ(t->problems.size(), 1u);
  EXPECT_THAT(t->problems[0].message, HasSubstr("cannot find etcd"));
  EXPECT_EQ(t->kubernetes_version, "v1.20.15");  // from ClusterConfiguration
}

TEST(TopologyJson, MemberRoundTrips) {
  auto m = ParseEtcdPod(EtcdMirrorPod({.node = "cp1", .ip = "10.0.0.11", .initial_cluster = "x"}));
  ASSERT_TRUE(m);
  m->id = 0x8e9e05c52164694dULL;
  const nlohmann::json j = ToJson(*m);
  EXPECT_EQ(j["id"], "8e9e05c52164694d");
  EXPECT_EQ(j["dataHostPath"], "/var/lib/etcd");
  auto back = EtcdMemberFromJson(j);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->id, m->id);
  EXPECT_EQ(ToJson(*back), j);
  auto bad = EtcdMemberFromJson({{"name", "x"}, {"peerURLs", "not-a-list"}});
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("etcd member: "));
}

}  // namespace
}  // namespace etcdrestore::topology
