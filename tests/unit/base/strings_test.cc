#include "shared/base/strings.h"

#include <gtest/gtest.h>

namespace etcdrestore {
namespace {

TEST(Join, LikeGoStringsJoin) {
  EXPECT_EQ(Join({}, ","), "");
  EXPECT_EQ(Join({"a"}, ","), "a");
  EXPECT_EQ(Join({"http://a:2380", "http://b:2380"}, ","), "http://a:2380,http://b:2380");
  EXPECT_EQ(Join({"x", "", "y"}, ", "), "x, , y");
}

}  // namespace
}  // namespace etcdrestore
