#include "shared/base/sha256.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/common/etcd_reference.h"

namespace etcdrestore {
namespace {

TEST(Sha256, KnownVector) {
  Sha256 h;
  h.Update("ab", 2);
  h.Update("c", 1);
  EXPECT_EQ(HexDigest(h.Final()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, GoByteSliceFormat) {
  Sha256Digest d{};
  d[0] = 9;
  d[1] = 206;
  std::string s = GoByteSlice(d);
  EXPECT_EQ(s.substr(0, 9), "[9 206 0 ");
  EXPECT_EQ(s.back(), ']');
}

// Across the 1 MiB read blocks: the same digest as one Update, and the length.
TEST(Sha256File, WholeFileAndSize) {
  testing::TempDir tmp;
  const std::string path = tmp.path() + "/f";
  std::string data((1 << 20) * 2 + 12345, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + (i >> 9));
  std::ofstream(path, std::ios::binary) << data;
  Sha256 one;
  one.Update(data.data(), data.size());
  uint64_t size = 0;
  auto got = Sha256File(path, &size);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, one.Final());
  EXPECT_EQ(size, data.size());
  auto missing = Sha256File(tmp.path() + "/nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find(tmp.path() + "/nope"), std::string::npos) << missing.error().message();
}

}  // namespace
}  // namespace etcdrestore
