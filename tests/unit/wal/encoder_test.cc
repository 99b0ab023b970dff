#include "shared/wal/encoder.h"

#include <gtest/gtest.h>

#include <string>

#include "shared/base/coding.h"
#include "shared/base/crc32c.h"
#include "shared/wal/format.h"

namespace etcdrestore::wal {
namespace {

std::string Hex(const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

TEST(WalFileName, IsZeroPaddedHex) {
  EXPECT_EQ(WalFileName(0, 0), "0000000000000000-0000000000000000.wal");
  EXPECT_EQ(WalFileName(1, 0xabc), "0000000000000001-0000000000000abc.wal");
}

// The first 16 bytes of every fixture WAL: a 4-byte crc record padded by 4.
TEST(WalEncoder, PadsRecordToEightBytes) {
  std::string out;
  Encoder enc;
  enc.AppendCrcRecord(&out);
  EXPECT_EQ(Hex(out), "0400000000000084" "0804100000000000");
}

// Record sizes 10..33 cover every padding 0..7 several times.
TEST(WalEncoder, LengthFieldCarriesPadding) {
  for (size_t n = 0; n < 24; ++n) {
    std::string out;
    Encoder e;
    e.Append(RecordType::kEntry, std::string(n, 'x'), &out);
    const uint64_t lf = LoadLE64(reinterpret_cast<const uint8_t*>(out.data()));
    const uint64_t len = lf & kLengthMask;
    const uint64_t pad = (8 - len % 8) % 8;
    ASSERT_EQ(out.size(), 8 + len + pad) << "n=" << n;
    EXPECT_EQ(lf >> 56, pad ? (0x80 | pad) : 0) << "n=" << n;
    EXPECT_EQ(out.substr(8 + len), std::string(pad, '\0')) << "n=" << n;
  }
}

TEST(WalEncoder, CrcRollsAcrossRecords) {
  std::string out;
  Encoder enc(0x12345678);
  enc.AppendCrcRecord(&out);
  EXPECT_EQ(enc.crc(), 0x12345678u);  // a crc record carries, not changes, the crc
  enc.Append(RecordType::kMetadata, "abc", &out);
  EXPECT_EQ(enc.crc(), crc32c::Extend(0x12345678, "abc"));
  enc.Append(RecordType::kEntry, "defg", &out);
  EXPECT_EQ(enc.crc(), crc32c::Extend(crc32c::Extend(0x12345678, "abc"), "defg"));
}

}  // namespace
}  // namespace etcdrestore::wal
