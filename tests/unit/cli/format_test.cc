#include "shared/cli/format.h"

#include <gtest/gtest.h>

namespace etcdrestore::cli {
namespace {

TEST(JsonString, EscapesLikeEncodingJson) {
  EXPECT_EQ(JsonString("a<b>&c"), "\"a\\u003cb\\u003e\\u0026c\"");
  EXPECT_EQ(JsonString("q\"\\\n\r\t\b"), "\"q\\\"\\\\\\n\\r\\t\\u0008\"");
  EXPECT_EQ(JsonString("857.82\xC2\xB5s"), "\"857.82\xC2\xB5s\"");
  EXPECT_EQ(JsonString(std::string("\xff", 1)), "\"\\ufffd\"");
  EXPECT_EQ(JsonString("\xE2\x80\xA8"), "\"\\u2028\"");
}

TEST(Base64, StdEncodingWithPadding) {
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("bar2"), "YmFyMg==");
  EXPECT_EQ(Base64(std::string("bin\x01\xff", 5)), "YmluAf8=");
  EXPECT_EQ(Base64(""), "");
}

TEST(HexWithPrefix, EveryByte) { EXPECT_EQ(HexWithPrefix("k2"), "\\x6b\\x32"); }

TEST(JsonWriter, InsertsCommasAndNests) {
  JsonWriter w;
  w.BeginObject().Key("a").Int(-1).Key("b").BeginArray().Uint(18446744073709551615ULL).Bool(false);
  w.BeginObject().EndObject().EndArray().Key("c").Bytes("foo").EndObject();
  EXPECT_EQ(w.str(), "{\"a\":-1,\"b\":[18446744073709551615,false,{}],\"c\":\"Zm9v\"}");
}

TEST(RenderTable, MatchesEtcdctlSnapshotStatusTable) {
  // Verbatim output of etcdctl 3.4.23 snapshot status snap1.db -w table.
  const std::string want =
      "+----------+----------+------------+------------+\n"
      "|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |\n"
      "+----------+----------+------------+------------+\n"
      "| 11de1f8b |       11 |         14 |      20 kB |\n"
      "+----------+----------+------------+------------+\n";
  EXPECT_EQ(RenderTable({"hash", "revision", "total keys", "total size"},
                        {{"11de1f8b", "11", "14", "20 kB"}}),
            want);
}

TEST(RenderTable, EmptyTableHasHeaderAndTwoBorders) {
  const std::string want =
      "+----------+----+\n"
      "| ENDPOINT | ID |\n"
      "+----------+----+\n"
      "+----------+----+\n";
  EXPECT_EQ(RenderTable({"endpoint", "ID"}, {}), want);
}

TEST(RenderTable, WrapsCellsWiderThanThirtyAtSpaces) {
  std::string out = RenderTable({"error"}, {{"aaaa bbbb cccc dddd eeee ffff gggg"}});
  EXPECT_EQ(out,
            "+-------------------------------+\n"
            "|             ERROR             |\n"
            "+-------------------------------+\n"
            "| aaaa bbbb cccc dddd eeee ffff |\n"
            "|                          gggg |\n"
            "+-------------------------------+\n");
}

}  // namespace
}  // namespace etcdrestore::cli
