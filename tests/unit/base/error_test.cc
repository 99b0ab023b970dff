#include "shared/base/error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace etcdrestore {
namespace {

Result<int> Half(int v) {
  if (v % 2) return Fail(ErrorCode::kInvalidArgument, "odd value " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int h, Half(v));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Error, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "odd value 3");
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Error, WrapPrependsContext) {
  Error e = Error(ErrorCode::kIO, "disk full").Wrap("write \"db\"");
  EXPECT_EQ(e.message(), "write \"db\": disk full");
  EXPECT_EQ(e.code(), ErrorCode::kIO);
}

TEST(Error, ErrnoErrorIsLowerCaseAndCoded) {
  Error e = ErrnoError("open \"x\"", ENOENT);
  EXPECT_EQ(e.message(), "open \"x\": no such file or directory");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(ErrnoError("w", ENOSPC).code(), ErrorCode::kIO);
}

}  // namespace
}  // namespace etcdrestore
