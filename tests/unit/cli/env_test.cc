#include "shared/cli/env.h"

#include <gtest/gtest.h>

#include "shared/cli/global.h"

namespace etcdrestore::cli {
namespace {

TEST(ApplyEnvironment, SetsUnsetFlagsFromEnv) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({}));
  EnvOutcome r = ApplyEnvironment(
      f, GlobalFlagNames(),
      {"PATH=/bin", "ETCDCTL_ENDPOINTS=a:1,b:2", "ETCDCTL_WRITE_OUT=json", "ETCDCTL_HEX=true",
       "ETCDCTL_DIAL_TIMEOUT=1s", "ETCDCTL_CACERT="});
  EXPECT_FALSE(r.fatal);
  // Go's verifyEnv warns about an empty variable too (checked against etcdctl 3.4.23).
  EXPECT_EQ(r.warnings, std::vector<std::string>{"unrecognized environment variable ETCDCTL_CACERT="});
  EXPECT_EQ(o.endpoints, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(o.write_out, "json");
  EXPECT_TRUE(o.hex);
  EXPECT_EQ(o.dial_timeout, std::chrono::seconds(1));
  EXPECT_FALSE(f.Changed("cacert"));  // an empty value counts as unset
}

TEST(ApplyEnvironment, VariableAndFlagTogetherIsFatalWithEtcdText) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({"--endpoints=127.0.0.1:23790"}));
  EnvOutcome r = ApplyEnvironment(f, GlobalFlagNames(), {"ETCDCTL_ENDPOINTS=127.0.0.1:23790"});
  ASSERT_TRUE(r.fatal);
  EXPECT_EQ(*r.fatal,
            "conflicting environment variable \"ETCDCTL_ENDPOINTS\" is shadowed by corresponding "
            "command-line flag (either unset environment variable or disable flag)");
  EXPECT_EQ(o.endpoints, std::vector<std::string>{"127.0.0.1:23790"});
}

TEST(ApplyEnvironment, UnknownVariablesWarnInEnvironmentOrder) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({}));
  EnvOutcome r = ApplyEnvironment(f, GlobalFlagNames(),
                                  {"ETCDCTL_FOO=1", "HOME=/root", "ETCDCTL_BAR=x=y"});
  EXPECT_FALSE(r.fatal);
  EXPECT_EQ(r.warnings, (std::vector<std::string>{"unrecognized environment variable ETCDCTL_FOO=1",
                                                  "unrecognized environment variable ETCDCTL_BAR=x=y"}));
}

TEST(ApplyEnvironment, BadValueIsFatal) {
  GlobalOptions o;
  FlagSet f;
  AddGlobalFlags(f, &o);
  ASSERT_TRUE(f.Parse({}));
  EnvOutcome r = ApplyEnvironment(f, GlobalFlagNames(), {"ETCDCTL_DIAL_TIMEOUT=abc"});
  ASSERT_TRUE(r.fatal);
  EXPECT_EQ(*r.fatal, "invalid value \"abc\" for ETCDCTL_DIAL_TIMEOUT: invalid argument \"abc\" for "
                      "\"--dial-timeout\" flag: time: invalid duration \"abc\"");
}

TEST(CheckApiVersion, AcceptsOnlyV3) {
  EXPECT_FALSE(CheckApiVersion(nullptr));
  EXPECT_FALSE(CheckApiVersion(""));
  EXPECT_FALSE(CheckApiVersion("3"));
  EXPECT_EQ(CheckApiVersion("4"), "unsupported API version 4");
  ASSERT_TRUE(CheckApiVersion("2"));
}

TEST(FlagToEnv, UpperCasesAndReplacesDashes) {
  EXPECT_EQ(FlagToEnv("insecure-skip-tls-verify"), "ETCDCTL_INSECURE_SKIP_TLS_VERIFY");
}

}  // namespace
}  // namespace etcdrestore::cli
