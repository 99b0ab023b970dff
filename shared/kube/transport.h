// shared/kube/transport.h
//
// HTTPS and WebSocket-over-TLS to one server, on Boost.Beast + OpenSSL. All of Beast lives
// in transport.cc (one TU: it costs ~12 s to compile); this header is plain C++.
//
// TLS: the server is verified against ca_pem (or the system store when empty) and its name
// (the URL host, or server_name) with OpenSSL's host/IP check, unless insecure. SNI is sent
// for DNS names only. A client cert/key pair is checked to match before connecting.
// One connection per request or WebSocket; requests are few and small here.
//
// Errors: connect failures are kUnavailable ("dial tcp H:P: connection refused", "... i/o
// timeout"); TLS verification failures are kPermissionDenied ("tls: certificate verify
// failed: <OpenSSL reason>"). HTTP statuses are not errors at this level.
#ifndef ETCDRESTORE_SHARED_KUBE_TRANSPORT_H_
#define ETCDRESTORE_SHARED_KUBE_TRANSPORT_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::kube {

struct Endpoint {
  std::string host;  // DNS name or IP literal (no brackets)
  std::string port;
  std::string server_name;  // name to verify (and SNI); empty: host
  bool insecure = false;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds timeout{0};  // whole request / each WebSocket read; 0: none
};

// Splits "https://host:port/prefix" (port defaults to 443). kInvalidArgument otherwise.
struct ServerUrl {
  std::string host, port, path_prefix;
};
Result<ServerUrl> ParseServerUrl(const std::string& url);

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path + query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

Result<HttpResponse> RoundTrip(const Endpoint& ep, const HttpRequest& req);

// A connected WebSocket. Messages are whole (binary or text) frames' payloads.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // The subprotocol the server chose.
  virtual const std::string& protocol() const = 0;
  // Next message; nullopt-like: kNotFound with message "closed" when the peer closed.
  virtual Result<std::string> Read() = 0;
  virtual Status Write(std::string_view binary) = 0;
  // Sends a close frame and waits for the peer's; a peer that just drops TCP is fine.
  virtual void Close() = 0;
};

// Upgrades req (a GET) offering `protocols` in order. When the server declines the upgrade
// the HTTP response comes back in *declined (status != 101) and the result is an error
// with code kFailedPrecondition.
Result<std::unique_ptr<WebSocket>> ConnectWebSocket(const Endpoint& ep, const HttpRequest& req,
                                                    const std::vector<std::string>& protocols,
                                                    HttpResponse* declined);

}  // namespace etcdrestore::kube

#endif  // ETCDRESTORE_SHARED_KUBE_TRANSPORT_H_
