#include "shared/etcdclient/snapshot_save.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "shared/base/file.h"
#include "shared/base/sha256.h"
#include "tests/unit/common/fake_etcd_client.h"

namespace etcdrestore::etcdclient {
namespace {

using testing::FakeEtcdClient;
using testing::MakeStream;
using FakeClient = FakeEtcdClient;

class SaveSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etcdclient_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/snap.db";
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::string ReadAll(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_, path_;
};

TEST_F(SaveSnapshotTest, WritesStreamAsIsWithMode0600) {
  FakeClient c;
  c.stream = MakeStream(5 * 4096);
  c.chunk_sizes = {1000, 17, 31, 4096, 1};  // trailer split across messages
  uint64_t last_progress = 0;
  SaveOptions o;
  o.path = path_;
  o.progress = [&](uint64_t n) { last_progress = n; };
  bool verified = false;
  o.verify = [&](const std::string& part) -> Status {
    verified = part == path_ + ".part" && ReadAll(part) == c.stream;
    return {};
  };
  auto r = SaveSnapshot(c, o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(verified);
  EXPECT_EQ(r->size, c.stream.size());
  EXPECT_EQ(last_progress, c.stream.size());
  EXPECT_EQ(ReadAll(path_), c.stream);
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(PathExists(path_ + ".part"));
}

// Ctrl-C or a SIGTERM in the middle of the download: the .part goes, the old target
// stays, and the process still dies of the signal.
TEST_F(SaveSnapshotTest, SignalMidStreamRemovesPart) {
  ASSERT_TRUE(WriteAll(OpenFile(path_, O_WRONLY | O_CREAT, 0600)->get(), path_, "old", 3));
  for (int sig : {SIGINT, SIGTERM}) {
    pid_t pid = fork();
    if (pid == 0) {
      FakeClient c;
      c.stream = MakeStream(8 * 4096);
      SaveOptions o;
      o.path = path_;
      o.progress = [&](uint64_t n) {
        if (n >= 3 * 4096) {
          if (!PathExists(path_ + ".part")) _exit(3);  // the test must see a real .part go
          kill(getpid(), sig);
        }
      };
      (void)SaveSnapshot(c, o);
      _exit(4);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_FALSE(PathExists(path_ + ".part"));
    EXPECT_EQ(ReadAll(path_), "old");
  }
}

TEST_F(SaveSnapshotTest, FlippedByteIsCorruptionAndLeavesNothing) {
  FakeClient c;
  c.stream = MakeStream(2 * 4096);
  c.stream[100] ^= 1;
  SaveOptions o;
  o.path = path_;
  auto r = SaveSnapshot(c, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.error().message().find("sha256 mismatch"), std::string::npos) << r.error().message();
  EXPECT_FALSE(PathExists(path_ + ".part"));
  EXPECT_FALSE(PathExists(path_));
}

TEST_F(SaveSnapshotTest, MissingTrailerHasEtcdctlText) {
  FakeClient c;
  c.stream = std::string(8192, 'x');
  SaveOptions o;
  o.path = path_;
  auto r = SaveSnapshot(c, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "sha256 checksum not found [bytes: 8192]");
  EXPECT_FALSE(PathExists(path_ + ".part"));
}

TEST_F(SaveSnapshotTest, ConnectFailureCreatesNoFileAndKeepsOldTarget) {
  ASSERT_TRUE(WriteAll(OpenFile(path_, O_WRONLY | O_CREAT, 0644)->get(), path_, "old", 3));
  FakeClient c;
  c.connect_status = Fail(ErrorCode::kUnavailable, "connect to x: connection refused");
  SaveOptions o;
  o.path = path_;
  auto r = SaveSnapshot(c, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "connect to x: connection refused");
  EXPECT_FALSE(c.snapshot_called);
  EXPECT_FALSE(PathExists(path_ + ".part"));
  EXPECT_EQ(ReadAll(path_), "old");
}

TEST_F(SaveSnapshotTest, StreamErrorAndVerifyErrorRemovePart) {
  FakeClient c;
  c.stream = MakeStream(4096);
  c.stream_end_status = Fail(ErrorCode::kUnavailable, "snapshot stream from x: Socket closed");
  SaveOptions o;
  o.path = path_;
  EXPECT_FALSE(SaveSnapshot(c, o));
  EXPECT_FALSE(PathExists(path_ + ".part"));
  c.stream_end_status = {};
  o.verify = [](const std::string&) -> Status { return Fail(ErrorCode::kCorruption, "bad bbolt"); };
  auto r = SaveSnapshot(c, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "bad bbolt");
  EXPECT_FALSE(PathExists(path_ + ".part"));
  EXPECT_FALSE(PathExists(path_));
}

TEST_F(SaveSnapshotTest, UnwritableDirectoryHasEtcdctlText) {
  FakeClient c;
  c.stream = MakeStream(4096);
  SaveOptions o;
  o.path = dir_ + "/missing/x.db";
  auto r = SaveSnapshot(c, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "could not open " + o.path + ".part (open " + o.path +
                                     ".part: no such file or directory)");
}

// Issue 10 point 6: `ln -s ../victim backups/s.db.part; snapshot save backups/s.db` must
// neither write the victim nor leave s.db a link.
TEST_F(SaveSnapshotTest, PlantedPartIsRefusedAndNothingWritten) {
  const std::string victim = dir_ + "/victim";
  {
    std::ofstream(victim) << "precious";
  }
  ASSERT_EQ(chmod(victim.c_str(), 0644), 0);
  for (const char* kind : {"symlink", "fifo", "dir", "foreign"}) {
    SCOPED_TRACE(kind);
    const std::string part = path_ + ".part";
    if (std::string(kind) == "symlink") {
      ASSERT_EQ(symlink("victim", part.c_str()), 0);
    } else if (std::string(kind) == "fifo") {
      ASSERT_EQ(mkfifo(part.c_str(), 0600), 0);
    } else if (std::string(kind) == "dir") {
      ASSERT_EQ(mkdir(part.c_str(), 0700), 0);
    } else {
      if (geteuid() != 0) continue;  // chown to another uid needs root
      { std::ofstream(part) << "theirs"; }
      ASSERT_EQ(chown(part.c_str(), 65534, 65534), 0);
    }
    FakeClient c;
    c.stream = MakeStream(4096);
    SaveOptions o;
    o.path = path_;
    auto r = SaveSnapshot(c, o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(r.error().message().find("snapshot save: stale \"" + part + "\" is "), std::string::npos)
        << r.error().message();
    EXPECT_FALSE(c.snapshot_called);  // refused before the download
    EXPECT_FALSE(PathExists(path_));
    EXPECT_EQ(ReadAll(victim), "precious");
    struct stat st{};
    ASSERT_EQ(lstat(victim.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    ASSERT_TRUE(PathExists(part));  // what was planted stays as it was
    (void)RemoveAll(part);
  }
}

TEST_F(SaveSnapshotTest, OwnStalePartIsReplacedAndFinalLinkReplacedItself) {
  const std::string victim = dir_ + "/victim";
  {
    std::ofstream(victim) << "precious";
  }
  {
    std::ofstream(path_ + ".part") << "left by an interrupted run";
  }
  ASSERT_EQ(symlink("victim", path_.c_str()), 0);
  FakeClient c;
  c.stream = MakeStream(4096);
  SaveOptions o;
  o.path = path_;
  auto r = SaveSnapshot(c, o);
  ASSERT_TRUE(r) << r.error().message();
  struct stat st{};
  ASSERT_EQ(lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(ReadAll(path_), c.stream);
  EXPECT_EQ(ReadAll(victim), "precious");
  EXPECT_FALSE(PathExists(path_ + ".part"));
}

TEST(TrailerVerifier, AcceptsAnyChunking) {
  std::string s = MakeStream(512 * 3);
  for (size_t chunk : {1u, 7u, 31u, 32u, 33u, 512u, 5000u}) {
    TrailerVerifier v;
    for (size_t off = 0; off < s.size(); off += chunk) v.Update(std::string_view(s).substr(off, chunk));
    auto d = v.Finish();
    ASSERT_TRUE(d) << "chunk " << chunk << ": " << d.error().message();
  }
}

}  // namespace
}  // namespace etcdrestore::etcdclient
