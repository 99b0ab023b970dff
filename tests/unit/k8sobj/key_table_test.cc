#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

#include "shared/k8sobj/key_table.h"

namespace etcdrestore::k8sobj {
namespace {

struct Rec {
  uint32_t n = 0;
  bool seen = false;
};

// 300k keys (the index grows from 128k slots four times), each found again by a fresh
// string, against std::unordered_map; first-found order kept.
TEST(KeyTable, FindsEveryKeyAcrossGrowthAndKeepsFirstFoundOrder) {
  KeyTable<Rec> t;
  std::unordered_map<std::string, uint32_t> want;
  for (uint32_t i = 0; i < 300000; ++i) {
    const std::string k = "/registry/pods/ns-" + std::to_string(i % 97) + "/pod-" + std::to_string(i);
    Rec& r = t.Find(k);
    EXPECT_FALSE(r.seen) << k;
    r = {i, true};
    want[k] = i;
  }
  EXPECT_EQ(t.size(), 300000u);
  for (const auto& [k, n] : want) {
    const std::string copy = k;  // another buffer: found by content, not address
    ASSERT_EQ(t.Find(copy).n, n) << k;
  }
  EXPECT_EQ(t.size(), 300000u);
  uint32_t expect = 0;
  t.ForEach([&](std::string_view k, const Rec& r) {
    EXPECT_EQ(r.n, expect);
    EXPECT_EQ(want.at(std::string(k)), expect);
    ++expect;
  });
  EXPECT_EQ(expect, 300000u);
}

TEST(KeyTable, EmptyLongAndPrefixKeysAreDistinct) {
  KeyTable<Rec> t;
  const std::string big(3 << 20, 'k');  // bigger than a 1 MiB key block
  t.Find("").n = 1;
  t.Find("a").n = 2;
  t.Find("ab").n = 3;
  t.Find(big).n = 4;
  t.Find(big.substr(1)).n = 5;
  EXPECT_EQ(t.Find("").n, 1u);
  EXPECT_EQ(t.Find("a").n, 2u);
  EXPECT_EQ(t.Find("ab").n, 3u);
  EXPECT_EQ(t.Find(big).n, 4u);
  EXPECT_EQ(t.Find(big.substr(1)).n, 5u);
  EXPECT_EQ(t.size(), 5u);
}

}  // namespace
}  // namespace etcdrestore::k8sobj
