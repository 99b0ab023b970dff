#include "shared/topology/sidecar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "shared/base/file.h"

namespace etcdrestore::topology {
namespace {

using ::testing::HasSubstr;

Sidecar Example() {
  Sidecar s;
  s.tool = "kubectl-etcdrestore 0.1.0";
  s.created = "2024-05-01T12:00:00Z";
  s.cluster_id = 0xcdf818194e3a8c32ULL;  // > 2^53: must survive as hex
  s.kubernetes_version = "v1.20.15";
  s.snapshot = {.file = "snap.db", .size = 2101280, .sha256 = std::string(64, 'a'),
                .db_sha256 = std::string(64, 'b'), .hash = 3797236402u, .revision = 4211,
                .total_keys = 1045, .total_size = 2101248};
  s.source = {.method = "direct", .member = "cp1", .member_id = 0x8e9e05c52164694dULL,
              .endpoint = "https://10.0.0.11:2379", .node = "cp1", .pod = "kube-system/etcd-cp1",
              .etcd_version = "3.4.23", .raft_index = 5000, .raft_term = 3,
              .ca_file = "/etc/kubernetes/pki/etcd/ca.crt",
              .cert_file = "/etc/kubernetes/pki/apiserver-etcd-client.crt",
              .key_file = "/etc/kubernetes/pki/apiserver-etcd-client.key"};
  EtcdMember m;
  m.name = "cp1";
  m.id = 0x8e9e05c52164694dULL;
  m.peer_urls = {"https://10.0.0.11:2380"};
  m.client_urls = {"https://10.0.0.11:2379"};
  m.data_dir = "/var/lib/etcd";
  m.data_host_path = "/var/lib/etcd";
  m.server.key_file = "/etc/kubernetes/pki/etcd/server.key";
  m.pod.name = "etcd-cp1";
  m.pod.node = "cp1";
  m.pod.mounts = {{"etcd-data", "/var/lib/etcd", "/var/lib/etcd", false}};
  m.flags = {{"name", "cp1"}};
  s.members.push_back(m);
  ApiServer a;
  a.etcd_servers = {"https://127.0.0.1:2379"};
  a.etcd_keyfile = "/etc/kubernetes/pki/apiserver-etcd-client.key";
  s.apiservers.push_back(a);
  ClusterConfiguration c;
  c.kubernetes_version = "v1.20.15";
  c.local_etcd = true;
  c.local_extra_args = {{"a", "b"}};
  s.cluster_config = c;
  return s;
}

TEST(Sidecar, RoundTripsThroughJson) {
  const Sidecar s = Example();
  const std::string text = SidecarToJson(s);
  auto back = SidecarFromJson(text);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(SidecarToJson(*back), text);
  EXPECT_EQ(back->cluster_id, s.cluster_id);
  EXPECT_EQ(back->source.member_id, s.source.member_id);
  EXPECT_EQ(back->members.at(0).id, s.members[0].id);
  EXPECT_EQ(back->snapshot.hash, 3797236402u);
  EXPECT_EQ(back->members[0].pod.mounts.at(0).host_path, "/var/lib/etcd");
  ASSERT_TRUE(back->cluster_config.has_value());
  EXPECT_EQ(back->cluster_config->local_extra_args.at("a"), "b");
}

TEST(Sidecar, IdsAreHexStrings) {
  const auto j = nlohmann::json::parse(SidecarToJson(Example()));
  EXPECT_EQ(j["format"], 1);
  EXPECT_EQ(j["clusterID"], "cdf818194e3a8c32");
  EXPECT_EQ(j["source"]["memberID"], "8e9e05c52164694d");
  EXPECT_EQ(j["members"][0]["id"], "8e9e05c52164694d");
  EXPECT_EQ(j["snapshot"]["revision"], 4211);
}

TEST(Sidecar, RejectsNewerFormatAndGarbage) {
  auto newer = SidecarFromJson(R"({"format": 2})");
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(newer.error().message(), "sidecar: format 2 is newer than this tool's 1");
  auto none = SidecarFromJson(R"({"tool": "x"})");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "sidecar: no \"format\"");
  auto garbage = SidecarFromJson("[1,2");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().message(), "sidecar: not a JSON object");
  auto bad_id = SidecarFromJson(R"({"format": 1, "clusterID": "xyz"})");
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().message(), "clusterID: bad hex id \"xyz\"");
  auto bad_type = SidecarFromJson(R"({"format": 1, "snapshot": {"revision": "many"}})");
  ASSERT_FALSE(bad_type);
  EXPECT_THAT(bad_type.error().message(), HasSubstr("sidecar: "));
  // Unknown keys are ignored.
  EXPECT_TRUE(SidecarFromJson(R"({"format": 1, "futureField": {"x": 1}})"));
}

TEST(Sidecar, WritesAtomically0600AndReadsBack) {
  char tmpl[] = "/tmp/etcdrestore-sidecar-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = SidecarPath(dir + "/snap.db");
  EXPECT_EQ(path, dir + "/snap.db.json");
  ASSERT_TRUE(WriteSidecar(path, Example()));
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(PathExists(path + ".tmp"));
  auto back = ReadSidecar(path);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->members.at(0).name, "cp1");
  auto missing = ReadSidecar(dir + "/none.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  (void)RemoveAll(dir);
}

TEST(Sidecar, NeverWritesThroughAPlantedLinkOrFifo) {
  char tmpl[] = "/tmp/etcdrestore-sidecar-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/snap.db.json", victim = dir + "/victim";
  { std::ofstream(victim) << "precious"; }
  // A link planted at the temporary name: refused, nothing written anywhere.
  ASSERT_EQ(symlink("victim", (path + ".tmp").c_str()), 0);
  auto st = WriteSidecar(path, Example());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("stale \"" + path + ".tmp\" is a symlink to \"victim\""), std::string::npos)
      << st.error().message();
  EXPECT_FALSE(PathExists(path));
  ASSERT_EQ(unlink((path + ".tmp").c_str()), 0);
  ASSERT_EQ(mkfifo((path + ".tmp").c_str(), 0600), 0);
  EXPECT_FALSE(WriteSidecar(path, Example()));
  ASSERT_EQ(unlink((path + ".tmp").c_str()), 0);
  // A link at the final name is replaced itself by our own file; its target is untouched.
  ASSERT_EQ(symlink("victim", path.c_str()), 0);
  ASSERT_TRUE(WriteSidecar(path, Example()));
  struct stat lst{};
  ASSERT_EQ(lstat(path.c_str(), &lst), 0);
  EXPECT_TRUE(S_ISREG(lst.st_mode));
  std::ifstream in(victim);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "precious");
  (void)RemoveAll(dir);
}

TEST(HexId, RoundTrip) {
  EXPECT_EQ(HexId(0), "0");
  EXPECT_EQ(HexId(0xfc3a5f77660399bULL), "fc3a5f77660399b");
  EXPECT_EQ(ParseHexId("FC3A5F77660399B"), 0xfc3a5f77660399bULL);
  EXPECT_FALSE(ParseHexId(""));
  EXPECT_FALSE(ParseHexId("12345678901234567"));
  EXPECT_FALSE(ParseHexId("0x12"));
}

}  // namespace
}  // namespace etcdrestore::topology
