#include "shared/base/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

namespace etcdrestore {
namespace {

class FileTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etcdrestore-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string dir_;
};

TEST_F(FileTest, ReadAtPastEndIsCorruptionWithNumbers) {
  std::string p = dir_ + "/f";
  auto fd = OpenFile(p, O_CREAT | O_RDWR, 0600);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(WriteAll(fd->get(), p, "hello", 5));
  char buf[10];
  auto st = ReadAt(fd->get(), p, buf, 10, 0);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(st.error().message().find("file has 5"), std::string::npos) << st.error().message();
}

TEST_F(FileTest, MakeDirsAppliesModeDespiteUmask) {
  std::string p = dir_ + "/a/b/c";
  ASSERT_TRUE(MakeDirs(p, 0700));
  struct stat st{};
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(*IsEmptyDir(p));
  EXPECT_FALSE(*IsEmptyDir(dir_ + "/a"));
}

TEST_F(FileTest, OpenMissingNamesPathAndReason) {
  auto fd = OpenFile(dir_ + "/missing", O_RDONLY);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(fd.error().message(), "open \"" + dir_ + "/missing\": no such file or directory");
}

TEST(PathTest, AbsoluteDirBase) {
  EXPECT_EQ(AbsolutePath("/a/b/../c/"), "/a/c");
  EXPECT_EQ(DirName("/a/b/c"), "/a/b");
  EXPECT_EQ(BaseName("/a/b/c/"), "c");
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
}

}  // namespace
}  // namespace etcdrestore
