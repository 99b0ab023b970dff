// Edits of real etcd dbs, checked with the real tools: etcdctl 3.4 / etcdutl 3.5
// `snapshot status` accept the edited file, and etcd 3.4.23 starts on it, reads the
// appended keys and writes on top of it (bbolt rebuilds its freelist from our pages and
// panics on any structural problem there). Skipped when a binary is absent.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "shared/base/coding.h"
#include "shared/bbolt/check.h"
#include "shared/bbolt/editor.h"
#include "shared/bbolt/reader.h"
#include "tests/unit/bbolt/test_util.h"

namespace etcdrestore::bbolt {
namespace {

using bbolt_test::RealBinary;
using bbolt_test::RealEtcd;

using bbolt_test::TempDir;

void Varint(std::string* s, uint64_t v) {
  while (v >= 0x80) {
    s->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  s->push_back(static_cast<char>(v));
}

// mvccpb.KeyValue{key, create_revision, mod_revision, version 1, value}.
std::string KeyValueProto(const std::string& key, int64_t rev, const std::string& value) {
  std::string s;
  s.push_back(0x0a);
  Varint(&s, key.size());
  s += key;
  s.push_back(0x10);
  Varint(&s, static_cast<uint64_t>(rev));
  s.push_back(0x18);
  Varint(&s, static_cast<uint64_t>(rev));
  s.push_back(0x20);
  Varint(&s, 1);
  s.push_back(0x2a);
  Varint(&s, value.size());
  s += value;
  return s;
}

std::string RevKey(int64_t main) {
  std::string k(17, '\0');
  StoreBE64(reinterpret_cast<uint8_t*>(k.data()), static_cast<uint64_t>(main));
  k[8] = '_';
  return k;
}

uint64_t CheckProblems(const std::string& path) {
  auto r = Reader::Open(path);
  EXPECT_TRUE(r) << r.error().message();
  if (!r) return 1;
  auto n = Check(**r, [](const std::string& p) { ADD_FAILURE() << p; });
  EXPECT_TRUE(n);
  return n ? *n : 1;
}

// One real snapshot of 20000 keys for the whole suite.
class BboltRealEtcdTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!RealBinary("etcd") || !RealBinary("etcdctl")) return;
    dir_ = new TempDir();
    RealEtcd etcd(dir_->File("src"), dir_->File("src.log"));
    if (!etcd.ok()) return;
    if (!etcd.PutMany("k/", 20000, 100)) return;
    if (etcd.Ctl("snapshot save " + dir_->File("snap.db")) != 0) return;
    snapshot_ = dir_->File("snap.db");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!RealBinary("etcd") || !RealBinary("etcdctl")) GTEST_SKIP() << "real etcd/etcdctl 3.4 not installed";
    ASSERT_FALSE(snapshot_.empty()) << "could not make a real snapshot; see " << dir_->File("src.log");
  }

  static TempDir* dir_;
  static std::string snapshot_;
};
TempDir* BboltRealEtcdTest::dir_ = nullptr;
std::string BboltRealEtcdTest::snapshot_;

TEST_F(BboltRealEtcdTest, RealSnapshotPassesCheck) { EXPECT_EQ(CheckProblems(snapshot_), 0u); }

TEST_F(BboltRealEtcdTest, AppendedKeysAreServedByRealEtcdThatThenWritesOnTop) {
  TempDir t;
  const int peer = bbolt_test::FreePort();
  const std::string data = t.File("data");
  const std::string peer_url = fmt::format("http://127.0.0.1:{}", peer);
  std::string err;
  ASSERT_EQ(
      bbolt_test::Run(fmt::format("ETCDCTL_API=3 /usr/bin/etcdctl snapshot restore {} --data-dir {} --name default "
                                  "--initial-cluster default={} --initial-advertise-peer-urls {}",
                                  snapshot_, data, peer_url, peer_url),
                      nullptr, &err),
      0)
      << err;
  const std::string db = data + "/member/snap/db";

  int64_t latest = 0;
  uint64_t old_pgid = 0;
  {
    auto e = Editor::Open(db);
    ASSERT_TRUE(e) << e.error().message();
    old_pgid = (*e)->reader().meta().pgid;
    auto key = (*e)->reader().FindBucket("key");
    ASSERT_TRUE(key && *key);
    ASSERT_NE((*key)->root, 0u);
    ASSERT_FALSE((*(*e)->reader().ReadNode((*key)->root)).leaf) << "want a multi-level key bucket";
    auto last = (*e)->reader().Last(**key);
    ASSERT_TRUE(last && *last);
    latest = static_cast<int64_t>(LoadBE64(reinterpret_cast<const uint8_t*>((*last)->first.data())));
    // 3000 keys of ~150 bytes: ~110 new leaves, the rightmost branch splits.
    for (int i = 0; i < 3000; ++i) {
      const int64_t rev = latest + 1 + i;
      ASSERT_TRUE((*e)->AppendToBucket("key", RevKey(rev),
                                       KeyValueProto(fmt::format("appended/{:05d}", i), rev, std::string(100, 'a'))));
    }
    ASSERT_TRUE((*e)->Commit());
    EXPECT_GT((*e)->committed_meta().pgid, old_pgid);
  }
  EXPECT_EQ(CheckProblems(db), 0u);

  std::string out;
  ASSERT_EQ(bbolt_test::Run("ETCDCTL_API=3 /usr/bin/etcdctl snapshot status -w json " + db, &out, &err), 0) << err;
  EXPECT_NE(out.find(fmt::format("\"revision\":{},", latest + 3000)), std::string::npos) << out;
  if (auto etcdutl = RealBinary("etcdutl")) {
    ASSERT_EQ(bbolt_test::Run(*etcdutl + " snapshot status -w json " + db, &out, &err), 0) << err;
    EXPECT_NE(out.find(fmt::format("\"revision\":{},", latest + 3000)), std::string::npos) << out;
  }

  {
    RealEtcd etcd(data, t.File("etcd.log"), peer);
    ASSERT_TRUE(etcd.ok()) << "etcd did not start on the edited db; log: " << bbolt_test::ReadAll(t.File("etcd.log"));
    ASSERT_EQ(etcd.Ctl("get appended/ --prefix --keys-only -w json", &out), 0) << out;
    EXPECT_NE(out.find("\"count\":3000"), std::string::npos) << out;
    EXPECT_NE(out.find(fmt::format("\"revision\":{}", latest + 3000)), std::string::npos) << out;
    ASSERT_EQ(etcd.Ctl("get appended/02999 --print-value-only", &out), 0);
    EXPECT_EQ(out, std::string(100, 'a') + "\n");
    ASSERT_TRUE(etcd.PutMany("after/", 500, 50));
    ASSERT_EQ(etcd.Ctl("get after/00000499 --print-value-only", &out), 0);
    EXPECT_EQ(out, std::string(50, 'v') + "\n");
  }
  // What bbolt wrote on top of our pages is still sound.
  EXPECT_EQ(CheckProblems(db), 0u);
  ASSERT_EQ(bbolt_test::Run("ETCDCTL_API=3 /usr/bin/etcdctl snapshot status -w json " + db, &out, &err), 0) << err;
  EXPECT_NE(out.find(fmt::format("\"revision\":{},", latest + 3000 + 5)), std::string::npos) << out;
}

}  // namespace
}  // namespace etcdrestore::bbolt
