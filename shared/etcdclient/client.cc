#include "shared/etcdclient/client.h"

#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include "etcdclient_rpc.grpc.pb.h"
#include "shared/base/file.h"

namespace etcdrestore::etcdclient {
namespace {

namespace pb = ::etcdserverpb;

void DiscardGrpcLog(gpr_log_func_args* /*args*/) {}

// gRPC writes its own diagnostics to stderr; etcdctl-ext prints one "Error: ..." line instead.
void SilenceGrpcLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
    gpr_set_log_function(DiscardGrpcLog);
  });
}

int ToMillis(std::chrono::nanoseconds d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms > INT_MAX) return INT_MAX;
  return ms < 1 ? 1 : static_cast<int>(ms);
}

Error FromGrpc(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Error(ErrorCode::kUnavailable, "context deadline exceeded");
    case grpc::StatusCode::UNAVAILABLE:
      return Error(ErrorCode::kUnavailable, s.error_message());
    case grpc::StatusCode::CANCELLED:
      return Error(ErrorCode::kUnavailable, "context canceled");
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return Error(ErrorCode::kPermissionDenied, s.error_message());
    default:
      // Server-side errors ("etcdserver: mvcc: required revision is a future revision").
      return Error(ErrorCode::kFailedPrecondition, s.error_message());
  }
}

ResponseHeader FromPb(const pb::ResponseHeader& h) {
  return ResponseHeader{h.cluster_id(), h.member_id(), h.revision(), h.raft_term()};
}

KeyValue FromPb(const mvccpb::KeyValue& kv) {
  return KeyValue{kv.key(), kv.create_revision(), kv.mod_revision(), kv.version(), kv.value(),
                  kv.lease()};
}

Member FromPb(const pb::Member& m) {
  Member out;
  out.id = m.id();
  out.name = m.name();
  out.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
  out.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
  out.is_learner = m.islearner();
  return out;
}

// Fills the parts every operations response has: header, type name and the wire bytes as
// etcdctl 3.4 would marshal them (fields it does not know, e.g. 3.5's, are left out).
template <typename Pb>
void FillOp(const Pb& resp, OpResponse* out) {
  out->header = FromPb(resp.header());
  out->type = Pb::descriptor()->full_name();
  Pb known = resp;
  known.DiscardUnknownFields();
  out->wire = known.SerializeAsString();
}

void ToPb(const RangeRequest& req, pb::RangeRequest* r) {
  r->set_key(req.key);
  r->set_range_end(req.range_end);
  r->set_limit(req.limit);
  r->set_revision(req.revision);
  r->set_sort_order(static_cast<pb::RangeRequest::SortOrder>(req.sort_order));
  r->set_sort_target(static_cast<pb::RangeRequest::SortTarget>(req.sort_target));
  r->set_serializable(req.serializable);
  r->set_keys_only(req.keys_only);
}

void ToPb(const TxnOp& op, pb::RequestOp* out) {
  switch (op.kind) {
    case TxnOp::Kind::kRange:
      ToPb(op.range, out->mutable_request_range());
      break;
    case TxnOp::Kind::kPut: {
      pb::PutRequest* p = out->mutable_request_put();
      p->set_key(op.key);
      p->set_value(op.value);
      p->set_lease(op.put.lease);
      p->set_prev_kv(op.put.prev_kv);
      p->set_ignore_value(op.put.ignore_value);
      p->set_ignore_lease(op.put.ignore_lease);
      break;
    }
    case TxnOp::Kind::kDelete: {
      pb::DeleteRangeRequest* d = out->mutable_request_delete_range();
      d->set_key(op.key);
      d->set_range_end(op.range_end);
      d->set_prev_kv(op.prev_kv);
      break;
    }
  }
}

template <typename Pb>
std::vector<Member> MembersOf(const Pb& resp) {
  std::vector<Member> out;
  for (const auto& m : resp.members()) out.push_back(FromPb(m));
  return out;
}

// Go's os.ReadFile error text ("open F: no such file or directory"), as kInvalidArgument:
// etcdctl treats unreadable TLS files as bad arguments (exit 128).
Result<std::string> ReadWholeFile(const std::string& path) {
  auto text = ReadFile(path, PathStyle::kGo);
  if (!text) return Fail(ErrorCode::kInvalidArgument, text.error().message());
  return text;
}

std::string DescribeConnectFailure(const std::string& grpc_message) {
  auto has = [&](std::string_view s) { return grpc_message.find(s) != std::string::npos; };
  if (has("Connection refused")) return "connection refused";
  if (has("CERTIFICATE_VERIFY_FAILED") || has("certificate verify failed"))
    return "TLS handshake failed: the server certificate is not trusted by --cacert "
           "(certificate verify failed)";
  if (has("Ssl handshake failed") || has("Handshake failed") || has("TSI") || has("SSL"))
    return "TLS handshake failed";
  if (has("Socket closed") || has("Connection reset"))
    return "the server closed the connection (wrong --cacert/--cert, or TLS vs plaintext mismatch?)";
  if (has("DNS resolution failed") || has("Domain name not found")) return "DNS resolution failed";
  return "connection failed";
}

class GrpcClient final : public Client {
 public:
  GrpcClient(const Config& config, std::shared_ptr<grpc::Channel> channel)
      : config_(config),
        channel_(std::move(channel)),
        kv_(pb::KV::NewStub(channel_)),
        cluster_(pb::Cluster::NewStub(channel_)),
        maintenance_(pb::Maintenance::NewStub(channel_)),
        lease_(pb::Lease::NewStub(channel_)),
        watch_(pb::Watch::NewStub(channel_)),
        auth_(pb::Auth::NewStub(channel_)) {}

  const std::string& endpoint() const override { return config_.endpoint; }

  Result<RangeResponse> Range(const RangeRequest& req, Deadline deadline) override {
    pb::RangeRequest r;
    ToPb(req, &r);
    pb::RangeResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->Range(ctx, r, &resp); }));
    RangeResponse out;
    out.header = FromPb(resp.header());
    for (const auto& kv : resp.kvs()) out.kvs.push_back(FromPb(kv));
    out.more = resp.more();
    out.count = resp.count();
    return out;
  }

  Result<PutResponse> Put(const std::string& key, const std::string& value, const PutOptions& options,
                          Deadline deadline) override {
    pb::PutRequest r;
    r.set_key(key);
    r.set_value(value);
    r.set_lease(options.lease);
    r.set_prev_kv(options.prev_kv);
    r.set_ignore_value(options.ignore_value);
    r.set_ignore_lease(options.ignore_lease);
    pb::PutResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->Put(ctx, r, &resp); }));
    PutResponse out{FromPb(resp.header()), std::nullopt};
    if (resp.has_prev_kv()) out.prev_kv = FromPb(resp.prev_kv());
    return out;
  }

  Result<DeleteRangeResponse> DeleteRange(const std::string& key, const std::string& range_end, bool prev_kv,
                                          Deadline deadline) override {
    pb::DeleteRangeRequest r;
    r.set_key(key);
    r.set_range_end(range_end);
    r.set_prev_kv(prev_kv);
    pb::DeleteRangeResponse resp;
    RETURN_IF_ERROR(
        Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->DeleteRange(ctx, r, &resp); }));
    DeleteRangeResponse out{FromPb(resp.header()), resp.deleted(), {}};
    for (const auto& kv : resp.prev_kvs()) out.prev_kvs.push_back(FromPb(kv));
    return out;
  }

  Result<TxnResponse> Txn(const std::vector<TxnCompare>& compares, const std::vector<TxnOp>& success,
                          const std::vector<TxnOp>& failure, Deadline deadline) override {
    pb::TxnRequest r;
    for (const auto& c : compares) {
      pb::Compare* pc = r.add_compare();
      pc->set_result(static_cast<pb::Compare::CompareResult>(c.result));
      pc->set_target(static_cast<pb::Compare::CompareTarget>(c.target));
      pc->set_key(c.key);
      switch (c.target) {
        case 0: pc->set_version(c.number); break;
        case 1: pc->set_create_revision(c.number); break;
        case 2: pc->set_mod_revision(c.number); break;
        case 3: pc->set_value(c.value); break;
        default: pc->set_lease(c.number); break;
      }
    }
    for (const auto& op : success) ToPb(op, r.add_success());
    for (const auto& op : failure) ToPb(op, r.add_failure());
    pb::TxnResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->Txn(ctx, r, &resp); }));
    TxnResponse out;
    FillOp(resp, &out);
    out.succeeded = resp.succeeded();
    for (const auto& ro : resp.responses()) {
      TxnOpResponse o;
      if (ro.has_response_range()) {
        o.kind = TxnOp::Kind::kRange;
        o.range.header = FromPb(ro.response_range().header());
        for (const auto& kv : ro.response_range().kvs()) o.range.kvs.push_back(FromPb(kv));
        o.range.more = ro.response_range().more();
        o.range.count = ro.response_range().count();
      } else if (ro.has_response_put()) {
        o.kind = TxnOp::Kind::kPut;
        o.put.header = FromPb(ro.response_put().header());
        if (ro.response_put().has_prev_kv()) o.put.prev_kv = FromPb(ro.response_put().prev_kv());
      } else {
        o.kind = TxnOp::Kind::kDelete;
        o.del.header = FromPb(ro.response_delete_range().header());
        o.del.deleted = ro.response_delete_range().deleted();
        for (const auto& kv : ro.response_delete_range().prev_kvs()) o.del.prev_kvs.push_back(FromPb(kv));
      }
      out.responses.push_back(std::move(o));
    }
    return out;
  }

  etcdrestore::Status Watch(const WatchRequest& req, const WatchSink& sink) override {
    RETURN_IF_ERROR(EnsureToken(std::nullopt));
    grpc::ClientContext ctx;
    Prepare(&ctx, std::nullopt);
    ctx.set_wait_for_ready(true);
    ctx.AddMetadata("hasleader", "true");  // clientv3.WithRequireLeader
    auto stream = watch_->Watch(&ctx);
    pb::WatchRequest r;
    pb::WatchCreateRequest* c = r.mutable_create_request();
    c->set_key(req.key);
    c->set_range_end(req.range_end);
    c->set_start_revision(req.start_revision);
    c->set_prev_kv(req.prev_kv);
    if (!stream->Write(r)) return Fail(FromGrpc(stream->Finish()));
    pb::WatchResponse resp;
    while (stream->Read(&resp)) {
      if (resp.created() && !resp.canceled() && resp.events_size() == 0) continue;  // not delivered by clientv3
      WatchResponse out;
      out.header = FromPb(resp.header());
      for (const auto& e : resp.events()) {
        WatchEvent ev{static_cast<int>(e.type()), FromPb(e.kv()), std::nullopt};
        if (e.has_prev_kv()) ev.prev_kv = FromPb(e.prev_kv());
        out.events.push_back(std::move(ev));
      }
      out.compact_revision = resp.compact_revision();
      out.canceled = resp.canceled();
      out.created = resp.created();
      out.cancel_reason = resp.cancel_reason();
      pb::WatchResponse printed;
      *printed.mutable_header() = resp.header();
      *printed.mutable_events() = resp.events();
      printed.set_compact_revision(resp.compact_revision());
      printed.set_canceled(resp.canceled());
      printed.set_created(resp.created());
      printed.DiscardUnknownFields();
      out.wire = printed.SerializeAsString();
      if (auto st = sink(out); !st) {
        ctx.TryCancel();
        stream->Finish();
        return st;
      }
      if (resp.canceled()) {
        ctx.TryCancel();
        stream->Finish();
        return {};
      }
    }
    return Fail(FromGrpc(stream->Finish()));
  }

  Result<MemberListResponse> MemberList(Deadline deadline) override {
    pb::MemberListRequest r;
    pb::MemberListResponse resp;
    RETURN_IF_ERROR(
        Call(deadline, [&](grpc::ClientContext* ctx) { return cluster_->MemberList(ctx, r, &resp); }));
    MemberListResponse out;
    out.header = FromPb(resp.header());
    out.members = MembersOf(resp);
    return out;
  }

  Result<StatusResponse> Status(Deadline deadline) override {
    pb::StatusRequest r;
    pb::StatusResponse resp;
    RETURN_IF_ERROR(
        Call(deadline, [&](grpc::ClientContext* ctx) { return maintenance_->Status(ctx, r, &resp); }));
    StatusResponse out;
    out.header = FromPb(resp.header());
    out.version = resp.version();
    out.db_size = resp.dbsize();
    out.leader = resp.leader();
    out.raft_index = resp.raftindex();
    out.raft_term = resp.raftterm();
    out.raft_applied_index = resp.raftappliedindex();
    out.errors.assign(resp.errors().begin(), resp.errors().end());
    out.db_size_in_use = resp.dbsizeinuse();
    out.is_learner = resp.islearner();
    return out;
  }

  Result<MemberAddResponse> MemberAdd(const std::vector<std::string>& peer_urls, bool learner,
                                      Deadline deadline) override {
    pb::MemberAddRequest r;
    for (const auto& u : peer_urls) r.add_peerurls(u);
    r.set_islearner(learner);
    pb::MemberAddResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return cluster_->MemberAdd(ctx, r, &resp); }));
    MemberAddResponse out;
    FillOp(resp, &out);
    out.member = FromPb(resp.member());
    out.members = MembersOf(resp);
    return out;
  }

  Result<MembersResponse> MemberRemove(uint64_t id, Deadline deadline) override {
    pb::MemberRemoveRequest r;
    r.set_id(id);
    pb::MemberRemoveResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return cluster_->MemberRemove(ctx, r, &resp); }));
    return Members(resp);
  }

  Result<MembersResponse> MemberUpdate(uint64_t id, const std::vector<std::string>& peer_urls,
                                       Deadline deadline) override {
    pb::MemberUpdateRequest r;
    r.set_id(id);
    for (const auto& u : peer_urls) r.add_peerurls(u);
    pb::MemberUpdateResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return cluster_->MemberUpdate(ctx, r, &resp); }));
    return Members(resp);
  }

  Result<MembersResponse> MemberPromote(uint64_t id, Deadline deadline) override {
    pb::MemberPromoteRequest r;
    r.set_id(id);
    pb::MemberPromoteResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return cluster_->MemberPromote(ctx, r, &resp); }));
    return Members(resp);
  }

  Result<HashKVResponse> HashKV(int64_t revision, Deadline deadline) override {
    pb::HashKVRequest r;
    r.set_revision(revision);
    pb::HashKVResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return maintenance_->HashKV(ctx, r, &resp); }));
    HashKVResponse out;
    FillOp(resp, &out);
    out.hash = resp.hash();
    out.compact_revision = resp.compact_revision();
    return out;
  }

  Result<AlarmResponse> AlarmList(Deadline deadline) override {
    pb::AlarmRequest r;
    r.set_action(pb::AlarmRequest::GET);
    pb::AlarmResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return maintenance_->Alarm(ctx, r, &resp); }));
    return Alarms(resp);
  }

  Result<AlarmResponse> AlarmDisarmAll(Deadline deadline) override {
    pb::AlarmRequest list;
    list.set_action(pb::AlarmRequest::GET);
    pb::AlarmResponse listed;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return maintenance_->Alarm(ctx, list, &listed); }));
    pb::AlarmResponse all;  // no header, as clientv3 builds it
    for (const auto& a : listed.alarms()) {
      pb::AlarmRequest r;
      r.set_action(pb::AlarmRequest::DEACTIVATE);
      r.set_memberid(a.memberid());
      r.set_alarm(a.alarm());
      pb::AlarmResponse resp;
      RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return maintenance_->Alarm(ctx, r, &resp); }));
      for (const auto& d : resp.alarms()) *all.add_alarms() = d;
    }
    return Alarms(all);
  }

  Result<OpResponse> Compact(int64_t revision, bool physical, Deadline deadline) override {
    pb::CompactionRequest r;
    r.set_revision(revision);
    r.set_physical(physical);
    pb::CompactionResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->Compact(ctx, r, &resp); }));
    return Op(resp);
  }

  Result<OpResponse> Defragment(Deadline deadline) override {
    pb::DefragmentRequest r;
    pb::DefragmentResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return maintenance_->Defragment(ctx, r, &resp); }));
    return Op(resp);
  }

  Result<OpResponse> MoveLeader(uint64_t target_id, Deadline deadline) override {
    pb::MoveLeaderRequest r;
    r.set_targetid(target_id);
    pb::MoveLeaderResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return maintenance_->MoveLeader(ctx, r, &resp); }));
    return Op(resp);
  }

  Result<LeaseGrantResponse> LeaseGrant(int64_t ttl, Deadline deadline) override {
    pb::LeaseGrantRequest r;
    r.set_ttl(ttl);
    pb::LeaseGrantResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return lease_->LeaseGrant(ctx, r, &resp); }));
    LeaseGrantResponse out;
    FillOp(resp, &out);
    out.id = resp.id();
    out.ttl = resp.ttl();
    out.error = resp.error();
    return out;
  }

  Result<OpResponse> LeaseRevoke(int64_t id, Deadline deadline) override {
    pb::LeaseRevokeRequest r;
    r.set_id(id);
    pb::LeaseRevokeResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return lease_->LeaseRevoke(ctx, r, &resp); }));
    return Op(resp);
  }

  Result<LeaseTimeToLiveResponse> LeaseTimeToLive(int64_t id, bool keys, Deadline deadline) override {
    pb::LeaseTimeToLiveRequest r;
    r.set_id(id);
    r.set_keys(keys);
    pb::LeaseTimeToLiveResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return lease_->LeaseTimeToLive(ctx, r, &resp); }));
    LeaseTimeToLiveResponse out;
    FillOp(resp, &out);
    out.id = resp.id();
    out.ttl = resp.ttl();
    out.granted_ttl = resp.grantedttl();
    out.keys.assign(resp.keys().begin(), resp.keys().end());
    return out;
  }

  Result<LeaseLeasesResponse> LeaseLeases(Deadline deadline) override {
    pb::LeaseLeasesRequest r;
    pb::LeaseLeasesResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return lease_->LeaseLeases(ctx, r, &resp); }));
    LeaseLeasesResponse out;
    FillOp(resp, &out);
    for (const auto& l : resp.leases()) out.ids.push_back(l.id());
    return out;
  }

  Result<LeaseKeepAliveResponse> LeaseKeepAliveOnce(int64_t id, Deadline deadline) override {
    RETURN_IF_ERROR(EnsureToken(deadline));
    grpc::ClientContext ctx;
    Prepare(&ctx, deadline);
    ctx.set_wait_for_ready(true);
    auto stream = lease_->LeaseKeepAlive(&ctx);
    pb::LeaseKeepAliveRequest r;
    r.set_id(id);
    pb::LeaseKeepAliveResponse resp;
    bool got = stream->Write(r) && stream->Read(&resp);
    stream->WritesDone();
    if (got) ctx.TryCancel();
    grpc::Status s = stream->Finish();
    if (!got) {
      if (s.ok()) return Fail(ErrorCode::kUnavailable, "keep-alive stream closed without an answer");
      return Fail(FromGrpc(s));
    }
    if (resp.ttl() <= 0) return Fail(ErrorCode::kNotFound, "etcdserver: requested lease not found");
    LeaseKeepAliveResponse out;
    FillOp(resp, &out);
    out.id = resp.id();
    out.ttl = resp.ttl();
    return out;
  }

  Result<OpResponse> AuthEnable(Deadline deadline) override {
    return Unary<pb::AuthEnableResponse>(pb::AuthEnableRequest(), &pb::Auth::Stub::AuthEnable, deadline);
  }
  Result<OpResponse> AuthDisable(Deadline deadline) override {
    return Unary<pb::AuthDisableResponse>(pb::AuthDisableRequest(), &pb::Auth::Stub::AuthDisable, deadline);
  }
  Result<OpResponse> UserAdd(const std::string& name, const std::string& password, bool no_password,
                             Deadline deadline) override {
    pb::AuthUserAddRequest r;
    r.set_name(name);
    r.set_password(password);
    if (no_password) r.mutable_options()->set_no_password(true);
    return Unary<pb::AuthUserAddResponse>(r, &pb::Auth::Stub::UserAdd, deadline);
  }
  Result<OpResponse> UserDelete(const std::string& name, Deadline deadline) override {
    pb::AuthUserDeleteRequest r;
    r.set_name(name);
    return Unary<pb::AuthUserDeleteResponse>(r, &pb::Auth::Stub::UserDelete, deadline);
  }
  Result<NamesResponse> UserGet(const std::string& name, Deadline deadline) override {
    pb::AuthUserGetRequest r;
    r.set_name(name);
    pb::AuthUserGetResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return auth_->UserGet(ctx, r, &resp); }));
    NamesResponse out;
    FillOp(resp, &out);
    out.names.assign(resp.roles().begin(), resp.roles().end());
    return out;
  }
  Result<NamesResponse> UserList(Deadline deadline) override {
    pb::AuthUserListRequest r;
    pb::AuthUserListResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return auth_->UserList(ctx, r, &resp); }));
    NamesResponse out;
    FillOp(resp, &out);
    out.names.assign(resp.users().begin(), resp.users().end());
    return out;
  }
  Result<OpResponse> UserChangePassword(const std::string& name, const std::string& password,
                                        Deadline deadline) override {
    pb::AuthUserChangePasswordRequest r;
    r.set_name(name);
    r.set_password(password);
    return Unary<pb::AuthUserChangePasswordResponse>(r, &pb::Auth::Stub::UserChangePassword, deadline);
  }
  Result<OpResponse> UserGrantRole(const std::string& user, const std::string& role, Deadline deadline) override {
    pb::AuthUserGrantRoleRequest r;
    r.set_user(user);
    r.set_role(role);
    return Unary<pb::AuthUserGrantRoleResponse>(r, &pb::Auth::Stub::UserGrantRole, deadline);
  }
  Result<OpResponse> UserRevokeRole(const std::string& user, const std::string& role, Deadline deadline) override {
    pb::AuthUserRevokeRoleRequest r;
    r.set_name(user);
    r.set_role(role);
    return Unary<pb::AuthUserRevokeRoleResponse>(r, &pb::Auth::Stub::UserRevokeRole, deadline);
  }
  Result<OpResponse> RoleAdd(const std::string& name, Deadline deadline) override {
    pb::AuthRoleAddRequest r;
    r.set_name(name);
    return Unary<pb::AuthRoleAddResponse>(r, &pb::Auth::Stub::RoleAdd, deadline);
  }
  Result<OpResponse> RoleDelete(const std::string& name, Deadline deadline) override {
    pb::AuthRoleDeleteRequest r;
    r.set_role(name);
    return Unary<pb::AuthRoleDeleteResponse>(r, &pb::Auth::Stub::RoleDelete, deadline);
  }
  Result<AuthRoleGetResponse> RoleGet(const std::string& name, Deadline deadline) override {
    pb::AuthRoleGetRequest r;
    r.set_role(name);
    pb::AuthRoleGetResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return auth_->RoleGet(ctx, r, &resp); }));
    AuthRoleGetResponse out;
    FillOp(resp, &out);
    for (const auto& p : resp.perm()) out.perms.push_back({static_cast<int>(p.permtype()), p.key(), p.range_end()});
    return out;
  }
  Result<NamesResponse> RoleList(Deadline deadline) override {
    pb::AuthRoleListRequest r;
    pb::AuthRoleListResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return auth_->RoleList(ctx, r, &resp); }));
    NamesResponse out;
    FillOp(resp, &out);
    out.names.assign(resp.roles().begin(), resp.roles().end());
    return out;
  }
  Result<OpResponse> RoleGrantPermission(const std::string& role, const Permission& perm,
                                         Deadline deadline) override {
    pb::AuthRoleGrantPermissionRequest r;
    r.set_name(role);
    r.mutable_perm()->set_permtype(static_cast<authpb::Permission::Type>(perm.type));
    r.mutable_perm()->set_key(perm.key);
    r.mutable_perm()->set_range_end(perm.range_end);
    return Unary<pb::AuthRoleGrantPermissionResponse>(r, &pb::Auth::Stub::RoleGrantPermission, deadline);
  }
  Result<OpResponse> RoleRevokePermission(const std::string& role, const std::string& key,
                                          const std::string& range_end, Deadline deadline) override {
    pb::AuthRoleRevokePermissionRequest r;
    r.set_role(role);
    r.set_key(key);
    r.set_range_end(range_end);
    return Unary<pb::AuthRoleRevokePermissionResponse>(r, &pb::Auth::Stub::RoleRevokePermission, deadline);
  }

  etcdrestore::Status WaitConnected(std::chrono::nanoseconds timeout) override {
    const bool tls = EndpointUsesTls(config_.endpoint, config_.use_tls);
    const std::string what = "connect to " + config_.endpoint + (tls ? " (TLS)" : " (plaintext)");
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
    // Wait for READY, but stop at the first TRANSIENT_FAILURE: that is a real answer
    // (refused, TLS failure) and there is no point in waiting for the backoff retry.
    grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_READY && state != GRPC_CHANNEL_TRANSIENT_FAILURE &&
           state != GRPC_CHANNEL_SHUTDOWN) {
      if (!channel_->WaitForStateChange(state, deadline)) break;
      state = channel_->GetState(/*try_to_connect=*/true);
    }
    if (state == GRPC_CHANNEL_READY) return {};
    // Ask gRPC why: a fail-fast call reports the last connection error at once when the
    // channel is in TRANSIENT_FAILURE.
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(false);
    ctx.set_deadline(Clock::now() + std::chrono::seconds(1));
    pb::StatusRequest r;
    pb::StatusResponse resp;
    grpc::Status s = maintenance_->Status(&ctx, r, &resp);
    if (s.ok()) return {};
    double secs = std::chrono::duration<double>(timeout).count();
    std::ostringstream msg;
    msg << what << ": ";
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      msg << "no connection within " << secs << "s (no answer; is it the right host and port?)";
    } else {
      msg << DescribeConnectFailure(s.error_message()) << " (gRPC: " << s.error_message() << ")";
    }
    return Fail(ErrorCode::kUnavailable, msg.str());
  }

  etcdrestore::Status Snapshot(const SnapshotSink& sink, Deadline deadline) override {
    RETURN_IF_ERROR(EnsureToken(deadline));
    grpc::ClientContext ctx;
    Prepare(&ctx, deadline);
    // Fail fast: after WaitConnected a broken connection must end the download, not wait.
    ctx.set_wait_for_ready(false);
    pb::SnapshotRequest r;
    auto reader = maintenance_->Snapshot(&ctx, r);
    pb::SnapshotResponse msg;
    etcdrestore::Status sink_status;
    while (reader->Read(&msg)) {
      sink_status = sink(msg.blob(), msg.remaining_bytes());
      if (!sink_status) {
        ctx.TryCancel();
        break;
      }
    }
    grpc::Status s = reader->Finish();
    if (!sink_status) return sink_status;
    if (!s.ok()) {
      Error e = FromGrpc(s);
      if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return Fail(std::move(e));
      return Fail(std::move(e).Wrap("snapshot stream from " + config_.endpoint));
    }
    return {};
  }

 private:
  void Prepare(grpc::ClientContext* ctx, Deadline deadline) {
    if (deadline) ctx->set_deadline(*deadline);
    if (!token_.empty()) ctx->AddMetadata("token", token_);
  }

  etcdrestore::Status Authenticate(Deadline deadline) override { return EnsureToken(deadline); }

 private:
  etcdrestore::Status EnsureToken(Deadline deadline) {
    if (config_.user.empty() || !token_.empty() || auth_not_enabled_) return {};
    grpc::ClientContext ctx;
    if (deadline) ctx.set_deadline(*deadline);
    ctx.set_wait_for_ready(true);
    pb::AuthenticateRequest r;
    r.set_name(config_.user);
    r.set_password(config_.password);
    pb::AuthenticateResponse resp;
    grpc::Status s = auth_->Authenticate(&ctx, r, &resp);
    // clientv3.New goes on without a token when the server has auth off (so `auth disable`
    // or `auth enable` with --user work either way).
    if (!s.ok() && s.error_message() == "etcdserver: authentication is not enabled") {
      auth_not_enabled_ = true;
      return {};
    }
    if (!s.ok()) return Fail(FromGrpc(s));
    token_ = resp.token();
    return {};
  }

  template <typename Pb>
  static MembersResponse Members(const Pb& resp) {
    MembersResponse out;
    FillOp(resp, &out);
    out.members = MembersOf(resp);
    return out;
  }

  static AlarmResponse Alarms(const pb::AlarmResponse& resp) {
    AlarmResponse out;
    FillOp(resp, &out);
    for (const auto& a : resp.alarms()) out.alarms.push_back({a.memberid(), static_cast<int>(a.alarm())});
    return out;
  }

  template <typename Pb>
  static OpResponse Op(const Pb& resp) {
    OpResponse out;
    FillOp(resp, &out);
    return out;
  }

  // An Auth RPC whose answer is only a header (or printed from its wire bytes).
  template <typename Resp, typename Req, typename Method>
  Result<OpResponse> Unary(const Req& r, Method method, Deadline deadline) {
    Resp resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return (auth_.get()->*method)(ctx, r, &resp); }));
    return Op(resp);
  }

  template <typename Fn>
  etcdrestore::Status Call(Deadline deadline, Fn&& fn) {
    RETURN_IF_ERROR(EnsureToken(deadline));
    grpc::ClientContext ctx;
    Prepare(&ctx, deadline);
    ctx.set_wait_for_ready(true);  // clientv3 waits for a connection until the deadline
    grpc::Status s = fn(&ctx);
    if (!s.ok()) return Fail(FromGrpc(s));
    return {};
  }

  Config config_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::KV::Stub> kv_;
  std::unique_ptr<pb::Cluster::Stub> cluster_;
  std::unique_ptr<pb::Maintenance::Stub> maintenance_;
  std::unique_ptr<pb::Lease::Stub> lease_;
  std::unique_ptr<pb::Watch::Stub> watch_;
  std::unique_ptr<pb::Auth::Stub> auth_;
  std::string token_;
  bool auth_not_enabled_ = false;
};

}  // namespace

Result<TlsMaterial> LoadTlsFiles(const std::string& ca_file, const std::string& cert_file,
                                 const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "KeyFile and CertFile must both be present[key: " +
                                                 key_file + ", cert: " + cert_file + "]");
  }
  TlsMaterial m;
  if (!cert_file.empty()) {
    ASSIGN_OR_RETURN(m.cert_pem, ReadWholeFile(cert_file));
    ASSIGN_OR_RETURN(m.key_pem, ReadWholeFile(key_file));
  }
  if (!ca_file.empty()) {
    ASSIGN_OR_RETURN(m.ca_pem, ReadWholeFile(ca_file));
  }
  return m;
}

std::string EndpointTarget(std::string_view endpoint) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (endpoint.starts_with(scheme)) endpoint.remove_prefix(scheme.size());
  }
  return std::string(endpoint);
}

bool EndpointUsesTls(std::string_view endpoint, bool use_tls) {
  if (endpoint.starts_with("http://")) return false;
  if (endpoint.starts_with("https://")) return true;
  return use_tls;
}

Result<std::unique_ptr<Client>> Dial(const Config& config) {
  SilenceGrpcLogging();
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!EndpointUsesTls(config.endpoint, config.use_tls)) {
    creds = grpc::InsecureChannelCredentials();
  } else if (!config.insecure_skip_verify) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = config.tls.ca_pem;
    o.pem_private_key = config.tls.key_pem;
    o.pem_cert_chain = config.tls.cert_pem;
    creds = grpc::SslCredentials(o);
  } else {
    namespace gx = grpc::experimental;
    gx::TlsChannelCredentialsOptions o;
    if (!config.tls.cert_pem.empty()) {
      std::vector<gx::IdentityKeyCertPair> pairs{{config.tls.key_pem, config.tls.cert_pem}};
      o.set_certificate_provider(std::make_shared<gx::StaticDataCertificateProvider>(pairs));
      o.watch_identity_key_cert_pairs();
    }
    o.set_verify_server_certs(false);
    o.set_check_call_host(false);
    o.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
    creds = gx::TlsCredentials(o);
  }
  if (!creds) {
    return Fail(ErrorCode::kInvalidArgument,
                "create TLS credentials for " + config.endpoint + ": rejected by gRPC");
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(INT_MAX);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ToMillis(config.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ToMillis(config.keepalive_timeout));
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  auto channel = grpc::CreateCustomChannel(EndpointTarget(config.endpoint), creds, args);
  return std::unique_ptr<Client>(new GrpcClient(config, std::move(channel)));
}

}  // namespace etcdrestore::etcdclient
