#include "shared/cli/global.h"

#include <gtest/gtest.h>

#include "shared/cli/exit_code.h"

namespace etcdrestore::cli {
namespace {

Result<std::string> NoPrompt() { return Fail(ErrorCode::kInternal, "prompted"); }

TEST(ClientConfigs, EmptyCertFlagIsBadArgs) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({"--cert="}));
  auto r = ClientConfigs(o, f, NoPrompt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "empty string is passed to --cert option");
  EXPECT_EQ(ExitCodeFor(r.error().code(), kExitError), kExitBadArgs);
}

TEST(ClientConfigs, CertWithoutKeyHasEtcdText) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({"--cert=client.crt"}));
  auto r = ClientConfigs(o, f, NoPrompt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "KeyFile and CertFile must both be present[key: , cert: client.crt]");
  EXPECT_EQ(ExitCodeFor(r.error().code(), kExitInterrupted), kExitBadArgs);
}

TEST(ClientConfigs, MissingCertFileHasGoText) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({"--cert=/nonexistent/c.crt", "--key=/nonexistent/c.key"}));
  auto r = ClientConfigs(o, f, NoPrompt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "open /nonexistent/c.crt: no such file or directory");
}

TEST(ClientConfigs, PlaintextByDefaultTlsWhenInsecureTransportOff) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({"--endpoints=a:1,https://b:2,http://c:3"}));
  auto r = ClientConfigs(o, f, NoPrompt);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_FALSE(etcdclient::EndpointUsesTls((*r)[0].endpoint, (*r)[0].use_tls));
  EXPECT_TRUE(etcdclient::EndpointUsesTls((*r)[1].endpoint, (*r)[1].use_tls));
  EXPECT_EQ(etcdclient::EndpointTarget((*r)[1].endpoint), "b:2");
  ASSERT_TRUE(f.Parse({"--insecure-transport=false"}));
  r = ClientConfigs(o, f, NoPrompt);
  ASSERT_TRUE(r);
  EXPECT_TRUE(etcdclient::EndpointUsesTls((*r)[0].endpoint, (*r)[0].use_tls));
  EXPECT_FALSE(etcdclient::EndpointUsesTls((*r)[2].endpoint, (*r)[2].use_tls));
}

TEST(ClientConfigs, UserFlagSplitsPassword) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({"--user=root:pw:with:colons"}));
  auto r = ClientConfigs(o, f, NoPrompt);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].user, "root");
  EXPECT_EQ((*r)[0].password, "pw:with:colons");
  ASSERT_TRUE(f.Parse({"--user=root"}));
  r = ClientConfigs(o, f, [] { return Result<std::string>("typed"); });
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].password, "typed");
}

TEST(ExitCodeFor, KeepsEtcdctlCodes) {
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnsupported, kExitError), kExitBadFeature);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnavailable, kExitError), kExitError);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnavailable, kExitInterrupted), kExitInterrupted);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kCorruption, kExitError), kExitError);
}

}  // namespace
}  // namespace etcdrestore::cli
