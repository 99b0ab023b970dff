// shared/backup's decisions (member, TLS, mode, sidecar, cleanup) against a fake Cluster:
// FakeEtcdClient (tests/unit/common) streams a real etcdctl 3.4.23 snapshot (fixture
// snap1.db), and the fake pods/exec runs a scripted etcdctl whose `snapshot save` copies
// that fixture to the node's host path (a temp dir). The snapshot file, its checks and the
// sidecar are the real code on real files; e2e.kube runs save against a real cluster.
#include "shared/backup/backup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "shared/base/file.h"
#include "shared/etcddb/status.h"
#include "tests/unit/common/etcd_reference.h"
#include "tests/unit/common/fake_etcd_client.h"

namespace etcdrestore::backup {
namespace {

using etcdclient::testing::FakeEtcdClient;
using etcdrestore::testing::FixturePath;
using etcdrestore::testing::ReadFileBytes;
using etcdrestore::testing::TempDir;
using nlohmann::json;

// How one fake etcd endpoint answers.
struct FakeEndpoint {
  bool dial_fails = false;
  etcdrestore::Status connect;  // WaitConnected
  Result<etcdclient::StatusResponse> status = etcdclient::StatusResponse{};
  std::string stream;  // the Snapshot stream
};

class FakeCluster : public Cluster {
 public:
  topology::Topology topology;
  std::map<std::string, FakeEndpoint> endpoints;  // by URL
  etcdclient::MemberListResponse member_list;
  int discovered = 0;
  std::vector<std::string> dialed;
  std::vector<kube::ExecRequest> execs;
  // exec mode: per pod name, `etcdctl endpoint status -w json` output (empty: exit 1).
  std::map<std::string, std::string> endpoint_status;
  std::string snapshot_status_json;
  std::string host_dir;  // where the node's data dir is on "the host"

  Result<topology::Topology> Discover() override {
    ++discovered;
    return topology;
  }
  Result<std::unique_ptr<etcdclient::Client>> Dial(const etcdclient::Config& config) override {
    dialed.push_back(config.endpoint);
    auto it = endpoints.find(config.endpoint);
    if (it == endpoints.end() || it->second.dial_fails)
      return Fail(ErrorCode::kUnavailable, "dial " + config.endpoint + ": refused");
    auto c = std::make_unique<FakeEtcdClient>();
    c->connect_status = it->second.connect;
    c->status = it->second.status;
    c->member_list = member_list;
    c->stream = it->second.stream;
    c->endpoint_ = config.endpoint;
    return std::unique_ptr<etcdclient::Client>(std::move(c));
  }
  Result<kube::ExecResult> Exec(const kube::ExecRequest& req) override {
    execs.push_back(req);
    const auto& argv = req.command;
    auto has = [&](const std::string& w) {
      return std::find(argv.begin(), argv.end(), w) != argv.end();
    };
    kube::ExecResult r;
    if (has("endpoint")) {
      r.stdout_data = endpoint_status[req.pod];
      if (r.stdout_data.empty()) {
        r.exit_code = 1;
        r.stderr_data = "context deadline exceeded\n";
      }
    } else if (has("save")) {
      // etcdctl snapshot save FILE: FILE is under the data dir, mounted from host_dir.
      const std::string file = argv.back();
      const std::string host = host_dir + file.substr(std::string("/var/lib/etcd").size());
      const std::string bytes = ReadFileBytes(FixturePath("snap1.db"));
      EXPECT_TRUE(WriteNewFile(host, bytes, 0600)) << host;
    } else if (has("status")) {
      r.stdout_data = snapshot_status_json;
    } else if (has("list")) {
      json members = json::array();
      for (const auto& m : member_list.members) {
        members.push_back({{"ID", m.id},
                           {"name", m.name},
                           {"peerURLs", m.peer_urls},
                           {"clientURLs", m.client_urls}});
      }
      r.stdout_data = json{{"members", members}}.dump();
    }
    return r;
  }
};

topology::EtcdMember Member(const std::string& name, const std::string& url,
                            const std::string& host_dir) {
  topology::EtcdMember m;
  m.name = name;
  m.pod.name = "etcd-" + name;
  m.pod.namespace_ = "kube-system";
  m.pod.node = name;
  m.pod.container = "etcd";
  m.client_urls = {url};
  m.listen_client_urls = {"https://127.0.0.1:2379", url};
  m.data_dir = "/var/lib/etcd";
  m.server = {"/etc/kubernetes/pki/etcd/server.crt", "/etc/kubernetes/pki/etcd/server.key",
              "/etc/kubernetes/pki/etcd/ca.crt", true};
  m.pod.mounts = {{"etcd-data", "/var/lib/etcd", host_dir, false},
                  {"etcd-certs", "/etc/kubernetes/pki/etcd", host_dir + "/pki", true}};
  return m;
}

etcdclient::StatusResponse Healthy(uint64_t member_id, uint64_t raft_index) {
  etcdclient::StatusResponse s;
  s.header.cluster_id = 0xc1;
  s.header.member_id = member_id;
  s.version = "3.5.9";
  s.raft_index = raft_index;
  s.raft_term = 2;
  return s;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    host_ = dir_.path() + "/host";
    ASSERT_EQ(::mkdir(host_.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((host_ + "/pki").c_str(), 0700), 0);
    for (const char* f : {"server.crt", "server.key", "ca.crt"}) {
      ASSERT_TRUE(WriteNewFile(host_ + "/pki/" + f, "pem", 0600));
    }
    snap_ = ReadFileBytes(FixturePath("snap1.db"));
    ASSERT_EQ(snap_.size() % 512, 32u);
    auto st = etcddb::ComputeStatus(FixturePath("snap1.db"));
    ASSERT_TRUE(st) << st.error().message();
    status_ = *st;
    c_.host_dir = host_;
    for (auto [name, id, index] :
         {std::tuple{"a", 0xa, 100}, std::tuple{"b", 0xb, 300}, std::tuple{"c", 0xc, 200}}) {
      const std::string url = std::string("https://10.0.0.") + std::to_string(id) + ":2379";
      c_.topology.members.push_back(Member(name, url, host_));
      c_.endpoints[url] = FakeEndpoint{false, {}, Healthy(id, index), snap_};
      c_.member_list.members.push_back(
          {static_cast<uint64_t>(id), name, {"https://p" + std::string(name)}, {url}, false});
      c_.endpoint_status["etcd-" + std::string(name)] =
          json::array({{{"Endpoint", url},
                        {"Status",
                         {{"header", {{"cluster_id", 0xc1}, {"member_id", id}}},
                          {"version", "3.5.9"},
                          {"raftIndex", index},
                          {"raftTerm", 2}}}}})
              .dump();
    }
    c_.topology.endpoints = {"https://10.0.0.10:2379"};
    c_.snapshot_status_json = json{
        {"hash", status_.hash},
        {"revision", status_.revision},
        {"totalKey", status_.total_keys},
        {"totalSize",
         status_.total_size}}.dump();
    r_.path = dir_.path() + "/s.db";
    r_.now = 1700000000;  // 2023-11-14T22:13:20Z
    r_.tool = "kubectl-etcdrestore test";
  }

  TempDir dir_;
  std::string host_, snap_;
  etcddb::SnapshotStatus status_;
  FakeCluster c_;
  Request r_;
};

TEST_F(BackupTest, DirectTakesTheHealthyMemberWithTheHighestRaftIndex) {
  c_.endpoints["https://10.0.0.11:2379"].connect =
      Fail(ErrorCode::kUnavailable, "connection refused");  // b
  uint64_t progress = 0;
  r_.progress = [&](uint64_t n) { progress = n; };
  auto o = Save(r_, c_);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->copied);
  EXPECT_EQ(o->sidecar.source.member, "c");  // b has the highest index but is down
  EXPECT_EQ(o->sidecar.source.member_id, 0xcu);
  EXPECT_EQ(o->sidecar.source.method, "direct");
  EXPECT_EQ(o->sidecar.source.pod, "kube-system/etcd-c");
  EXPECT_EQ(o->sidecar.source.raft_index, 200u);
  EXPECT_EQ(o->sidecar.cluster_id, 0xc1u);
  EXPECT_EQ(o->tls_origin, "server cert of pod etcd-a");  // no apiserver: the members' own
  EXPECT_EQ(o->sidecar.source.cert_file, host_ + "/pki/server.crt");
  EXPECT_EQ(progress, snap_.size());
  // The file is the stream, the sidecar has its facts and all three members.
  EXPECT_EQ(ReadFileBytes(r_.path), snap_);
  EXPECT_EQ(o->sidecar.snapshot.size, snap_.size());
  EXPECT_EQ(o->sidecar.snapshot.hash, status_.hash);
  EXPECT_EQ(o->sidecar.snapshot.revision, status_.revision);
  EXPECT_EQ(o->sidecar.snapshot.file, "s.db");
  EXPECT_EQ(o->sidecar.created, "2023-11-14T22:13:20Z");
  ASSERT_EQ(o->sidecar.members.size(), 3u);
  EXPECT_EQ(o->sidecar.members[1].name, "b");
  EXPECT_EQ(o->sidecar.members[1].id, 0xbu);
  EXPECT_EQ(o->sidecar.members[1].pod.name, "etcd-b");  // joined with its pod by name
  auto back = topology::ReadSidecar(o->sidecar_path);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->snapshot.sha256, o->sidecar.snapshot.sha256);
  struct stat st {};
  ASSERT_EQ(::stat(r_.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(o->sidecar_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(BackupTest, DirectMemberFlagAndUnhealthyCluster) {
  r_.member = "a";
  auto o = Save(r_, c_);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->sidecar.source.member, "a");

  Request r = r_;
  r.path = dir_.path() + "/t.db";
  r.member = "zz";
  auto none = Save(r, c_);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(none.error().message(), "no member named \"zz\" (members: a, b, c)");

  c_.endpoints["https://10.0.0.10:2379"].status =
      Fail(ErrorCode::kUnavailable, "deadline exceeded");
  r.member = "a";
  auto sick = Save(r, c_);
  ASSERT_FALSE(sick);
  EXPECT_EQ(sick.error().message(),
            "member \"a\" is not healthy:\n  a (https://10.0.0.10:2379): deadline exceeded");

  for (auto& [url, e] : c_.endpoints) e.dial_fails = true;
  r.member = "";
  auto down = Save(r, c_);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(down.error().message().starts_with(
      "no healthy etcd member:\n  a (https://10.0.0.10:2379): dial "))
      << down.error().message();
  EXPECT_FALSE(PathExists(r.path));
  EXPECT_FALSE(PathExists(r.path + ".part"));
  EXPECT_FALSE(PathExists(r.path + ".json"));
}

TEST_F(BackupTest, ALearnerIsNeverTheSnapshotSource) {
  // b has the highest raft index but is a learner: etcd answers "rpc not supported for
  // learner" to its Snapshot stream, so c (the next highest) is chosen, direct and by exec.
  auto b = c_.endpoints["https://10.0.0.11:2379"].status;
  ASSERT_TRUE(b);
  b->is_learner = true;
  c_.endpoints["https://10.0.0.11:2379"].status = *b;
  c_.member_list.members[1].is_learner = true;
  json b_exec = json::parse(c_.endpoint_status["etcd-b"]);
  b_exec[0]["Status"]["isLearner"] = true;
  c_.endpoint_status["etcd-b"] = b_exec.dump();
  auto o = Save(r_, c_);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->sidecar.source.member, "c");
  ASSERT_EQ(o->sidecar.members.size(), 3u);
  EXPECT_TRUE(o->sidecar.members[1].is_learner);  // the sidecar still lists it, as a learner

  Request r = r_;
  r.path = dir_.path() + "/t.db";
  r.member = "b";
  auto named = Save(r, c_);
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(named.error().message(),
            "member \"b\" is a learner: etcd serves no snapshot from a learner; save from a voting member");
  EXPECT_FALSE(PathExists(r.path + ".part"));

  r.via = Via::kExec;
  auto exec_named = Save(r, c_);
  ASSERT_FALSE(exec_named);
  EXPECT_EQ(exec_named.error().message(), named.error().message());
  r.member = "";
  auto exec = Save(r, c_);
  ASSERT_TRUE(exec) << exec.error().message();
  EXPECT_EQ(exec->sidecar.source.member, "c");

  // Only the learner is healthy: no member to save from, and the message says why.
  c_.endpoints["https://10.0.0.10:2379"].dial_fails = true;
  c_.endpoints["https://10.0.0.12:2379"].dial_fails = true;
  r = r_;
  r.path = dir_.path() + "/u.db";
  auto only = Save(r, c_);
  ASSERT_FALSE(only);
  EXPECT_NE(only.error().message().find("\n  b (https://10.0.0.11:2379): a learner (serves no snapshot)"),
            std::string::npos)
      << only.error().message();
}

TEST_F(BackupTest, DirectBadStreamLeavesNothing) {
  for (auto& [url, e] : c_.endpoints) e.stream[100] ^= 1;
  auto o = Save(r_, c_);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code(), ErrorCode::kCorruption);
  EXPECT_TRUE(
      o.error().message().starts_with("snapshot from https://10.0.0.11:2379: sha256 mismatch"))
      << o.error().message();
  EXPECT_FALSE(PathExists(r_.path));
  EXPECT_FALSE(PathExists(r_.path + ".part"));
  EXPECT_FALSE(PathExists(r_.path + ".json"));
}

TEST_F(BackupTest, TlsChoice) {
  // Given flags win, even unreadable ones.
  Request given = r_;
  given.cert = "/nonexistent/c";
  auto t = ChooseTls(given, c_.topology, true);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->origin, "--cacert/--cert/--key");
  EXPECT_EQ(t->cert, "/nonexistent/c");
  // Plain http: none.
  auto plain = ChooseTls(r_, c_.topology, false);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->origin, "");
  // A kube-apiserver's client cert comes first, through its hostPath mount; an unreadable
  // one is skipped and named.
  topology::ApiServer a;
  a.pod.name = "kube-apiserver-a";
  a.etcd_certfile = "/etc/kubernetes/pki/apiserver-etcd-client.crt";
  a.etcd_keyfile = "/etc/kubernetes/pki/apiserver-etcd-client.key";
  a.etcd_cafile = "/etc/kubernetes/pki/etcd/ca.crt";
  a.pod.mounts = {{"k8s-certs", "/etc/kubernetes/pki", host_ + "/k8s", true}};
  c_.topology.apiservers = {a};
  auto fallback = ChooseTls(r_, c_.topology, true);
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->origin, "server cert of pod etcd-a");
  ASSERT_EQ(::mkdir((host_ + "/k8s").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((host_ + "/k8s/etcd").c_str(), 0700), 0);
  for (const char* f : {"apiserver-etcd-client.crt", "apiserver-etcd-client.key", "etcd/ca.crt"}) {
    ASSERT_TRUE(WriteNewFile(host_ + "/k8s/" + f, "pem", 0600));
  }
  auto api = ChooseTls(r_, c_.topology, true);
  ASSERT_TRUE(api);
  EXPECT_EQ(api->origin, "etcd client cert of pod kube-apiserver-a");
  EXPECT_EQ(api->key, host_ + "/k8s/apiserver-etcd-client.key");
  // Nothing readable: every try is named.
  c_.topology.apiservers[0].pod.mounts.clear();
  for (auto& m : c_.topology.members) m.pod.mounts.pop_back();
  auto none = ChooseTls(r_, c_.topology, true);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(none.error().message().find("tried:\n  etcd client cert of pod kube-apiserver-a "
                                        "(/etc/kubernetes/pki/apiserver-etcd-client.crt, "),
            std::string::npos)
      << none.error().message();
  EXPECT_NE(none.error().message().find("\n  server cert of pod etcd-c ("), std::string::npos);
}

TEST_F(BackupTest, ExecSavesInThePodAndCopiesThroughTheSameChecks) {
  r_.via = Via::kExec;
  auto o = Save(r_, c_);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->copied);
  EXPECT_EQ(o->sidecar.source.method, "exec");
  EXPECT_EQ(o->sidecar.source.member, "b");                         // the highest raft index
  EXPECT_EQ(o->sidecar.source.endpoint, "https://127.0.0.1:2379");  // its loopback listener
  EXPECT_EQ(o->node_file, "/var/lib/etcd/etcdrestore-snapshot-20231114T221320Z.db");
  EXPECT_EQ(o->host_file, host_ + "/etcdrestore-snapshot-20231114T221320Z.db");
  EXPECT_EQ(o->sidecar.source.node_path, o->host_file);
  EXPECT_EQ(ReadFileBytes(r_.path), snap_);
  EXPECT_EQ(o->sidecar.snapshot.size, snap_.size());
  EXPECT_EQ(o->sidecar.members.size(), 3u);
  // etcdctl ran in b's pod with b's server cert.
  const auto& save = c_.execs[3];
  EXPECT_EQ(save.pod, "etcd-b");
  EXPECT_EQ(save.command[2], "--cacert=/etc/kubernetes/pki/etcd/ca.crt");
  EXPECT_EQ(save.command[5], "snapshot");
  EXPECT_TRUE(c_.dialed.empty());
}

TEST_F(BackupTest, ExecCopyThatDiffersFromThePodsCheckIsRemoved) {
  r_.via = Via::kExec;
  c_.snapshot_status_json = json{{"hash", status_.hash + 1}, {"revision", status_.revision}}.dump();
  auto o = Save(r_, c_);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(o.error().message().find("differs from what etcdctl checked in the pod"),
            std::string::npos);
  EXPECT_FALSE(PathExists(r_.path));
  EXPECT_FALSE(PathExists(r_.path + ".part"));
  EXPECT_FALSE(PathExists(r_.path + ".json"));
}

TEST_F(BackupTest, ExecWithoutHostPathLeavesTheSnapshotOnTheNode) {
  r_.via = Via::kExec;
  r_.member = "a";
  c_.topology.members[0].pod.mounts.clear();
  c_.host_dir = host_;  // the fake still writes it somewhere
  auto o = Save(r_, c_);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_FALSE(o->copied);
  EXPECT_EQ(o->not_copied, "no host path");
  EXPECT_EQ(o->sidecar.source.node_path, o->node_file);
  EXPECT_EQ(o->sidecar.snapshot.hash, status_.hash);  // as etcdctl reported it in the pod
  EXPECT_FALSE(PathExists(r_.path));
  EXPECT_TRUE(PathExists(o->sidecar_path));
}

TEST_F(BackupTest, ExecNeedsPodsAndAHealthyOne) {
  r_.via = Via::kExec;
  c_.endpoint_status.clear();
  auto o = Save(r_, c_);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().message(),
            "no healthy etcd member reachable through exec:\n"
            "  a: etcdctl endpoint status -w json in pod etcd-a exited with 1: context deadline "
            "exceeded\n"
            "  b: etcdctl endpoint status -w json in pod etcd-b exited with 1: context deadline "
            "exceeded\n"
            "  c: etcdctl endpoint status -w json in pod etcd-c exited with 1: context deadline "
            "exceeded");
  c_.topology.members.clear();
  auto external = Save(r_, c_);
  ASSERT_FALSE(external);
  EXPECT_EQ(external.error().message(),
            "--via exec needs etcd pods; this cluster's etcd is external");
}

TEST_F(BackupTest, ExecUnexpectedJsonIsAnErrorNotACrash) {
  r_.via = Via::kExec;
  c_.endpoint_status["etcd-a"] = R"([{"Status": {"raftIndex": "high"}}])";
  auto o = Save(r_, c_);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code(), ErrorCode::kInternal);
  EXPECT_TRUE(o.error().message().starts_with(
      "--via exec: etcdctl in the etcd pod printed unexpected JSON: "))
      << o.error().message();
  c_.endpoint_status["etcd-a"] = "not json";
  auto text = Save(r_, c_);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message(), "endpoint status: etcdctl printed no JSON");
  EXPECT_FALSE(PathExists(r_.path + ".part"));
}

TEST_F(BackupTest, TakenPathFailsBeforeTheClusterIsAsked) {
  ASSERT_TRUE(WriteNewFile(r_.path + ".json", "{}", 0600));
  auto o = Save(r_, c_);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(c_.discovered, 0);
  ASSERT_EQ(::symlink("/nonexistent", r_.path.c_str()), 0);  // a dangling link counts
  auto link = Save(r_, c_);
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message().find("a symlink to \"/nonexistent\""), std::string::npos);
}

TEST_F(BackupTest, NoEtcdAtAll) {
  c_.topology.members.clear();
  c_.topology.endpoints.clear();
  c_.topology.problems = {{"cluster", "no etcd pods and no --etcd-servers"}};
  auto o = Save(r_, c_);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().message(),
            "no etcd found in the cluster:\n  cluster: no etcd pods and no --etcd-servers");
}

TEST_F(BackupTest, SidecarThatCannotBeWrittenTakesTheSnapshotBackOut) {
  // A directory where the sidecar's temporary goes: not something we left, so it is refused.
  ASSERT_EQ(::mkdir((r_.path + ".json.tmp").c_str(), 0700), 0);
  auto o = Save(r_, c_);
  ASSERT_FALSE(o);
  EXPECT_TRUE(o.error().message().starts_with("save (the snapshot \"" + r_.path +
                                              "\" was removed again): "))
      << o.error().message();
  EXPECT_FALSE(PathExists(r_.path));
  EXPECT_FALSE(PathExists(r_.path + ".json"));
}

}  // namespace
}  // namespace etcdrestore::backup
