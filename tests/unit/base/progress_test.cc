#include "shared/base/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "shared/base/file.h"
#include "shared/base/strings.h"

namespace etcdrestore {
namespace {

// What `body` writes to stderr (fd 2 redirected to a temporary file meanwhile).
template <typename F>
std::string Stderr(F&& body) {
  char tmpl[] = "/tmp/etcdrestore-progress-XXXXXX";
  const int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  body();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  auto text = ReadFile(tmpl);
  unlink(tmpl);
  return text ? *text : "<unreadable>";
}

TEST(Progress, OneLineAtMostFiveTimesASecondThenCleared) {
  const std::string out = Stderr([] {
    Progress p(true, "saving snapshot", HumanBytes, /*show_rate=*/false);
    p.Update(1500);
    p.Update(2500);  // within 200 ms of the first: not drawn
    p.Done();
  });
  EXPECT_EQ(out, "\r\x1b[Ksaving snapshot: 1.5 kB\r\x1b[K");
}

TEST(Progress, RateAndNothingWhenDisabled) {
  const std::string rate = Stderr([] {
    Progress p(true, "downloading snapshot", HumanizeBytes, /*show_rate=*/true);
    p.Update(20480);
    p.Done();
  });
  EXPECT_TRUE(rate.starts_with("\r\x1b[Kdownloading snapshot: 20 kB (")) << rate;
  EXPECT_TRUE(rate.ends_with("/s)\r\x1b[K")) << rate;
  const std::string off = Stderr([] {
    Progress p(false, "saving snapshot", HumanBytes, false);
    p.Update(1500);
    p.Done();
  });
  EXPECT_EQ(off, "");
}

}  // namespace
}  // namespace etcdrestore
