#include "shared/kube/client.h"

#include <nlohmann/json.hpp>

#include "shared/kube/exec_plugin.h"
#include "shared/kube/transport.h"

namespace etcdrestore::kube {
namespace {

using nlohmann::json;

std::string Base64Encode(std::string_view s) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(s[i]) << 16 | static_cast<uint8_t>(s[i + 1]) << 8 |
                       static_cast<uint8_t>(s[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == s.size()) {
    const uint32_t v = static_cast<uint8_t>(s[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == s.size()) {
    const uint32_t v = static_cast<uint8_t>(s[i]) << 16 | static_cast<uint8_t>(s[i + 1]) << 8;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string Describe(const Access& a) {
  std::string s = a.verb + " " + a.resource;
  if (!a.name.empty()) s += " " + a.name;
  if (!a.namespace_.empty()) s += " in namespace " + a.namespace_;
  return s;
}

std::string CanIHint(const Access& a) {
  std::string s = "kubectl auth can-i " + a.verb + " " + a.resource;
  if (!a.namespace_.empty()) s += " -n " + a.namespace_;
  return s;
}

}  // namespace

struct Client::Impl {
  Endpoint endpoint;
  std::string path_prefix;
  std::string auth_header;
  bool credentials_ready = false;
};

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Error ApiError(int status, std::string_view body, const Access& access, std::string_view user) {
  std::string message;
  std::string reason;
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object() && j.value("kind", "") == "Status") {
    message = j.value("message", "");
    reason = j.value("reason", "");
  } else {
    message = std::string(body.substr(0, 200));
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  }
  const std::string what = Describe(access);
  switch (status) {
    case 401:
      return Error(ErrorCode::kPermissionDenied,
                   what + ": Unauthorized: the server rejected the credentials" +
                       (user.empty() ? std::string() : " of user \"" + std::string(user) + "\""));
    case 403: {
      // "pods is forbidden: User ..." -> "forbidden: User ..."
      std::string m = message;
      const size_t pos = m.find("forbidden: ");
      if (pos != std::string::npos) m = m.substr(pos);
      return Error(ErrorCode::kPermissionDenied,
                   what + ": " + (m.empty() ? "forbidden" : m) + " (check: " + CanIHint(access) + ")");
    }
    case 404:
      return Error(ErrorCode::kNotFound, what + ": " + (message.empty() ? "not found" : message));
    case 409:
      return Error(ErrorCode::kAlreadyExists, what + ": " + (message.empty() ? "already exists" : message));
    default:
      return Error(status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal,
                   what + ": server answered HTTP " + std::to_string(status) +
                       (message.empty() ? std::string() : ": " + message));
  }
}

Client::Client(RestConfig config) : config_(std::move(config)), impl_(std::make_unique<Impl>()) {}
Client::~Client() = default;

std::string Client::ServerAddress() const {
  auto u = ParseServerUrl(config_.server);
  if (!u) return config_.server;
  return (u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host) + ":" + u->port;
}

Status Client::EnsureCredentials() {
  if (impl_->credentials_ready) return {};
  ASSIGN_OR_RETURN(ServerUrl url, ParseServerUrl(config_.server));
  Endpoint& ep = impl_->endpoint;
  ep.host = url.host;
  ep.port = url.port;
  ep.server_name = config_.tls_server_name;
  ep.insecure = config_.insecure_skip_tls_verify;
  ep.ca_pem = config_.ca_pem;
  ep.cert_pem = config_.cert_pem;
  ep.key_pem = config_.key_pem;
  if (config_.timeout.count() > 0) {
    ep.timeout = config_.timeout;
    ep.connect_timeout = std::min(ep.connect_timeout, config_.timeout);
  }
  impl_->path_prefix = url.path_prefix;
  std::string token = config_.token;
  if (config_.exec && token.empty() && ep.cert_pem.empty()) {
    ASSIGN_OR_RETURN(ExecCredential cred, RunExecPlugin(*config_.exec, config_));
    token = cred.token;
    if (!cred.cert_pem.empty()) {
      ep.cert_pem = cred.cert_pem;
      ep.key_pem = cred.key_pem;
    }
  }
  if (!token.empty()) {
    impl_->auth_header = "Bearer " + token;
  } else if (!config_.username.empty()) {
    impl_->auth_header = "Basic " + Base64Encode(config_.username + ":" + config_.password);
  }
  impl_->credentials_ready = true;
  return {};
}

namespace {

Error ConnectError(Error e, const std::string& addr) {
  if (e.message().find("connection refused") != std::string::npos) {
    return Error(ErrorCode::kUnavailable, "the connection to the server " + addr +
                                              " was refused - did you specify the right host or port?");
  }
  if (e.code() == ErrorCode::kPermissionDenied) {
    return Error(e.code(), "unable to connect to the server: " + e.message() +
                               " (check the cluster's certificate-authority or --certificate-authority)");
  }
  return Error(e.code(), "unable to connect to the server: " + e.message());
}

}  // namespace

Result<std::string> Client::Send(const char* method, const std::string& path, const std::string& content_type,
                                 std::string body, const Access& access) {
  RETURN_IF_ERROR(EnsureCredentials());
  HttpRequest req;
  req.method = method;
  req.target = impl_->path_prefix + path;
  req.headers.emplace_back("Accept", "application/json");
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
  if (!impl_->auth_header.empty()) req.headers.emplace_back("Authorization", impl_->auth_header);
  req.body = std::move(body);
  auto resp = RoundTrip(impl_->endpoint, req);
  if (!resp) return Fail(ConnectError(std::move(resp).error(), ServerAddress()));
  if (resp->status < 200 || resp->status > 299) {
    return Fail(ApiError(resp->status, resp->body, access, config_.user_name));
  }
  return std::move(resp->body);
}

Result<std::string> Client::Get(const std::string& path, const Access& access) {
  return Send("GET", path, "", "", access);
}

Result<std::string> Client::Post(const std::string& path, const std::string& content_type, std::string body,
                                 const Access& access) {
  return Send("POST", path, content_type, std::move(body), access);
}

Result<std::string> Client::Delete(const std::string& path, const Access& access) {
  return Send("DELETE", path, "", "", access);
}

Result<ExecResult> Client::Exec(const ExecRequest& r) {
  RETURN_IF_ERROR(EnsureCredentials());
  const Access access{"create", "pods/exec", r.namespace_, r.pod};
  std::string target = impl_->path_prefix + "/api/v1/namespaces/" + QueryEscape(r.namespace_) + "/pods/" +
                       QueryEscape(r.pod) + "/exec?";
  for (const auto& c : r.command) target += "command=" + QueryEscape(c) + "&";
  if (!r.container.empty()) target += "container=" + QueryEscape(r.container) + "&";
  target += "stdout=true&stderr=true";
  HttpRequest req;
  req.target = target;
  if (!impl_->auth_header.empty()) req.headers.emplace_back("Authorization", impl_->auth_header);
  HttpResponse declined;
  auto ws = ConnectWebSocket(impl_->endpoint, req, {"v5.channel.k8s.io", "v4.channel.k8s.io"}, &declined);
  if (!ws) {
    if (ws.error().code() == ErrorCode::kFailedPrecondition) {
      return Fail(ApiError(declined.status, declined.body, access, config_.user_name));
    }
    return Fail(ConnectError(std::move(ws).error(), ServerAddress()));
  }
  ExecResult result;
  result.protocol = (*ws)->protocol();
  if (result.protocol != "v5.channel.k8s.io" && result.protocol != "v4.channel.k8s.io") {
    (*ws)->Close();
    return Fail(ErrorCode::kUnsupported, Describe(access) + ": server chose exec protocol \"" + result.protocol +
                                             "\" (this tool speaks v5.channel.k8s.io and v4.channel.k8s.io)");
  }
  std::optional<json> status;
  for (;;) {
    auto msg = (*ws)->Read();
    if (!msg) {
      if (msg.error().code() == ErrorCode::kNotFound) break;  // closed
      // A real kubelet (1.20, behind kube-apiserver) drops the connection right after its close
      // frame: answering that close then fails with EPIPE or a reset. Once the exit status has come
      // on channel 3 the stream is complete, so that is an orderly end, not a failed exec.
      if (status) break;
      return Fail(std::move(msg).error().Wrap(Describe(access)));
    }
    if (msg->empty()) continue;
    const unsigned char channel = static_cast<unsigned char>((*msg)[0]);
    std::string_view data = std::string_view(*msg).substr(1);
    if (channel == 1) {
      result.stdout_data.append(data);
    } else if (channel == 2) {
      result.stderr_data.append(data);
    } else if (channel == 3) {
      if (data.empty()) continue;
      json j = json::parse(data, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) {
        return Fail(ErrorCode::kInternal, Describe(access) + ": bad status on the error channel");
      }
      status = std::move(j);
    }
  }
  (*ws)->Close();
  if (!status) {
    return Fail(ErrorCode::kUnavailable, Describe(access) + ": the stream closed without an exit status");
  }
  if (status->value("status", "") == "Success") return result;
  if (status->value("reason", "") == "NonZeroExitCode") {
    const json& causes = (*status)["details"]["causes"];
    if (causes.is_array()) {
      for (const auto& c : causes) {
        if (c.value("reason", "") == "ExitCode") {
          result.exit_code = std::atoi(c.value("message", "1").c_str());
          return result;
        }
      }
    }
    result.exit_code = 1;
    return result;
  }
  return Fail(ErrorCode::kFailedPrecondition, Describe(access) + ": " + status->value("message", "exec failed"));
}

}  // namespace etcdrestore::kube
