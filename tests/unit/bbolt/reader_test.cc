#include "shared/bbolt/reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
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

// Issue 10's crash: a snapshot whose leaves (one 4 KiB value each, so two pages) lie in
// random order over tens of MiB, as etcd leaves them after rewrites. The old block cache
// queued read-ahead blocks on every jump until none was left to evict (SIGSEGV), and could
// hand the block a caller was reading to the read-ahead thread. Built by hand: metas, the
// tx root leaf with bucket "b", leaves at shuffled page ids, branch pages after them.
class ScatteredDb {
 public:
  ScatteredDb(const std::string& path, int leaves, size_t value_size, uint32_t seed) {
    const uint64_t ps = 4096;
    const size_t leaf_bytes = kPageHeaderSize + kLeafElementSize + 10 + value_size;
    const uint64_t leaf_pages = (leaf_bytes + ps - 1) / ps;
    std::vector<uint64_t> slots(leaves);
    for (int i = 0; i < leaves; ++i) slots[i] = 3 + i * leaf_pages;
    std::mt19937 rng(seed);
    std::shuffle(slots.begin(), slots.end(), rng);
    Pgid next = 3 + leaves * leaf_pages;
    std::vector<std::pair<std::string, Pgid>> level;
    for (int i = 0; i < leaves; ++i) {
      std::string key = fmt::format("k{:09d}", i);
      std::string value(value_size, static_cast<char>('a' + i % 26));
      value.replace(0, key.size(), key);
      std::vector<uint8_t> page(leaf_pages * ps);
      EncodePageHeader({slots[i], kLeafPageFlag, 1, static_cast<uint32_t>(leaf_pages - 1)}, page.data());
      uint8_t* e = page.data() + kPageHeaderSize;
      StoreLE32(e, 0);
      StoreLE32(e + 4, kLeafElementSize);
      StoreLE32(e + 8, static_cast<uint32_t>(key.size()));
      StoreLE32(e + 12, static_cast<uint32_t>(value.size()));
      std::memcpy(e + kLeafElementSize, key.data(), key.size());
      std::memcpy(e + kLeafElementSize + key.size(), value.data(), value.size());
      pages_[slots[i]] = std::move(page);
      level.emplace_back(key, slots[i]);
      kv_.emplace_back(std::move(key), std::move(value));
    }
    while (level.size() > 1) {  // branch levels of up to 100 children
      std::vector<std::pair<std::string, Pgid>> up;
      for (size_t from = 0; from < level.size(); from += 100) {
        size_t n = std::min<size_t>(100, level.size() - from);
        std::vector<uint8_t> page(ps);
        EncodePageHeader({next, kBranchPageFlag, static_cast<uint16_t>(n), 0}, page.data());
        size_t data = kPageHeaderSize + n * kBranchElementSize;
        for (size_t i = 0; i < n; ++i) {
          uint8_t* e = page.data() + kPageHeaderSize + i * kBranchElementSize;
          const auto& [key, id] = level[from + i];
          StoreLE32(e, static_cast<uint32_t>(page.data() + data - e));
          StoreLE32(e + 4, static_cast<uint32_t>(key.size()));
          StoreLE64(e + 8, id);
          std::memcpy(page.data() + data, key.data(), key.size());
          data += key.size();
        }
        up.emplace_back(level[from].first, next);
        pages_[next++] = std::move(page);
      }
      level = std::move(up);
    }
    // Page 2: the tx root leaf holding bucket "b".
    std::vector<uint8_t> root(ps);
    EncodePageHeader({2, kLeafPageFlag, 1, 0}, root.data());
    uint8_t* e = root.data() + kPageHeaderSize;
    StoreLE32(e, kBucketLeafFlag);
    StoreLE32(e + 4, kLeafElementSize);
    StoreLE32(e + 8, 1);
    StoreLE32(e + 12, kBucketHeaderSize);
    e[kLeafElementSize] = 'b';
    StoreLE64(e + kLeafElementSize + 1, level[0].second);
    StoreLE64(e + kLeafElementSize + 9, 0);
    pages_[2] = std::move(root);
    std::string file(next * ps, '\0');
    for (int m = 0; m < 2; ++m) {
      uint8_t* p = reinterpret_cast<uint8_t*>(file.data()) + m * ps;
      EncodePageHeader({static_cast<Pgid>(m), kMetaPageFlag, 0, 0}, p);
      Meta meta;
      meta.magic = kMagic;
      meta.version = kVersion;
      meta.page_size = ps;
      meta.root = 2;
      meta.freelist = kPgidNoFreelist;
      meta.pgid = next;
      meta.txid = 10 + m;
      EncodeMeta(meta, p + kPageHeaderSize);
    }
    for (const auto& [id, page] : pages_) std::memcpy(file.data() + id * ps, page.data(), page.size());
    WriteAll(path, file);
  }
  const std::vector<std::pair<std::string, std::string>>& kv() const { return kv_; }

 private:
  std::map<Pgid, std::vector<uint8_t>> pages_;
  std::vector<std::pair<std::string, std::string>> kv_;
};

TEST(BboltReader, ScatteredFourKibLeavesReadInKeyOrderWithBoundedMemory) {
  TempDir d;
  const std::string path = d.File("db");
  ScatteredDb db(path, 12000, 4096, 7);  // ~100 MB, 3 levels
  for (int run = 0; run < 3; ++run) {    // the old reader failed on timing too
    auto r = Reader::Open(path);
    ASSERT_TRUE(r) << r.error().message();
    auto b = (*r)->FindBucket("b");
    ASSERT_TRUE(b && *b);
    size_t i = 0;
    std::vector<std::string> problems;
    auto n = Check(**r, [&](const std::string& p) { problems.push_back(p); },
                   [&](const Entry& e, int depth) -> Status {
                     if (depth != 1) return {};
                     EXPECT_LT(i, db.kv().size());
                     if (i < db.kv().size()) {
                       EXPECT_EQ(e.key, db.kv()[i].first);
                       EXPECT_TRUE(e.value == db.kv()[i].second) << "value of " << e.key;
                     }
                     ++i;
                     return {};
                   });
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_EQ(*n, 0u) << (problems.empty() ? "" : problems[0]);
    EXPECT_EQ(i, db.kv().size());
    // Every page once, plus a few re-reads while the overflow guess adapts: far from the
    // old 1 MiB per jump.
    EXPECT_LT((*r)->bytes_read(), (*r)->file_size() * 11 / 10);
  }
}

// Values around the page size: each leaf then holds one or two pages, and the value may
// end exactly at a page boundary.
TEST(BboltReader, ValuesAroundThePageSizeAreReadWhole) {
  for (size_t value_size : {4000u, 4050u, 4062u, 4063u, 4064u, 4096u, 8150u, 8192u, 12000u, 70000u}) {
    TempDir d;
    const std::string path = d.File("db");
    ScatteredDb db(path, 700, value_size, static_cast<uint32_t>(value_size));
    auto r = Reader::Open(path);
    ASSERT_TRUE(r) << r.error().message();
    auto b = (*r)->FindBucket("b");
    ASSERT_TRUE(b && *b);
    size_t i = 0;
    auto st = (*r)->ForEach(**b, [&](const Entry& e) -> Status {
      EXPECT_TRUE(i < db.kv().size() && e.key == db.kv()[i].first && e.value == db.kv()[i].second)
          << "value size " << value_size << ", entry " << i;
      ++i;
      return {};
    });
    ASSERT_TRUE(st) << st.error().message();
    EXPECT_EQ(i, db.kv().size());
    auto last = (*r)->Last(**b);
    ASSERT_TRUE(last && *last);
    EXPECT_EQ((*last)->first, db.kv().back().first);
    auto got = (*r)->Get(**b, db.kv()[123].first);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ(**got, db.kv()[123].second);
  }
}

}  // namespace
}  // namespace etcdrestore::bbolt
