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

// Long inputs take the three-stream path (blocks of 8 KiB and 256 B joined by shift
// tables); every length and split must give the table-driven result.
TEST(Crc32c, ThreeStreamPathEqualsBytewise) {
  std::string s;
  uint32_t x = 12345;
  for (int i = 0; i < 3 * 8192 * 2 + 3 * 256 * 3 + 77; ++i) {
    x = x * 1103515245u + 12345u;
    s.push_back(static_cast<char>(x >> 24));
  }
  auto bytewise = [](uint32_t crc, std::string_view v) {  // one byte at a time: no stream path
    for (char ch : v) crc = Extend(crc, std::string_view(&ch, 1));
    return crc;
  };
  for (size_t len : {size_t{767}, size_t{768}, size_t{769}, size_t{24575}, size_t{24576}, size_t{24577}, s.size()}) {
    EXPECT_EQ(Value(s.substr(0, len)), bytewise(0, s.substr(0, len))) << "length " << len;
  }
  for (size_t cut : {size_t{1}, size_t{4096}, size_t{30000}}) {
    EXPECT_EQ(Extend(Value(s.substr(0, cut)), s.substr(cut)), bytewise(0, s)) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace etcdrestore::crc32c
