#include "shared/cli/flags.h"

#include <gtest/gtest.h>

namespace etcdrestore::cli {
namespace {

struct Opts {
  std::string w = "simple";
  bool hex = false;
  int64_t limit = 0;
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);
  std::vector<std::string> endpoints{"127.0.0.1:2379"};
};

FlagSet MakeFlags(Opts* o) {
  FlagSet f;
  f.AddString("write-out", 'w', &o->w, "");
  f.AddBool("hex", 0, &o->hex, "");
  f.AddInt64("limit", 0, &o->limit, "");
  f.AddDuration("command-timeout", 0, &o->timeout, "");
  f.AddStringSlice("endpoints", 0, &o->endpoints, "");
  return f;
}

TEST(FlagSet, ParsesPflagSyntaxesInterspersed) {
  Opts o;
  FlagSet f = MakeFlags(&o);
  auto pos = f.Parse({"get", "--hex", "-w", "json", "key", "--limit=3", "--command-timeout", "1.5s",
                      "--endpoints=a:1,b:2", "--endpoints", "c:3", "--", "--not-a-flag"});
  ASSERT_TRUE(pos) << pos.error().message();
  EXPECT_EQ(*pos, (std::vector<std::string>{"get", "key", "--not-a-flag"}));
  EXPECT_TRUE(o.hex);
  EXPECT_EQ(o.w, "json");
  EXPECT_EQ(o.limit, 3);
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(o.endpoints, (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_TRUE(f.Changed("endpoints"));
  EXPECT_FALSE(f.Changed("nonexistent"));
}

TEST(FlagSet, ShortFlagForms) {
  for (std::vector<std::string> args : {std::vector<std::string>{"-wjson"}, {"-w=json"}, {"-w", "json"}}) {
    Opts o;
    FlagSet f = MakeFlags(&o);
    ASSERT_TRUE(f.Parse(args));
    EXPECT_EQ(o.w, "json");
  }
}

TEST(FlagSet, BoolTakesNoSeparateValue) {
  Opts o;
  FlagSet f = MakeFlags(&o);
  auto pos = f.Parse({"--hex", "false"});
  ASSERT_TRUE(pos);
  EXPECT_TRUE(o.hex);
  EXPECT_EQ(*pos, std::vector<std::string>{"false"});
  ASSERT_TRUE(f.Parse({"--hex=false"}));
  EXPECT_FALSE(o.hex);
}

TEST(FlagSet, ErrorTextsMatchPflag) {
  auto err = [](std::vector<std::string> args) {
    Opts o;
    FlagSet f = MakeFlags(&o);
    auto r = f.Parse(args);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message();
  };
  EXPECT_EQ(err({"--bogus"}), "unknown flag: --bogus");
  EXPECT_EQ(err({"-x"}), "unknown shorthand flag: 'x' in -x");
  EXPECT_EQ(err({"--limit"}), "flag needs an argument: --limit");
  EXPECT_EQ(err({"-w"}), "flag needs an argument: 'w' in -w");
  EXPECT_EQ(err({"--limit=abc"}),
            "invalid argument \"abc\" for \"--limit\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax");
  EXPECT_EQ(err({"--hex=maybe"}),
            "invalid argument \"maybe\" for \"--hex\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax");
  EXPECT_EQ(err({"--command-timeout=abc"}),
            "invalid argument \"abc\" for \"--command-timeout\" flag: time: invalid duration \"abc\"");
  EXPECT_EQ(err({"--limit=99999999999999999999"}),
            "invalid argument \"99999999999999999999\" for \"--limit\" flag: strconv.ParseInt: parsing "
            "\"99999999999999999999\": value out of range");
}

TEST(FlagSet, Int64AcceptsGoBasePrefixes) {
  Opts o;
  FlagSet f = MakeFlags(&o);
  ASSERT_TRUE(f.Parse({"--limit=0x10"}));
  EXPECT_EQ(o.limit, 16);
  ASSERT_TRUE(f.Parse({"--limit=-7"}));
  EXPECT_EQ(o.limit, -7);
}

TEST(GoDuration, ParsesGoSyntax) {
  EXPECT_EQ(*ParseGoDuration("0"), std::chrono::nanoseconds(0));
  EXPECT_EQ(*ParseGoDuration("2s"), std::chrono::seconds(2));
  EXPECT_EQ(*ParseGoDuration("1h2m3.5s"), std::chrono::milliseconds(3723500));
  EXPECT_EQ(*ParseGoDuration("300ms"), std::chrono::milliseconds(300));
  EXPECT_EQ(*ParseGoDuration("1.5us"), std::chrono::nanoseconds(1500));
  EXPECT_EQ(ParseGoDuration("5").error().message(), "time: missing unit in duration \"5\"");
  EXPECT_EQ(ParseGoDuration("5x").error().message(), "time: unknown unit \"x\" in duration \"5x\"");
  EXPECT_EQ(ParseGoDuration("").error().message(), "time: invalid duration \"\"");
}

TEST(GoDuration, FormatsLikeGo) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(FormatGoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(FormatGoDuration(nanoseconds(850)), "850ns");
  EXPECT_EQ(FormatGoDuration(nanoseconds(857820)), "857.82\xC2\xB5s");  // from etcdctl's health json
  EXPECT_EQ(FormatGoDuration(nanoseconds(1458294)), "1.458294ms");
  EXPECT_EQ(FormatGoDuration(nanoseconds(5000344529)), "5.000344529s");
  EXPECT_EQ(FormatGoDuration(std::chrono::seconds(5)), "5s");
  EXPECT_EQ(FormatGoDuration(std::chrono::seconds(90)), "1m30s");
  EXPECT_EQ(FormatGoDuration(std::chrono::seconds(3600)), "1h0m0s");
}

// etcdctl parses member and lease IDs with strconv.ParseUint/ParseInt(s, 16, 64).
TEST(GoParseUintInt, ExplicitBaseAndGoTexts) {
  EXPECT_EQ(*ParseGoUint("8e9e05c52164694d", 16), 0x8e9e05c52164694dULL);
  EXPECT_EQ(ParseGoUint("zz", 16).error().message(), "strconv.ParseUint: parsing \"zz\": invalid syntax");
  EXPECT_EQ(ParseGoUint("0x12", 16).error().message(), "strconv.ParseUint: parsing \"0x12\": invalid syntax");
  EXPECT_EQ(ParseGoUint("", 16).error().message(), "strconv.ParseUint: parsing \"\": invalid syntax");
  EXPECT_EQ(ParseGoUint("fffffffffffffffffz", 16).error().message(),
            "strconv.ParseUint: parsing \"fffffffffffffffffz\": value out of range");
  EXPECT_EQ(*ParseGoInt("-5", 10), -5);
  EXPECT_EQ(ParseGoInt("abc", 10).error().message(), "strconv.ParseInt: parsing \"abc\": invalid syntax");
  EXPECT_EQ(ParseGoInt("8000000000000000", 16).error().message(),
            "strconv.ParseInt: parsing \"8000000000000000\": value out of range");
}

}  // namespace
}  // namespace etcdrestore::cli
