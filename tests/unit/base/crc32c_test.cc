#include "shared/base/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace etcdrestore::crc32c {
namespace {

// Check values from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" vector.
TEST(Crc32c, StandardVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Value(""), 0u);
}

TEST(Crc32c, ExtendEqualsWholeValue) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s.push_back(static_cast<char>(i * 7));
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    uint32_t c = Extend(0, s.substr(0, cut));
    c = Extend(c, s.substr(cut));
    EXPECT_EQ(c, Value(s)) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace etcdrestore::crc32c
