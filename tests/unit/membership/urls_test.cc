#include "shared/membership/urls.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace etcdrestore::membership {
namespace {

std::string ErrorOf(const Result<std::vector<std::string>>& r) {
  return r ? std::string("<ok>") : r.error().message();
}

// Message texts observed from etcdctl 3.4.23 (docs/etcd-formats.md §8.3) or read in
// pkg/types/urls.go.
TEST(NewUrls, RejectsMissingScheme) {
  EXPECT_EQ(ErrorOf(ParsePeerUrls("localhost:2380")),
            "URL scheme must be http, https, unix, or unixs: localhost:2380");
  EXPECT_EQ(ErrorOf(ParsePeerUrls("ftp://h:1")), "URL scheme must be http, https, unix, or unixs: ftp://h:1");
}

TEST(NewUrls, RejectsPath) {
  EXPECT_EQ(ErrorOf(ParsePeerUrls("http://localhost:2380/x")), "URL must not contain a path: http://localhost:2380/x");
  EXPECT_EQ(ErrorOf(ParsePeerUrls("http://localhost:2380/")), "URL must not contain a path: http://localhost:2380/");
}

TEST(NewUrls, RejectsHostWithoutPort) {
  EXPECT_EQ(ErrorOf(ParsePeerUrls("http://localhost")),
            "URL address does not have the form \"host:port\": http://localhost");
  EXPECT_EQ(ErrorOf(ParsePeerUrls("http:opaque")), "URL address does not have the form \"host:port\": http:opaque");
}

TEST(NewUrls, GoParseErrors) {
  EXPECT_EQ(ErrorOf(ParsePeerUrls("http://h:abc")), "parse \"http://h:abc\": invalid port \":abc\" after host");
  EXPECT_EQ(ErrorOf(ParsePeerUrls("http://[::1")), "parse \"http://[::1\": missing ']' in host");
  EXPECT_EQ(ErrorOf(ParsePeerUrls("://x")), "parse \"://x\": missing protocol scheme");
}

TEST(NewUrls, EmptyItemFromDoubleComma) {
  EXPECT_EQ(ErrorOf(ParsePeerUrls("http://a:1,,http://b:2")), "URL scheme must be http, https, unix, or unixs: ");
}

TEST(NewUrls, TrimsLowercasesSchemeAndSorts) {
  auto r = ParsePeerUrls(" http://127.0.0.1:2381 ,HTTPS://[::1]:2380,unix://sock:1");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, (std::vector<std::string>{"http://127.0.0.1:2381", "https://[::1]:2380", "unix://sock:1"}));
}

TEST(SplitHostPort, GoCases) {
  EXPECT_EQ(SplitHostPort("h:1")->first, "h");
  EXPECT_EQ(SplitHostPort("[::1]:80")->first, "::1");
  EXPECT_EQ(SplitHostPort("h:")->second, "");
  EXPECT_EQ(SplitHostPort("h").error().message(), "address h: missing port in address");
  EXPECT_EQ(SplitHostPort("a:b:c").error().message(), "address a:b:c: too many colons in address");
  EXPECT_FALSE(SplitHostPort("[::1]"));
}

TEST(NewUrlsMap, SkipsEmptyItemsAndAccumulatesNames) {
  auto r = NewUrlsMap(",b=http://h:2,,a=http://h:3,a=http://h:1,");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(r->at("a"), (std::vector<std::string>{"http://h:1", "http://h:3"}));
  EXPECT_EQ(UrlsMapString(*r), "a=http://h:1,a=http://h:3,b=http://h:2");
}

TEST(NewUrlsMap, SplitsAtFirstEquals) {
  auto r = NewUrlsMap("a=http://h:1?x=y");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->at("a"), (std::vector<std::string>{"http://h:1?x=y"}));
}

TEST(NewUrlsMap, ItemWithoutEqualsIsAnEmptyUrl) {
  auto r = NewUrlsMap("a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "URL scheme must be http, https, unix, or unixs: ");
}

}  // namespace
}  // namespace etcdrestore::membership
