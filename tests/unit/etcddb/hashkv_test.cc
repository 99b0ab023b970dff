#include "shared/etcddb/hashkv.h"

#include <gtest/gtest.h>

#include <string>

#include "shared/base/crc32c.h"
#include "shared/bbolt/editor.h"
#include "shared/bbolt/reader.h"
#include "shared/etcddb/schema.h"
#include "tests/unit/bbolt/test_util.h"

namespace etcdrestore::etcddb {
namespace {

using bbolt_test::Fixture;
using bbolt_test::TempDir;

// CRC-32C of "key" and every key and value of bucket `key` up to max_main (no compaction).
uint32_t Expected(const std::string& path, int64_t max_main) {
  auto r = bbolt::Reader::Open(path);
  EXPECT_TRUE(r);
  auto key = (*r)->FindBucket(kKeyBucket);
  EXPECT_TRUE(key && *key);
  uint32_t crc = crc32c::Value(kKeyBucket);
  EXPECT_TRUE((*r)->ForEach(**key, [&](const bbolt::Entry& e) -> Status {
    if (DecodeRevision(e.key)->main <= max_main)
      crc = crc32c::Extend(crc32c::Extend(crc, e.key), e.value);
    return {};
  }));
  return crc;
}

// snap1.db was never compacted: etcd's compactMainRev stays -1 and every revision up to the
// asked one is hashed.
TEST(HashKV, UncompactedSnapshot) {
  auto h = HashKV(Fixture("snap1.db"), 0);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->revision, 11);
  EXPECT_EQ(h->compact_revision, -1);
  EXPECT_EQ(h->hash, Expected(Fixture("snap1.db"), 11));
  auto h5 = HashKV(Fixture("snap1.db"), 5);
  ASSERT_TRUE(h5);
  EXPECT_EQ(h5->revision, 5);
  EXPECT_EQ(h5->hash, Expected(Fixture("snap1.db"), 5));
  EXPECT_NE(h5->hash, h->hash);
  auto future = HashKV(Fixture("snap1.db"), 12);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().message(), "mvcc: required revision is a future revision");
}

// A compaction recorded in meta (finished, or only scheduled: opening the store resumes it)
// sets the compact revision; revisions below it are refused.
TEST(HashKV, CompactedRevisionIsReportedAndRefused) {
  for (std::string_view which : {kFinishedCompactKey, kScheduledCompactKey}) {
    TempDir d;
    const std::string path = d.File("c.db");
    bbolt_test::WriteAll(path, bbolt_test::ReadAll(Fixture("snap1.db")));
    {
      auto e = bbolt::Editor::Open(path);
      ASSERT_TRUE(e);
      auto meta = (*e)->ReadSmallBucket(kMetaBucket);
      ASSERT_TRUE(meta);
      (*meta)[std::string(which)] = EncodeRevision({6, 0});
      ASSERT_TRUE((*e)->SetBucket(kMetaBucket, *meta));
      ASSERT_TRUE((*e)->Commit());
    }
    auto h = HashKV(path, 0);
    ASSERT_TRUE(h) << h.error().message();
    EXPECT_EQ(h->compact_revision, 6) << which;
    EXPECT_EQ(h->revision, 11);
    auto old = HashKV(path, 5);
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().message(), "mvcc: required revision has been compacted");
    EXPECT_TRUE(HashKV(path, 6));
  }
}

}  // namespace
}  // namespace etcdrestore::etcddb
