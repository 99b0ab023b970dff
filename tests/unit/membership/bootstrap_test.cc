#include "shared/membership/bootstrap.h"

#include <gtest/gtest.h>

#include <string>

namespace etcdrestore::membership {
namespace {

Result<std::string> NoResolve(std::string_view host_port) {
  ADD_FAILURE() << "resolver called for " << host_port;
  return Fail(ErrorCode::kInternal, "unexpected");
}

std::string Verify(std::string_view name, std::string_view peers, std::string_view cluster,
                   const HostResolver& resolver = NoResolve) {
  auto p = ParsePeerUrls(peers);
  auto c = NewUrlsMap(cluster);
  if (!p || !c) return "bad test input";
  Status s = VerifyBootstrap(name, *p, *c, resolver);
  return s ? std::string("<ok>") : s.error().message();
}

TEST(VerifyBootstrap, AcceptsDefaults) {
  EXPECT_EQ(Verify("default", "http://localhost:2380", "default=http://localhost:2380"), "<ok>");
}

TEST(VerifyBootstrap, MissingLocalName) {
  EXPECT_EQ(Verify("foo", "http://localhost:2380", "default=http://localhost:2380"),
            "couldn't find local name \"foo\" in the initial cluster configuration");
}

// Observed with etcdctl 3.4.23: localhost and IP literals are never resolved.
TEST(VerifyBootstrap, LocalhostIsNotResolved) {
  EXPECT_EQ(Verify("default", "http://127.0.0.1:2380", "default=http://localhost:2380"),
            "--initial-cluster has default=http://localhost:2380 but missing from "
            "--initial-advertise-peer-urls=http://127.0.0.1:2380 (resolved urls: \"http://127.0.0.1:2380\" != "
            "\"http://localhost:2380\")");
}

TEST(VerifyBootstrap, HostnameResolvedToSameAddressMatches) {
  auto resolver = [](std::string_view hp) -> Result<std::string> {
    EXPECT_EQ(hp, "node1.example:2380");
    return std::string("10.0.0.1:2380");
  };
  EXPECT_EQ(Verify("a", "http://10.0.0.1:2380", "a=http://node1.example:2380", resolver), "<ok>");
}

TEST(VerifyBootstrap, ResolveFailure) {
  auto resolver = [](std::string_view) -> Result<std::string> {
    return Fail(ErrorCode::kUnavailable, "lookup node1.example: no such host");
  };
  EXPECT_EQ(Verify("a", "http://10.0.0.1:2380", "a=http://node1.example:2380", resolver),
            "--initial-cluster has a=http://node1.example:2380 but missing from "
            "--initial-advertise-peer-urls=http://10.0.0.1:2380 (failed to resolve "
            "\"http://node1.example:2380\" (lookup node1.example: no such host))");
}

TEST(VerifyBootstrap, AdvertiseHasExtraUrl) {
  EXPECT_EQ(Verify("a", "http://127.0.0.1:1,http://127.0.0.1:2", "a=http://127.0.0.1:1"),
            "--initial-advertise-peer-urls has http://127.0.0.1:2 but missing from "
            "--initial-cluster=a=http://127.0.0.1:1,a=http://127.0.0.1:2");
}

TEST(VerifyBootstrap, DuplicateUrl) {
  EXPECT_EQ(Verify("a", "http://127.0.0.1:2380", "a=http://127.0.0.1:2380,b=http://127.0.0.1:2380"),
            "initial cluster a=http://127.0.0.1:2380,b=http://127.0.0.1:2380 has duplicate url");
}

TEST(ResolveTcpAddr, ResolvesLocalhostName) {
  // /etc/hosts maps "localhost"; the result is an ip:port form.
  auto r = ResolveTcpAddr("localhost:2380");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(*r == "127.0.0.1:2380" || *r == "[::1]:2380") << *r;
}

}  // namespace
}  // namespace etcdrestore::membership
