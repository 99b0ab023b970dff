#include "shared/etcddb/edits.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "shared/base/coding.h"
#include "shared/bbolt/check.h"
#include "shared/bbolt/editor.h"
#include "shared/etcddb/query.h"
#include "shared/etcddb/status.h"
#include "tests/unit/bbolt/test_util.h"

namespace etcdrestore::etcddb {
namespace {

using bbolt::Editor;
using bbolt::KeyValues;
using bbolt_test::Fixture;
using bbolt_test::TempDir;

KeyValues Bucket(const std::string& path, std::string_view name) {
  auto e = Editor::Open(path);
  EXPECT_TRUE(e) << e.error().message();
  if (!e) return {};
  auto kv = (*e)->ReadSmallBucket(name);
  EXPECT_TRUE(kv) << kv.error().message();
  return kv ? *kv : KeyValues{};
}

class EtcdEditsTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("db");
    bbolt_test::CopyFile(Fixture("snap1.db"), path_);
    auto e = Editor::Open(path_);
    ASSERT_TRUE(e) << e.error().message();
    editor_ = std::move(*e);
  }
  void Commit() {
    auto st = editor_->Commit();
    ASSERT_TRUE(st) << st.error().message();
    auto r = bbolt::Reader::Open(path_);
    ASSERT_TRUE(r);
    auto n = bbolt::Check(**r, [](const std::string& p) { ADD_FAILURE() << p; });
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Editor> editor_;
};

TEST_F(EtcdEditsTest, ReadsConsistentIndexAndLatestRevisionOfFixture) {
  auto ci = ReadConsistentIndex(editor_->reader());
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->index, 15u);
  EXPECT_FALSE(ci->term.has_value());  // a 3.4 db has no meta/term
  auto rev = LatestRevision(editor_->reader());
  ASSERT_TRUE(rev);
  EXPECT_EQ(*rev, (Revision{11, 0}));
}

TEST_F(EtcdEditsTest, TrimMembershipEmptiesMemberBucketsKeepsCluster) {
  ASSERT_EQ(Bucket(path_, kMembersBucket).size(), 1u);
  ASSERT_TRUE(TrimMembership(*editor_));
  Commit();
  EXPECT_TRUE(Bucket(path_, kMembersBucket).empty());
  EXPECT_TRUE(Bucket(path_, kMembersRemovedBucket).empty());
  EXPECT_EQ(Bucket(path_, kClusterBucket), (KeyValues{{"clusterVersion", "3.4.0"}}));
}

TEST_F(EtcdEditsTest, AddMemberKeysByUnpaddedLowercaseHexId) {
  ASSERT_TRUE(TrimMembership(*editor_));
  const std::string json = R"({"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default"})";
  ASSERT_TRUE(AddMember(*editor_, 0x8e9e05c52164694dULL, json));
  ASSERT_TRUE(AddMember(*editor_, 0x0abcULL, "{}"));
  Commit();
  EXPECT_EQ(Bucket(path_, kMembersBucket), (KeyValues{{"8e9e05c52164694d", json}, {"abc", "{}"}}));
}

TEST_F(EtcdEditsTest, SetConsistentIndexWritesBigEndianIndexAndTerm) {
  ASSERT_TRUE(SetConsistentIndex(*editor_, 3, 1));
  Commit();
  auto meta = Bucket(path_, kMetaBucket);
  EXPECT_EQ(meta.at("consistent_index"), std::string("\0\0\0\0\0\0\0\x03", 8));
  EXPECT_EQ(meta.at("term"), std::string("\0\0\0\0\0\0\0\x01", 8));
  auto r = bbolt::Reader::Open(path_);
  ASSERT_TRUE(r);
  auto ci = ReadConsistentIndex(**r);
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->index, 3u);
  EXPECT_EQ(ci->term, 1u);
}

TEST_F(EtcdEditsTest, BumpRevisionAppendsEmptyKeyAndSchedulesCompaction) {
  auto next = BumpRevision(*editor_, 1000);
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(*next, (Revision{1011, 0}));
  Commit();
  EXPECT_EQ(Bucket(path_, kMetaBucket).at("scheduledCompactRev"), EncodeRevision({1011, 0}));
  auto r = bbolt::Reader::Open(path_);
  ASSERT_TRUE(r);
  auto key = (*r)->FindBucket(kKeyBucket);
  ASSERT_TRUE(key && *key);
  auto last = (*r)->Last(**key);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->first, EncodeRevision({1011, 0}));
  EXPECT_EQ((*last)->second, "");
  auto st = ComputeStatus(**r);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->revision, 1011);
  EXPECT_EQ(st->total_keys, 16);
}

TEST_F(EtcdEditsTest, BumpOfZeroIsRefused) {
  auto next = BumpRevision(*editor_, 0);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code(), ErrorCode::kInvalidArgument);
}

// Found by tests/fuzz/etcddb_fuzz: a last key of 2^63 or more decodes to a negative main
// revision, and the overflow check itself overflowed (UBSan: signed integer overflow).
TEST_F(EtcdEditsTest, BumpOverNegativeLatestRevisionIsCorruptionNotOverflow) {
  ASSERT_TRUE(editor_->AppendToBucket(kKeyBucket, EncodeRevision({-5, 0}), ""));
  Commit();
  auto e = Editor::Open(path_);
  ASSERT_TRUE(e) << e.error().message();
  auto next = BumpRevision(**e, 1000);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(next.error().message(), "etcddb: latest revision -5 in bucket key is negative");
}

// The same edits as the real etcdutl 3.5 restore (trim, add member, consistent index and
// term, bump + mark compacted) give a db whose status equals the real tool's.
TEST_F(EtcdEditsTest, SameStatusAsRealEtcdutlRestoreWithBump) {
  auto etcdutl = bbolt_test::RealBinary("etcdutl");
  if (!etcdutl) GTEST_SKIP() << "real etcdutl 3.5 not installed";
  const std::string out_dir = dir_.File("restored");
  std::string out, err;
  ASSERT_EQ(bbolt_test::Run(fmt::format("{} snapshot restore {} --data-dir {} --bump-revision 1000 --mark-compacted",
                                        *etcdutl, Fixture("snap1.db"), out_dir),
                            &out, &err),
            0)
      << err;
  const std::string theirs = out_dir + "/member/snap/db";
  auto members = Bucket(theirs, kMembersBucket);
  ASSERT_EQ(members.size(), 1u);
  auto ci = [&] {
    auto r = bbolt::Reader::Open(theirs);
    return ReadConsistentIndex(**r);
  }();
  ASSERT_TRUE(ci && ci->term);

  ASSERT_TRUE(TrimMembership(*editor_));
  ASSERT_TRUE(BumpRevision(*editor_, 1000));
  ASSERT_TRUE(AddMember(*editor_, std::stoull(members.begin()->first, nullptr, 16), members.begin()->second));
  ASSERT_TRUE(SetConsistentIndex(*editor_, ci->index, *ci->term));
  Commit();

  ASSERT_EQ(bbolt_test::Run(*etcdutl + " snapshot status -w json " + theirs, &out, &err), 0) << err;
  auto ours = ComputeStatus(path_);
  ASSERT_TRUE(ours) << ours.error().message();
  // bbolt reused free pages (20480 bytes); we append after the high water mark (+1 page).
  EXPECT_EQ(out, fmt::format("{{\"hash\":{},\"revision\":{},\"totalKey\":{},\"totalSize\":20480}}\n", ours->hash,
                             ours->revision, ours->total_keys));
  EXPECT_EQ(ours->total_size, 20480 + 4096);
  // And the real tool reads ours the same way.
  ASSERT_EQ(bbolt_test::Run(*etcdutl + " snapshot status -w json " + path_, &out, &err), 0) << err;
  EXPECT_NE(out.find(fmt::format("\"hash\":{},\"revision\":1011,", ours->hash)), std::string::npos) << out;
}

// etcd 3.4.23 boots on a restored data dir whose db got our bump: it resumes the
// scheduled compaction and serves the bumped revision.
TEST_F(EtcdEditsTest, RealEtcdBootsOnBumpedDb) {
  if (!bbolt_test::RealBinary("etcd") || !bbolt_test::RealBinary("etcdctl")) {
    GTEST_SKIP() << "real etcd/etcdctl 3.4 not installed";
  }
  const int peer = bbolt_test::FreePort();
  const std::string peer_url = fmt::format("http://127.0.0.1:{}", peer);
  const std::string data = dir_.File("data");
  std::string out, err;
  ASSERT_EQ(
      bbolt_test::Run(fmt::format("ETCDCTL_API=3 /usr/bin/etcdctl snapshot restore {} --data-dir {} --name default "
                                  "--initial-cluster default={} --initial-advertise-peer-urls {}",
                                  Fixture("snap1.db"), data, peer_url, peer_url),
                      &out, &err),
      0)
      << err;
  const std::string db = data + "/member/snap/db";
  {
    auto e = Editor::Open(db);
    ASSERT_TRUE(e);
    ASSERT_TRUE(BumpRevision(**e, 1000));
    ASSERT_TRUE((*e)->Commit());
  }
  bbolt_test::RealEtcd etcd(data, dir_.File("etcd.log"), peer);
  ASSERT_TRUE(etcd.ok()) << bbolt_test::ReadAll(dir_.File("etcd.log"));
  ASSERT_EQ(etcd.Ctl("put after bump", &out), 0) << out;
  ASSERT_EQ(etcd.Ctl("get after -w json", &out), 0) << out;
  EXPECT_NE(out.find("\"revision\":1012"), std::string::npos) << out;
  ASSERT_NE(etcd.Ctl("get foo --rev=5", &out), 0);
  EXPECT_NE(out.find("required revision has been compacted"), std::string::npos) << out;
}

}  // namespace
}  // namespace etcdrestore::etcddb
