#include "shared/bbolt/check.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/base/coding.h"
#include "shared/bbolt/editor.h"
#include "tests/unit/bbolt/test_util.h"

namespace etcdrestore::bbolt {
namespace {

using bbolt_test::Fixture;
using bbolt_test::ReadAll;
using bbolt_test::TempDir;
using bbolt_test::WriteAll;

std::vector<std::string> CheckFile(const std::string& path) {
  std::vector<std::string> problems;
  auto r = Reader::Open(path);
  EXPECT_TRUE(r) << r.error().message();
  if (!r) return {"open failed"};
  auto n = Check(**r, [&](const std::string& p) { problems.push_back(p); });
  EXPECT_TRUE(n);
  EXPECT_EQ(*n, problems.size());
  return problems;
}

TEST(BboltCheck, RealSnapshotsAreClean) {
  EXPECT_TRUE(CheckFile(Fixture("snap1.db")).empty());
  EXPECT_TRUE(CheckFile(Fixture("restored-default.db")).empty());
}

TEST(BboltCheck, ReportsPageReachedTwice) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path);
  {
    auto e = Editor::Open(path);
    ASSERT_TRUE(e);
    KeyValues kv;
    for (int i = 0; i < 300; ++i) kv[std::to_string(1000 + i)] = std::string(100, 'v');
    ASSERT_TRUE((*e)->SetBucket("b", kv));
    ASSERT_TRUE((*e)->Commit());
  }
  auto r = Reader::Open(path);
  ASSERT_TRUE(r);
  const Pgid branch = (*(*r)->FindBucket("b"))->root;
  std::string bytes = ReadAll(path);
  // Make the branch's second child pointer equal its first.
  auto* p = reinterpret_cast<uint8_t*>(bytes.data()) + branch * 4096;
  const Pgid first = LoadLE64(p + 16 + 8);
  StoreLE64(p + 32 + 8, first);
  WriteAll(path, bytes);
  auto problems = CheckFile(path);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0], "page " + std::to_string(first) + ": multiple references");
}

TEST(BboltCheck, ReportsKeysOutOfOrderAndInvalidType) {
  TempDir d;
  const std::string path = d.File("db");
  std::string bytes = ReadAll(Fixture("snap1.db"));
  auto r0 = Reader::Open(Fixture("snap1.db"));
  ASSERT_TRUE(r0);
  const Pgid root = (*r0)->meta().root;
  // The root leaf's first key "alarm" -> "zlarm": now after "auth".
  auto* p = reinterpret_cast<uint8_t*>(bytes.data()) + root * 4096;
  const uint32_t pos = LoadLE32(p + 16 + 4);
  ASSERT_EQ(bytes.substr(root * 4096 + 16 + pos, 5), "alarm");
  bytes[root * 4096 + 16 + pos] = 'z';
  WriteAll(path, bytes);
  auto problems = CheckFile(path);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "page " + std::to_string(root) + ": keys out of order at element 1 (61757468 after 7a6c61726d)");

  bytes = ReadAll(Fixture("snap1.db"));
  StoreLE16(reinterpret_cast<uint8_t*>(bytes.data()) + root * 4096 + 8, 0x20);
  WriteAll(path, bytes);
  problems = CheckFile(path);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "page " + std::to_string(root) + ": invalid type: unknown<20>");
}

TEST(BboltCheck, StoredFreelistIsCompared) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path, 4096, /*no_freelist=*/false);
  EXPECT_TRUE(CheckFile(path).empty());
  // List the root leaf (page 3) twice in the freelist: freed twice and reachable.
  std::string bytes = ReadAll(path);
  auto* p = reinterpret_cast<uint8_t*>(bytes.data()) + 2 * 4096;
  StoreLE16(p + 10, 2);
  StoreLE64(p + 16, 3);
  StoreLE64(p + 24, 3);
  WriteAll(path, bytes);
  auto problems = CheckFile(path);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "page 3: already freed");
  EXPECT_EQ(problems[1], "page 3: reachable freed");
}

}  // namespace
}  // namespace etcdrestore::bbolt
