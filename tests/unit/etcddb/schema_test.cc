#include "shared/etcddb/schema.h"

#include <gtest/gtest.h>

namespace etcdrestore::etcddb {
namespace {

TEST(EtcdSchema, RevisionKeyIsBigEndianMainUnderscoreSub) {
  std::string k = EncodeRevision({0x0102030405060708, 9});
  EXPECT_EQ(k, std::string("\x01\x02\x03\x04\x05\x06\x07\x08_\0\0\0\0\0\0\0\x09", 17));
  EXPECT_EQ(EncodeRevision({11, 0}, true), std::string("\0\0\0\0\0\0\0\x0b_\0\0\0\0\0\0\0\0t", 18));
}

TEST(EtcdSchema, DecodeRevisionIgnoresTombstoneMark) {
  auto r = DecodeRevision(EncodeRevision({5, 3}, true));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (Revision{5, 3}));
}

TEST(EtcdSchema, DecodeRevisionRejectsBadKeys) {
  EXPECT_FALSE(DecodeRevision("short"));
  std::string k = EncodeRevision({1, 2});
  k[8] = '-';
  auto r = DecodeRevision(k);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  EXPECT_FALSE(DecodeRevision(EncodeRevision({1, 2}) + "x"));
}

TEST(EtcdSchema, U64ValueMustBeEightBytes) {
  auto v = DecodeU64Value("consistent_index", std::string("\0\0\0\0\0\0\0\x0f", 8));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 15u);
  auto bad = DecodeU64Value("term", "abc");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "etcddb: meta/term is 3 bytes (want 8, big-endian)");
}

}  // namespace
}  // namespace etcdrestore::etcddb
