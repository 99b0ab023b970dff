#include "shared/base/strings.h"

#include <gtest/gtest.h>

namespace etcdrestore {
namespace {

TEST(Join, LikeGoStringsJoin) {
  EXPECT_EQ(Join({}, ","), "");
  EXPECT_EQ(Join({"a"}, ","), "a");
  EXPECT_EQ(Join({"http://a:2380", "http://b:2380"}, ","), "http://a:2380,http://b:2380");
  EXPECT_EQ(Join({"x", "", "y"}, ", "), "x, , y");
}

TEST(HumanizeBytes, MatchesGoHumanizeSi) {
  EXPECT_EQ(HumanizeBytes(0), "0 B");
  EXPECT_EQ(HumanizeBytes(9), "9 B");
  EXPECT_EQ(HumanizeBytes(10), "10 B");
  EXPECT_EQ(HumanizeBytes(999), "999 B");
  EXPECT_EQ(HumanizeBytes(1000), "1.0 kB");
  EXPECT_EQ(HumanizeBytes(1500), "1.5 kB");
  EXPECT_EQ(HumanizeBytes(20480), "20 kB");   // etcdctl snapshot status snap1.db
  EXPECT_EQ(HumanizeBytes(32768), "33 kB");   // etcdctl endpoint status
  EXPECT_EQ(HumanizeBytes(9950), "10 kB");    // floor(9.95*10+0.5)/10 = 10.0, so no decimal
  EXPECT_EQ(HumanizeBytes(1480000000), "1.5 GB");
  EXPECT_EQ(HumanizeBytes(20500), "20 kB");   // %.0f rounds half to even
  EXPECT_EQ(HumanizeBytes(21500), "22 kB");
}

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(GoQuote("foo"), "\"foo\"");
  EXPECT_EQ(GoQuote("x<y>&\"z"), "\"x<y>&\\\"z\"");
  EXPECT_EQ(GoQuote(std::string("bin\x01\xff", 5)), "\"bin\\x01\\xff\"");  // real etcdctl -w fields
  EXPECT_EQ(GoQuote("a\nb\tc\\"), "\"a\\nb\\tc\\\\\"");
  EXPECT_EQ(GoQuote("\xC3\xA9t\xC3\xA9"), "\"\xC3\xA9t\xC3\xA9\"");
  EXPECT_EQ(GoQuote("\x7f"), "\"\\x7f\"");
}

TEST(HumanBytes, OneDecimalFromKilobytes) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(999), "999 B");
  EXPECT_EQ(HumanBytes(1000), "1.0 kB");
  EXPECT_EQ(HumanBytes(20512), "20.5 kB");
  EXPECT_EQ(HumanBytes(2'100'000), "2.1 MB");
  EXPECT_EQ(HumanBytes(5'270'000'000), "5.3 GB");
  EXPECT_EQ(HumanBytes(7'000'000'000'000'000), "7000.0 TB");  // TB is the largest unit
}

TEST(Quote, PlainDoubleQuotes) {
  EXPECT_EQ(Quote("a b"), "\"a b\"");
  EXPECT_EQ(Quote("say \"x\""), "\"say \"x\"\"");  // nothing escaped: for our own messages
}

TEST(GoQuoteList, LikeGoPercentQOfASlice) {
  EXPECT_EQ(GoQuoteList({}), "[]");
  EXPECT_EQ(GoQuoteList({"http://a:2380", "b\n"}), "[\"http://a:2380\" \"b\\n\"]");
}

TEST(ShellQuote, SingleQuotesEveryWord) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("/var/lib/etcd"), "'/var/lib/etcd'");
  EXPECT_EQ(ShellQuote("it's $HOME"), "'it'\\''s $HOME'");
  EXPECT_EQ(ShellQuoteIfNeeded("/var/lib/etcd"), "/var/lib/etcd");
  EXPECT_EQ(ShellQuoteIfNeeded("--name=a,b:1@x+%"), "--name=a,b:1@x+%");
  EXPECT_EQ(ShellQuoteIfNeeded(""), "''");
  EXPECT_EQ(ShellQuoteIfNeeded("a b"), "'a b'");
  EXPECT_EQ(ShellQuoteIfNeeded("x'y"), "'x'\\''y'");
}

TEST(DecodeUtf8, LengthsAndInvalidSequences) {
  uint32_t r = 0;
  EXPECT_EQ(DecodeUtf8("a", 0, &r), 1u);
  EXPECT_EQ(r, 'a');
  EXPECT_EQ(DecodeUtf8("\xc3\xa9", 0, &r), 2u);
  EXPECT_EQ(r, 0xe9u);
  EXPECT_EQ(DecodeUtf8("\xf0\x9f\x98\x80", 0, &r), 4u);
  EXPECT_EQ(r, 0x1f600u);
  EXPECT_EQ(DecodeUtf8("\xc0\xaf", 0, &r), 0u);          // overlong
  EXPECT_EQ(DecodeUtf8("\xed\xa0\x80", 0, &r), 0u);     // surrogate
  EXPECT_EQ(DecodeUtf8("\xf4\x90\x80\x80", 0, &r), 0u);  // above U+10FFFF
  EXPECT_EQ(DecodeUtf8("\xe2\x82", 0, &r), 0u);          // cut short
}

}  // namespace
}  // namespace etcdrestore
