// Tests for shared/plan/after.h: what verify and finish decide after a restore, from
// fixtures shaped as the API serves them (kube-apiserver v1.20 JSON).
#include "shared/plan/after.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/plan/plan.h"
#include "shared/plan/render.h"

namespace etcdrestore::plan {
namespace {

using ::testing::HasSubstr;

const std::string kNow = "2024-05-01T12:00:00Z";

std::string NodeJson(const std::string& name, const std::string& ip, bool control_plane, const std::string& ready,
                     const std::string& heartbeat) {
  return R"({"metadata":{"name":")" + name + R"(","labels":{"kubernetes.io/hostname":")" + name + "\"" +
         (control_plane ? R"(,"node-role.kubernetes.io/control-plane":"")" : "") +
         R"(}},"status":{"addresses":[{"type":"InternalIP","address":")" + ip + R"("},{"type":"Hostname","address":")" +
         name + R"("}],"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":")" + ready +
         R"(","lastHeartbeatTime":")" + heartbeat + R"("}]}})";
}

std::string LeaseJson(const std::string& name, const std::string& holder, int duration, const std::string& renew) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"kube-system"},"spec":{"holderIdentity":")" + holder +
         R"(","leaseDurationSeconds":)" + std::to_string(duration) + R"(,"renewTime":")" + renew + R"("}})";
}

std::string List(const std::string& kind, const std::vector<std::string>& items) {
  std::string out =
      R"({"kind":")" + kind + R"(","apiVersion":"v1","metadata":{"resourceVersion":"1000000123"},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

AfterPlan ReplacePlan() {
  AfterPlan p;
  p.id = "20240501-120000";
  p.nodes = {"cp1", "cp2"};
  p.joining = {"cp4"};
  p.lost_nodes = {"cp3"};
  p.snapshot_revision = 123;
  p.bump = 1000000000;
  return p;
}

Observed AfterLosingCp3() {
  Observed o;
  o.now = kNow;
  o.nodes = List("NodeList", {
                                 NodeJson("cp1", "10.0.0.11", true, "True", "2024-05-01T11:59:50Z"),
                                 NodeJson("cp2", "10.0.0.12", true, "True", "2024-05-01T11:59:55Z"),
                                 // The lost machine, back from the snapshot.
                                 NodeJson("cp3", "10.0.0.13", true, "Unknown", "2024-04-30T12:00:00Z"),
                                 // A control-plane node the plan never knew (added and lost later).
                                 NodeJson("cp9", "10.0.0.19", true, "True", "2024-05-01T11:59:00Z"),
                                 // Workers: a live one, one that is down for a minute, one long gone.
                                 NodeJson("w1", "10.0.1.1", false, "True", "2024-05-01T11:59:59Z"),
                                 NodeJson("w2", "10.0.1.2", false, "Unknown", "2024-05-01T11:58:00Z"),
                                 NodeJson("w3", "10.0.1.3", false, "Unknown", "2024-04-20T08:00:00Z"),
                             });
  o.leases = List("LeaseList",
                  {
                      // Live apiserver identity, and one of an apiserver that is gone.
                      LeaseJson("kube-apiserver-aaaa", "kube-apiserver-aaaa_1", 3600, "2024-05-01T11:59:58.123456Z"),
                      LeaseJson("kube-apiserver-cccc", "kube-apiserver-cccc_3", 3600, "2024-04-30T09:00:00.000000Z"),
                      // Leader election: held by the lost node, and by a live one.
                      LeaseJson("kube-controller-manager", "cp3_0f7e-11", 15, "2024-04-30T12:00:00.000000Z"),
                      LeaseJson("kube-scheduler", "cp1_77aa", 15, "2024-05-01T11:59:59.000000Z"),
                      // Another component's lease, live on a worker: not ours to judge.
                      LeaseJson("cilium-operator", "w1-abc", 15, "2024-05-01T11:59:59.000000Z"),
                  });
  o.endpoints =
      R"({"kind":"Endpoints","metadata":{"name":"kubernetes","namespace":"default"},"subsets":[{"addresses":[{"ip":"10.0.0.11"},{"ip":"10.0.0.12"},{"ip":"10.0.0.13"}],"ports":[{"name":"https","port":6443,"protocol":"TCP"}]}]})";
  return o;
}

std::vector<std::string> Names(const Findings& f) {
  std::vector<std::string> out;
  for (const auto& l : f.leftovers) out.push_back(l.kind + " " + l.name);
  return out;
}

TEST(AfterTest, NamesEveryLeftoverOfALostNode) {
  auto f = FindLeftovers(ReplacePlan(), AfterLosingCp3());
  ASSERT_TRUE(f.has_value()) << f.error().message();
  EXPECT_EQ(Names(*f), (std::vector<std::string>{"Node cp3", "Node cp9", "Node w3", "Lease kube-apiserver-cccc",
                                                 "Lease kube-controller-manager", "Endpoints address 10.0.0.13"}));
  EXPECT_THAT(f->leftovers[0].why, HasSubstr("the node of a lost member"));
  EXPECT_EQ(f->leftovers[0].command, "kubectl delete node 'cp3'");
  EXPECT_EQ(f->leftovers[0].delete_path, "/api/v1/nodes/cp3");
  EXPECT_THAT(f->leftovers[1].why, HasSubstr("a control-plane node the restored cluster does not have"));
  EXPECT_THAT(f->leftovers[2].why, HasSubstr("has not reported for 964800 s (since 2024-04-20T08:00:00Z)"));
  EXPECT_THAT(f->leftovers[3].why, HasSubstr("last renewed 97200 s ago"));
  EXPECT_EQ(f->leftovers[3].command, "kubectl -n kube-system delete lease 'kube-apiserver-cccc'");
  EXPECT_EQ(f->leftovers[3].delete_path,
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-apiserver-cccc");
  EXPECT_THAT(f->leftovers[4].why, HasSubstr("held by cp3_0f7e-11: cp3 is not a control-plane node"));
  EXPECT_THAT(f->leftovers[5].command, HasSubstr("del /registry/masterleases/10.0.0.13"));
  EXPECT_TRUE(f->leftovers[5].delete_path.empty());  // not an API object: finish --delete leaves it
  EXPECT_TRUE(f->notes.empty());
}

TEST(AfterTest, ACleanClusterHasNoLeftovers) {
  Observed o = AfterLosingCp3();
  o.nodes = List("NodeList", {NodeJson("cp1", "10.0.0.11", true, "True", "2024-05-01T11:59:50Z"),
                              NodeJson("cp2", "10.0.0.12", true, "True", "2024-05-01T11:59:55Z"),
                              // The replacement, joined.
                              NodeJson("cp4", "10.0.0.14", true, "True", "2024-05-01T11:59:55Z")});
  o.leases = List("LeaseList", {LeaseJson("kube-controller-manager", "cp4_1", 15, "2024-05-01T11:59:59.000000Z"),
                                LeaseJson("kube-scheduler", "cp2_1", 15, "2024-05-01T11:59:59.000000Z")});
  o.endpoints = R"({"subsets":[{"addresses":[{"ip":"10.0.0.11"},{"ip":"10.0.0.14"}]}]})";
  auto f = FindLeftovers(ReplacePlan(), o);
  ASSERT_TRUE(f.has_value()) << f.error().message();
  EXPECT_TRUE(f->leftovers.empty()) << ::testing::PrintToString(Names(*f));
}

TEST(AfterTest, EndpointsWithoutNodeAddressesAreNotJudged) {
  Observed o = AfterLosingCp3();
  o.nodes = List("NodeList", {});
  auto f = FindLeftovers(ReplacePlan(), o);
  ASSERT_TRUE(f.has_value());
  for (const auto& l : f->leftovers) EXPECT_NE(l.kind, "Endpoints address");
  ASSERT_EQ(f->notes.size(), 1u);
  EXPECT_THAT(f->notes[0], HasSubstr("were not judged"));
}

TEST(AfterTest, BadBodiesAreErrors) {
  Observed o = AfterLosingCp3();
  o.nodes = "<html>";
  auto f = FindLeftovers(ReplacePlan(), o);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().message(), "the NodeList is not a JSON object");
  o = AfterLosingCp3();
  o.leases = R"({"items":{}})";
  EXPECT_EQ(FindLeftovers(ReplacePlan(), o).error().message(), "the LeaseList: items is not a list");
  o = AfterLosingCp3();
  o.now = "noon";
  EXPECT_FALSE(FindLeftovers(ReplacePlan(), o).has_value());
}

TEST(AfterTest, PlanJsonOfARealPlan) {
  // plan.json as RenderJson writes it for a --replace plan.
  const std::string ic = "cp1=https://10.0.0.11:2380,cp2=https://10.0.0.12:2380,cp3=https://10.0.0.13:2380";
  std::vector<topology::EtcdMember> members;
  for (int i = 1; i <= 3; ++i) {
    topology::EtcdMember m;
    m.name = "cp" + std::to_string(i);
    m.pod.node = m.name;
    m.peer_urls = {"https://10.0.0.1" + std::to_string(i) + ":2380"};
    m.client_urls = {"https://10.0.0.1" + std::to_string(i) + ":2379"};
    m.initial_cluster = ic;
    m.data_dir = "/var/lib/etcd";
    m.pod.mounts = {{"etcd-data", "/var/lib/etcd", "/var/lib/etcd"}};
    members.push_back(m);
  }
  members.pop_back();  // cp3's machine is gone
  Input in = FromManifests(members);
  Options o;
  o.snapshot_path = "snap.db";
  o.snapshot_sha256 = std::string(64, 'a');
  o.now = kNow;
  o.manifests_dirs[""] = "/etc/kubernetes/manifests";
  o.replace = {*ParseReplacement("cp3=cp4=https://10.0.0.14:2380")};
  auto plan = MakePlan(in, o);
  ASSERT_TRUE(plan.has_value()) << plan.error().message();
  auto p = ParsePlanJson(RenderJson(*plan));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->id, "20240501-120000");
  EXPECT_EQ(p->nodes, (std::vector<std::string>{"cp1", "cp2"}));
  EXPECT_EQ(p->joining, std::vector<std::string>{"cp4"});
  EXPECT_EQ(p->lost_nodes, std::vector<std::string>{"cp3"});
  EXPECT_EQ(p->bump, kMinBump);
  EXPECT_EQ(MinRevision(*p), kMinBump);  // the snapshot's revision is not known to this plan
  EXPECT_FALSE(ParsePlanJson("{}").has_value());
  EXPECT_EQ(ParsePlanJson(R"({"id":"x","nodes":{}})").error().message(), "plan.json: \"nodes\" is not a list of nodes");
}

TEST(AfterTest, ApiServerUrlsAndListRevision) {
  AfterPlan p = ReplacePlan();
  const std::string pods = List(
      "PodList",
      {
          R"({"spec":{"nodeName":"cp1","containers":[{"command":["kube-apiserver","--advertise-address=10.0.0.11","--secure-port=6443"]}]}})",
          R"({"spec":{"nodeName":"cp2","containers":[{"command":["kube-apiserver","--advertise-address=fd00::12"]}]}})",
          // The lost node's mirror pod, back from the snapshot: not checked.
          R"({"spec":{"nodeName":"cp3","containers":[{"command":["kube-apiserver","--advertise-address=10.0.0.13"]}]}})",
      });
  auto urls = ApiServerUrls(p, pods);
  ASSERT_TRUE(urls.has_value()) << urls.error().message();
  EXPECT_EQ(urls->urls, (std::vector<std::string>{"https://10.0.0.11:6443", "https://[fd00::12]:6443"}));
  EXPECT_EQ(urls->not_joined, std::vector<std::string>{"cp4"});  // the replacement has no pod yet
  EXPECT_EQ(*ListRevision(pods), 1000000123u);
  EXPECT_FALSE(ListRevision(R"({"metadata":{"resourceVersion":"12a"}})").has_value());
  EXPECT_FALSE(ListRevision(R"({"metadata":{}})").has_value());
}

// Once the replacement has joined (its kubelet runs its kube-apiserver static pod), verify
// checks its /readyz like the restored nodes' and no longer says it has not joined.
TEST(AfterTest, ApiServerUrlsOfAJoinedReplacement) {
  AfterPlan p = ReplacePlan();
  const std::string pods = List(
      "PodList",
      {
          R"({"spec":{"nodeName":"cp1","containers":[{"command":["kube-apiserver","--advertise-address=10.0.0.11"]}]}})",
          R"({"spec":{"nodeName":"cp2","containers":[{"command":["kube-apiserver","--advertise-address=10.0.0.12"]}]}})",
          R"({"spec":{"nodeName":"cp4","containers":[{"command":["kube-apiserver","--advertise-address=10.0.0.14","--secure-port=16443"]}]}})",
      });
  auto urls = ApiServerUrls(p, pods);
  ASSERT_TRUE(urls.has_value()) << urls.error().message();
  EXPECT_EQ(urls->urls, (std::vector<std::string>{"https://10.0.0.11:6443", "https://10.0.0.12:6443",
                                                  "https://10.0.0.14:16443"}));
  EXPECT_TRUE(urls->not_joined.empty());
  // A plan without replacements has nobody to join.
  p.joining.clear();
  EXPECT_TRUE(ApiServerUrls(p, List("PodList", {}))->not_joined.empty());
}

}  // namespace
}  // namespace etcdrestore::plan
