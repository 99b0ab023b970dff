#include "shared/base/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

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

// --- no write through a planted link (issue 10 point 6) ---------------------------------

std::string Slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const std::string& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

bool IsSymlink(const std::string& p) {
  struct stat st{};
  return lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// Another user's file, as an attacker in a shared dir would leave it (needs root to chown).
constexpr uid_t kOtherUid = 65534;
#define SKIP_UNLESS_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "chown to another uid needs root"

class WriteSafetyTest : public FileTest {
 protected:
  void SetUp() override {
    FileTest::SetUp();
    victim_ = dir_ + "/victim";
    Spit(victim_, "precious");
    ASSERT_EQ(chmod(victim_.c_str(), 0640), 0);
  }
  // Same bytes and mode (the original bug also chmodded the victim 0600).
  void ExpectVictimUntouched() {
    EXPECT_EQ(Slurp(victim_), "precious");
    struct stat st{};
    ASSERT_EQ(lstat(victim_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0640u);
  }
  std::string victim_;
};

TEST_F(WriteSafetyTest, CreateExclusiveSetsExactModeDespiteUmask) {
  mode_t old = umask(077);
  auto fd = CreateExclusive(dir_ + "/f", 0644);
  umask(old);
  ASSERT_TRUE(fd) << fd.error().message();
  struct stat st{};
  ASSERT_EQ(fstat(fd->get(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(WriteSafetyTest, CreateExclusiveRefusesSymlinkToFile) {
  ASSERT_EQ(symlink("victim", (dir_ + "/f").c_str()), 0);
  auto fd = CreateExclusive(dir_ + "/f", 0600);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(fd.error().message(),
            "create \"" + dir_ + "/f\": it already exists (a symlink to \"victim\"); not writing through it");
  ExpectVictimUntouched();
}

TEST_F(WriteSafetyTest, CreateExclusiveRefusesDanglingSymlink) {
  ASSERT_EQ(symlink("new-victim", (dir_ + "/f").c_str()), 0);
  ASSERT_FALSE(CreateExclusive(dir_ + "/f", 0600));
  EXPECT_FALSE(PathExists(dir_ + "/new-victim"));
}

TEST_F(WriteSafetyTest, CreateExclusiveRefusesFifoWithoutBlocking) {
  ASSERT_EQ(mkfifo((dir_ + "/f").c_str(), 0600), 0);
  auto fd = CreateExclusive(dir_ + "/f", 0600);
  ASSERT_FALSE(fd);
  EXPECT_NE(fd.error().message().find("(a fifo); not writing through it"), std::string::npos) << fd.error().message();
}

TEST_F(WriteSafetyTest, CreateExclusiveRefusesExistingFile) {
  auto fd = CreateExclusive(victim_, 0600);
  ASSERT_FALSE(fd);
  EXPECT_NE(fd.error().message().find("(a regular file); not overwriting it"), std::string::npos)
      << fd.error().message();
  ExpectVictimUntouched();
}

TEST_F(WriteSafetyTest, CreateExclusiveMissingDirIsNotFound) {
  auto fd = CreateExclusive(dir_ + "/nodir/f", 0600);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(fd.error().message(), "open \"" + dir_ + "/nodir/f\": no such file or directory");
}

TEST_F(WriteSafetyTest, DescribePathNamesKindTargetAndForeignOwner) {
  EXPECT_EQ(DescribePath(dir_ + "/missing"), "nothing");
  EXPECT_EQ(DescribePath(victim_), "a regular file");
  EXPECT_EQ(DescribePath(dir_), "a directory");
  ASSERT_EQ(symlink("../x", (dir_ + "/l").c_str()), 0);
  EXPECT_EQ(DescribePath(dir_ + "/l"), "a symlink to \"../x\"");
  ASSERT_EQ(mkfifo((dir_ + "/p").c_str(), 0600), 0);
  EXPECT_EQ(DescribePath(dir_ + "/p"), "a fifo");
  // A planted target cannot smuggle terminal escapes into the message.
  ASSERT_EQ(symlink("\x1b]0;pwned\x07x", (dir_ + "/esc").c_str()), 0);
  EXPECT_EQ(DescribePath(dir_ + "/esc"), "a symlink to \"\\x1b]0;pwned\\x07x\"");
  SKIP_UNLESS_ROOT();
  ASSERT_EQ(chown(victim_.c_str(), kOtherUid, kOtherUid), 0);
  EXPECT_EQ(DescribePath(victim_), "a regular file owned by uid 65534");
}

TEST_F(WriteSafetyTest, RemoveStaleFileRemovesOnlyOwnRegularFile) {
  EXPECT_TRUE(RemoveStaleFile(dir_ + "/missing"));
  Spit(dir_ + "/own.part", "old");
  ASSERT_TRUE(RemoveStaleFile(dir_ + "/own.part"));
  EXPECT_FALSE(PathExists(dir_ + "/own.part"));

  ASSERT_EQ(symlink("victim", (dir_ + "/l.part").c_str()), 0);
  auto st = RemoveStaleFile(dir_ + "/l.part");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(st.error().message(), "stale \"" + dir_ +
                                      "/l.part\" is a symlink to \"victim\", not something this tool left; not "
                                      "removing it or writing through it (remove it yourself if that is safe)");
  EXPECT_TRUE(IsSymlink(dir_ + "/l.part"));
  ExpectVictimUntouched();

  ASSERT_EQ(mkfifo((dir_ + "/p.part").c_str(), 0600), 0);
  EXPECT_FALSE(RemoveStaleFile(dir_ + "/p.part"));
  EXPECT_TRUE(PathExists(dir_ + "/p.part"));
  ASSERT_EQ(mkdir((dir_ + "/d.part").c_str(), 0700), 0);
  EXPECT_FALSE(RemoveStaleFile(dir_ + "/d.part"));
  EXPECT_TRUE(PathExists(dir_ + "/d.part"));
}

TEST_F(WriteSafetyTest, RemoveStaleFileRefusesForeignFile) {
  SKIP_UNLESS_ROOT();
  Spit(dir_ + "/f.part", "theirs");
  ASSERT_EQ(chown((dir_ + "/f.part").c_str(), kOtherUid, kOtherUid), 0);
  auto st = RemoveStaleFile(dir_ + "/f.part");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("is a regular file owned by uid 65534, not something this tool left"),
            std::string::npos)
      << st.error().message();
  EXPECT_EQ(Slurp(dir_ + "/f.part"), "theirs");
}

TEST_F(WriteSafetyTest, RemoveStaleDirRemovesOwnDirNeverThroughLink) {
  ASSERT_TRUE(MakeDirs(dir_ + "/stage/member/snap", 0700));
  Spit(dir_ + "/stage/member/snap/db", "x");
  ASSERT_TRUE(RemoveStaleDir(dir_ + "/stage"));
  EXPECT_FALSE(PathExists(dir_ + "/stage"));

  ASSERT_EQ(mkdir((dir_ + "/real").c_str(), 0700), 0);
  Spit(dir_ + "/real/keep", "k");
  ASSERT_EQ(symlink("real", (dir_ + "/stage").c_str()), 0);
  auto st = RemoveStaleDir(dir_ + "/stage");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("is a symlink to \"real\""), std::string::npos) << st.error().message();
  EXPECT_EQ(Slurp(dir_ + "/real/keep"), "k");
  EXPECT_FALSE(RemoveStaleDir(victim_));  // a file where a dir was expected
  ExpectVictimUntouched();
}

TEST_F(WriteSafetyTest, MakeDirIsExactAndRefusesAnythingExisting) {
  mode_t old = umask(077);
  auto made = MakeDir(dir_ + "/d", 0750);
  umask(old);
  ASSERT_TRUE(made) << made.error().message();
  struct stat st{};
  ASSERT_EQ(lstat((dir_ + "/d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0750u);

  ASSERT_EQ(mkdir((dir_ + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink("real", (dir_ + "/l").c_str()), 0);
  auto st2 = MakeDir(dir_ + "/l", 0700);
  ASSERT_FALSE(st2);
  EXPECT_EQ(st2.error().message(), "mkdir \"" + dir_ + "/l\": it already exists (a symlink to \"real\")");
}

TEST_F(WriteSafetyTest, MakeDirsRefusesNonDirAndForeignLinks) {
  auto st = MakeDirs(victim_ + "/sub", 0700);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("it exists and is a regular file, not a directory"), std::string::npos)
      << st.error().message();

  // A link of our own (or root's) is followed: the user's own path layout.
  ASSERT_EQ(mkdir((dir_ + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink("real", (dir_ + "/mine").c_str()), 0);
  ASSERT_TRUE(MakeDirs(dir_ + "/mine/a/b", 0700));
  EXPECT_TRUE(PathExists(dir_ + "/real/a/b"));

  SKIP_UNLESS_ROOT();
  ASSERT_EQ(mkdir((dir_ + "/elsewhere").c_str(), 0700), 0);
  ASSERT_EQ(symlink("elsewhere", (dir_ + "/planted").c_str()), 0);
  ASSERT_EQ(lchown((dir_ + "/planted").c_str(), kOtherUid, kOtherUid), 0);
  auto st3 = MakeDirs(dir_ + "/planted/x", 0700);
  ASSERT_FALSE(st3);
  EXPECT_EQ(st3.error().message(), "\"" + dir_ +
                                       "/planted\" is a symlink to \"elsewhere\" owned by uid 65534: a link another "
                                       "user may have planted; not following it (pass the real directory)");
  EXPECT_FALSE(PathExists(dir_ + "/elsewhere/x"));
}

TEST_F(WriteSafetyTest, AtomicFileReplacesTargetAndASymlinkItself) {
  const std::string path = dir_ + "/s.db";
  ASSERT_EQ(symlink("victim", path.c_str()), 0);
  auto f = AtomicFile::Create(path, ".part", 0600);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->temp_path(), path + ".part");
  ASSERT_TRUE(WriteAll(f->fd(), f->temp_path(), "snapshot", 8));
  ASSERT_TRUE(f->Commit());
  EXPECT_FALSE(IsSymlink(path));
  EXPECT_EQ(Slurp(path), "snapshot");
  EXPECT_FALSE(PathExists(path + ".part"));
  ExpectVictimUntouched();
}

TEST_F(WriteSafetyTest, AtomicFileRemovesOwnStaleTemp) {
  const std::string path = dir_ + "/s.db";
  Spit(path + ".part", "stale leftover of an interrupted run");
  auto f = AtomicFile::Create(path, ".part", 0600);
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_TRUE(WriteAll(f->fd(), f->temp_path(), "new", 3));
  ASSERT_TRUE(f->Commit());
  EXPECT_EQ(Slurp(path), "new");
}

TEST_F(WriteSafetyTest, AtomicFileRefusesPlantedTempLinkOrFifo) {
  const std::string path = dir_ + "/s.db";
  ASSERT_EQ(symlink("victim", (path + ".part").c_str()), 0);
  auto f = AtomicFile::Create(path, ".part", 0600);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(f.error().message().find("stale \"" + path + ".part\" is a symlink to \"victim\""), std::string::npos)
      << f.error().message();
  EXPECT_TRUE(IsSymlink(path + ".part"));
  EXPECT_FALSE(PathExists(path));
  ExpectVictimUntouched();

  ASSERT_EQ(unlink((path + ".part").c_str()), 0);
  ASSERT_EQ(mkfifo((path + ".part").c_str(), 0600), 0);
  auto g = AtomicFile::Create(path, ".part", 0600);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message().find("is a fifo"), std::string::npos) << g.error().message();
  EXPECT_FALSE(PathExists(path));
}

TEST_F(WriteSafetyTest, AtomicFileRefusesForeignTemp) {
  SKIP_UNLESS_ROOT();
  const std::string path = dir_ + "/s.db";
  Spit(path + ".part", "theirs");
  ASSERT_EQ(chown((path + ".part").c_str(), kOtherUid, kOtherUid), 0);
  auto f = AtomicFile::Create(path, ".part", 0600);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("owned by uid 65534"), std::string::npos) << f.error().message();
  EXPECT_EQ(Slurp(path + ".part"), "theirs");
  EXPECT_FALSE(PathExists(path));
}

TEST_F(WriteSafetyTest, AtomicFileNotCommittedLeavesNothing) {
  const std::string path = dir_ + "/s.db";
  Spit(path, "old snapshot");
  {
    auto f = AtomicFile::Create(path, ".part", 0600);
    ASSERT_TRUE(f);
    ASSERT_TRUE(WriteAll(f->fd(), f->temp_path(), "half", 4));
  }
  EXPECT_FALSE(PathExists(path + ".part"));
  EXPECT_EQ(Slurp(path), "old snapshot");
}

TEST_F(WriteSafetyTest, AtomicFileDetectsSwappedTemp) {
  const std::string path = dir_ + "/s.db";
  {
    auto f = AtomicFile::Create(path, ".part", 0600);
    ASSERT_TRUE(f);
    ASSERT_TRUE(WriteAll(f->fd(), f->temp_path(), "ours", 4));
    // Someone renames their own file over our temporary name before the commit.
    Spit(dir_ + "/theirs", "theirs");
    ASSERT_EQ(rename((dir_ + "/theirs").c_str(), (path + ".part").c_str()), 0);
    auto st = f->Commit();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("was replaced while it was being written"), std::string::npos)
        << st.error().message();
    EXPECT_FALSE(PathExists(path));
  }
  EXPECT_EQ(Slurp(path + ".part"), "theirs");  // not ours: the destructor left it alone
}

TEST(PathTest, AbsoluteDirBase) {
  EXPECT_EQ(AbsolutePath("/a/b/../c/"), "/a/c");
  EXPECT_EQ(DirName("/a/b/c"), "/a/b");
  EXPECT_EQ(BaseName("/a/b/c/"), "c");
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
}

}  // namespace
}  // namespace etcdrestore

namespace etcdrestore {
namespace {

TEST_F(FileTest, ReadFileWholeAndItsErrors) {
  const std::string p = dir_ + "/f";
  std::string big(200 * 1024 + 7, 'x');  // more than one read
  big[0] = '\0';
  ASSERT_TRUE(WriteNewFile(p, big, 0600));
  auto got = ReadFile(p);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, big);
  auto missing = ReadFile(dir_ + "/nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "open \"" + dir_ + "/nope\": no such file or directory");
  auto go = ReadFile(dir_ + "/nope", PathStyle::kGo);
  ASSERT_FALSE(go);
  EXPECT_EQ(go.error().message(), "open " + dir_ + "/nope: no such file or directory");
  auto dir = ReadFile(dir_, PathStyle::kGo);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().message(), "read " + dir_ + ": is a directory");
}

TEST_F(FileTest, WriteFileAtomicReplacesWithExactMode) {
  const std::string p = dir_ + "/s.json";
  mode_t old = umask(077);
  ASSERT_TRUE(WriteFileAtomic(p, "one", 0640));
  ASSERT_TRUE(WriteFileAtomic(p, "two", 0600));
  umask(old);
  EXPECT_EQ(*ReadFile(p), "two");
  struct stat st{};
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(PathExists(p + ".tmp"));
  // A temporary that is not ours (a directory) is refused and p is left as it was.
  ASSERT_EQ(mkdir((p + ".tmp").c_str(), 0700), 0);
  EXPECT_FALSE(WriteFileAtomic(p, "three", 0600));
  EXPECT_EQ(*ReadFile(p), "two");
}

TEST_F(FileTest, WriteNewFileNeverOverwrites) {
  const std::string p = dir_ + "/script.sh";
  ASSERT_TRUE(WriteNewFile(p, "#!/bin/sh\n", 0755));
  struct stat st{};
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  auto again = WriteNewFile(p, "other", 0600);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(*ReadFile(p), "#!/bin/sh\n");
}

}  // namespace
}  // namespace etcdrestore
