// The only TU that includes Beast/Asio (see transport.h).
#include "shared/kube/transport.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace etcdrestore::kube {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using SslStream = beast::ssl_stream<beast::tcp_stream>;

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

std::string HostHeader(const Endpoint& ep) {
  const std::string h = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  return ep.port == "443" ? h : h + ":" + ep.port;
}

// Runs one async operation to completion on ioc and returns its error code.
template <typename Initiate>
beast::error_code RunOp(net::io_context& ioc, Initiate&& initiate) {
  beast::error_code result;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

Status ConfigureContext(ssl::context& ctx, const Endpoint& ep) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (ep.insecure) {
    ctx.set_verify_mode(ssl::verify_none);
  } else {
    ctx.set_verify_mode(ssl::verify_peer);
    if (ep.ca_pem.empty()) {
      ctx.set_default_verify_paths(ec);
    } else {
      ctx.add_certificate_authority(net::buffer(ep.ca_pem), ec);
      if (ec) {
        return Fail(ErrorCode::kInvalidArgument,
                    "certificate authority: no valid PEM certificate (" + ec.message() + ")");
      }
    }
  }
  if (!ep.cert_pem.empty()) {
    ctx.use_certificate_chain(net::buffer(ep.cert_pem), ec);
    if (ec) return Fail(ErrorCode::kInvalidArgument, "client certificate: not a valid PEM certificate");
    ctx.use_private_key(net::buffer(ep.key_pem), ssl::context::pem, ec);
    if (ec) return Fail(ErrorCode::kInvalidArgument, "client key: not a valid PEM private key");
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
      return Fail(ErrorCode::kInvalidArgument, "client certificate and key do not match");
    }
  }
  return {};
}

// Connects TCP and does the TLS handshake with verification as transport.h says.
Status Connect(net::io_context& ioc, SslStream& stream, const Endpoint& ep) {
  const std::string addr = (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) + ":" + ep.port;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto results = resolver.resolve(ep.host, ep.port, ec);
  if (ec) return Fail(ErrorCode::kUnavailable, "dial tcp " + addr + ": lookup " + ep.host + ": " + ec.message());
  auto& tcp_stream = beast::get_lowest_layer(stream);
  tcp_stream.expires_after(ep.connect_timeout);
  ec = RunOp(ioc, [&](auto handler) { tcp_stream.async_connect(results, std::move(handler)); });
  if (ec) {
    std::string why = ec == beast::error::timeout ? "i/o timeout" : ec.message();
    for (auto& c : why) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return Fail(ErrorCode::kUnavailable, "dial tcp " + addr + ": connect: " + why);
  }
  const std::string name = ep.server_name.empty() ? ep.host : ep.server_name;
  SSL* ssl_handle = stream.native_handle();
  if (!IsIpLiteral(name)) SSL_set_tlsext_host_name(ssl_handle, name.c_str());
  if (!ep.insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    if (IsIpLiteral(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    }
  }
  tcp_stream.expires_after(ep.connect_timeout);
  ec = RunOp(ioc, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, std::move(handler)); });
  if (ec) {
    const long v = SSL_get_verify_result(ssl_handle);
    if (v != X509_V_OK) {
      return Fail(ErrorCode::kPermissionDenied,
                  "tls: certificate verify failed for " + addr + " (name " + name + "): " +
                      X509_verify_cert_error_string(v));
    }
    std::string why = ec == beast::error::timeout ? "handshake timeout" : ec.message();
    return Fail(ErrorCode::kUnavailable, "tls handshake with " + addr + ": " + why);
  }
  tcp_stream.expires_never();
  return {};
}

class WebSocketImpl : public WebSocket {
 public:
  // ctx must be configured already: the SSL object copies the client certificate from the
  // context when the stream is constructed.
  WebSocketImpl(const Endpoint& ep, ssl::context ctx) : ctx_(std::move(ctx)), ws_(ioc_, ctx_), ep_(ep) {}

  Status Start(const HttpRequest& req, const std::vector<std::string>& protocols, HttpResponse* declined) {
    RETURN_IF_ERROR(Connect(ioc_, ws_.next_layer(), ep_));
    std::string offer;
    for (const auto& p : protocols) offer += (offer.empty() ? "" : ", ") + p;
    ws_.set_option(websocket::stream_base::decorator([&](websocket::request_type& r) {
      r.set(http::field::sec_websocket_protocol, offer);
      for (const auto& [k, v] : req.headers) r.set(k, v);
    }));
    websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = ep_.connect_timeout;
    ws_.set_option(t);
    websocket::response_type res;
    beast::error_code ec = RunOp(ioc_, [&](auto handler) {
      ws_.async_handshake(res, HostHeader(ep_), req.target, std::move(handler));
    });
    if (ec) {
      if (res.result_int() != 0 && res.result_int() != 101) {
        declined->status = static_cast<int>(res.result_int());
        declined->content_type = std::string(res[http::field::content_type]);
        declined->body = res.body();
        return Fail(ErrorCode::kFailedPrecondition,
                    "websocket upgrade declined with HTTP " + std::to_string(declined->status));
      }
      return Fail(ErrorCode::kUnavailable, "websocket handshake: " + ec.message());
    }
    protocol_ = std::string(res[http::field::sec_websocket_protocol]);
    ws_.binary(true);
    return {};
  }

  const std::string& protocol() const override { return protocol_; }

  Result<std::string> Read() override {
    beast::flat_buffer buf;
    beast::error_code ec = RunOp(ioc_, [&](auto handler) { ws_.async_read(buf, std::move(handler)); });
    if (ec == websocket::error::closed || ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
      return Fail(ErrorCode::kNotFound, "closed");
    }
    if (ec) return Fail(ErrorCode::kUnavailable, "websocket read: " + ec.message());
    return beast::buffers_to_string(buf.data());
  }

  Status Write(std::string_view binary) override {
    beast::error_code ec = RunOp(ioc_, [&](auto handler) {
      ws_.async_write(net::buffer(binary.data(), binary.size()), std::move(handler));
    });
    if (ec) return Fail(ErrorCode::kUnavailable, "websocket write: " + ec.message());
    return {};
  }

  void Close() override {
    if (!ws_.is_open()) return;
    // stream_truncated (peer dropped TCP without close_notify) is expected here.
    (void)RunOp(ioc_, [&](auto handler) { ws_.async_close(websocket::close_code::normal, std::move(handler)); });
  }

 private:
  net::io_context ioc_;
  ssl::context ctx_;
  websocket::stream<SslStream> ws_;
  Endpoint ep_;
  std::string protocol_;
};

}  // namespace

Result<ServerUrl> ParseServerUrl(const std::string& url) {
  std::string_view rest = url;
  if (rest.substr(0, 8) != "https://") {
    return Fail(ErrorCode::kUnsupported, "server " + url + ": only https:// servers are supported");
  }
  rest.remove_prefix(8);
  ServerUrl u;
  const size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.path_prefix = std::string(rest.substr(slash));
  while (!u.path_prefix.empty() && u.path_prefix.back() == '/') u.path_prefix.pop_back();
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "server " + url + ": bad IPv6 host");
    u.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    u.port = after.size() > 1 && after[0] == ':' ? std::string(after.substr(1)) : "443";
  } else {
    const size_t colon = hostport.rfind(':');
    u.host = std::string(hostport.substr(0, colon));
    u.port = colon == std::string_view::npos ? "443" : std::string(hostport.substr(colon + 1));
  }
  if (u.host.empty() || u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "server " + url + ": not https://host[:port][/path]");
  }
  return u;
}

Result<HttpResponse> RoundTrip(const Endpoint& ep, const HttpRequest& req) {
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  RETURN_IF_ERROR(ConfigureContext(ctx, ep));
  SslStream stream(ioc, ctx);
  RETURN_IF_ERROR(Connect(ioc, stream, ep));
  http::request<http::string_body> r{http::string_to_verb(req.method), req.target, 11};
  r.set(http::field::host, HostHeader(ep));
  r.set(http::field::user_agent, "kubectl-etcdrestore");
  for (const auto& [k, v] : req.headers) r.set(k, v);
  r.body() = req.body;
  r.prepare_payload();
  auto& tcp_stream = beast::get_lowest_layer(stream);
  if (ep.timeout.count() > 0) tcp_stream.expires_after(ep.timeout);
  beast::error_code ec = RunOp(ioc, [&](auto handler) { http::async_write(stream, r, std::move(handler)); });
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 31);
  if (!ec) ec = RunOp(ioc, [&](auto handler) { http::async_read(stream, buf, parser, std::move(handler)); });
  if (ec) {
    if (ec == beast::error::timeout) {
      return Fail(ErrorCode::kUnavailable, req.method + " " + req.target + ": request timed out after " +
                                               std::to_string(ep.timeout.count()) + " ms");
    }
    return Fail(ErrorCode::kUnavailable, req.method + " " + req.target + ": " + ec.message());
  }
  tcp_stream.close();
  HttpResponse resp;
  const auto& msg = parser.get();
  resp.status = static_cast<int>(msg.result_int());
  resp.content_type = std::string(msg[http::field::content_type]);
  resp.body = msg.body();
  return resp;
}

Result<std::unique_ptr<WebSocket>> ConnectWebSocket(const Endpoint& ep, const HttpRequest& req,
                                                    const std::vector<std::string>& protocols,
                                                    HttpResponse* declined) {
  ssl::context ctx(ssl::context::tls_client);
  RETURN_IF_ERROR(ConfigureContext(ctx, ep));
  auto ws = std::make_unique<WebSocketImpl>(ep, std::move(ctx));
  RETURN_IF_ERROR(ws->Start(req, protocols, declined));
  return std::unique_ptr<WebSocket>(std::move(ws));
}

}  // namespace etcdrestore::kube
