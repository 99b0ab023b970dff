#include "shared/base/sha256.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace etcdrestore
