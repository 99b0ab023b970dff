#include "shared/wal/bootstrap.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "shared/membership/urls.h"
#include "shared/wal/format.h"
#include "shared/wal/reader.h"
#include "tests/unit/common/etcd_reference.h"

namespace etcdrestore::wal {
namespace {

using membership::Cluster;

// The restore inputs used for the golden files (docs/etcd-formats.md §2.1, §8.2).
struct Case {
  std::string name;
  std::string initial_cluster;
  std::string token;
  std::string advertise;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.advertise << " token " << c.token; }
const Case kDefault{"default", "default=http://localhost:2380", "etcd-cluster", "http://localhost:2380"};
const Case kThreeA{"a", "a=http://127.0.0.1:23811,b=http://127.0.0.1:23812,c=http://127.0.0.1:23813", "tok3",
                   "http://127.0.0.1:23811"};
// Pins the Go-version-dependent JSON escaping of the member name (\b, <, &, U+2028).
const Case kNastyName{"x<&\b\xe2\x80\xa8", "x<&\b\xe2\x80\xa8=http://127.0.0.1:2380", "etcd-cluster",
                      "http://127.0.0.1:2380"};

Cluster MakeCluster(const Case& c) {
  auto urls = membership::NewUrlsMap(c.initial_cluster);
  EXPECT_TRUE(urls) << urls.error().message();
  auto cl = membership::NewClusterFromUrlsMap(c.token, *urls);
  EXPECT_TRUE(cl) << cl.error().message();
  return *cl;
}

std::string Encode(const Case& c, Flavor f) {
  const Cluster cl = MakeCluster(c);
  return EncodeBootstrapWal(cl, cl.MemberByName(c.name)->id, f);
}

std::vector<std::string> RestoreArgs(const Case& c) {
  return {"--name", c.name, "--initial-cluster", c.initial_cluster, "--initial-cluster-token", c.token,
          "--initial-advertise-peer-urls", c.advertise};
}

// Runs the real tool and returns the head of its WAL: as many bytes as ours plus 8 (the
// next length field, which must be zero).
std::string RealWalHead(const std::string& tool, const Case& c, size_t n) {
  testing::TempDir tmp;
  const std::string out = tmp.path() + "/out";
  EXPECT_EQ(testing::RunRealRestore(tool, out, RestoreArgs(c)), 0) << tool;
  return testing::ReadFileBytes(out + "/member/wal/" + WalFileName(0, 0), n + 8);
}

TEST(BootstrapWal, Etcd34DefaultMatchesFixture) {
  EXPECT_EQ(Encode(kDefault, Flavor::kEtcd34),
            testing::ReadFileBytes(testing::FixturePath("restored-default.wal.head272")));
}

TEST(BootstrapWal, Etcd34ThreeMembersMemberAMatchesFixture) {
  EXPECT_EQ(Encode(kThreeA, Flavor::kEtcd34), testing::ReadFileBytes(testing::FixturePath("a-3members.wal.head496")));
}

TEST(BootstrapWal, Etcd34NameEscapingMatchesRealEtcdctl) {
  auto tool = testing::Etcdctl34();
  if (!tool) GTEST_SKIP() << "etcdctl 3.4 not installed (/usr/bin/etcdctl)";
  const std::string ours = Encode(kNastyName, Flavor::kEtcd34);
  EXPECT_EQ(RealWalHead(*tool, kNastyName, ours.size()), ours + std::string(8, '\0'));
}

class BootstrapWal35 : public ::testing::TestWithParam<Case> {};

TEST_P(BootstrapWal35, MatchesRealEtcdutl) {
  auto tool = testing::Etcdutl35();
  if (!tool) GTEST_SKIP() << "etcdutl 3.5.30 not installed (run scripts/install-deps.sh)";
  const std::string ours = Encode(GetParam(), Flavor::kEtcd35);
  const std::string real = RealWalHead(*tool, GetParam(), ours.size());
  EXPECT_EQ(real, ours + std::string(8, '\0'));
  // Same records, crcs valid: a mismatch above is then easier to read.
  auto theirs = DecodeSegment({reinterpret_cast<const uint8_t*>(real.data()), real.size()});
  auto mine = DecodeSegment({reinterpret_cast<const uint8_t*>(ours.data()), ours.size()});
  ASSERT_TRUE(theirs && mine);
  ASSERT_EQ(theirs->size(), mine->size());
  for (size_t i = 0; i < mine->size(); ++i) {
    EXPECT_EQ((*theirs)[i].type, (*mine)[i].type) << "record " << i;
    EXPECT_EQ((*theirs)[i].data, (*mine)[i].data) << "record " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, BootstrapWal35, ::testing::Values(kDefault, kThreeA, kNastyName), [](const auto& info) {
  return std::string(info.index == 0 ? "Default" : info.index == 1 ? "ThreeMembersA" : "NastyName");
});

TEST(BootstrapWal, DefaultFlavorIsEtcd35) {
  const Cluster cl = MakeCluster(kDefault);
  EXPECT_EQ(EncodeBootstrapWal(cl, cl.members[0].id), Encode(kDefault, Flavor::kEtcd35));
  // 3.5 differs from 3.4 only in the final snapshot record (docs §5.2 expected payload).
  auto recs = DecodeSegment({reinterpret_cast<const uint8_t*>(Encode(kDefault, Flavor::kEtcd35).data()), 288});
  ASSERT_TRUE(recs) << recs.error().message();
  ASSERT_EQ(recs->size(), 6u);
  EXPECT_EQ(recs->back().data,
            std::string("\x08\x01\x10\x01\x1a\x0d\x08\xcd\xd2\x91\x8b\xd2\xb8\x81\xcf\x8e\x01\x28\x00", 19));
}

TEST(WriteBootstrapWal, WritesPreallocatedPrivateSegment) {
  testing::TempDir tmp;
  const Cluster cl = MakeCluster(kThreeA);
  auto path = WriteBootstrapWal(tmp.path(), cl, cl.MemberByName("a")->id, Flavor::kEtcd34);
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(*path, tmp.path() + "/0000000000000000-0000000000000000.wal");
  struct stat st {};
  ASSERT_EQ(stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kSegmentSizeBytes));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, kSegmentSizeBytes);  // allocated, not sparse
  EXPECT_EQ(testing::ReadFileBytes(*path, 496), testing::ReadFileBytes(testing::FixturePath("a-3members.wal.head496")));
  auto recs = ReadSegmentFile(*path);
  ASSERT_TRUE(recs) << recs.error().message();
  EXPECT_EQ(recs->size(), 8u);  // crc, metadata, snapshot, 3 entries, state, snapshot
}

TEST(WriteBootstrapWal, RefusesExistingFile) {
  testing::TempDir tmp;
  const Cluster cl = MakeCluster(kDefault);
  ASSERT_TRUE(WriteBootstrapWal(tmp.path(), cl, cl.members[0].id));
  auto again = WriteBootstrapWal(tmp.path(), cl, cl.members[0].id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
}

TEST(WriteBootstrapWal, NeverWritesThroughAPlantedSymlink) {
  testing::TempDir tmp;
  const Cluster cl = MakeCluster(kDefault);
  const std::string victim = tmp.path() + "/victim";
  ASSERT_EQ(symlink(victim.c_str(), (tmp.path() + "/0000000000000000-0000000000000000.wal").c_str()), 0);
  auto w = WriteBootstrapWal(tmp.path(), cl, cl.members[0].id);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(w.error().message().find("a symlink to \"" + victim + "\"); not writing through it"), std::string::npos)
      << w.error().message();
  struct stat st {};
  EXPECT_NE(lstat(victim.c_str(), &st), 0);  // the dangling link's target was not created
}

}  // namespace
}  // namespace etcdrestore::wal
