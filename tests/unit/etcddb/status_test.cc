#include "shared/etcddb/status.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "shared/base/coding.h"
#include "shared/bbolt/editor.h"
#include "shared/etcddb/schema.h"
#include "tests/unit/bbolt/test_util.h"

namespace etcdrestore::etcddb {
namespace {

using bbolt_test::Fixture;
using bbolt_test::TempDir;

// Values printed by the real etcdctl 3.4.23 (shared/docs/etcd-formats.md §8.4).
TEST(EtcdStatus, MatchesEtcdctlOnSnapshotFixture) {
  auto st = ComputeStatus(Fixture("snap1.db"));
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->hash, 0x11de1f8bu);
  EXPECT_EQ(st->hash, 299769739u);
  EXPECT_EQ(st->revision, 11);
  EXPECT_EQ(st->total_keys, 14);
  EXPECT_EQ(st->total_size, 20480);
}

TEST(EtcdStatus, MatchesEtcdctlOnRestoredDbFixture) {
  auto st = ComputeStatus(Fixture("restored-default.db"));
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->hash, 0xbda6a0acu);
  EXPECT_EQ(st->revision, 11);
  EXPECT_EQ(st->total_keys, 14);
  EXPECT_EQ(st->total_size, 20480);
}

// A snapshot of etcd 3.6 holds meta/storageVersion ("3.6.0"): status reports it, as etcdutl
// 3.6's snapshot.Status.Version; a value go-semver cannot parse is no version (etcd's
// ReadStorageVersionFromSnapshot returns nil).
TEST(EtcdStatus, ReportsStorageVersionWhereTheDbHasOne) {
  for (const auto& [value, want] : std::vector<std::pair<std::string, std::string>>{
           {"3.6.0", "3.6.0"}, {"3.7.1-alpha.0", "3.7.1-alpha.0"}, {"", ""}, {"3.6", ""}, {"x.y.z", ""}}) {
    TempDir d;
    const std::string path = d.File("v36.db");
    bbolt_test::WriteAll(path, bbolt_test::ReadAll(Fixture("snap1.db")));
    {
      auto e = bbolt::Editor::Open(path);
      ASSERT_TRUE(e) << e.error().message();
      auto meta = (*e)->ReadSmallBucket(kMetaBucket);
      ASSERT_TRUE(meta) << meta.error().message();
      (*meta)[std::string(kStorageVersionKey)] = value;
      ASSERT_TRUE((*e)->SetBucket(kMetaBucket, *meta));
      ASSERT_TRUE((*e)->Commit());
    }
    auto st = ComputeStatus(path);
    ASSERT_TRUE(st) << st.error().message();
    EXPECT_EQ(st->storage_version, want) << "value " << value;
    EXPECT_EQ(st->revision, 11);
    EXPECT_EQ(st->total_keys, 15);  // the 14 of snap1 + meta/storageVersion
  }
  auto plain = ComputeStatus(Fixture("snap1.db"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->storage_version, "");  // 3.4/3.5 snapshots: none
}

TEST(EtcdStatus, IntegrityFailureListsEveryProblem) {
  TempDir d;
  std::string bytes = bbolt_test::ReadAll(Fixture("snap1.db"));
  auto r = bbolt::Reader::Open(Fixture("snap1.db"));
  ASSERT_TRUE(r);
  const uint64_t root = (*r)->meta().root;
  StoreLE16(reinterpret_cast<uint8_t*>(bytes.data()) + root * 4096 + 8, 0x20);  // root page: bad type
  bbolt_test::WriteAll(d.File("bad.db"), bytes);
  auto st = ComputeStatus(d.File("bad.db"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(
      st.error().message(),
      fmt::format("snapshot file integrity check failed. 1 errors found.\npage {}: invalid type: unknown<20>", root));
}

TEST(EtcdStatus, NotBboltIsInvalidDatabase) {
  TempDir d;
  bbolt_test::WriteAll(d.File("garbage.db"), "hello\n");
  auto st = ComputeStatus(d.File("garbage.db"));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("invalid database"), std::string::npos) << st.error().message();
}

// Our status against the real etcdctl 3.4 (and etcdutl 3.5) on a real snapshot with
// 20000 keys, overwrites, deletes (tombstones) and leases.
TEST(EtcdStatus, MatchesRealEtcdctlOnBigSnapshot) {
  if (!bbolt_test::RealBinary("etcd") || !bbolt_test::RealBinary("etcdctl")) {
    GTEST_SKIP() << "real etcd/etcdctl 3.4 not installed";
  }
  TempDir d;
  std::string snap = d.File("snap.db");
  {
    bbolt_test::RealEtcd etcd(d.File("data"), d.File("etcd.log"));
    ASSERT_TRUE(etcd.ok()) << bbolt_test::ReadAll(d.File("etcd.log"));
    ASSERT_TRUE(etcd.PutMany("a/", 20000, 200));
    ASSERT_TRUE(etcd.PutMany("a/", 1000, 10));  // overwrites
    std::string out;
    ASSERT_EQ(etcd.Ctl("del a/0000001 --prefix", &out), 0) << out;  // 10 tombstones in one revision
    ASSERT_EQ(etcd.Ctl("lease grant 600", &out), 0) << out;
    ASSERT_EQ(etcd.Ctl("snapshot save " + snap, &out), 0) << out;
  }
  auto ours = ComputeStatus(snap);
  ASSERT_TRUE(ours) << ours.error().message();
  std::string out, err;
  ASSERT_EQ(bbolt_test::Run("ETCDCTL_API=3 /usr/bin/etcdctl snapshot status -w json " + snap, &out, &err), 0) << err;
  EXPECT_EQ(out, fmt::format("{{\"hash\":{},\"revision\":{},\"totalKey\":{},\"totalSize\":{}}}\n", ours->hash,
                             ours->revision, ours->total_keys, ours->total_size));
  EXPECT_GT(ours->total_keys, 21000);
  if (auto etcdutl = bbolt_test::RealBinary("etcdutl")) {
    ASSERT_EQ(bbolt_test::Run(*etcdutl + " snapshot status -w json " + snap, &out, &err), 0) << err;
    EXPECT_EQ(out, fmt::format("{{\"hash\":{},\"revision\":{},\"totalKey\":{},\"totalSize\":{}}}\n", ours->hash,
                               ours->revision, ours->total_keys, ours->total_size));
  }
}

}  // namespace
}  // namespace etcdrestore::etcddb
