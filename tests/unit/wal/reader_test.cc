#include "shared/wal/reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "shared/base/crc32c.h"

#include "shared/wal/encoder.h"
#include "tests/unit/common/etcd_reference.h"

namespace etcdrestore::wal {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The fixture is the head of the WAL the real etcdctl 3.4.23 wrote (docs §5.3).
TEST(WalReader, DecodesFixtureWithValidCrcs) {
  const std::string head = testing::ReadFileBytes(testing::FixturePath("restored-default.wal.head272"));
  ASSERT_EQ(head.size(), 272u);
  auto recs = DecodeSegment(Bytes(head));
  ASSERT_TRUE(recs) << recs.error().message();
  ASSERT_EQ(recs->size(), 6u);
  const int64_t want_types[] = {4, 1, 5, 2, 3, 5};
  const uint64_t want_offsets[] = {0, 16, 56, 80, 208, 248};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ((*recs)[i].type, want_types[i]) << i;
    EXPECT_EQ((*recs)[i].offset, want_offsets[i]) << i;
  }
  EXPECT_FALSE((*recs)[0].has_data);
  EXPECT_EQ((*recs)[5].crc, 0x6c383038u);
}

TEST(WalReader, StopsAtZeroLengthField) {
  std::string seg;
  Encoder enc;
  enc.AppendCrcRecord(&seg);
  enc.Append(RecordType::kMetadata, "m", &seg);
  seg.append(64, '\0');
  enc.Append(RecordType::kEntry, "after zeros", &seg);
  auto recs = DecodeSegment(Bytes(seg));
  ASSERT_TRUE(recs) << recs.error().message();
  EXPECT_EQ(recs->size(), 2u);
}

TEST(WalReader, CrcMismatchIsCorruption) {
  std::string head = testing::ReadFileBytes(testing::FixturePath("restored-default.wal.head272"));
  head[0x7a] ^= 0x01;  // a byte of the member JSON inside record 3 (offset 80)
  auto recs = DecodeSegment(Bytes(head));
  ASSERT_FALSE(recs);
  EXPECT_EQ(recs.error().code(), ErrorCode::kCorruption);
  // Record 3's data (ConfChange entry) sits at offset 98, 106 bytes; record 2 left the
  // running crc at 0xedb1dd94.
  char want[128];
  std::snprintf(want, sizeof want, "wal record 3 at offset 80: crc mismatch (stored 0xb2a4b742, computed 0x%08x)",
                crc32c::Extend(0xedb1dd94, head.substr(98, 106)));
  EXPECT_EQ(recs.error().message(), want);
}

TEST(WalReader, TruncatedRecordIsCorruption) {
  const std::string head = testing::ReadFileBytes(testing::FixturePath("restored-default.wal.head272"));
  auto recs = DecodeSegment(Bytes(head.substr(0, 100)));
  ASSERT_FALSE(recs);
  EXPECT_EQ(recs.error().message(),
            "wal record 3 at offset 80: unexpected end of data (record length 116, 12 bytes left)");
}

}  // namespace
}  // namespace etcdrestore::wal
