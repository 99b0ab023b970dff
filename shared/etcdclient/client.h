// shared/etcdclient/client.h
//
// A small etcd v3 client: the calls etcdctl-ext needs (KV, Cluster membership, Maintenance,
// Lease and Auth administration) over gRPC, one endpoint per Client. The generated protobuf/gRPC headers stay inside
// client.cc (rpc.grpc.pb.h costs ~2.5 s per including TU), so this header speaks plain structs.
//
// Errors: grpc::Status is converted here. UNAVAILABLE and DEADLINE_EXCEEDED become
// kUnavailable; a call whose deadline passed reads "context deadline exceeded" (etcdctl's
// text); a server-side error keeps etcd's own description ("etcdserver: ..."); a rejected
// credential becomes kPermissionDenied. gRPC's own stderr logging is silenced.
#ifndef ETCDRESTORE_SHARED_ETCDCLIENT_CLIENT_H_
#define ETCDRESTORE_SHARED_ETCDCLIENT_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::etcdclient {

using Clock = std::chrono::system_clock;
// No value means "no deadline" (etcdctl's snapshot save without --command-timeout).
using Deadline = std::optional<Clock::time_point>;

inline Deadline DeadlineAfter(std::chrono::nanoseconds d) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(d);
}

struct ResponseHeader {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  int64_t revision = 0;
  uint64_t raft_term = 0;
};

struct KeyValue {
  std::string key;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  std::string value;
  int64_t lease = 0;
};

// etcdserverpb.RangeRequest's enums, with their wire values.
enum class SortOrder { kNone = 0, kAscend = 1, kDescend = 2 };
enum class SortTarget { kKey = 0, kVersion = 1, kCreate = 2, kMod = 3, kValue = 4 };

struct RangeRequest {
  std::string key;
  std::string range_end;  // empty: the single key; "\0": every key >= key
  int64_t limit = 0;
  int64_t revision = 0;
  SortOrder sort_order = SortOrder::kNone;
  SortTarget sort_target = SortTarget::kKey;
  bool serializable = false;  // answered by the member from its own state, no quorum read
  bool keys_only = false;
};

struct RangeResponse {
  ResponseHeader header;
  std::vector<KeyValue> kvs;
  bool more = false;
  int64_t count = 0;
};

// etcdserverpb.PutRequest's options (etcdctl put --lease, --prev-kv, --ignore-value,
// --ignore-lease).
struct PutOptions {
  int64_t lease = 0;
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;
};

struct PutResponse {
  ResponseHeader header;
  std::optional<KeyValue> prev_kv;  // with PutOptions::prev_kv, when the key existed
};

struct DeleteRangeResponse {
  ResponseHeader header;
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;  // with prev_kv
};

struct Member {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

struct MemberListResponse {
  ResponseHeader header;
  std::vector<Member> members;
};

struct StatusResponse {
  ResponseHeader header;
  std::string version;
  int64_t db_size = 0;
  uint64_t leader = 0;
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  std::vector<std::string> errors;
  int64_t db_size_in_use = 0;
  bool is_learner = false;
};

// --- Txn ---------------------------------------------------------------------------------------
// etcdserverpb.Compare: result 0 EQUAL, 1 GREATER, 2 LESS, 3 NOT_EQUAL; target 0 VERSION,
// 1 CREATE, 2 MOD, 3 VALUE, 4 LEASE (number for all but VALUE).
struct TxnCompare {
  int result = 0;
  int target = 0;
  std::string key;
  int64_t number = 0;
  std::string value;
};

struct TxnOp {
  enum class Kind { kRange, kPut, kDelete };
  Kind kind = Kind::kRange;
  RangeRequest range;                    // kRange
  std::string key, value, range_end;     // kPut (key, value), kDelete (key, range_end)
  PutOptions put;                        // kPut
  bool prev_kv = false;                  // kDelete
};

struct TxnOpResponse {
  TxnOp::Kind kind = TxnOp::Kind::kRange;
  RangeResponse range;
  PutResponse put;
  DeleteRangeResponse del;
};

// --- Watch -------------------------------------------------------------------------------------
struct WatchRequest {
  std::string key;
  std::string range_end;
  int64_t start_revision = 0;
  bool prev_kv = false;
};

struct WatchEvent {
  int type = 0;  // mvccpb.Event: 0 PUT, 1 DELETE
  KeyValue kv;
  std::optional<KeyValue> prev_kv;
};

// One answer on the stream, as clientv3 hands it to etcdctl. wire: the etcdserverpb.
// WatchResponse etcdctl -w protobuf prints (header, events, compact_revision, canceled,
// created; no watch_id).
struct WatchResponse {
  ResponseHeader header;
  std::vector<WatchEvent> events;
  int64_t compact_revision = 0;
  bool canceled = false;
  bool created = false;
  std::string cancel_reason;
  std::string wire;
};

// Receives each answer but the creation notice; an error stops the watch.
using WatchSink = std::function<Status(const WatchResponse&)>;

// --- Operations responses (member, maintenance, lease, auth) ---------------------------------
// Each carries what etcdctl's simple/fields/table printers need, plus the message itself:
// `type` is its protobuf full name ("etcdserverpb.MemberAddResponse") and `wire` its encoding
// as etcdctl 3.4 would marshal it (fields etcd 3.4 does not know are dropped). `-w protobuf`
// prints wire; `-w json` walks it with WalkGoJson (go_json.h).
struct OpResponse {
  ResponseHeader header;
  std::string type;
  std::string wire;
};

struct MemberAddResponse : OpResponse {
  Member member;
  std::vector<Member> members;
};

// MemberRemove/Update/Promote.
struct MembersResponse : OpResponse {
  std::vector<Member> members;
};

struct HashKVResponse : OpResponse {
  uint32_t hash = 0;
  int64_t compact_revision = 0;
};

// etcdserverpb.AlarmType: 0 NONE, 1 NOSPACE, 2 CORRUPT.
struct AlarmMember {
  uint64_t member_id = 0;
  int alarm = 0;
};

struct AlarmResponse : OpResponse {
  std::vector<AlarmMember> alarms;
};

struct LeaseGrantResponse : OpResponse {
  int64_t id = 0;
  int64_t ttl = 0;
  std::string error;
};

struct LeaseKeepAliveResponse : OpResponse {
  int64_t id = 0;
  int64_t ttl = 0;
};

struct LeaseTimeToLiveResponse : OpResponse {
  int64_t id = 0;
  int64_t ttl = 0;
  int64_t granted_ttl = 0;
  std::vector<std::string> keys;
};

struct LeaseLeasesResponse : OpResponse {
  std::vector<int64_t> ids;
};

// authpb.Permission; type 0 READ, 1 WRITE, 2 READWRITE.
struct Permission {
  int type = 0;
  std::string key;
  std::string range_end;
};

struct AuthRoleGetResponse : OpResponse {
  std::vector<Permission> perms;
};

// UserGet (roles), UserList (users), RoleList (roles).
struct NamesResponse : OpResponse {
  std::vector<std::string> names;
};

struct TxnResponse : OpResponse {
  bool succeeded = false;
  std::vector<TxnOpResponse> responses;
};

// PEM contents (not paths): see LoadTlsFiles.
struct TlsMaterial {
  std::string ca_pem;    // empty: the system trust store
  std::string cert_pem;  // client certificate chain; empty: no client certificate
  std::string key_pem;
};

struct Config {
  // "host:port", "http://host:port" (always plaintext) or "https://host:port" (always TLS).
  std::string endpoint;
  // TLS for an endpoint without a scheme. etcdctl 3.4: on if --cacert/--cert/--key is given
  // or --insecure-transport=false.
  bool use_tls = false;
  TlsMaterial tls;
  bool insecure_skip_verify = false;
  std::chrono::nanoseconds keepalive_time = std::chrono::seconds(2);
  std::chrono::nanoseconds keepalive_timeout = std::chrono::seconds(6);
  // Empty user: no authentication. Otherwise a token is fetched by Client::Authenticate or
  // on first use, and sent with every call.
  std::string user;
  std::string password;
};

// Reads the TLS files named by --cacert/--cert/--key, with etcdctl 3.4's checks and texts
// (kInvalidArgument, exit 128 in etcdctl): "KeyFile and CertFile must both be present[key: K,
// cert: C]", "open F: no such file or directory".
Result<TlsMaterial> LoadTlsFiles(const std::string& ca_file, const std::string& cert_file,
                                 const std::string& key_file);

// The endpoint with its scheme removed ("http://a:1" -> "a:1"), as gRPC dials it.
std::string EndpointTarget(std::string_view endpoint);
// Whether the endpoint is dialled with TLS, given Config::use_tls for scheme-less endpoints.
bool EndpointUsesTls(std::string_view endpoint, bool use_tls);

// Receives each Snapshot message's blob in order; an error stops the stream.
using SnapshotSink = std::function<Status(std::string_view blob, uint64_t remaining_bytes)>;

// One connection to one endpoint. Calls wait for the connection until their deadline
// (like clientv3's WaitForReady), except where noted. Thread-compatible.
class Client {
 public:
  virtual ~Client() = default;

  virtual Result<RangeResponse> Range(const RangeRequest& req, Deadline deadline) = 0;
  virtual Result<PutResponse> Put(const std::string& key, const std::string& value, const PutOptions& options,
                                  Deadline deadline) = 0;
  virtual Result<DeleteRangeResponse> DeleteRange(const std::string& key, const std::string& range_end,
                                                  bool prev_kv, Deadline deadline) = 0;
  virtual Result<TxnResponse> Txn(const std::vector<TxnCompare>& compares, const std::vector<TxnOp>& success,
                                  const std::vector<TxnOp>& failure, Deadline deadline) = 0;
  // Watches until the server cancels the watch (that answer is delivered first; kOk then) or
  // the stream breaks (the error). Requires a leader, like etcdctl's WithRequireLeader.
  virtual etcdrestore::Status Watch(const WatchRequest& req, const WatchSink& sink) = 0;
  virtual Result<MemberListResponse> MemberList(Deadline deadline) = 0;
  virtual Result<StatusResponse> Status(Deadline deadline) = 0;

  // Cluster.
  virtual Result<MemberAddResponse> MemberAdd(const std::vector<std::string>& peer_urls, bool learner,
                                              Deadline deadline) = 0;
  virtual Result<MembersResponse> MemberRemove(uint64_t id, Deadline deadline) = 0;
  virtual Result<MembersResponse> MemberUpdate(uint64_t id, const std::vector<std::string>& peer_urls,
                                               Deadline deadline) = 0;
  virtual Result<MembersResponse> MemberPromote(uint64_t id, Deadline deadline) = 0;

  // Maintenance and KV administration.
  virtual Result<HashKVResponse> HashKV(int64_t revision, Deadline deadline) = 0;
  virtual Result<AlarmResponse> AlarmList(Deadline deadline) = 0;
  // clientv3's AlarmDisarm(&AlarmMember{}): lists the alarms and deactivates each; the answer
  // has no header and the alarms the deactivations returned.
  virtual Result<AlarmResponse> AlarmDisarmAll(Deadline deadline) = 0;
  virtual Result<OpResponse> Compact(int64_t revision, bool physical, Deadline deadline) = 0;
  virtual Result<OpResponse> Defragment(Deadline deadline) = 0;
  virtual Result<OpResponse> MoveLeader(uint64_t target_id, Deadline deadline) = 0;

  // Lease.
  virtual Result<LeaseGrantResponse> LeaseGrant(int64_t ttl, Deadline deadline) = 0;
  virtual Result<OpResponse> LeaseRevoke(int64_t id, Deadline deadline) = 0;
  virtual Result<LeaseTimeToLiveResponse> LeaseTimeToLive(int64_t id, bool keys, Deadline deadline) = 0;
  virtual Result<LeaseLeasesResponse> LeaseLeases(Deadline deadline) = 0;
  // One request on the LeaseKeepAlive stream and its answer (clientv3 KeepAliveOnce). A TTL
  // of 0 or less in the answer means the lease is gone: kNotFound "requested lease not found".
  virtual Result<LeaseKeepAliveResponse> LeaseKeepAliveOnce(int64_t id, Deadline deadline) = 0;

  // Auth administration. The methods are named after etcd's Auth RPCs.
  virtual Result<OpResponse> AuthEnable(Deadline deadline) = 0;
  virtual Result<OpResponse> AuthDisable(Deadline deadline) = 0;
  virtual Result<OpResponse> UserAdd(const std::string& name, const std::string& password, bool no_password,
                                     Deadline deadline) = 0;
  virtual Result<OpResponse> UserDelete(const std::string& name, Deadline deadline) = 0;
  virtual Result<NamesResponse> UserGet(const std::string& name, Deadline deadline) = 0;
  virtual Result<NamesResponse> UserList(Deadline deadline) = 0;
  virtual Result<OpResponse> UserChangePassword(const std::string& name, const std::string& password,
                                                Deadline deadline) = 0;
  virtual Result<OpResponse> UserGrantRole(const std::string& user, const std::string& role,
                                           Deadline deadline) = 0;
  virtual Result<OpResponse> UserRevokeRole(const std::string& user, const std::string& role,
                                            Deadline deadline) = 0;
  virtual Result<OpResponse> RoleAdd(const std::string& name, Deadline deadline) = 0;
  virtual Result<OpResponse> RoleDelete(const std::string& name, Deadline deadline) = 0;
  virtual Result<AuthRoleGetResponse> RoleGet(const std::string& name, Deadline deadline) = 0;
  virtual Result<NamesResponse> RoleList(Deadline deadline) = 0;
  virtual Result<OpResponse> RoleGrantPermission(const std::string& role, const Permission& perm,
                                                 Deadline deadline) = 0;
  virtual Result<OpResponse> RoleRevokePermission(const std::string& role, const std::string& key,
                                                  const std::string& range_end, Deadline deadline) = 0;

  // Waits up to `timeout` for a working connection (TCP + TLS handshake). On failure the
  // error says what was tried and, when gRPC tells, why: "connection refused", a TLS
  // handshake/certificate failure, or no answer within the timeout. kUnavailable.
  virtual etcdrestore::Status WaitConnected(std::chrono::nanoseconds timeout) = 0;

  // With Config::user set, fetches the auth token now (clientv3.New does this while it
  // dials, so etcdctl fails before the command runs); later calls reuse it. Without a
  // user, does nothing. A refused user or password fails with etcd's text, "etcdserver:
  // authentication failed, invalid user ID or password"; no answer in time is kUnavailable.
  virtual etcdrestore::Status Authenticate(Deadline deadline) = 0;

  // Streams Maintenance.Snapshot into sink. Without a deadline the stream may run as long as
  // data keeps coming; a dead peer is detected by gRPC keepalive (Config::keepalive_*).
  virtual etcdrestore::Status Snapshot(const SnapshotSink& sink, Deadline deadline) = 0;

  // The endpoint as given in Config (for messages).
  virtual const std::string& endpoint() const = 0;
};

// Creates a client; does not connect yet (gRPC connects lazily). Fails only on bad TLS
// material.
Result<std::unique_ptr<Client>> Dial(const Config& config);

}  // namespace etcdrestore::etcdclient

#endif  // ETCDRESTORE_SHARED_ETCDCLIENT_CLIENT_H_
