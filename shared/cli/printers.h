// shared/cli/printers.h
//
// etcdctl 3.4.23's output for the commands etcdctl-ext implements, byte for byte, in the
// formats simple, json, table and fields (etcdctl ctlv3/command/printer_*.go). Each function
// returns the bytes for stdout, except EndpointHealth whose simple form goes to stderr.
// A format etcdctl does not support for a command gives kUnsupported with etcdctl's text
// ("table not supported as output format"), exit 4.
#ifndef ETCDRESTORE_SHARED_CLI_PRINTERS_H_
#define ETCDRESTORE_SHARED_CLI_PRINTERS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/etcdclient/client.h"

namespace etcdrestore::cli {

enum class OutputFormat { kSimple, kJson, kTable, kFields, kProtobuf };

// "simple", "json", "table", "fields", "protobuf"; anything else is kUnsupported
// "unsupported output format".
Result<OutputFormat> ParseOutputFormat(std::string_view s);

struct PrintOptions {
  OutputFormat format = OutputFormat::kSimple;
  bool hex = false;         // --hex: keys/values as \xhh in simple output
  bool value_only = false;  // get --print-value-only
};

Result<std::string> PrintGet(const PrintOptions& o, const etcdclient::RangeResponse& r);
Result<std::string> PrintPut(const PrintOptions& o, const etcdclient::PutResponse& r);
Result<std::string> PrintDel(const PrintOptions& o, const etcdclient::DeleteRangeResponse& r);
Result<std::string> PrintMemberList(const PrintOptions& o, const etcdclient::MemberListResponse& r);

struct EndpointStatus {
  std::string endpoint;
  etcdclient::StatusResponse status;
};
Result<std::string> PrintEndpointStatus(const PrintOptions& o, const std::vector<EndpointStatus>& s);

struct EndpointHealth {
  std::string endpoint;
  bool health = false;
  std::string took;   // Go duration text
  std::string error;  // empty when healthy
};
struct Printed {
  std::string out;
  std::string err;
};
Result<Printed> PrintEndpointHealth(const PrintOptions& o, const std::vector<EndpointHealth>& h);

// `snapshot status` (etcdctl's snapshot.Status). `version` (etcdutl 3.6's storage version,
// meta/storageVersion) is printed only when non-empty: a 3.4/3.5 snapshot prints exactly
// what etcdctl 3.4 and etcdutl 3.5 print; one with a storage version gets etcdutl 3.6's
// extra column / "version" field / "Version" line.
struct DbStatus {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_key = 0;
  int64_t total_size = 0;
  std::string version;
};
Result<std::string> PrintDbStatus(const PrintOptions& o, const DbStatus& s);

// `etcdutl hashkv` (etcdutl 3.6 printer*.go DBHashKV): simple "hash, hashRevision,
// compactRevision" in decimal, json {"hash":..,"hashRevision":..,"compactRevision":..},
// an ASCII table, fields; protobuf is unsupported.
struct DbHashKV {
  uint32_t hash = 0;
  int64_t hash_revision = 0;
  int64_t compact_revision = 0;
};
Result<std::string> PrintDbHashKV(const PrintOptions& o, const DbHashKV& h);

// --- Operations commands ----------------------------------------------------------------------
// Most print the response message itself for -w json (Go's encoding/json, see
// etcdclient/go_json.h) and -w protobuf (its wire bytes), and refuse fields and table with
// "<format> not supported as output format" (exit 4) after the request was done, as etcdctl.

// Go's encoding/json of the response message, with a newline.
Result<std::string> GoJson(const etcdclient::OpResponse& r);
// simple: `simple`; json and protobuf: the message; fields: the header if fields_header
// (etcdctl's fields printer has the method), else refused like table.
Result<std::string> PrintOp(const PrintOptions& o, const etcdclient::OpResponse& r, const std::string& simple,
                            bool fields_header = false);

// member add: "Member <id> added to cluster <cid>" and, in simple format only, the ETCD_NAME=...
// lines for starting the new member (peer_urls: the --peer-urls text as given).
Result<std::string> PrintMemberAdd(const PrintOptions& o, const etcdclient::MemberAddResponse& r,
                                   const std::string& name, const std::string& peer_urls);
// member remove/update/promote: "Member <id> <verb> cluster <cid>"; verb "removed from",
// "updated in", "promoted in".
Result<std::string> PrintMemberChange(const PrintOptions& o, const etcdclient::MembersResponse& r,
                                      uint64_t id, const std::string& verb);

// endpoint hashkv: one entry per endpoint that answered.
struct EndpointHashKV {
  std::string endpoint;
  etcdclient::HashKVResponse hash;
};
Result<std::string> PrintEndpointHashKV(const PrintOptions& o, const std::vector<EndpointHashKV>& h);

// alarm list / alarm disarm. etcdctl 3.4 crashes on -w fields when the server sends no
// header (etcd 3.4 does not): etcdctl-ext prints a zero header instead.
Result<std::string> PrintAlarm(const PrintOptions& o, const etcdclient::AlarmResponse& r);

// move-leader: "Leadership transferred from <leader> to <target>".
Result<std::string> PrintMoveLeader(const PrintOptions& o, const etcdclient::OpResponse& r, uint64_t leader,
                                    uint64_t target);

// lease grant/revoke/keep-alive/timetolive/list. etcdctl prints clientv3's own structs here:
// -w json flattens the header into the object, -w protobuf marshals only the header (revoke:
// "marshal unsupported", exit 4).
Result<std::string> PrintLeaseGrant(const PrintOptions& o, const etcdclient::LeaseGrantResponse& r);
Result<std::string> PrintLeaseRevoke(const PrintOptions& o, const etcdclient::OpResponse& r, int64_t id);
Result<std::string> PrintLeaseKeepAlive(const PrintOptions& o, const etcdclient::LeaseKeepAliveResponse& r);
Result<std::string> PrintLeaseTimeToLive(const PrintOptions& o, const etcdclient::LeaseTimeToLiveResponse& r,
                                         bool keys);
Result<std::string> PrintLeaseLeases(const PrintOptions& o, const etcdclient::LeaseLeasesResponse& r);

// user get / user list / role get / role list / role revoke-permission.
Result<std::string> PrintUserGet(const PrintOptions& o, const etcdclient::NamesResponse& r, const std::string& user);
Result<std::string> PrintUserList(const PrintOptions& o, const etcdclient::NamesResponse& r);
Result<std::string> PrintRoleGet(const PrintOptions& o, const etcdclient::AuthRoleGetResponse& r,
                                 const std::string& role);
Result<std::string> PrintRoleList(const PrintOptions& o, const etcdclient::NamesResponse& r);
Result<std::string> PrintRoleRevokePermission(const PrintOptions& o, const etcdclient::OpResponse& r,
                                              const std::string& role, const std::string& key,
                                              const std::string& range_end);

// txn: SUCCESS/FAILURE and each response as get/put/del print it; json/protobuf: the message.
Result<std::string> PrintTxn(const PrintOptions& o, const etcdclient::TxnResponse& r);

// watch: one answer of the stream (clientv3.WatchResponse: -w json has Go field names).
Result<std::string> PrintWatch(const PrintOptions& o, const etcdclient::WatchResponse& r);

// clientv3.GetPrefixRangeEnd: the end of the range of keys starting with prefix ("\0": all
// keys >= prefix when prefix is empty or all 0xff).
std::string PrefixRangeEnd(const std::string& prefix);

}  // namespace etcdrestore::cli

#endif  // ETCDRESTORE_SHARED_CLI_PRINTERS_H_
