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
#include <fstream>
#include <mutex>
#include <sstream>

#include "etcdclient_rpc.grpc.pb.h"

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

// Go's os.ReadFile error text ("open F: no such file or directory"), as kInvalidArgument:
// etcdctl treats unreadable TLS files as bad arguments (exit 128).
Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kInvalidArgument, ErrnoError("open " + path, errno).message());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
        auth_(pb::Auth::NewStub(channel_)) {}

  const std::string& endpoint() const override { return config_.endpoint; }

  Result<RangeResponse> Range(const RangeRequest& req, Deadline deadline) override {
    pb::RangeRequest r;
    r.set_key(req.key);
    r.set_range_end(req.range_end);
    r.set_limit(req.limit);
    r.set_revision(req.revision);
    r.set_sort_order(static_cast<pb::RangeRequest::SortOrder>(req.sort_order));
    r.set_sort_target(static_cast<pb::RangeRequest::SortTarget>(req.sort_target));
    r.set_serializable(req.serializable);
    r.set_keys_only(req.keys_only);
    pb::RangeResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->Range(ctx, r, &resp); }));
    RangeResponse out;
    out.header = FromPb(resp.header());
    for (const auto& kv : resp.kvs()) out.kvs.push_back(FromPb(kv));
    out.more = resp.more();
    out.count = resp.count();
    return out;
  }

  Result<PutResponse> Put(const std::string& key, const std::string& value,
                          Deadline deadline) override {
    pb::PutRequest r;
    r.set_key(key);
    r.set_value(value);
    pb::PutResponse resp;
    RETURN_IF_ERROR(Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->Put(ctx, r, &resp); }));
    return PutResponse{FromPb(resp.header())};
  }

  Result<DeleteRangeResponse> DeleteRange(const std::string& key, const std::string& range_end,
                                          Deadline deadline) override {
    pb::DeleteRangeRequest r;
    r.set_key(key);
    r.set_range_end(range_end);
    pb::DeleteRangeResponse resp;
    RETURN_IF_ERROR(
        Call(deadline, [&](grpc::ClientContext* ctx) { return kv_->DeleteRange(ctx, r, &resp); }));
    return DeleteRangeResponse{FromPb(resp.header()), resp.deleted()};
  }

  Result<MemberListResponse> MemberList(Deadline deadline) override {
    pb::MemberListRequest r;
    pb::MemberListResponse resp;
    RETURN_IF_ERROR(
        Call(deadline, [&](grpc::ClientContext* ctx) { return cluster_->MemberList(ctx, r, &resp); }));
    MemberListResponse out;
    out.header = FromPb(resp.header());
    for (const auto& m : resp.members()) {
      Member mm;
      mm.id = m.id();
      mm.name = m.name();
      mm.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
      mm.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
      mm.is_learner = m.islearner();
      out.members.push_back(std::move(mm));
    }
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
    if (config_.user.empty() || !token_.empty()) return {};
    grpc::ClientContext ctx;
    if (deadline) ctx.set_deadline(*deadline);
    ctx.set_wait_for_ready(true);
    pb::AuthenticateRequest r;
    r.set_name(config_.user);
    r.set_password(config_.password);
    pb::AuthenticateResponse resp;
    grpc::Status s = auth_->Authenticate(&ctx, r, &resp);
    if (!s.ok()) return Fail(FromGrpc(s));
    token_ = resp.token();
    return {};
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
  std::unique_ptr<pb::Auth::Stub> auth_;
  std::string token_;
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
