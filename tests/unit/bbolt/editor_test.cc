#include "shared/bbolt/editor.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/bbolt/check.h"
#include "shared/bbolt/reader.h"
#include "tests/unit/bbolt/test_util.h"

namespace etcdrestore::bbolt {
namespace {

using bbolt_test::Fixture;
using bbolt_test::ReadAll;
using bbolt_test::TempDir;

KeyValues ReadBucket(const std::string& path, const std::string& name) {
  KeyValues kv;
  auto r = Reader::Open(path);
  EXPECT_TRUE(r) << r.error().message();
  if (!r) return kv;
  auto b = (*r)->FindBucket(name);
  EXPECT_TRUE(b && *b) << name;
  if (!b || !*b) return kv;
  EXPECT_TRUE((*r)->ForEach(**b, [&](const Entry& e) -> Status {
    kv.emplace(std::string(e.key), std::string(e.value));
    return {};
  }));
  return kv;
}

uint64_t Problems(const std::string& path, std::vector<std::string>* out = nullptr) {
  auto r = Reader::Open(path);
  EXPECT_TRUE(r) << r.error().message();
  if (!r) return 1;
  auto n = Check(**r, [&](const std::string& p) {
    if (out) out->push_back(p);
    ADD_FAILURE() << p;
  });
  EXPECT_TRUE(n);
  return n ? *n : 1;
}

Status SetAndCommit(const std::string& path, const std::string& name, const KeyValues& kv) {
  ASSIGN_OR_RETURN(auto e, Editor::Open(path));
  RETURN_IF_ERROR(e->SetBucket(name, kv));
  return e->Commit();
}

// A new db at `path` with bucket "big": 200 keys of 60-byte values, a branch over leaves.
// Returns its content (empty if it could not be written).
KeyValues WriteBigBucket(const std::string& path) {
  bbolt_test::WriteEmptyDb(path);
  KeyValues kv;
  for (int i = 0; i < 200; ++i) kv[fmt::format("k{:08d}", i)] = std::string(60, 'a');
  if (!SetAndCommit(path, "big", kv)) return {};
  return kv;
}

TEST(BboltEditor, SmallBucketIsWrittenInline) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path);
  KeyValues kv{{"a", "1"}, {"b", "2"}};
  ASSERT_TRUE(SetAndCommit(path, "small", kv));
  auto r = Reader::Open(path);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->meta().txid, 2u);
  EXPECT_EQ((*r)->meta_page(), 0);  // txid 1 was on page 1
  EXPECT_EQ((*r)->meta().pgid, 5u);  // one new page: the root leaf
  auto b = (*r)->FindBucket("small");
  ASSERT_TRUE(b && *b);
  EXPECT_EQ((*b)->root, 0u);
  EXPECT_EQ(ReadBucket(path, "small"), kv);
  EXPECT_EQ(Problems(path), 0u);
}

TEST(BboltEditor, BucketAboveQuarterPageIsWrittenAsPages) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path);
  // 16 + 16 + 3 + 990 = 1025 > 4096 / 4: not inline.
  KeyValues kv{{"big", std::string(990, 'x')}};
  ASSERT_TRUE(SetAndCommit(path, "b", kv));
  auto r = Reader::Open(path);
  ASSERT_TRUE(r);
  EXPECT_NE((**(*r)->FindBucket("b")).root, 0u);
  EXPECT_EQ(ReadBucket(path, "b"), kv);
  // One byte less fits exactly: inline.
  ASSERT_TRUE(SetAndCommit(path, "b", KeyValues{{"big", std::string(989, 'x')}}));
  auto r2 = Reader::Open(path);
  ASSERT_TRUE(r2);
  EXPECT_EQ((**(*r2)->FindBucket("b")).root, 0u);
  EXPECT_EQ(Problems(path), 0u);
}

TEST(BboltEditor, CommitWritesOnlyAfterHighWaterAndTheOtherMeta) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::CopyFile(Fixture("snap1.db"), path);
  const std::string before = ReadAll(path);
  {
    auto e = Editor::Open(path);
    ASSERT_TRUE(e);
    ASSERT_TRUE((*e)->SetBucket("members", {}));
    ASSERT_TRUE((*e)->Commit());
    EXPECT_EQ((*e)->committed_meta().txid, 11u);
  }
  const std::string after = ReadAll(path);
  // Page 0 (the meta in use, txid 10) and pages 2..4 are untouched; page 1 is the new meta.
  EXPECT_EQ(after.substr(0, 4096), before.substr(0, 4096));
  EXPECT_EQ(after.substr(2 * 4096, 3 * 4096), before.substr(2 * 4096, 3 * 4096));
  EXPECT_NE(after.substr(4096, 4096), before.substr(4096, 4096));
  auto r = Reader::Open(path);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->meta_page(), 1);
  EXPECT_EQ((*r)->meta().txid, 11u);
  EXPECT_EQ((*r)->meta().pgid, 6u);  // the new root leaf at page 5 (over the old trailer)
  EXPECT_EQ((*r)->meta().freelist, kPgidNoFreelist);
  EXPECT_TRUE(ReadBucket(path, "members").empty());
  EXPECT_EQ(ReadBucket(path, "cluster"), (KeyValues{{"clusterVersion", "3.4.0"}}));
  EXPECT_EQ(Problems(path), 0u);
}

TEST(BboltEditor, SourceWithFreelistPageGetsNoFreelistMeta) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path, 4096, /*no_freelist=*/false);
  EXPECT_EQ(Problems(path), 0u);
  ASSERT_TRUE(SetAndCommit(path, "x", {{"k", "v"}}));
  auto r = Reader::Open(path);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->meta().freelist, kPgidNoFreelist);
  EXPECT_EQ(Problems(path), 0u);
}

TEST(BboltEditor, AppendAcrossLeafAndRootSplits) {
  TempDir d;
  const std::string path = d.File("db");
  KeyValues kv = WriteBigBucket(path);
  ASSERT_EQ(kv.size(), 200u);
  // Append in several transactions: 20000 small keys (the root splits: 3 levels), one
  // value larger than a page (overflow leaf), and keys after it.
  int next = 200;
  for (int round = 0; round < 3; ++round) {
    auto e = Editor::Open(path);
    ASSERT_TRUE(e);
    for (int i = 0; i < 7000; ++i, ++next) {
      std::string k = fmt::format("k{:08d}", next), v = fmt::format("value-{}", next);
      if (next == 9000) v = std::string(3 * 4096 + 5, 'o');
      ASSERT_TRUE((*e)->AppendToBucket("big", k, v));
      kv[k] = v;
    }
    ASSERT_TRUE((*e)->Commit());
    EXPECT_EQ(Problems(path), 0u) << "after round " << round;
  }
  EXPECT_EQ(ReadBucket(path, "big"), kv);
  auto r = Reader::Open(path);
  ASSERT_TRUE(r);
  auto b = (*r)->FindBucket("big");
  ASSERT_TRUE(b && *b);
  NodeCopy root = *(*r)->ReadNode((*b)->root);
  ASSERT_FALSE(root.leaf);
  NodeCopy child = *(*r)->ReadNode(root.inodes.back().pgid);
  EXPECT_FALSE(child.leaf) << "the tree grew to three levels";
  auto last = (*r)->Last(**b);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->first, kv.rbegin()->first);
}

TEST(BboltEditor, AppendRejectsKeyNotAfterLast) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::CopyFile(Fixture("snap1.db"), path);
  auto e = Editor::Open(path);
  ASSERT_TRUE(e);
  auto st = (*e)->AppendToBucket("key", std::string(17, '\0'), "v");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kInvalidArgument);
  auto missing = (*e)->AppendToBucket("nope", "a", "b");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

// Found by tests/fuzz/etcddb_fuzz: a damaged file whose rightmost leaf is empty (bbolt never
// leaves one under a branch) still checks clean, as no key is out of order, and its branch key
// is above the bucket's last key. An append between the two would put a key below its branch
// key: refused as corruption, the file untouched.
TEST(BboltEditor, AppendRefusesAnEmptyRightmostLeafBelowItsBranchKey) {
  TempDir d;
  const std::string path = d.File("db");
  ASSERT_EQ(WriteBigBucket(path).size(), 200u);
  Pgid last_leaf = 0;
  std::string branch_key;
  {
    auto r = Reader::Open(path);
    ASSERT_TRUE(r);
    auto b = (*r)->FindBucket("big");
    ASSERT_TRUE(b && *b);
    NodeCopy root = *(*r)->ReadNode((*b)->root);
    ASSERT_FALSE(root.leaf);
    ASSERT_GE(root.inodes.size(), 2u);
    last_leaf = root.inodes.back().pgid;
    branch_key = root.inodes.back().key;
  }
  std::string bytes = ReadAll(path);
  bytes[last_leaf * 4096 + 10] = 0;  // the page header's count (u16 at offset 10)
  bytes[last_leaf * 4096 + 11] = 0;
  bbolt_test::WriteAll(path, bytes);
  EXPECT_EQ(Problems(path), 0u);

  auto e = Editor::Open(path);
  ASSERT_TRUE(e);
  // Above the bucket's last key (the previous leaf's), below the empty leaf's branch key.
  std::string key;
  {
    auto r = Reader::Open(path);
    ASSERT_TRUE(r);
    auto last = (*r)->Last(**(*r)->FindBucket("big"));
    ASSERT_TRUE(last && *last);
    key = (*last)->first + "x";
  }
  ASSERT_LT(key, branch_key);
  auto appended = (*e)->AppendToBucket("big", key, "v");
  ASSERT_TRUE(appended) << appended.error().message();
  auto st = (*e)->Commit();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(st.error().message().find("its last key is above the appended key"), std::string::npos)
      << st.error().message();
  EXPECT_EQ(ReadAll(path), bytes);
}

TEST(BboltEditor, AppendToInlineBucketRewritesIt) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::CopyFile(Fixture("snap1.db"), path);
  auto e = Editor::Open(path);
  ASSERT_TRUE(e);
  ASSERT_TRUE((*e)->AppendToBucket("cluster", "zz", "1"));
  auto kv = (*e)->ReadSmallBucket("cluster");
  ASSERT_TRUE(kv);
  EXPECT_EQ(*kv, (KeyValues{{"clusterVersion", "3.4.0"}, {"zz", "1"}}));
  ASSERT_TRUE((*e)->Commit());
  EXPECT_EQ(ReadBucket(path, "cluster"), (KeyValues{{"clusterVersion", "3.4.0"}, {"zz", "1"}}));
  EXPECT_EQ(Problems(path), 0u);
}

TEST(BboltEditor, ReadSmallBucketRefusesBigBucket) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path);
  KeyValues kv;
  for (int i = 0; i < 17; ++i) kv[fmt::format("{:02d}", i)] = std::string(1 << 20, 'z');
  ASSERT_TRUE(SetAndCommit(path, "huge", kv));
  EXPECT_EQ(Problems(path), 0u);
  auto e = Editor::Open(path);
  ASSERT_TRUE(e);
  auto r = (*e)->ReadSmallBucket("huge");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*e)->ReadSmallBucket("absent").error().code(), ErrorCode::kNotFound);
}

TEST(BboltEditor, UseAfterCommitIsRefused) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path);
  auto e = Editor::Open(path);
  ASSERT_TRUE(e);
  ASSERT_TRUE((*e)->Commit());
  EXPECT_EQ((*e)->SetBucket("x", {}).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*e)->Commit().error().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace etcdrestore::bbolt

namespace etcdrestore::bbolt {
namespace {

// Found by tests/fuzz/etcddb_fuzz (crashes/bbolt/etcddb-editor-high-water-*): the meta that
// is not selected is valid but names a high water mark far beyond the file. The editor
// appended there: a sparse file of terabytes, or an offset that wrapped. Now it appends at
// the end of the file, and the result is small and checks clean.
TEST(BboltEditor, OtherMetaClaimingPagesBeyondTheFileIsNotAppendedTo) {
  for (uint64_t claimed : {uint64_t{1} << 40, ~uint64_t{0} / 4096}) {
    TempDir d;
    const std::string path = d.File("db");
    bbolt_test::WriteEmptyDb(path);  // meta 1 (txid 1) is selected
    std::string bytes = ReadAll(path);
    uint8_t* meta0 = reinterpret_cast<uint8_t*>(bytes.data()) + kPageHeaderSize;
    Meta m = DecodeMeta(meta0);
    m.pgid = claimed;
    EncodeMeta(m, meta0);
    bbolt_test::WriteAll(path, bytes);
    {
      auto r = Reader::Open(path);
      ASSERT_TRUE(r) << r.error().message();
      EXPECT_EQ((*r)->meta_page(), 1);
      EXPECT_EQ((*r)->HighWater(), 4u);  // the file's 4 pages, not the claim
    }
    ASSERT_TRUE(SetAndCommit(path, "b", KeyValues{{std::string(3000, 'k'), std::string(3000, 'v')}}));
    EXPECT_LT(ReadAll(path).size(), 64u * 4096);
    EXPECT_EQ(Problems(path), 0u);
  }
}

}  // namespace
}  // namespace etcdrestore::bbolt
