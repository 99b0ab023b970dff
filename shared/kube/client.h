// shared/kube/client.h
//
// A small Kubernetes API client: GET of JSON objects and exec into a container, with the
// credentials of a RestConfig (client cert, bearer token, basic auth, or an exec plugin run
// once on first use).
//
// HTTP errors become Error values carrying the API server's own Status message, which for
// RBAC denials names the user, verb and resource:
//   401 -> kPermissionDenied "<what>: Unauthorized: the server rejected the credentials of user U"
//   403 -> kPermissionDenied "<what>: forbidden: User "u" cannot list resource "pods" in API
//          group "" in the namespace "kube-system" (check: kubectl auth can-i list pods -n kube-system)"
//   404 -> kNotFound "<what>: <server message>"
//   other -> kUnavailable/kInternal with the status code.
// Unreachable servers read like kubectl: "the connection to the server H:P was refused -
// did you specify the right host or port?". Tokens and keys never appear in messages.
#ifndef ETCDRESTORE_SHARED_KUBE_CLIENT_H_
#define ETCDRESTORE_SHARED_KUBE_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/kube/kubeconfig.h"

namespace etcdrestore::kube {

// Describes a request for error messages and the RBAC hint: verb "list", resource "pods",
// namespace "kube-system" -> "list pods in namespace kube-system".
struct Access {
  std::string verb;
  std::string resource;
  std::string namespace_;  // empty: cluster scope
  std::string name;
};

struct ExecRequest {
  std::string namespace_;
  std::string pod;
  std::string container;
  std::vector<std::string> command;
};

struct ExecResult {
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
  std::string protocol;  // the channel protocol the server chose (v5/v4.channel.k8s.io)
};

class Client {
 public:
  explicit Client(RestConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const RestConfig& config() const { return config_; }

  // GET path (e.g. "/api/v1/namespaces/kube-system/pods?labelSelector=component%3Detcd");
  // returns the body of a 2xx response.
  Result<std::string> Get(const std::string& path, const Access& access);
  // POST body (of content_type, e.g. "application/vnd.kubernetes.protobuf") to path, as a
  // create does; returns the body of a 2xx response (JSON). Errors as for Get; 409 (the
  // object exists) is kAlreadyExists with the server's message.
  Result<std::string> Post(const std::string& path, const std::string& content_type, std::string body,
                           const Access& access);
  // DELETE path (an object); returns the body of a 2xx response. Errors as for Get.
  Result<std::string> Delete(const std::string& path, const Access& access);

  // Runs a command in a container (pods/exec over WebSocket, offering v5.channel.k8s.io
  // then v4.channel.k8s.io) and collects stdout, stderr and the exit code. A command that
  // ran and failed is not an error (exit_code != 0); failing to run it is.
  Result<ExecResult> Exec(const ExecRequest& req);

  // "H:P" of the server, for messages.
  std::string ServerAddress() const;

 private:
  struct Impl;
  Status EnsureCredentials();
  // One request: METHOD path (with a body of content_type when not empty).
  Result<std::string> Send(const char* method, const std::string& path, const std::string& content_type,
                           std::string body, const Access& access);
  RestConfig config_;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query parameter value.
std::string QueryEscape(std::string_view s);

// Maps an API error response to an Error (see the header comment). Exposed for tests.
Error ApiError(int status, std::string_view body, const Access& access, std::string_view user);

}  // namespace etcdrestore::kube

#endif  // ETCDRESTORE_SHARED_KUBE_CLIENT_H_
