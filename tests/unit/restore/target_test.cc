#include "shared/restore/target.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "shared/base/file.h"

namespace etcdrestore::restore {
namespace {

namespace fs = std::filesystem;

class TargetTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etcdrestore-target-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  size_t Entries(const std::string& d) {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(d)) ++n;
    return n;
  }
  std::string dir_;
};

TEST_F(TargetTest, MissingAndEmptyTargetsAreAccepted) {
  EXPECT_TRUE(CheckTarget("data-dir", dir_ + "/new"));
  fs::create_directory(dir_ + "/empty");
  EXPECT_TRUE(CheckTarget("data-dir", dir_ + "/empty"));
}

TEST_F(TargetTest, FreshFilesystemWithEmptyLostFoundCountsAsEmpty) {
  fs::create_directories(dir_ + "/disk/lost+found");
  EXPECT_TRUE(CheckTarget("data-dir", dir_ + "/disk"));
  auto s = StagingDir::Create(dir_ + "/disk");
  ASSERT_TRUE(s);
  fs::create_directory(s->path() + "/member");
  ASSERT_TRUE(s->Commit());
  EXPECT_TRUE(fs::exists(dir_ + "/disk/member"));
  EXPECT_TRUE(fs::exists(dir_ + "/disk/lost+found"));
  // lost+found with something in it is a used filesystem.
  fs::create_directories(dir_ + "/disk2/lost+found");
  std::ofstream(dir_ + "/disk2/lost+found/#12");
  EXPECT_FALSE(CheckTarget("data-dir", dir_ + "/disk2"));
}

TEST_F(TargetTest, NonEmptyTargetIsRefusedWithAbsolutePath) {
  fs::create_directories(dir_ + "/full/member");
  auto st = CheckTarget("data-dir", dir_ + "/full");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(st.error().message().find("data-dir \"" + dir_ + "/full\" exists and is not empty"), std::string::npos)
      << st.error().message();
}

TEST_F(TargetTest, LockedWalMeansRunningEtcd) {
  fs::create_directories(dir_ + "/d/member/wal");
  std::string wal = dir_ + "/d/member/wal/0000000000000000-0000000000000000.wal";
  std::ofstream(wal) << "x";
  int fd = open(wal.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(fcntl(fd, F_OFD_SETLK, &fl), 0);
  // OFD locks belong to open file descriptions, so this process's lock is seen as a
  // conflict by the check's own open(), as a running etcd's would be.
  EXPECT_TRUE(WalLockedByRunningEtcd(dir_ + "/d"));
  auto st = CheckTarget("data-dir", dir_ + "/d");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kFailedPrecondition);
  close(fd);
  EXPECT_FALSE(WalLockedByRunningEtcd(dir_ + "/d"));
}

TEST_F(TargetTest, StagingIsRemovedUnlessCommitted) {
  std::string staged;
  {
    auto s = StagingDir::Create(dir_ + "/out");
    ASSERT_TRUE(s) << s.error().message();
    staged = s->path();
    std::ofstream(staged + "/f") << "data";
  }
  EXPECT_FALSE(fs::exists(staged));
  EXPECT_FALSE(fs::exists(dir_ + "/out"));
  EXPECT_EQ(Entries(dir_), 0u);
}

TEST_F(TargetTest, CommitRenamesIntoPlaceWithMode0700) {
  auto s = StagingDir::Create(dir_ + "/out");
  ASSERT_TRUE(s);
  fs::create_directory(s->path() + "/member");
  ASSERT_TRUE(s->Commit());
  EXPECT_TRUE(fs::exists(dir_ + "/out/member"));
  struct stat st{};
  ASSERT_EQ(stat((dir_ + "/out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(Entries(dir_), 1u);
}

TEST_F(TargetTest, CommitIntoExistingEmptyDirMovesEntries) {
  fs::create_directory(dir_ + "/mnt");
  auto s = StagingDir::Create(dir_ + "/mnt");
  ASSERT_TRUE(s);
  fs::create_directory(s->path() + "/member");
  ASSERT_TRUE(s->Commit());
  EXPECT_TRUE(fs::exists(dir_ + "/mnt/member"));
  EXPECT_EQ(Entries(dir_ + "/mnt"), 1u);
}

TEST_F(TargetTest, StaleStagingOfAKilledRunIsCleanedUp) {
  // A child creates a staging dir and is SIGKILLed: the dir stays behind...
  pid_t pid = fork();
  if (pid == 0) {
    auto s = StagingDir::Create(dir_ + "/out");
    if (!s) _exit(3);
    kill(getpid(), SIGKILL);
    _exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(Entries(dir_), 1u);
  // ...does not make the target look used, and the next run removes it.
  EXPECT_TRUE(CheckTarget("data-dir", dir_ + "/out"));
  EXPECT_EQ(Entries(dir_), 0u);
}

TEST_F(TargetTest, SymlinkTargetIsRefusedAndNothingWrittenThroughIt) {
  ASSERT_TRUE(MakeDirs(dir_ + "/victim", 0700));
  ASSERT_EQ(symlink("victim", (dir_ + "/out").c_str()), 0);
  auto st = CheckTarget("data-dir", dir_ + "/out");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "data-dir \"" + dir_ + "/out\" is a symlink to \"victim\"; not restoring through a "
                                  "symlink: pass the real directory as --data-dir");
  EXPECT_EQ(Entries(dir_ + "/victim"), 0u);
}

TEST_F(TargetTest, PlantedStagingLinkIsRefusedNotFollowed) {
  // Our own staging name taken by a link (staging names are predictable: pid).
  ASSERT_TRUE(MakeDirs(dir_ + "/victim", 0700));
  const std::string staging = dir_ + "/.out.etcdrestore-staging." + std::to_string(getpid());
  ASSERT_EQ(symlink("victim", staging.c_str()), 0);
  auto s = StagingDir::Create(dir_ + "/out");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("stale \"" + staging + "\" is a symlink to \"victim\""), std::string::npos)
      << s.error().message();
  EXPECT_EQ(Entries(dir_ + "/victim"), 0u);
  struct stat st{};
  ASSERT_EQ(lstat(staging.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(TargetTest, ForeignStaleStagingIsLeftAlone) {
  if (geteuid() != 0) GTEST_SKIP() << "chown to another uid needs root";
  // A dir named like a stale staging dir of a dead pid, but another user's: not ours to remove.
  const std::string foreign = dir_ + "/.out.etcdrestore-staging.999999999";
  ASSERT_TRUE(MakeDirs(foreign, 0700));
  ASSERT_EQ(chown(foreign.c_str(), 65534, 65534), 0);
  EXPECT_TRUE(CheckTarget("data-dir", dir_ + "/out"));
  struct stat st{};
  EXPECT_EQ(lstat(foreign.c_str(), &st), 0);
}

TEST_F(TargetTest, SigtermRemovesStaging) {
  pid_t pid = fork();
  if (pid == 0) {
    auto s = StagingDir::Create(dir_ + "/out");
    if (!s) _exit(3);
    std::ofstream(s->path() + "/f") << "data";
    fs::create_directories(s->path() + "/member/snap");
    std::ofstream(s->path() + "/member/snap/db") << "data";
    kill(getpid(), SIGTERM);
    _exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(Entries(dir_), 0u);
}

// The wal dir is placed before the data dir: until Keep(), an error (destructor) or a
// signal takes it back out, so a failed or interrupted restore leaves no populated wal dir.
TEST_F(TargetTest, ProvisionalCommitIsUndoneUnlessKept) {
  {
    auto s = StagingDir::Create(dir_ + "/wal");
    ASSERT_TRUE(s);
    std::ofstream(s->path() + "/0.wal") << "x";
    ASSERT_TRUE(s->CommitProvisionally());
    EXPECT_TRUE(fs::exists(dir_ + "/wal/0.wal"));
  }
  EXPECT_EQ(Entries(dir_), 0u);
  {
    auto s = StagingDir::Create(dir_ + "/wal");
    ASSERT_TRUE(s);
    std::ofstream(s->path() + "/0.wal") << "x";
    ASSERT_TRUE(s->CommitProvisionally());
    s->Keep();
  }
  EXPECT_TRUE(fs::exists(dir_ + "/wal/0.wal"));
}

TEST_F(TargetTest, ProvisionalCommitIntoExistingDirRemovesOnlyWhatItPlaced) {
  fs::create_directory(dir_ + "/mnt");
  {
    auto s = StagingDir::Create(dir_ + "/mnt");
    ASSERT_TRUE(s);
    std::ofstream(s->path() + "/0.wal") << "x";
    ASSERT_TRUE(s->CommitProvisionally());
    EXPECT_EQ(Entries(dir_ + "/mnt"), 1u);
  }
  EXPECT_TRUE(fs::is_directory(dir_ + "/mnt"));
  EXPECT_EQ(Entries(dir_ + "/mnt"), 0u);
}

TEST_F(TargetTest, SigtermAfterProvisionalCommitRemovesBoth) {
  pid_t pid = fork();
  if (pid == 0) {
    auto w = StagingDir::Create(dir_ + "/wal");
    auto d = StagingDir::Create(dir_ + "/data");
    if (!w || !d) _exit(3);
    std::ofstream(w->path() + "/0.wal") << "x";
    fs::create_directories(d->path() + "/member/snap");
    if (!w->CommitProvisionally()) _exit(5);
    kill(getpid(), SIGTERM);  // between the wal dir and the data dir renames
    _exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(Entries(dir_), 0u);
}

TEST_F(TargetTest, ParentsCreatedForAFailedRestoreAreRemoved) {
  {
    auto s = StagingDir::Create(dir_ + "/a/b/out");
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_TRUE(fs::is_directory(dir_ + "/a/b"));
  }
  EXPECT_EQ(Entries(dir_), 0u);
  fs::create_directories(dir_ + "/a/keep");  // a parent that is not empty stays
  {
    auto s = StagingDir::Create(dir_ + "/a/b/out");
    ASSERT_TRUE(s);
  }
  EXPECT_FALSE(fs::exists(dir_ + "/a/b"));
  EXPECT_TRUE(fs::exists(dir_ + "/a/keep"));
  {
    auto s = StagingDir::Create(dir_ + "/c/out");
    ASSERT_TRUE(s);
    fs::create_directory(s->path() + "/member");
    ASSERT_TRUE(s->Commit());
  }
  EXPECT_TRUE(fs::exists(dir_ + "/c/out/member"));
}

}  // namespace
}  // namespace etcdrestore::restore

namespace etcdrestore::restore {
namespace {

// A restore killed mid-way (SIGKILL, or a crash) cannot clean up: the next restore into
// the same target removes the staging dirs it recognises and reports each one.
TEST_F(TargetTest, StaleStagingDirsOfDeadRestoresAreRemovedAndReported) {
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  const std::string beside = dir_ + "/.new.etcdrestore-staging." + std::to_string(dead);
  ASSERT_TRUE(MakeDirs(beside + "/member/snap", 0700));
  std::ofstream(beside + "/member/snap/db") << "partial";
  const std::string inside = dir_ + "/mnt/.etcdrestore-staging." + std::to_string(dead);
  ASSERT_TRUE(MakeDirs(inside, 0700));
  // A live process's staging dir (ours) is left alone.
  const std::string live = dir_ + "/.new.etcdrestore-staging." + std::to_string(getpid());
  ASSERT_TRUE(MakeDirs(live, 0700));

  std::vector<std::string> removed;
  ASSERT_TRUE(CheckTarget("data-dir", dir_ + "/new", &removed));
  EXPECT_EQ(removed, std::vector<std::string>{beside});
  EXPECT_FALSE(fs::exists(beside));
  EXPECT_TRUE(fs::exists(live));
  removed.clear();
  ASSERT_TRUE(CheckTarget("data-dir", dir_ + "/mnt", &removed));  // the emptied mount point case
  EXPECT_EQ(removed, std::vector<std::string>{inside});
  EXPECT_EQ(Entries(dir_ + "/mnt"), 0u);
}

}  // namespace
}  // namespace etcdrestore::restore
