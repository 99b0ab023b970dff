#include "shared/membership/member.h"

#include <gtest/gtest.h>

namespace etcdrestore::membership {
namespace {

// Vectors from docs/etcd-formats.md §4, each matched by the real etcdctl 3.4.23.
TEST(MemberId, DefaultSingleMember) {
  auto cl = NewClusterFromUrlsMap("etcd-cluster", *NewUrlsMap("default=http://localhost:2380"));
  ASSERT_TRUE(cl) << cl.error().message();
  ASSERT_EQ(cl->members.size(), 1u);
  EXPECT_EQ(cl->members[0].id, 0x8e9e05c52164694dULL);
  EXPECT_EQ(cl->id, 0xcdf818194e3a8c32ULL);
  EXPECT_EQ(IdString(cl->id), "cdf818194e3a8c32");
}

TEST(MemberId, ThreeMembersSortedById) {
  auto cl = NewClusterFromUrlsMap(
      "tok3", *NewUrlsMap("a=http://127.0.0.1:23811,b=http://127.0.0.1:23812,c=http://127.0.0.1:23813"));
  ASSERT_TRUE(cl) << cl.error().message();
  ASSERT_EQ(cl->members.size(), 3u);
  EXPECT_EQ(cl->members[0].name, "b");
  EXPECT_EQ(cl->members[0].id, 0x52eb4f0d281b02eaULL);
  EXPECT_EQ(cl->members[1].name, "a");
  EXPECT_EQ(cl->members[1].id, 0x5a9ff2fd570cac50ULL);
  EXPECT_EQ(cl->members[2].name, "c");
  EXPECT_EQ(cl->members[2].id, 0x9f4776933e3fb72aULL);
  EXPECT_EQ(cl->id, 0x512bcc7be0b351a4ULL);
  EXPECT_EQ(cl->MemberByName("a")->id, 0x5a9ff2fd570cac50ULL);
  EXPECT_EQ(cl->MemberByName("zz"), nullptr);
}

TEST(MemberId, UnsortedUrlsAreSortedFirstAndIdPrintsUnpadded) {
  auto cl = NewClusterFromUrlsMap("etcd-cluster", *NewUrlsMap("a=http://127.0.0.1:2381,a=http://127.0.0.1:2380"));
  ASSERT_TRUE(cl) << cl.error().message();
  EXPECT_EQ(cl->members[0].id, 0x80e0c9a447a0659cULL);
  EXPECT_EQ(cl->id, 0x0fc3a5f77660399bULL);
  EXPECT_EQ(IdString(cl->id), "fc3a5f77660399b");
  EXPECT_EQ(MemberJson(cl->members[0]),
            "{\"id\":9286644139051476380,\"peerURLs\":[\"http://127.0.0.1:2380\",\"http://127.0.0.1:2381\"],"
            "\"name\":\"a\"}");
  EXPECT_EQ(ComputeMemberId({"http://127.0.0.1:2381", "http://127.0.0.1:2380"}, "etcd-cluster"),
            0x80e0c9a447a0659cULL);
}

TEST(MemberJson, MatchesConfChangeContextOfFixture) {
  Member m{0x8e9e05c52164694dULL, "default", {"http://localhost:2380"}};
  EXPECT_EQ(MemberJson(m),
            "{\"id\":10276657743932975437,\"peerURLs\":[\"http://localhost:2380\"],\"name\":\"default\"}");
  EXPECT_EQ(RaftAttributesJson(m), "{\"peerURLs\":[\"http://localhost:2380\"]}");
}

TEST(MemberJson, EmptyNameIsOmitted) {
  Member m{1, "", {"http://h:1"}};
  EXPECT_EQ(MemberJson(m), "{\"id\":1,\"peerURLs\":[\"http://h:1\"]}");
}

TEST(IdString, Zero) { EXPECT_EQ(IdString(0), "0"); }

}  // namespace
}  // namespace etcdrestore::membership
