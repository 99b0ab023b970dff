#include "shared/membership/go_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace etcdrestore::membership {
namespace {

// Expected texts were produced by the real binaries: a member named
// "x<>&\"\\\b\f\x01\u2028\xff\u00e9" restored with etcdutl 3.5.30 and etcdctl 3.4.23; the
// ConfChange context in each WAL carried exactly these name strings.
constexpr char kNastyName[] = "x<>&\"\\\b\f\x01\xe2\x80\xa8\xff\xc3\xa9";

TEST(GoJson, MatchesEtcdutl35Escaping) {
  EXPECT_EQ(GoJsonString(kNastyName, GoJsonEscaping::kGo122),
            "\"x\\u003c\\u003e\\u0026\\\"\\\\\\b\\f\\u0001\\u2028\\ufffd\xc3\xa9\"");
}

TEST(GoJson, MatchesEtcdctl34Escaping) {
  EXPECT_EQ(GoJsonString(kNastyName, GoJsonEscaping::kGo119),
            "\"x\\u003c\\u003e\\u0026\\\"\\\\\\u0008\\u000c\\u0001\\u2028\\ufffd\xc3\xa9\"");
}

TEST(GoJson, ShortFormsAndPlainText) {
  EXPECT_EQ(GoJsonString("a\nb\rc\td\x7f/", GoJsonEscaping::kGo122), "\"a\\nb\\rc\\td\x7f/\"");
  EXPECT_EQ(GoJsonString("", GoJsonEscaping::kGo122), "\"\"");
}

TEST(GoJson, InvalidUtf8EachByteBecomesReplacement) {
  // Overlong "/" (c0 af), a lone continuation byte, a surrogate (ed a0 80), truncated 3-byte.
  EXPECT_EQ(GoJsonString("\xc0\xaf|\x80|\xed\xa0\x80|\xe2\x82", GoJsonEscaping::kGo122),
            "\"\\ufffd\\ufffd|\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\"");
  // Valid 4-byte rune stays raw; U+2029 is escaped.
  EXPECT_EQ(GoJsonString("\xf0\x9f\x98\x80\xe2\x80\xa9", GoJsonEscaping::kGo122), "\"\xf0\x9f\x98\x80\\u2029\"");
}

TEST(GoJson, StringArray) {
  std::string out;
  std::vector<std::string> items{"http://a:1", "b&c"};
  AppendGoJsonStringArray(items, GoJsonEscaping::kGo122, &out);
  EXPECT_EQ(out, "[\"http://a:1\",\"b\\u0026c\"]");
  out.clear();
  AppendGoJsonStringArray({}, GoJsonEscaping::kGo122, &out);
  EXPECT_EQ(out, "[]");
}

}  // namespace
}  // namespace etcdrestore::membership
