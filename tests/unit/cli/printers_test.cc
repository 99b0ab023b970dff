// Expected bytes are verbatim etcdctl 3.4.23 outputs (docs/etcd-formats.md §8, made by the
// real Debian etcdctl against a real etcd 3.4.23).
#include "shared/cli/printers.h"

#include <gtest/gtest.h>

namespace etcdrestore::cli {
namespace {

using etcdclient::ResponseHeader;

const ResponseHeader kHeader{4842608929838899155ULL, 6053375250762808194ULL, 11, 2};

std::vector<EndpointStatus> OneStatus() {
  etcdclient::StatusResponse s;
  s.header = kHeader;
  s.version = "3.4.23";
  s.db_size = 20480;
  s.leader = 6053375250762808194ULL;
  s.raft_index = 15;
  s.raft_term = 2;
  s.raft_applied_index = 15;
  s.db_size_in_use = 16384;
  return {{"127.0.0.1:23790", s}};
}

PrintOptions Format(OutputFormat f) {
  PrintOptions o;
  o.format = f;
  return o;
}

TEST(PrintEndpointStatus, Simple) {
  EXPECT_EQ(*PrintEndpointStatus(Format(OutputFormat::kSimple), OneStatus()),
            "127.0.0.1:23790, 5401e8b7e9dbbb82, 3.4.23, 20 kB, true, false, 2, 15, 15, \n");
}

TEST(PrintEndpointStatus, Table) {
  EXPECT_EQ(*PrintEndpointStatus(Format(OutputFormat::kTable), OneStatus()),
            "+-----------------+------------------+---------+---------+-----------+------------+-----------+-----------"
            "-+--------------------+--------+\n"
            "|    ENDPOINT     |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT "
            "INDEX | RAFT APPLIED INDEX | ERRORS |\n"
            "+-----------------+------------------+---------+---------+-----------+------------+-----------+-----------"
            "-+--------------------+--------+\n"
            "| 127.0.0.1:23790 | 5401e8b7e9dbbb82 |  3.4.23 |   20 kB |      true |      false |         2 |         "
            "15 |                 15 |        |\n"
            "+-----------------+------------------+---------+---------+-----------+------------+-----------+-----------"
            "-+--------------------+--------+\n");
}

TEST(PrintEndpointStatus, Json) {
  EXPECT_EQ(*PrintEndpointStatus(Format(OutputFormat::kJson), OneStatus()),
            "[{\"Endpoint\":\"127.0.0.1:23790\",\"Status\":{\"header\":{\"cluster_id\":4842608929838899155,"
            "\"member_id\":6053375250762808194,\"revision\":11,\"raft_term\":2},\"version\":\"3.4.23\","
            "\"dbSize\":20480,\"leader\":6053375250762808194,\"raftIndex\":15,\"raftTerm\":2,"
            "\"raftAppliedIndex\":15,\"dbSizeInUse\":16384}}]\n");
  EXPECT_EQ(*PrintEndpointStatus(Format(OutputFormat::kJson), {}), "[]\n");
}

TEST(PrintEndpointStatus, Fields) {
  EXPECT_EQ(*PrintEndpointStatus(Format(OutputFormat::kFields), OneStatus()),
            "\"ClusterID\" : 4842608929838899155\n\"MemberID\" : 6053375250762808194\n"
            "\"Revision\" : 11\n\"RaftTerm\" : 2\n\"Version\" : \"3.4.23\"\n\"DBSize\" : 20480\n"
            "\"Leader\" : 6053375250762808194\n\"IsLearner\" : false\n\"RaftIndex\" : 15\n"
            "\"RaftTerm\" : 2\n\"RaftAppliedIndex\" : 15\n\"Errors\" : []\n"
            "\"Endpoint\" : \"127.0.0.1:23790\"\n\n");
}

etcdclient::MemberListResponse OneMember() {
  etcdclient::MemberListResponse r;
  r.header = {4842608929838899155ULL, 6053375250762808194ULL, 0, 2};
  r.members.push_back({6053375250762808194ULL, "src", {"http://127.0.0.1:23800"},
                       {"http://127.0.0.1:23790"}, false});
  return r;
}

TEST(PrintMemberList, AllFormats) {
  EXPECT_EQ(*PrintMemberList(Format(OutputFormat::kSimple), OneMember()),
            "5401e8b7e9dbbb82, started, src, http://127.0.0.1:23800, http://127.0.0.1:23790, false\n");
  EXPECT_EQ(*PrintMemberList(Format(OutputFormat::kTable), OneMember()),
            "+------------------+---------+------+------------------------+------------------------+------------+\n"
            "|        ID        | STATUS  | NAME |       PEER ADDRS       |      CLIENT ADDRS      | IS LEARNER |\n"
            "+------------------+---------+------+------------------------+------------------------+------------+\n"
            "| 5401e8b7e9dbbb82 | started |  src | http://127.0.0.1:23800 | http://127.0.0.1:23790 |      false |\n"
            "+------------------+---------+------+------------------------+------------------------+------------+\n");
  EXPECT_EQ(*PrintMemberList(Format(OutputFormat::kJson), OneMember()),
            "{\"header\":{\"cluster_id\":4842608929838899155,\"member_id\":6053375250762808194,"
            "\"raft_term\":2},\"members\":[{\"ID\":6053375250762808194,\"name\":\"src\",\"peerURLs\":"
            "[\"http://127.0.0.1:23800\"],\"clientURLs\":[\"http://127.0.0.1:23790\"]}]}\n");
  EXPECT_EQ(*PrintMemberList(Format(OutputFormat::kFields), OneMember()),
            "\"ClusterID\" : 4842608929838899155\n\"MemberID\" : 6053375250762808194\n"
            "\"Revision\" : 0\n\"RaftTerm\" : 2\n\"ID\" : 6053375250762808194\n\"Name\" : \"src\"\n"
            "\"PeerURL\" : \"http://127.0.0.1:23800\"\n\"ClientURL\" : \"http://127.0.0.1:23790\"\n"
            "\"IsLearner\" : false\n\n");
}

TEST(PrintMemberList, UnstartedMemberHasNoName) {
  etcdclient::MemberListResponse r;
  r.members.push_back({0x10, "", {"http://10.0.0.2:2380"}, {}, true});
  EXPECT_EQ(*PrintMemberList(Format(OutputFormat::kSimple), r),
            "10, unstarted, , http://10.0.0.2:2380, , true\n");
}

TEST(PrintEndpointHealth, TableWithFailure) {
  std::vector<EndpointHealth> h = {{"127.0.0.1:23790", true, "2.093201ms", ""},
                                   {"127.0.0.1:23799", false, "5.001240509s", "context deadline exceeded"}};
  auto p = PrintEndpointHealth(Format(OutputFormat::kTable), h);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->out,
            "+-----------------+--------+--------------+---------------------------+\n"
            "|    ENDPOINT     | HEALTH |     TOOK     |           ERROR           |\n"
            "+-----------------+--------+--------------+---------------------------+\n"
            "| 127.0.0.1:23790 |   true |   2.093201ms |                           |\n"
            "| 127.0.0.1:23799 |  false | 5.001240509s | context deadline exceeded |\n"
            "+-----------------+--------+--------------+---------------------------+\n");
  EXPECT_EQ(p->err, "");
}

TEST(PrintEndpointHealth, SimpleGoesToStderr) {
  std::vector<EndpointHealth> h = {{"127.0.0.1:23790", true, "1.458294ms", ""},
                                   {"127.0.0.1:23799", false, "5s", "context deadline exceeded"}};
  auto p = PrintEndpointHealth(Format(OutputFormat::kSimple), h);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->out, "");
  EXPECT_EQ(p->err,
            "127.0.0.1:23790 is healthy: successfully committed proposal: took = 1.458294ms\n"
            "127.0.0.1:23799 is unhealthy: failed to commit proposal: context deadline exceeded\n");
  auto j = PrintEndpointHealth(Format(OutputFormat::kJson),
                               {{"127.0.0.1:23799", false, "5.000733963s", "context deadline exceeded"}});
  auto f = PrintEndpointHealth(Format(OutputFormat::kFields), {{"127.0.0.1:23790", true, "2.268225ms", ""}});
  EXPECT_EQ(f->out, "\"Endpoint\" : \"127.0.0.1:23790\"\n\"Health\" : true\n\"Took\" : 2.268225ms\n\"Error\" : \n\n");
  EXPECT_EQ(j->out, "[{\"endpoint\":\"127.0.0.1:23799\",\"health\":false,\"took\":\"5.000733963s\","
                    "\"error\":\"context deadline exceeded\"}]\n");
}

TEST(PrintGet, JsonSimpleAndFields) {
  etcdclient::RangeResponse r;
  r.header = {4842608929838899155ULL, 6053375250762808194ULL, 8, 2};
  r.kvs.push_back({"foo", 2, 6, 2, "bar2", 0});
  r.count = 1;
  EXPECT_EQ(*PrintGet(Format(OutputFormat::kJson), r),
            "{\"header\":{\"cluster_id\":4842608929838899155,\"member_id\":6053375250762808194,"
            "\"revision\":8,\"raft_term\":2},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,"
            "\"mod_revision\":6,\"version\":2,\"value\":\"YmFyMg==\"}],\"count\":1}\n");
  EXPECT_EQ(*PrintGet(Format(OutputFormat::kSimple), r), "foo\nbar2\n");
  PrintOptions value_only = Format(OutputFormat::kSimple);
  value_only.value_only = true;
  EXPECT_EQ(*PrintGet(value_only, r), "bar2\n");
  PrintOptions hex = Format(OutputFormat::kSimple);
  hex.hex = true;
  EXPECT_EQ(*PrintGet(hex, r), "\\x66\\x6f\\x6f\n\\x62\\x61\\x72\\x32\n");
  EXPECT_EQ(*PrintGet(Format(OutputFormat::kFields), r),
            "\"ClusterID\" : 4842608929838899155\n\"MemberID\" : 6053375250762808194\n"
            "\"Revision\" : 8\n\"RaftTerm\" : 2\n\"Key\" : \"foo\"\n\"CreateRevision\" : 2\n"
            "\"ModRevision\" : 6\n\"Version\" : 2\n\"Value\" : \"bar2\"\n\"Lease\" : 0\n"
            "\"More\" : false\n\"Count\" : 1\n");
  auto table = PrintGet(Format(OutputFormat::kTable), r);
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().message(), "table not supported as output format");
  EXPECT_EQ(table.error().code(), ErrorCode::kUnsupported);
}

TEST(PrintPutDel, Json) {
  etcdclient::PutResponse p{{4842608929838899155ULL, 6053375250762808194ULL, 9, 2}};
  EXPECT_EQ(*PrintPut(Format(OutputFormat::kJson), p),
            "{\"header\":{\"cluster_id\":4842608929838899155,\"member_id\":6053375250762808194,"
            "\"revision\":9,\"raft_term\":2}}\n");
  etcdclient::DeleteRangeResponse d{{4842608929838899155ULL, 6053375250762808194ULL, 10, 2}, 1};
  EXPECT_EQ(*PrintDel(Format(OutputFormat::kJson), d),
            "{\"header\":{\"cluster_id\":4842608929838899155,\"member_id\":6053375250762808194,"
            "\"revision\":10,\"raft_term\":2},\"deleted\":1}\n");
  EXPECT_EQ(*PrintDel(Format(OutputFormat::kSimple), d), "1\n");
}

TEST(PrintDbStatus, AllFormatsOfSnap1) {
  const DbStatus s{0x11de1f8b, 11, 14, 20480};
  EXPECT_EQ(*PrintDbStatus(Format(OutputFormat::kSimple), s), "11de1f8b, 11, 14, 20 kB\n");
  EXPECT_EQ(*PrintDbStatus(Format(OutputFormat::kJson), s),
            "{\"hash\":299769739,\"revision\":11,\"totalKey\":14,\"totalSize\":20480}\n");
  EXPECT_EQ(*PrintDbStatus(Format(OutputFormat::kFields), s),
            "\"Hash\" : 299769739\n\"Revision\" : 11\n\"Keys\" : 14\n\"Size\" : 20480\n");
  EXPECT_EQ(PrintDbStatus(Format(OutputFormat::kProtobuf), s).error().message(),
            "protobuf not supported as output format");
}

// etcdutl 3.6 (printer*.go): the storage version as a fifth column / "version" / "Version".
TEST(PrintDbStatus, StorageVersionOnlyWhenPresent) {
  const DbStatus s{0x11de1f8b, 11, 14, 20480, "3.6.0"};
  EXPECT_EQ(*PrintDbStatus(Format(OutputFormat::kSimple), s), "11de1f8b, 11, 14, 20 kB, 3.6.0\n");
  EXPECT_EQ(*PrintDbStatus(Format(OutputFormat::kJson), s),
            "{\"hash\":299769739,\"revision\":11,\"totalKey\":14,\"totalSize\":20480,\"version\":\"3.6.0\"}\n");
  EXPECT_EQ(*PrintDbStatus(Format(OutputFormat::kFields), s),
            "\"Hash\" : 299769739\n\"Revision\" : 11\n\"Keys\" : 14\n\"Size\" : 20480\n\"Version\" : 3.6.0\n");
  EXPECT_EQ(*PrintDbStatus(Format(OutputFormat::kTable), s),
            "+----------+----------+------------+------------+---------+\n"
            "|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE | VERSION |\n"
            "+----------+----------+------------+------------+---------+\n"
            "| 11de1f8b |       11 |         14 |      20 kB |   3.6.0 |\n"
            "+----------+----------+------------+------------+---------+\n");
}

// etcdutl 3.6's hashkv printers.
TEST(PrintDbHashKV, AllFormats) {
  const DbHashKV h{3225007991u, 27, 15};
  EXPECT_EQ(*PrintDbHashKV(Format(OutputFormat::kSimple), h), "3225007991, 27, 15\n");
  EXPECT_EQ(*PrintDbHashKV(Format(OutputFormat::kJson), h),
            "{\"hash\":3225007991,\"hashRevision\":27,\"compactRevision\":15}\n");
  EXPECT_EQ(*PrintDbHashKV(Format(OutputFormat::kFields), h),
            "\"Hash\" : 3225007991\n\"Hash revision\" : 27\n\"Compact revision\" : 15\n");
  EXPECT_EQ(*PrintDbHashKV(Format(OutputFormat::kTable), h),
            "+------------+---------------+------------------+\n"
            "|    HASH    | HASH REVISION | COMPACT REVISION |\n"
            "+------------+---------------+------------------+\n"
            "| 3225007991 |            27 |               15 |\n"
            "+------------+---------------+------------------+\n");
  EXPECT_EQ(PrintDbHashKV(Format(OutputFormat::kProtobuf), h).error().message(),
            "protobuf not supported as output format");
}

TEST(ParseOutputFormat, RejectsUnknown) {
  auto r = ParseOutputFormat("foo");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "unsupported output format");
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
}


// --- Operations commands: verbatim etcdctl 3.4.23 outputs against etcd 3.4.23 -----------------

namespace ops {

const ResponseHeader kOpsHeader{15118495548433857066ULL, 13668033151171901709ULL, 3, 2};

etcdclient::AuthRoleGetResponse Role() {
  etcdclient::AuthRoleGetResponse r;
  r.header = kOpsHeader;
  r.perms = {{2, "/a", "/b"}, {1, "/fk", std::string(1, '\0')}, {0, "/k", "/z"}, {0, "/single", ""}};
  return r;
}

TEST(PrintRoleGet, Simple) {
  EXPECT_EQ(*PrintRoleGet(Format(OutputFormat::kSimple), Role(), "r-simple"),
            "Role r-simple\nKV Read:\n\t[/a, /b) (prefix /a)\n\t[/k, /z)\n\t/single\nKV Write:\n"
            "\t[/a, /b) (prefix /a)\n\t[/fk, <open ended>\n");
}

TEST(PrintRoleGet, Fields) {
  EXPECT_EQ(
      *PrintRoleGet(Format(OutputFormat::kFields), Role(), "r"),
      "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 3\n"
      "\"RaftTerm\" : 2\n\"PermType\" :  READWRITE\n\"Key\" : \"/a\"\n\"RangeEnd\" : \"/b\"\n"
      "\"PermType\" :  WRITE\n\"Key\" : \"/fk\"\n\"RangeEnd\" : \"\\x00\"\n\"PermType\" :  READ\n"
      "\"Key\" : \"/k\"\n\"RangeEnd\" : \"/z\"\n\"PermType\" :  READ\n\"Key\" : \"/single\"\n\"RangeEnd\" : \"\"\n");
  EXPECT_EQ(PrintRoleGet(Format(OutputFormat::kTable), Role(), "r").error().message(),
            "table not supported as output format");
}

TEST(PrintAlarm, SimpleIsCompactText) {
  etcdclient::AlarmResponse r;
  r.alarms = {{13668033151171901709ULL, 1}};
  EXPECT_EQ(*PrintAlarm(Format(OutputFormat::kSimple), r), "memberID:13668033151171901709 alarm:NOSPACE \n");
}

TEST(PrintLease, TimeToLive) {
  etcdclient::LeaseTimeToLiveResponse r;
  r.header = kOpsHeader;
  r.id = 0x390da22c1611404b;
  r.ttl = 199;
  r.granted_ttl = 200;
  r.keys = {"lk1", "lk2"};
  EXPECT_EQ(*PrintLeaseTimeToLive(Format(OutputFormat::kSimple), r, true),
            "lease 390da22c1611404b granted with TTL(200s), remaining(199s), attached keys([lk1 lk2])\n");
  r.keys.clear();
  EXPECT_EQ(*PrintLeaseTimeToLive(Format(OutputFormat::kJson), r, false),
            "{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":3,"
            "\"raft_term\":2,\"id\":4111120345091620939,\"ttl\":199,\"granted-ttl\":200,\"keys\":null}\n");
  etcdclient::LeaseTimeToLiveResponse gone;
  gone.id = 0x1234;
  gone.ttl = -1;
  EXPECT_EQ(*PrintLeaseTimeToLive(Format(OutputFormat::kSimple), gone, false),
            "lease 0000000000001234 already expired\n");
}

TEST(PrintLease, GrantJsonAndRevokeProtobuf) {
  etcdclient::LeaseGrantResponse g;
  g.header = {15118495548433857066ULL, 13668033151171901709ULL, 1, 2};
  g.id = 4111120345091620931;
  g.ttl = 100;
  EXPECT_EQ(*PrintLeaseGrant(Format(OutputFormat::kJson), g),
            "{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":1,"
            "\"raft_term\":2,\"ID\":4111120345091620931,\"TTL\":100,\"Error\":\"\"}\n");
  etcdclient::OpResponse v;
  v.header = kOpsHeader;
  EXPECT_EQ(PrintLeaseRevoke(Format(OutputFormat::kProtobuf), v, 1).error().message(),
            "marshal unsupported for type clientv3.LeaseRevokeResponse ({cluster_id:15118495548433857066 "
            "member_id:13668033151171901709 revision:3 raft_term:2 })");
}

TEST(PrintMemberAdd, SimpleHasTheEtcdLines) {
  etcdclient::MemberAddResponse r;
  r.header = kOpsHeader;
  r.member.id = 0x8017f3a1e7dfea36;
  r.member.peer_urls = {"http://127.0.0.1:23811", "http://127.0.0.2:23811"};
  etcdclient::Member s1;
  s1.id = 0xbdae9bbc11dd390d;
  s1.name = "s1";
  s1.peer_urls = {"http://127.0.0.1:23801"};
  r.members = {r.member, s1};
  r.header.cluster_id = 0xd1cfaf999eb97a2a;
  EXPECT_EQ(*PrintMemberAdd(Format(OutputFormat::kSimple), r, "n11", "http://127.0.0.1:23811,http://127.0.0.2:23811"),
            "Member 8017f3a1e7dfea36 added to cluster d1cfaf999eb97a2a\n\nETCD_NAME=\"n11\"\n"
            "ETCD_INITIAL_CLUSTER=\"n11=http://127.0.0.1:23811,n11=http://127.0.0.2:23811,s1=http://127.0.0.1:23801\"\n"
            "ETCD_INITIAL_ADVERTISE_PEER_URLS=\"http://127.0.0.1:23811,http://127.0.0.2:23811\"\n"
            "ETCD_INITIAL_CLUSTER_STATE=\"existing\"\n");
  EXPECT_EQ(PrintMemberAdd(Format(OutputFormat::kFields), r, "n", "u").error().message(),
            "fields not supported as output format");
}

TEST(PrefixRangeEnd, AsClientv3) {
  EXPECT_EQ(PrefixRangeEnd("/a"), "/b");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixRangeEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

}  // namespace ops
}  // namespace
}  // namespace etcdrestore::cli
