#include "shared/bbolt/reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "shared/base/coding.h"
#include "shared/bbolt/check.h"
#include "shared/bbolt/editor.h"
#include "shared/bbolt/format.h"
#include "tests/unit/bbolt/test_util.h"

namespace etcdrestore::bbolt {
namespace {

using bbolt_test::Fixture;
using bbolt_test::ReadAll;
using bbolt_test::TempDir;
using bbolt_test::WriteAll;

std::vector<std::string> BucketNames(Reader& r) {
  std::vector<std::string> names;
  auto st = r.ForEachBucket([&](std::string_view name, const BucketRef&) -> Status {
    names.emplace_back(name);
    return {};
  });
  EXPECT_TRUE(st) << st.error().message();
  return names;
}

TEST(BboltReader, OpensSnapshotWithTrailerAndPicksHigherTxidMeta) {
  auto r = Reader::Open(Fixture("snap1.db"));
  ASSERT_TRUE(r) << r.error().message();
  const Meta& m = (*r)->meta();
  EXPECT_EQ(m.page_size, 4096u);
  EXPECT_EQ(m.pgid, 5u);
  EXPECT_EQ(m.txid, 10u);  // meta page 0 holds txid 10 (see FORMAT.md worked example)
  EXPECT_EQ((*r)->meta_page(), 0);
  EXPECT_EQ(m.freelist, kPgidNoFreelist);
  EXPECT_EQ((*r)->Size(), 20480u);
  EXPECT_EQ((*r)->file_size(), 20512u);
}

TEST(BboltReader, ListsEtcdBucketsInKeyOrder) {
  auto r = Reader::Open(Fixture("snap1.db"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(BucketNames(**r), (std::vector<std::string>{"alarm", "auth", "authRoles", "authUsers", "cluster", "key",
                                                         "lease", "members", "members_removed", "meta"}));
}

TEST(BboltReader, StreamsInlineBucketContent) {
  auto r = Reader::Open(Fixture("snap1.db"));
  ASSERT_TRUE(r);
  auto cluster = (*r)->FindBucket("cluster");
  ASSERT_TRUE(cluster && *cluster);
  EXPECT_EQ((*cluster)->root, 0u);  // inline
  std::vector<std::pair<std::string, std::string>> kv;
  ASSERT_TRUE((*r)->ForEach(**cluster, [&](const Entry& e) -> Status {
    kv.emplace_back(e.key, e.value);
    return {};
  }));
  ASSERT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv[0].first, "clusterVersion");
  EXPECT_EQ(kv[0].second, "3.4.0");
  auto ci = (*r)->Get(**(*r)->FindBucket("meta"), "consistent_index");
  ASSERT_TRUE(ci && *ci);
  EXPECT_EQ(LoadBE64(reinterpret_cast<const uint8_t*>((*ci)->data())), 15u);
}

TEST(BboltReader, KeyBucketInOrderAndLastMatchesForEach) {
  auto r = Reader::Open(Fixture("snap1.db"));
  ASSERT_TRUE(r);
  auto key = (*r)->FindBucket("key");
  ASSERT_TRUE(key && *key);
  std::string prev, last;
  int n = 0;
  ASSERT_TRUE((*r)->ForEach(**key, [&](const Entry& e) -> Status {
    EXPECT_LT(prev, std::string(e.key));
    prev = last = std::string(e.key);
    ++n;
    return {};
  }));
  EXPECT_EQ(n, 10);
  auto l = (*r)->Last(**key);
  ASSERT_TRUE(l && *l);
  EXPECT_EQ((*l)->first, last);
  EXPECT_EQ(LoadBE64(reinterpret_cast<const uint8_t*>(last.data())), 11u);
}

TEST(BboltReader, EmptyFileIsInvalidDatabase) {
  TempDir d;
  WriteAll(d.File("empty.db"), "");
  auto r = Reader::Open(d.File("empty.db"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.error().message().find("invalid database"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("file has 0 bytes"), std::string::npos) << r.error().message();
}

TEST(BboltReader, GarbageIsInvalidDatabase) {
  TempDir d;
  WriteAll(d.File("garbage.db"), std::string(8192, 'x'));
  auto r = Reader::Open(d.File("garbage.db"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "bbolt: \"" + d.File("garbage.db") +
                                     "\": invalid database (meta page 0: bad magic 0x78787878 (want 0xed0cdaed); no "
                                     "valid meta page 1 either)");
}

TEST(BboltReader, TruncatedFileNamesPagesAndBytes) {
  TempDir d;
  WriteAll(d.File("trunc.db"), ReadAll(Fixture("snap1.db")).substr(0, 10000));
  auto r = Reader::Open(d.File("trunc.db"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.error().message().find("says the file has 5 pages of 4096 bytes, but the file has 10000 bytes"),
            std::string::npos)
      << r.error().message();
}

TEST(BboltReader, FallsBackToOtherMetaOnChecksumMismatch) {
  TempDir d;
  std::string bytes = ReadAll(Fixture("snap1.db"));
  bytes[16 + 48] ^= 1;  // meta page 0's txid: checksum no longer matches
  WriteAll(d.File("db"), bytes);
  auto r = Reader::Open(d.File("db"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)->meta_page(), 1);
  EXPECT_EQ((*r)->meta().txid, 9u);
}

TEST(BboltReader, RejectsBadMagicOnBothMetas) {
  TempDir d;
  std::string bytes = ReadAll(Fixture("snap1.db"));
  bytes[16] ^= 0xff;
  bytes[4096 + 16] ^= 0xff;
  WriteAll(d.File("db"), bytes);
  auto r = Reader::Open(d.File("db"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("invalid database (meta page 0: bad magic 0xed0cda12"), std::string::npos)
      << r.error().message();
}

TEST(BboltReader, PageWhoseIdFieldDiffersIsCorruption) {
  TempDir d;
  std::string bytes = ReadAll(Fixture("snap1.db"));
  auto r0 = Reader::Open(Fixture("snap1.db"));
  ASSERT_TRUE(r0);
  // Point the root page's id field somewhere else: the reader checks it.
  const Pgid root = (*r0)->meta().root;
  StoreLE64(reinterpret_cast<uint8_t*>(bytes.data()) + root * 4096, 7);
  WriteAll(d.File("db"), bytes);
  auto r = Reader::Open(d.File("db"));
  ASSERT_TRUE(r);
  auto st = (*r)->ForEachBucket([](std::string_view, const BucketRef&) -> Status { return {}; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "bbolt: page " + std::to_string(root) + ": header says page 7");
}

// Flips and truncates bytes of a real db: every outcome must be a clean result or a
// kCorruption error, never a crash (run under ASan/UBSan in CI's sanitizer job).
TEST(BboltReader, SurvivesFlippedAndTruncatedBytes) {
  TempDir d;
  const std::string orig = ReadAll(Fixture("snap1.db"));
  std::mt19937 rng(42);
  int errors = 0;
  const std::string path = d.File("fuzz.db");
  for (int iter = 0; iter < 600; ++iter) {
    std::string bytes = orig;
    if (iter % 5 == 0) {
      bytes.resize(rng() % orig.size());
    } else {
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i) {
        // Mostly hit the pages' headers and element tables, where damage matters.
        size_t page = rng() % 5, off = (rng() % 4 == 0) ? rng() % 4096 : rng() % 128;
        bytes[page * 4096 + off] = static_cast<char>(rng());
      }
    }
    WriteAll(path, bytes);
    auto r = Reader::Open(path);
    if (!r) {
      EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << r.error().message();
      ++errors;
      continue;
    }
    uint64_t entries = 0;
    auto st = (*r)->ForEachBucket([&](std::string_view, const BucketRef& b) -> Status {
      return (*r)->ForEach(b, [&](const Entry&) -> Status {
        ++entries;
        return {};
      });
    });
    auto problems = Check(**r, nullptr);
    ASSERT_TRUE(problems) << problems.error().message();
    if (!st) {
      EXPECT_EQ(st.error().code(), ErrorCode::kCorruption) << st.error().message();
      EXPECT_GT(*problems, 0u) << "the reader failed but the check found nothing: " << st.error().message();
      ++errors;
    }
    (void)(*r)->Last((*r)->Root());
  }
  EXPECT_GT(errors, 100);  // damage is seen, not silently read
}

TEST(BboltReader, ReadsLargeBucketWithFewSyscalls) {
  // 3000 keys over ~100 leaf pages under a branch page, written by our editor.
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path);
  KeyValues kv;
  for (int i = 0; i < 3000; ++i) kv[fmt::format("k{:06d}", i)] = std::string(100, 'a' + i % 26);
  {
    auto e = Editor::Open(path);
    ASSERT_TRUE(e) << e.error().message();
    ASSERT_TRUE((*e)->SetBucket("big", kv));
    ASSERT_TRUE((*e)->Commit());
  }
  auto r = Reader::Open(path);
  ASSERT_TRUE(r) << r.error().message();
  auto big = (*r)->FindBucket("big");
  ASSERT_TRUE(big && *big);
  std::vector<uint8_t> root;
  auto h = (*r)->ReadPage((*big)->root, &root);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->flags & kBranchPageFlag);
  const uint64_t calls_before = (*r)->read_calls();
  auto it = kv.begin();
  ASSERT_TRUE((*r)->ForEach(**big, [&](const Entry& e) -> Status {
    EXPECT_EQ(e.key, it->first);
    EXPECT_EQ(e.value, it->second);
    ++it;
    return {};
  }));
  EXPECT_EQ(it, kv.end());
  // ~90 leaf pages, read through a growing window (64 KiB, 128 KiB, ...).
  EXPECT_LE((*r)->read_calls() - calls_before, 6u);
}

TEST(BboltReader, BranchPointingBeyondHighWaterIsCorruption) {
  TempDir d;
  const std::string path = d.File("db");
  bbolt_test::WriteEmptyDb(path);
  KeyValues kv;
  for (int i = 0; i < 500; ++i) kv[fmt::format("k{:06d}", i)] = std::string(100, 'x');
  {
    auto e = Editor::Open(path);
    ASSERT_TRUE(e);
    ASSERT_TRUE((*e)->SetBucket("big", kv));
    ASSERT_TRUE((*e)->Commit());
  }
  Pgid branch = 0, high = 0;
  {
    auto r = Reader::Open(path);
    ASSERT_TRUE(r);
    branch = (*(*r)->FindBucket("big"))->root;
    high = (*r)->meta().pgid;
  }
  std::string bytes = ReadAll(path);
  // Second element's child pgid (element at 16 + 16, pgid at +8).
  StoreLE64(reinterpret_cast<uint8_t*>(bytes.data()) + branch * 4096 + 32 + 8, high + 2);
  WriteAll(path, bytes);
  auto r = Reader::Open(path);
  ASSERT_TRUE(r);
  auto big = (*r)->FindBucket("big");
  ASSERT_TRUE(big && *big);
  auto st = (*r)->ForEach(**big, [](const Entry&) -> Status { return {}; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(st.error().message(), fmt::format("bbolt: page {} of {}: beyond the high water mark (file has {} bytes, "
                                              "page size 4096)",
                                              high + 2, high, high * 4096));
}

}  // namespace
}  // namespace etcdrestore::bbolt
