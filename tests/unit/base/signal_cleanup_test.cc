#include "shared/base/signal_cleanup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/common/etcd_reference.h"

namespace etcdrestore {
namespace {

namespace fs = std::filesystem;

// Runs body in a child process that then sends itself sig; returns the wait status.
template <typename Body>
int RunAndSignal(Body body, int sig) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    kill(getpid(), sig);
    _exit(4);  // not reached if the signal ended the child
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(SignalCleanup, RemovesRegisteredFilesAndTreesThenDiesOfTheSignal) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    testing::TempDir tmp;
    const std::string part = tmp.path() + "/x.db.part", tree = tmp.path() + "/.staging", kept = tmp.path() + "/kept";
    int status = RunAndSignal(
        [&] {
          std::ofstream(part) << "partial";
          fs::create_directories(tree + "/member/snap");
          std::ofstream(tree + "/member/snap/db") << "db";
          std::ofstream(kept) << "renamed into place";
          if (!RemoveOnSignal(part) || !RemoveOnSignal(tree) || !RemoveOnSignal(kept)) _exit(3);
          ForgetOnSignal(kept);
        },
        sig);
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << sig << ", status " << status;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_FALSE(fs::exists(part));
    EXPECT_FALSE(fs::exists(tree));
    EXPECT_TRUE(fs::exists(kept));  // forgotten: left alone
  }
}

TEST(SignalCleanup, ScopedRegistrationEndsWithTheScope) {
  testing::TempDir tmp;
  const std::string inside = tmp.path() + "/inside", after = tmp.path() + "/after";
  int status = RunAndSignal(
      [&] {
        std::ofstream(after) << "x";
        { ScopedRemoveOnSignal guard(after); }
        std::ofstream(inside) << "x";
        static ScopedRemoveOnSignal live(inside);  // alive at the signal
      },
      SIGTERM);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(fs::exists(inside));
  EXPECT_TRUE(fs::exists(after));
}

TEST(SignalCleanup, LimitsAreReportedNotOverrun) {
  int status = RunAndSignal(
      [] {
        if (RemoveOnSignal(std::string(5000, 'a'))) _exit(5);  // too long
        if (RemoveOnSignal("")) _exit(6);
        for (int i = 0; i < kMaxSignalCleanupPaths; ++i)
          if (!RemoveOnSignal("/nonexistent/etcdrestore-test-" + std::to_string(i))) _exit(7);
        if (RemoveOnSignal("/nonexistent/one-too-many")) _exit(8);
        ForgetOnSignal("/nonexistent/etcdrestore-test-0");
        if (!RemoveOnSignal("/nonexistent/fits-again")) _exit(9);
        _exit(0);
      },
      SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A signal during a held step is delivered when the hold ends, against the registrations
// as they are then: what was forgotten inside the hold stays.
TEST(SignalCleanup, HeldSignalIsDeliveredAfterTheHoldAgainstTheNewRegistrations) {
  testing::TempDir tmp;
  const std::string placed = tmp.path() + "/wal", staging = tmp.path() + "/.staging";
  int status = RunAndSignal(
      [&] {
        fs::create_directories(placed);
        fs::create_directories(staging);
        RemoveOnSignal(placed);
        RemoveOnSignal(staging);
        {
          ScopedHoldCleanupSignals hold;
          kill(getpid(), SIGTERM);  // pending until the hold ends
          ForgetOnSignal(placed);   // e.g. the data dir went into place: the wal dir is kept
        }
        _exit(5);  // not reached: the held SIGTERM ends the child here
      },
      SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_TRUE(fs::exists(placed));
  EXPECT_FALSE(fs::exists(staging));
}

}  // namespace
}  // namespace etcdrestore
