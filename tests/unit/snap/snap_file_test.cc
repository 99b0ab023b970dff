#include "shared/snap/snap_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <string>
#include <vector>

#include "shared/membership/urls.h"
#include "shared/pb/raftpb/raft.pb.h"
#include "shared/pb/snappb/snap.pb.h"
#include "shared/snap/v2store.h"
#include "tests/unit/common/etcd_reference.h"

namespace etcdrestore::snap {
namespace {

using membership::Cluster;

struct Case {
  std::string label;
  std::string name;
  std::string initial_cluster;
  std::string token;
  std::string advertise;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }
const Case kDefault{"Default", "default", "default=http://localhost:2380", "etcd-cluster", "http://localhost:2380"};
const Case kThreeA{"ThreeMembersA", "a", "a=http://127.0.0.1:23811,b=http://127.0.0.1:23812,c=http://127.0.0.1:23813",
                   "tok3", "http://127.0.0.1:23811"};
// With token "tok1" member c's id is 5dc06189d8ebf7d (15 hex digits): creation order by id
// is c, a, b but the JSON children are sorted by key: a (14c4...), c (5dc0...), b (707d...).
const Case kShortId{"ShortHexId", "a", "a=http://127.0.0.1:23811,b=http://127.0.0.1:23812,c=http://127.0.0.1:23813",
                    "tok1", "http://127.0.0.1:23811"};

Cluster MakeCluster(const Case& c) {
  auto urls = membership::NewUrlsMap(c.initial_cluster);
  EXPECT_TRUE(urls) << urls.error().message();
  auto cl = membership::NewClusterFromUrlsMap(c.token, *urls);
  EXPECT_TRUE(cl) << cl.error().message();
  return *cl;
}

TEST(SnapFileName, IsTermDashIndex) { EXPECT_EQ(SnapFileName(1, 3), "0000000000000001-0000000000000003.snap"); }

// Fixtures: what etcdctl 3.4.23 wrote (docs/etcd-formats.md §6).
TEST(RestoreSnap, DefaultMatchesEtcdctl34Fixture) {
  EXPECT_EQ(EncodeRestoreSnap(MakeCluster(kDefault)),
            testing::ReadFileBytes(testing::FixturePath("restored-default.snap")));
}

TEST(RestoreSnap, ThreeMembersMatchesEtcdctl34Fixture) {
  EXPECT_EQ(EncodeRestoreSnap(MakeCluster(kThreeA)), testing::ReadFileBytes(testing::FixturePath("a-3members.snap")));
}

TEST(RestoreSnap, V2StoreJsonIsTheSnapshotData) {
  snappb::Snapshot outer;
  ASSERT_TRUE(outer.ParseFromString(testing::ReadFileBytes(testing::FixturePath("a-3members.snap"))));
  raftpb::Snapshot inner;
  ASSERT_TRUE(inner.ParseFromString(outer.data()));
  EXPECT_EQ(V2StoreJson(MakeCluster(kThreeA)), inner.data());
  EXPECT_EQ(inner.metadata().index(), 3u);
}

class RestoreSnap35 : public ::testing::TestWithParam<Case> {};

TEST_P(RestoreSnap35, MatchesRealEtcdutl) {
  auto tool = testing::Etcdutl35();
  if (!tool) GTEST_SKIP() << "etcdutl 3.5.30 not installed (run scripts/install-deps.sh)";
  const Case& c = GetParam();
  const Cluster cl = MakeCluster(c);
  testing::TempDir tmp;
  const std::string out = tmp.path() + "/out";
  ASSERT_EQ(testing::RunRealRestore(*tool, out,
                                    {"--name", c.name, "--initial-cluster", c.initial_cluster,
                                     "--initial-cluster-token", c.token, "--initial-advertise-peer-urls", c.advertise}),
            0);
  const std::string real = testing::ReadFileBytes(out + "/member/snap/" + SnapFileName(1, cl.members.size()));
  ASSERT_FALSE(real.empty());
  EXPECT_EQ(EncodeRestoreSnap(cl), real);
}

INSTANTIATE_TEST_SUITE_P(Cases, RestoreSnap35, ::testing::Values(kDefault, kThreeA, kShortId),
                         [](const auto& info) { return info.param.label; });

TEST(WriteRestoreSnap, WritesPrivateFileNamedAfterIndex) {
  testing::TempDir tmp;
  auto path = WriteRestoreSnap(tmp.path(), MakeCluster(kThreeA));
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(*path, tmp.path() + "/0000000000000001-0000000000000003.snap");
  struct stat st {};
  ASSERT_EQ(stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(testing::ReadFileBytes(*path), testing::ReadFileBytes(testing::FixturePath("a-3members.snap")));
  auto again = WriteRestoreSnap(tmp.path(), MakeCluster(kThreeA));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
}

TEST(WriteRestoreSnap, NeverWritesThroughAPlantedSymlinkOrFifo) {
  testing::TempDir tmp;
  const std::string name = tmp.path() + "/0000000000000001-0000000000000003.snap";
  const std::string victim = tmp.path() + "/victim";
  { std::ofstream(victim) << "precious"; }
  ASSERT_EQ(symlink(victim.c_str(), name.c_str()), 0);
  auto w = WriteRestoreSnap(tmp.path(), MakeCluster(kThreeA));
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message().find("a symlink to"), std::string::npos) << w.error().message();
  EXPECT_EQ(testing::ReadFileBytes(victim), "precious");
  ASSERT_EQ(unlink(name.c_str()), 0);
  ASSERT_EQ(mkfifo(name.c_str(), 0600), 0);
  auto f = WriteRestoreSnap(tmp.path(), MakeCluster(kThreeA));  // must not block on the fifo
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("(a fifo)"), std::string::npos) << f.error().message();
}

}  // namespace
}  // namespace etcdrestore::snap
