// Tests for shared/plan: golden plans (runbook, scripts, JSON) for a single node, a
// three-node stacked HA control plane and non-default dirs and ports, from each input kind
// (API objects through topology::Assemble, a sidecar, manifests), plus the refusals, the
// bump sizing and the manifest edits.
//
// The goldens in testdata/ are made by this code; after a deliberate change, regenerate
// them with ETCDRESTORE_UPDATE_GOLDEN=1 and read the diff before committing.
#include "shared/plan/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/base/strings.h"
#include "shared/plan/render.h"
#include "shared/plan/template.h"
#include "shared/topology/sidecar.h"
#include "shared/topology/topology.h"

namespace etcdrestore::plan {
namespace {

// A fresh directory of this process (tests of several builds may run at once).
std::string PrivateTempDir(const std::string& name) {
  std::string tmpl = ::testing::TempDir() + "/" + name + ".XXXXXX";
  EXPECT_NE(nullptr, ::mkdtemp(tmpl.data())) << tmpl;
  return tmpl;
}


using ::testing::HasSubstr;
using ::testing::Not;

const std::string kGoldenDir = std::string(ETCDRESTORE_SOURCE_DIR) + "/tests/unit/plan/testdata";
const std::string kSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kNow = "2024-05-01T12:00:00Z";

struct Node {
  std::string name;
  std::string ip;
  int client_port = 2379;
  int peer_port = 2380;
  std::string data_dir = "/var/lib/etcd";    // container path (--data-dir)
  std::string mount_path = "/var/lib/etcd";  // etcd-data mountPath
  std::string host_path = "/var/lib/etcd";   // etcd-data hostPath
  std::string pki = "/etc/kubernetes/pki/etcd";
  std::string image = "registry.k8s.io/etcd:3.5.9-0";
  bool data_volume = true;
  std::string wal_dir;  // --wal-dir (container path) with a volume etcd-wal of the same host path; empty: none
};

std::string InitialCluster(const std::vector<Node>& nodes) {
  std::string out;
  for (const auto& n : nodes)
    out += (out.empty() ? "" : ",") + n.name + "=https://" + n.ip + ":" + std::to_string(n.peer_port);
  return out;
}

// A static pod manifest in the layout kubeadm writes to <manifests>/etcd.yaml.
std::string Manifest(const Node& n, const std::string& initial_cluster) {
  const std::string cp = std::to_string(n.client_port), pp = std::to_string(n.peer_port);
  std::string m = R"(apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://)" + n.ip + ":" + cp + R"(
  labels:
    component: etcd
    tier: control-plane
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=https://)" + n.ip + ":" + cp + R"(
    - --cert-file=)" + n.pki + R"(/server.crt
    - --client-cert-auth=true
    - --data-dir=)" + n.data_dir + R"(
    - --initial-advertise-peer-urls=https://)" + n.ip + ":" + pp + R"(
    - --initial-cluster=)" + initial_cluster + R"(
    - --key-file=)" + n.pki + R"(/server.key
    - --listen-client-urls=https://127.0.0.1:)" + cp + ",https://" + n.ip + ":" + cp + R"(
    - --listen-peer-urls=https://)" + n.ip + ":" + pp + R"(
    - --name=)" + n.name + R"(
    - --peer-cert-file=)" + n.pki + R"(/peer.crt
    - --peer-key-file=)" + n.pki + R"(/peer.key
    - --peer-trusted-ca-file=)" + n.pki + R"(/ca.crt
    - --trusted-ca-file=)" + n.pki + R"(/ca.crt
)" + (n.wal_dir.empty() ? std::string() : "    - --wal-dir=" + n.wal_dir + "\n") + R"(    image: )" + n.image + R"(
    name: etcd
    volumeMounts:
)";
  if (n.data_volume) m += "    - mountPath: " + n.mount_path + "\n      name: etcd-data\n";
  if (!n.wal_dir.empty()) m += "    - mountPath: " + n.wal_dir + "\n      name: etcd-wal\n";
  m += "    - mountPath: " + n.pki + "\n      name: etcd-certs\n";
  m += "  hostNetwork: true\n  volumes:\n";
  m += "  - hostPath:\n      path: " + n.pki + "\n      type: DirectoryOrCreate\n    name: etcd-certs\n";
  if (n.data_volume)
    m += "  - hostPath:\n      path: " + n.host_path + "\n      type: DirectoryOrCreate\n    name: etcd-data\n";
  if (!n.wal_dir.empty())
    m += "  - hostPath:\n      path: " + n.wal_dir + "\n      type: DirectoryOrCreate\n    name: etcd-wal\n";
  m += "status: {}\n";
  return m;
}

// The mirror pod of a manifest on node n, as the API serves it.
std::string MirrorPod(const Node& n, const std::string& initial_cluster) {
  std::string m = Manifest(n, initial_cluster);
  m.replace(m.find("  name: etcd\n  namespace"), 12, "  name: etcd-" + n.name + "\n");
  m.replace(m.find("  annotations:\n"), 15,
            "  annotations:\n    kubernetes.io/config.source: file\n    kubernetes.io/config.mirror: abc\n");
  m.replace(m.find("  hostNetwork: true\n"), 20, "  hostNetwork: true\n  nodeName: " + n.name + "\n");
  m.replace(m.find("status: {}\n"), 11,
            "status:\n  phase: Running\n  conditions:\n  - type: Ready\n    status: \"True\"\n");
  return m;
}

std::string ApiServerPod(const Node& n, const std::string& servers) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"kube-apiserver-)" + n.name +
         R"(","namespace":"kube-system","annotations":{"kubernetes.io/config.source":"file",
"kubernetes.io/config.mirror":"x"}},"spec":{"nodeName":")" + n.name +
         R"(","containers":[{"name":"kube-apiserver","image":"registry.k8s.io/kube-apiserver:v1.28.2",
"command":["kube-apiserver","--advertise-address=)" + n.ip +
         R"(","--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
"--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
"--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key","--etcd-servers=)" +
         servers + R"("],"volumeMounts":[{"name":"k8s-certs","mountPath":"/etc/kubernetes/pki","readOnly":true}]}],
"volumes":[{"name":"k8s-certs","hostPath":{"path":"/etc/kubernetes/pki","type":"DirectoryOrCreate"}}]},
"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})";
}

std::string JsonList(const std::vector<std::string>& items) {
  std::string out = R"({"apiVersion":"v1","kind":"List","items":[)";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

std::vector<Node> ThreeNodes() {
  return {{.name = "cp1", .ip = "10.0.0.11"}, {.name = "cp2", .ip = "10.0.0.12"}, {.name = "cp3", .ip = "10.0.0.13"}};
}

topology::EtcdMember FromManifest(const Node& n, const std::string& ic) {
  auto m = topology::ParseEtcdPod(Manifest(n, ic));
  EXPECT_TRUE(m.has_value()) << m.error().message();
  m->pod.node = n.name;
  m->pod.manifest_path = "/tmp/copied-from-" + n.name + "/etcd.yaml";  // the local copy keeps the name
  return *m;
}

Input ManifestInput(const std::vector<Node>& nodes) {
  std::vector<topology::EtcdMember> members;
  for (const auto& n : nodes) members.push_back(FromManifest(n, InitialCluster(nodes)));
  return FromManifests(members);
}

Input ApiInput(const std::vector<Node>& nodes, const std::string& static_pod_path = "/etc/kubernetes/manifests") {
  topology::ClusterObjects o;
  std::vector<std::string> apis;
  std::string servers;
  for (const auto& n : nodes)
    servers += (servers.empty() ? "" : ",") + ("https://" + n.ip + ":" + std::to_string(n.client_port));
  // Mirror pods as YAML items of a JSON-ish list: yaml-cpp reads a YAML list too.
  std::string list = "apiVersion: v1\nkind: PodList\nitems:\n";
  for (const auto& n : nodes) {
    std::string pod = MirrorPod(n, InitialCluster(nodes));
    std::istringstream in(pod);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      list += (first ? "- " : "  ") + line + "\n";
      first = false;
    }
    apis.push_back(ApiServerPod(n, servers));
  }
  o.etcd_pods = list;
  o.apiserver_pods = JsonList(apis);
  std::string nl = R"({"apiVersion":"v1","kind":"NodeList","items":[)";
  for (size_t i = 0; i < nodes.size(); ++i)
    nl += (i ? "," : "") + std::string(R"({"metadata":{"name":")") + nodes[i].name +
          R"("},"status":{"addresses":[{"type":"InternalIP","address":")" + nodes[i].ip + R"("}]}})";
  o.nodes = nl + "]}";
  o.kubernetes_version = "v1.28.2";
  o.static_pod_path = static_pod_path;
  auto t = topology::Assemble(o);
  EXPECT_TRUE(t.has_value()) << t.error().message();
  return FromTopology(*t, "api server 10.0.0.11:6443");
}

topology::Sidecar MakeSidecar(const std::vector<Node>& nodes, const std::string& manifests_dir) {
  topology::Sidecar s;
  s.tool = "kubectl-etcdrestore 0.1.0";
  s.created = "2024-04-30T12:00:00Z";  // one day before kNow
  s.cluster_id = 0x1234abcd;
  s.snapshot.file = "snap.db";
  s.snapshot.sha256 = kSha;
  s.snapshot.revision = 123456;
  uint64_t id = 0x1000;
  for (const auto& n : nodes) {
    auto m = FromManifest(n, InitialCluster(nodes));
    m.id = ++id;
    m.pod.manifest_path = manifests_dir + "/etcd.yaml";
    s.members.push_back(m);
  }
  return s;
}

Input SidecarInput(const std::vector<Node>& nodes, const std::string& manifests_dir) {
  // Round trip through the JSON writer and reader, as plan reads it from disk.
  auto s = topology::SidecarFromJson(topology::SidecarToJson(MakeSidecar(nodes, manifests_dir)));
  EXPECT_TRUE(s.has_value()) << s.error().message();
  return FromSidecar(*s, "sidecar /backups/snap.db.json");
}

Options BaseOptions() {
  Options o;
  o.snapshot_path = "/backups/snap.db";
  o.snapshot_sha256 = kSha;
  o.now = kNow;
  o.etcdctl_ext_path = "/opt/krew/etcdrestore/etcdctl-ext";
  return o;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "<missing " + path + ">";
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void CheckGolden(const std::string& name, const std::string& got) {
  const std::string path = kGoldenDir + "/" + name;
  if (std::getenv("ETCDRESTORE_UPDATE_GOLDEN") != nullptr) {
    std::string dir = path.substr(0, path.rfind('/'));
    ASSERT_EQ(0, std::system(("mkdir -p '" + dir + "'").c_str()));
    std::ofstream(path, std::ios::binary) << got;
    return;
  }
  EXPECT_EQ(ReadFile(path), got) << "golden " << path
                                 << " differs; if the change is intended, rerun with ETCDRESTORE_UPDATE_GOLDEN=1";
}

// Checks every rendering of a plan against testdata/<name>/, and the scripts' syntax.
void CheckAllGoldens(const std::string& name, const Plan& p) {
  CheckGolden(name + "/runbook.txt", RenderRunbook(p));
  CheckGolden(name + "/plan.json", RenderJson(p));
  auto files = RenderScripts(p);
  ASSERT_TRUE(files.has_value()) << files.error().message();
  for (const auto& f : *files) {
    CheckGolden(name + "/" + f.name, f.content);
    if (f.executable) {
      const std::string tmp_dir = PrivateTempDir("plan-syntax"), tmp = tmp_dir + "/script.sh";
      std::ofstream(tmp) << f.content;
      EXPECT_EQ(0, std::system(("sh -n '" + tmp + "'").c_str())) << name << "/" << f.name << " has a syntax error";
      // POSIX sh only, no warnings (shellcheck is a build dependency: Debian's shellcheck).
      EXPECT_EQ(0, std::system(("shellcheck -s sh '" + tmp + "'").c_str()))
          << name << "/" << f.name << ": shellcheck -s sh complains (output above)";
      // Nothing the node may lack: whether etcd runs comes from the WAL lock, not crictl.
      EXPECT_THAT(f.content, Not(HasSubstr("crictl failed")));
      // restore_cmd's status is the restore's: the restore is its last command.
      EXPECT_THAT(f.content, HasSubstr(" \"$@\"\n}\n\n# ctl ENDPOINTS"));
      // Every placeholder of the template is filled.
      EXPECT_FALSE(std::regex_search(f.content, std::regex("@[A-Z][A-Z0-9_]*@"))) << f.name;
      EXPECT_EQ(0, std::system(("rm -rf '" + tmp_dir + "'").c_str()));
    }
  }
}

TEST(PlanGoldenTest, SingleNodeFromManifest) {
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  auto p = MakePlan(ManifestInput({{.name = "cp1", .ip = "10.0.0.11"}}), o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->initial_cluster, "cp1=https://10.0.0.11:2380");
  EXPECT_EQ(p->bump, kMinBump);
  CheckAllGoldens("single_manifest", *p);
}

TEST(PlanGoldenTest, ThreeNodeHaFromApi) {
  Options o = BaseOptions();
  o.leader = "cp1";
  auto p = MakePlan(ApiInput(ThreeNodes()), o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_EQ(p->nodes.size(), 3u);
  // The leader goes last.
  EXPECT_EQ(p->nodes[0].node, "cp2");
  EXPECT_EQ(p->nodes[1].node, "cp3");
  EXPECT_EQ(p->nodes[2].node, "cp1");
  EXPECT_TRUE(p->nodes[2].leader);
  // The apiserver's etcd client cert is used for the checks.
  EXPECT_EQ(p->nodes[0].cert_file, "/etc/kubernetes/pki/apiserver-etcd-client.crt");
  EXPECT_EQ(p->nodes[0].manifests_dir, "/etc/kubernetes/manifests");
  CheckAllGoldens("ha3_api", *p);
}

TEST(PlanGoldenTest, ThreeNodeHaFromSidecar) {
  auto p = MakePlan(SidecarInput(ThreeNodes(), "/etc/kubernetes/manifests"), BaseOptions());
  ASSERT_TRUE(p.has_value()) << p.error().message();
  // One day at 1500 writes/s plus the revision, doubled: 2*(123456+129600000) -> 2.6e8, so the floor.
  EXPECT_EQ(p->bump, kMinBump);
  EXPECT_EQ(p->snapshot_revision, 123456);
  for (const auto& n : p->nodes) {
    EXPECT_EQ(n.restore_args[5], p->initial_cluster);
    EXPECT_EQ(n.restore_args[7], "etcdrestore-20240501-120000");
  }
  CheckAllGoldens("ha3_sidecar", *p);
}

std::vector<Node> CustomNodes() {
  std::vector<Node> nodes;
  int i = 0;
  for (const char* name : {"master-a", "master-b", "master-c"}) {
    Node n{.name = name, .ip = "192.168.7." + std::to_string(21 + i++)};
    n.client_port = 12379;
    n.peer_port = 12380;
    n.data_dir = "/var/lib/etcd/data";  // a subdir of the mount
    n.mount_path = "/var/lib/etcd";
    n.host_path = "/mnt/ssd/etcd";
    n.pki = "/srv/pki/etcd";
    n.image = "quay.io/coreos/etcd:v3.4.23";
    nodes.push_back(n);
  }
  return nodes;
}

TEST(PlanGoldenTest, CustomDirsAndPortsFromManifestsWithEtcdutl) {
  Options o = BaseOptions();
  o.tool = RestoreTool::kEtcdutl;
  o.manifests_dirs[""] = "/opt/k8s/static-pods";
  o.manifests_dirs["master-c"] = "/etc/kubelet.d";
  auto p = MakePlan(ManifestInput(CustomNodes()), o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  const NodePlan& a = p->nodes[0];
  EXPECT_EQ(a.data_dir, "/mnt/ssd/etcd/data");
  EXPECT_EQ(a.restore_dir, "/mnt/ssd/etcd-restore-20240501-120000/data");
  ASSERT_EQ(a.edits.size(), 1u);  // mountPath differs from hostPath: only the hostPath moves
  EXPECT_EQ(a.edits[0].field, "hostPath");
  EXPECT_EQ(p->nodes[2].manifests_dir, "/etc/kubelet.d");
  EXPECT_EQ(a.ca_file, "/srv/pki/etcd/ca.crt");
  CheckAllGoldens("custom_manifest_etcdutl", *p);
}

TEST(PlanGoldenTest, CustomInPlaceNoBumpFromSidecar) {
  Options o = BaseOptions();
  o.in_place = true;
  o.bump = false;
  auto p = MakePlan(SidecarInput(CustomNodes(), "/opt/k8s/static-pods"), o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->bump, 0u);
  for (const auto& n : p->nodes) {
    EXPECT_EQ(n.restore_dir, n.data_dir);
    EXPECT_TRUE(n.edits.empty());
    for (const auto& a : n.restore_args) EXPECT_NE(a, "--bump-revision");
    // etcd 3.4 members get a WAL written the way etcd 3.4 writes it.
    EXPECT_EQ(n.restore_args.back(), "3.4");
  }
  EXPECT_THAT(RenderRunbook(*p), HasSubstr("--no-bump"));
  CheckAllGoldens("custom_sidecar_inplace", *p);
}

TEST(PlanGoldenTest, DefaultDirsFromEachInputAgree) {
  // The same cluster read three ways gives the same per-node restore commands.
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  auto api = MakePlan(ApiInput(ThreeNodes()), o);
  auto side = MakePlan(SidecarInput(ThreeNodes(), "/etc/kubernetes/manifests"), o);
  auto man = MakePlan(ManifestInput(ThreeNodes()), o);
  ASSERT_TRUE(api && side && man);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(api->nodes[i].restore_args, man->nodes[i].restore_args);
    EXPECT_EQ(api->nodes[i].edits.size(), 3u);
    EXPECT_EQ(side->nodes[i].data_dir, man->nodes[i].data_dir);
  }
}

TEST(PlanRefusalTest, SnapshotHashDiffersFromSidecar) {
  Options o = BaseOptions();
  o.snapshot_sha256 = std::string(64, 'a');
  auto p = MakePlan(SidecarInput(ThreeNodes(), "/etc/kubernetes/manifests"), o);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(p.error().message(), HasSubstr("has sha256 aaaa"));
  EXPECT_THAT(p.error().message(), HasSubstr("records " + kSha));
}

TEST(PlanRefusalTest, NodeMissingFromInput) {
  auto nodes = ThreeNodes();
  std::vector<topology::EtcdMember> members = {FromManifest(nodes[0], InitialCluster(nodes)),
                                               FromManifest(nodes[1], InitialCluster(nodes))};
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  auto p = MakePlan(FromManifests(members), o);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message(),
            "plan: member \"cp3\" is in the --initial-cluster of \"cp1\" but not in static pod manifests; every member "
            "must be restored: add its node (e.g. --manifest NODE=FILE), or name the members to restore on purpose "
            "with --members NAME,... (a lost machine: --replace OLD=NEW=PEER_URL)");
}

TEST(PlanRefusalTest, SidecarMemberWithoutNode) {
  auto s = MakeSidecar(ThreeNodes(), "/etc/kubernetes/manifests");
  s.members[2].pod.node.clear();
  auto p = MakePlan(FromSidecar(s, "sidecar x.json"), BaseOptions());
  ASSERT_FALSE(p.has_value());
  EXPECT_THAT(p.error().message(), HasSubstr("member \"cp3\" has no node in sidecar x.json"));
}

TEST(PlanRefusalTest, ManifestWithoutDataVolume) {
  Node n{.name = "cp1", .ip = "10.0.0.11"};
  n.data_volume = false;
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  auto p = MakePlan(FromManifests({FromManifest(n, "cp1=https://10.0.0.11:2380")}), o);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(p.error().message(), HasSubstr("no hostPath volume holds --data-dir /var/lib/etcd"));
}

// Issue 11: `plan --manifest cp1=cp1-etcd.yaml` (the README's example) wrote
// MANIFEST_FILE='cp1-etcd.yaml' and the check phase died; the node's file is kubeadm's.
TEST(PlanTest, CopiedManifestsAssumeKubeadmPathsAndSaySo) {
  Node n{.name = "cp1", .ip = "10.0.0.11"};
  auto m = FromManifest(n, "cp1=https://10.0.0.11:2380");
  m.pod.manifest_path = "cp1-etcd.yaml";  // a relative, renamed copy
  auto p = MakePlan(FromManifests({m}), BaseOptions());
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->nodes[0].manifests_dir, "/etc/kubernetes/manifests");
  EXPECT_EQ(p->nodes[0].manifest_file, "etcd.yaml");
  EXPECT_THAT(Join(p->notes, "\n"), HasSubstr("assuming kubeadm's /etc/kubernetes/manifests/etcd.yaml"));
  // --manifests-dir and --etcd-manifest-name still win.
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/srv/static";
  o.manifest_file = "etcd-main.yaml";
  p = MakePlan(FromManifests({m}), o);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->nodes[0].manifests_dir + "/" + p->nodes[0].manifest_file, "/srv/static/etcd-main.yaml");
  EXPECT_THAT(Join(p->notes, "\n"), Not(HasSubstr("assuming kubeadm")));
}

// Issue 11: without the kubelet-config ConfigMap (RBAC, renamed) plan refused.
TEST(PlanTest, NoKubeletConfigAssumesKubeadmManifestWithANote) {
  auto p = MakePlan(ApiInput(ThreeNodes(), /*static_pod_path=*/""), BaseOptions());
  ASSERT_TRUE(p.has_value()) << p.error().message();
  for (const auto& n : p->nodes)
    EXPECT_EQ(n.manifests_dir + "/" + n.manifest_file, "/etc/kubernetes/manifests/etcd.yaml");
  EXPECT_THAT(Join(p->notes, "\n"), HasSubstr("node cp1: the kubelet's staticPodPath is not known (the kubelet-config "
                                              "ConfigMap could not be read); assuming kubeadm's "
                                              "/etc/kubernetes/manifests/etcd.yaml"));
}

std::vector<RecordedMember> Recorded(const std::vector<Node>& nodes) {
  std::vector<RecordedMember> out;
  for (const auto& n : nodes) out.push_back({n.name, {"https://" + n.ip + ":" + std::to_string(n.peer_port)}, false});
  return out;
}

// Issue 11: kubeadm's first node lists only itself in --initial-cluster; planning HA from
// its manifest alone gave a one-member plan without a word.
TEST(PlanRefusalTest, PlanMissingMembersOfTheSnapshot) {
  const auto nodes = ThreeNodes();
  Input in = FromManifests({FromManifest(nodes[0], "cp1=https://10.0.0.11:2380")});
  in.snapshot_members = Recorded(nodes);
  in.snapshot_members_source = "the snapshot's member list (/b/snap.db)";
  auto p = MakePlan(in, BaseOptions());
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(p.error().message(),
              HasSubstr("the snapshot's member list (/b/snap.db) lists members cp2 https://10.0.0.12:2380, cp3 "
                        "https://10.0.0.13:2380, which are not in the plan"));
  EXPECT_THAT(p.error().message(), HasSubstr("--members NAME,..."));
  // Named on purpose: the others are left out, with the steps to add them back.
  Options o = BaseOptions();
  o.members = {"cp1"};
  p = MakePlan(in, o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->nodes.size(), 1u);
  EXPECT_EQ(p->left_out, (std::vector<std::string>{"cp2", "cp3"}));
  EXPECT_THAT(RenderRunbook(*p), HasSubstr("left out on purpose (--members): cp2, cp3"));
  // --members of a member without a node.
  o.members = {"cp1", "cp9"};
  EXPECT_FALSE(MakePlan(in, o).has_value());
  // A sidecar with every member passes its own cross-check.
  EXPECT_TRUE(MakePlan(SidecarInput(nodes, "/etc/kubernetes/manifests"), BaseOptions()).has_value());
}

// Issue 11 point 4: losing a node. The snapshot knows cp1, cp2, cp3; cp3's machine is gone.
Input LostCp3Input() {
  const auto nodes = ThreeNodes();
  Input in =
      FromManifests({FromManifest(nodes[0], InitialCluster(nodes)), FromManifest(nodes[1], InitialCluster(nodes))});
  in.snapshot_members = Recorded(nodes);
  in.snapshot_members_source = "the snapshot's member list (/b/snap.db)";
  return in;
}

TEST(PlanLossTest, ReplaceGivesTheLostMembersSlotToANewMachine) {
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  auto r = ParseReplacement("cp3=cp4=https://10.0.0.14:2380");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  o.replace = {*r};
  auto p = MakePlan(LostCp3Input(), o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_EQ(p->nodes.size(), 2u);  // only the surviving nodes restore
  EXPECT_EQ(p->nodes[0].node, "cp1");
  EXPECT_EQ(p->nodes[1].node, "cp2");
  EXPECT_EQ(p->initial_cluster,
            "cp1=https://10.0.0.11:2380,cp2=https://10.0.0.12:2380,cp4=https://10.0.0.14:2380");
  for (const auto& n : p->nodes) EXPECT_EQ(n.restore_args[5], p->initial_cluster);
  EXPECT_TRUE(p->left_out.empty());
  ASSERT_EQ(p->expected_members.size(), 3u);
  EXPECT_EQ(p->expected_members[2].name, "cp4");
  ASSERT_EQ(p->joins.size(), 1u);
  EXPECT_TRUE(p->joins[0].in_cluster);
  EXPECT_EQ(p->joins[0].replaces, "cp3");
  const std::string runbook = RenderRunbook(*p);
  EXPECT_THAT(runbook, HasSubstr("replaced                 cp3 by cp4 https://10.0.0.14:2380"));
  EXPECT_THAT(runbook, HasSubstr("kubectl delete node cp3"));
  EXPECT_THAT(runbook, HasSubstr("needs etcd server and peer certs for its own address"));
  EXPECT_THAT(runbook, HasSubstr("--initial-cluster-state existing"));
  EXPECT_THAT(runbook, HasSubstr("kubeadm join ENDPOINT"));
  EXPECT_THAT(Join(p->notes, "\n"), HasSubstr("runs on 2 of 3 members with no failure to spare"));
  // The scripts check the member list of three: cp4 with its peer URL.
  auto files = RenderScripts(*p);
  ASSERT_TRUE(files.has_value());
  // (cp4 never started: etcd lists it without a name until it does.)
  EXPECT_TRUE((*files)[2].content.find("set -- 'cp1' 'https://10.0.0.11:2380' 'restored' 'cp2' "
                                       "'https://10.0.0.12:2380' 'restored' 'cp4' 'https://10.0.0.14:2380' "
                                       "'joins-later'\n") != std::string::npos);
  CheckAllGoldens("ha3_lost_replace", *p);
}

TEST(PlanLossTest, MembersRestoresTheSurvivorsAndSaysHowToJoin) {
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  o.members = {"cp1", "cp2"};
  auto p = MakePlan(LostCp3Input(), o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->initial_cluster, "cp1=https://10.0.0.11:2380,cp2=https://10.0.0.12:2380");
  EXPECT_EQ(p->left_out, std::vector<std::string>{"cp3"});
  ASSERT_EQ(p->joins.size(), 1u);
  EXPECT_FALSE(p->joins[0].in_cluster);
  const std::string runbook = RenderRunbook(*p);
  EXPECT_THAT(runbook, HasSubstr("member add cp3 --peer-urls https://NEW_IP:2380"));
  EXPECT_THAT(runbook, HasSubstr("kubectl delete node cp3"));
  EXPECT_THAT(Join(p->notes, "\n"), HasSubstr("runs on 2 of 2 members with no failure to spare"));
  CheckAllGoldens("ha3_lost_members", *p);
}

TEST(PlanLossTest, ReplaceSpecsAreChecked) {
  for (const auto& [spec, want] : std::vector<std::pair<std::string, std::string>>{
           {"cp3", "--replace wants OLD=NEW=PEER_URL"},
           {"cp3=cp4", "--replace wants OLD=NEW=PEER_URL"},
           {"=cp4=https://10.0.0.14:2380", "a member name is empty"},
           {"cp3==https://10.0.0.14:2380", "a member name is empty"},
           {"cp3=cp4=10.0.0.14:2380", "peer URL: "},
           {"cp3=cp4=https://10.0.0.14", "peer URL: URL address does not have the form \"host:port\""},
           {"cp3=cp4=https://10.0.0.14:2380/x", "peer URL: URL must not contain a path"},
           {"cp3=cp4=unix://sock:1", "must be one http(s)://HOST:PORT"},
           {"cp3=cp4=https://a:1,https://b:2", "must be one http(s)://HOST:PORT"},
       }) {
    auto r = ParseReplacement(spec);
    ASSERT_FALSE(r.has_value()) << spec;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message(), HasSubstr(want)) << spec;
  }
  auto ok = ParseReplacement("cp3=cp3=HTTPS://10.0.0.23:2380");  // same name, new machine
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->peer_url, "https://10.0.0.23:2380");
}

TEST(PlanLossTest, ReplaceMappingIsValidated) {
  auto plan = [](std::vector<std::string> specs, std::vector<std::string> members = {}) {
    Options o = BaseOptions();
    o.manifests_dirs[""] = "/etc/kubernetes/manifests";
    o.members = members;
    for (const auto& s : specs) o.replace.push_back(*ParseReplacement(s));
    return MakePlan(LostCp3Input(), o);
  };
  auto expect_error = [](const Result<Plan>& p, const std::string& want) {
    ASSERT_FALSE(p.has_value()) << want;
    EXPECT_THAT(p.error().message(), HasSubstr(want));
  };
  expect_error(plan({"cp9=cp4=https://10.0.0.14:2380"}),
               "--replace cp9=cp4=https://10.0.0.14:2380: there is no member \"cp9\" to replace (the members: cp1, "
               "cp2, cp3)");
  expect_error(plan({"cp3=cp2=https://10.0.0.14:2380"}), "the name cp2 is another member's; pick a new one");
  expect_error(plan({"cp3=cp4=https://10.0.0.12:2380"}),
               "the peer URL https://10.0.0.12:2380 is member cp2's; the replacement needs its own");
  expect_error(plan({"cp3=cp4=https://10.0.0.14:2380", "cp3=cp5=https://10.0.0.15:2380"}),
               "member cp3 is replaced twice");
  expect_error(plan({"cp3=cp4=https://10.0.0.14:2380"}, {"cp1", "cp3"}),
               "member cp3 is both restored (--members) and replaced (--replace)");
  // Two of three replaced: one restored member cannot make a quorum of three.
  expect_error(plan({"cp3=cp4=https://10.0.0.14:2380", "cp2=cp5=https://10.0.0.15:2380"}),
               "the restored cluster has 3 members (1 restored, 2 replaced by members that join later) and needs 2 "
               "started for a quorum");
  // The lost member's own URL is free again (a new machine at the old address).
  EXPECT_TRUE(plan({"cp3=cp3=https://10.0.0.13:2380"}).has_value());
  // Without --replace or --members the loss is refused, as before.
  expect_error(plan({}), "(a lost machine: --replace OLD=NEW=PEER_URL)");
}

// Issue 11: learners came back as voters without being asked.
TEST(PlanRefusalTest, LearnersOnlyAsVotersWhenAsked) {
  const auto nodes = ThreeNodes();
  Input in = ManifestInput(nodes);
  in.snapshot_members = Recorded(nodes);
  in.snapshot_members[2].is_learner = true;
  in.snapshot_members_source = "the snapshot's member list";
  auto p = MakePlan(in, BaseOptions());
  ASSERT_FALSE(p.has_value());
  EXPECT_THAT(p.error().message(), HasSubstr("member cp3 is a learner in the snapshot's member list"));
  EXPECT_THAT(p.error().message(), HasSubstr("--learners-as-voters"));
  Options o = BaseOptions();
  o.learners_as_voters = true;
  p = MakePlan(in, o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_THAT(Join(p->notes, "\n"), HasSubstr("member cp3 was a learner; it is restored as a voter"));
  o = BaseOptions();
  o.members = {"cp1", "cp2"};  // or kept out
  p = MakePlan(in, o);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->left_out, std::vector<std::string>{"cp3"});
}

// Issue 11: a --wal-dir in the manifest was ignored (etcd started on the restored db with
// the old WAL and identity).
TEST(PlanGoldenTest, WalDirIsRestoredAndRepointed) {
  Node n{.name = "cp1", .ip = "10.0.0.11"};
  n.wal_dir = "/var/lib/etcd-wal";
  const std::string text = Manifest(n, "cp1=https://10.0.0.11:2380");
  auto m = topology::ParseEtcdPod(text);
  ASSERT_TRUE(m.has_value());
  m->pod.node = "cp1";
  auto p = MakePlan(FromManifests({*m}), BaseOptions());
  ASSERT_TRUE(p.has_value()) << p.error().message();
  const NodePlan& np = p->nodes[0];
  EXPECT_EQ(np.wal_dir, "/var/lib/etcd-wal");
  EXPECT_EQ(np.wal_aside_dir, "/var/lib/etcd-wal.before-restore-20240501-120000");
  EXPECT_EQ(np.wal_restore_dir, "/var/lib/etcd-wal-restore-20240501-120000");
  EXPECT_THAT(np.restore_args, ::testing::Contains("--wal-dir"));
  auto edited = ApplyEdits(text, np.edits);
  ASSERT_TRUE(edited.has_value()) << edited.error().message();
  auto after = topology::ParseEtcdPod(*edited);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->wal_dir, "/var/lib/etcd-wal-restore-20240501-120000");
  EXPECT_EQ(*after->HostPath(after->wal_dir), "/var/lib/etcd-wal-restore-20240501-120000");
  EXPECT_EQ(after->data_dir, "/var/lib/etcd-restore-20240501-120000");
  CheckAllGoldens("wal_dir_manifest", *p);
}

// Issue 11: kubeadm-config's etcd.local.dataDir kept naming the moved-aside dir.
TEST(PlanTest, KubeadmConfigStepWhenTheDataDirMoves) {
  auto p = MakePlan(ApiInput(ThreeNodes()), BaseOptions());
  ASSERT_TRUE(p.has_value());
  EXPECT_THAT(RenderRunbook(*p),
              HasSubstr("kubectl -n kube-system get configmap kubeadm-config -o yaml | sed 's|^\\( *dataDir: "
                        "\\)/var/lib/etcd$|\\1/var/lib/etcd-restore-20240501-120000|' | kubectl replace -f -"));
  Options o = BaseOptions();
  o.in_place = true;
  EXPECT_THAT(RenderRunbook(*MakePlan(ApiInput(ThreeNodes()), o)), Not(HasSubstr("kubectl replace")));
}

TEST(PlanRefusalTest, RelativeSnapshotPathAndUnknownLeader) {
  Options o = BaseOptions();
  o.snapshot_path = "../snap.db";
  EXPECT_FALSE(MakePlan(SidecarInput(ThreeNodes(), "/m"), o).has_value());
  // Relative: beside the scripts in the plan bundle.
  o.snapshot_path = "snap.db";
  auto rel = MakePlan(SidecarInput(ThreeNodes(), "/m"), o);
  ASSERT_TRUE(rel.has_value());
  EXPECT_THAT((*RenderScripts(*rel))[2].content, HasSubstr("\nSNAPSHOT_PATH='snap.db'\n"));
  o = BaseOptions();
  o.leader = "cp9";
  auto p = MakePlan(SidecarInput(ThreeNodes(), "/m"), o);
  ASSERT_FALSE(p.has_value());
  EXPECT_THAT(p.error().message(), HasSubstr("--leader \"cp9\" is not a member"));
}

TEST(BumpTest, SizedFromRevisionAndAge) {
  std::string why;
  EXPECT_EQ(SizeBump(-1, -1, &why), kMinBump);
  EXPECT_THAT(why, HasSubstr("age is unknown"));
  EXPECT_EQ(SizeBump(5000, 60, &why), kMinBump);
  EXPECT_THAT(why, HasSubstr("below the floor"));
  // 30 days: 1500 * 2592000 = 3888000000; + 7e6 revision; doubled = 7790000000.
  EXPECT_EQ(SizeBump(7000000, 30 * 86400, &why), 7800000000u);
  EXPECT_THAT(why, HasSubstr("revision 7000000 and 2592000 s old"));
}

TEST(BumpTest, SidecarAgeDrivesThePlan) {
  Options o = BaseOptions();
  o.now = "2024-06-01T12:00:00Z";  // 32 days after the sidecar
  auto p = MakePlan(SidecarInput(ThreeNodes(), "/m"), o);
  ASSERT_TRUE(p.has_value());
  // 2 * (123456 + 1500 * 32 * 86400) = 8294646912 -> 8300000000.
  EXPECT_EQ(p->bump, 8300000000u);
  o.bump_revision = 42;
  EXPECT_EQ(MakePlan(SidecarInput(ThreeNodes(), "/m"), o)->bump, 42u);
}

TEST(TimeTest, SecondsBetween) {
  EXPECT_EQ(*SecondsBetween("2024-02-28T23:59:59Z", "2024-03-01T00:00:00Z"), 86401);
  EXPECT_EQ(*SecondsBetween("2024-05-01T12:00:00.123Z", "2024-05-01T12:00:01Z"), 1);
  EXPECT_FALSE(SecondsBetween("yesterday", kNow).has_value());
}

TEST(ManifestEditTest, KubeadmManifestIsRepointed) {
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  Node n{.name = "cp1", .ip = "10.0.0.11"};
  const std::string text = Manifest(n, "cp1=https://10.0.0.11:2380");
  auto p = MakePlan(FromManifests({FromManifest(n, "cp1=https://10.0.0.11:2380")}), o);
  ASSERT_TRUE(p.has_value());
  auto edited = ApplyEdits(text, p->nodes[0].edits);
  ASSERT_TRUE(edited.has_value()) << edited.error().message();
  auto m = topology::ParseEtcdPod(*edited);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->data_dir, "/var/lib/etcd-restore-20240501-120000");
  EXPECT_EQ(m->data_host_path, "/var/lib/etcd-restore-20240501-120000");
  // Only those three lines changed; the certs volume is untouched.
  EXPECT_THAT(*edited, HasSubstr("path: /etc/kubernetes/pki/etcd\n"));
  EXPECT_THAT(*edited, Not(HasSubstr("/var/lib/etcd\n")));
}

TEST(ManifestEditTest, RefusesWhenALineIsMissingOrRepeated) {
  std::vector<ManifestEdit> edits = {{"hostPath", "etcd-data", "/var/lib/etcd", "/x"}};
  auto r = ApplyEdits("spec:\n  volumes:\n  - hostPath:\n      path: /data\n", edits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "edit hostPath /var/lib/etcd -> /x: 0 lines match (want exactly 1)");
  r = ApplyEdits("path: /var/lib/etcd\npath: \"/var/lib/etcd\"\n", edits);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("2 lines match"));
  // JSON form and a longer path that merely starts with the old one.
  auto j = ApplyEdits("{\n  \"path\": \"/var/lib/etcd\",\n  \"path\": \"/var/lib/etcd2\"\n}\n", edits);
  ASSERT_TRUE(j.has_value()) << j.error().message();
  EXPECT_EQ(*j, "{\n  \"path\": \"/x\",\n  \"path\": \"/var/lib/etcd2\"\n}\n");
  auto d = ApplyEdits("- --data-dir=/var/lib/etcd\n- --data-dir=/var/lib/etcd-old\n",
                      {{"--data-dir", "", "/var/lib/etcd", "/new"}});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, "- --data-dir=/new\n- --data-dir=/var/lib/etcd-old\n");
}

// One edit description, two implementations: the node scripts' edit_manifest
// (templates/edit_manifest.sh, run here with sh on a copy) and ApplyEdits must write the
// same manifest, and refuse the same manifests.
struct ShResult {
  int status = -1;
  std::string out;
  std::string err;
};

ShResult RunEditScript(const std::vector<ManifestEdit>& edits, const std::string& manifest) {
  auto script = RenderEditScript(edits);
  EXPECT_TRUE(script.has_value()) << script.error().message();
  const std::string dir = PrivateTempDir("plan-edit");
  std::ofstream(dir + "/edit.sh") << *script;
  std::ofstream(dir + "/in.yaml", std::ios::binary) << manifest;
  ShResult r;
  const int st = std::system(("sh '" + dir + "/edit.sh' '" + dir + "/in.yaml' '" + dir + "/out.yaml' 2>'" + dir +
                              "/err'")
                                 .c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = ReadFile(dir + "/out.yaml");
  r.err = ReadFile(dir + "/err");
  EXPECT_EQ(0, std::system(("rm -rf '" + dir + "'").c_str()));
  return r;
}

void ExpectSameEdit(const std::vector<ManifestEdit>& edits, const std::string& manifest) {
  auto cpp = ApplyEdits(manifest, edits);
  ShResult sh = RunEditScript(edits, manifest);
  if (cpp.has_value()) {
    EXPECT_EQ(sh.status, 0) << sh.err;
    EXPECT_EQ(sh.out, *cpp);
  } else {
    EXPECT_EQ(sh.status, 1) << "the script applied edits ApplyEdits refuses (" << cpp.error().message() << ")";
    // The same words: the script names the edit that did not apply as ApplyEdits does.
    EXPECT_THAT(sh.err, HasSubstr(cpp.error().message())) << sh.err;
  }
}

TEST(ManifestEditTest, ScriptAndApplyEditsAgreeOnEveryGoldenPlan) {
  Options o = BaseOptions();
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  int compared = 0;
  for (const auto& nodes : {ThreeNodes(), CustomNodes()}) {
    auto p = MakePlan(ManifestInput(nodes), o);
    ASSERT_TRUE(p.has_value()) << p.error().message();
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::string text = Manifest(nodes[i], InitialCluster(nodes));
      ASSERT_FALSE(p->nodes[i].edits.empty());
      ASSERT_TRUE(ApplyEdits(text, p->nodes[i].edits).has_value());
      ExpectSameEdit(p->nodes[i].edits, text);
      ++compared;
      // A manifest of another node (other paths) must be refused by both.
      const Node& other = nodes[(i + 1) % nodes.size()];
      if (other.host_path != nodes[i].host_path) ExpectSameEdit(p->nodes[i].edits, Manifest(other, ""));
    }
  }
  Node w{.name = "cp1", .ip = "10.0.0.11"};
  w.wal_dir = "/var/lib/etcd-wal";
  auto p = MakePlan(FromManifests({FromManifest(w, "cp1=https://10.0.0.11:2380")}), o);
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->nodes[0].edits.size(), 6u);
  ExpectSameEdit(p->nodes[0].edits, Manifest(w, "cp1=https://10.0.0.11:2380"));
  EXPECT_EQ(compared, 6);
}

TEST(ManifestEditTest, ScriptAndApplyEditsAgreeOnOddLines) {
  const std::vector<ManifestEdit> host = {{"hostPath", "etcd-data", "/var/lib/etcd", "/x y/it's"}};
  const std::vector<ManifestEdit> flag = {{"--data-dir", "", "/var/lib/etcd", "/n&ew|\\1"}};
  for (const std::string& m : {
           std::string("spec:\n  volumes:\n  - hostPath:\n      path: /data\n"),                 // no match
           std::string("path: /var/lib/etcd\npath: \"/var/lib/etcd\"\n"),                        // two
           std::string("{\n  \"path\": \"/var/lib/etcd\",\n  \"path\": \"/var/lib/etcd2\"\n}\n"),  // JSON
           std::string("  - path: '/var/lib/etcd'  \r\n"),                                       // quoted, CRLF
           std::string("      path: /var/lib/etcd.d\n      path: /var/lib/etcd\n"),               // a longer path
           std::string("    path: /var/lib/etcd # comment\n"),                                  // not the value
           std::string("- --data-dir=/var/lib/etcd\n- --data-dir=/var/lib/etcd-old\n"),
           std::string("command: [\"etcd\", \"--data-dir=/var/lib/etcd\", \"--data-dir /var/lib/etcd\"]\n"),
           std::string("- --data-dir=/var/lib/etcd/\n- --data-dir=/var/lib/etcd.x\n"),
       }) {
    SCOPED_TRACE(m);
    ExpectSameEdit(host, m);
    ExpectSameEdit(flag, m);
  }
}

TEST(TemplateTest, EveryPlaceholderNeedsAValueAndEveryValueAPlaceholder) {
  // edit.sh has one placeholder, MANIFEST_EDITS.
  auto missing = FillTemplate("edit.sh", {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "template edit.sh: no value for @MANIFEST_EDITS@");
  auto extra = FillTemplate("edit.sh", {{"MANIFEST_EDITS", {}}, {"NODE", {"cp1"}}});
  ASSERT_FALSE(extra.has_value());
  EXPECT_EQ(extra.error().message(), "template edit.sh: the value of NODE is not used");
  EXPECT_FALSE(FillTemplate("no-such.sh", {}).has_value());
  // Every value is one shell word, quoted: a value cannot become code.
  auto filled = FillTemplate("edit.sh", {{"MANIFEST_EDITS", {"hostPath", "$(reboot)", "a'b\nc"}}});
  ASSERT_TRUE(filled.has_value()) << filled.error().message();
  EXPECT_THAT(*filled, HasSubstr("edit_manifest \"$1\" \"$2\" 'hostPath' '$(reboot)' 'a'\\''b\nc'\n"));
  // The include is expanded: the function is in the script, the include line is not.
  EXPECT_THAT(*filled, HasSubstr("\nedit_manifest() {\n"));
  EXPECT_THAT(*filled, Not(HasSubstr("@INCLUDE")));
}

TEST(RenderTest, Quoting) {
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

}  // namespace
}  // namespace etcdrestore::plan
