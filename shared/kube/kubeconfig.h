// shared/kube/kubeconfig.h
//
// Resolves how to reach the Kubernetes API the way kubectl does (client-go's
// clientcmd), from kubeconfig files, kubectl's global flags and in-cluster config:
//
//   files:     --kubeconfig FILE (must exist), else every file in $KUBECONFIG (':'-separated;
//              missing files are skipped), else ~/.kube/config (may be missing).
//   merging:   clusters/users/contexts by name, the first file that defines a name wins;
//              current-context is the first non-empty one. Relative paths inside a file
//              (certificate-authority, client-certificate, client-key, tokenFile, exec
//              command with a '/') are relative to that file's directory.
//   selection: --context or current-context; --cluster / --user override the context's;
//              namespace: -n, else the context's, else "default".
//   overrides: -s/--server, --certificate-authority, --client-certificate, --client-key,
//              --token, --insecure-skip-tls-verify, --tls-server-name, --request-timeout.
//   in-cluster: when no file gives a server and no --server is given, and
//              KUBERNETES_SERVICE_HOST/PORT are set with a service-account token present.
//
// Credentials are read here (files and *-data) but exec credential plugins are only
// described (RestConfig::exec); shared/kube/exec_plugin.h runs them. Error messages never
// contain tokens, passwords or key material.
#ifndef ETCDRESTORE_SHARED_KUBE_KUBECONFIG_H_
#define ETCDRESTORE_SHARED_KUBE_KUBECONFIG_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::kube {

// kubectl's global flags; unset optionals mean "not given".
struct Overrides {
  std::optional<std::string> kubeconfig;
  std::optional<std::string> context;
  std::optional<std::string> cluster;
  std::optional<std::string> user;
  std::optional<std::string> namespace_;
  std::optional<std::string> server;
  std::optional<std::string> token;
  std::optional<std::string> certificate_authority;
  std::optional<std::string> client_certificate;
  std::optional<std::string> client_key;
  std::optional<bool> insecure_skip_tls_verify;
  std::optional<std::string> tls_server_name;
  std::optional<std::string> request_timeout;  // "0", "30", "5s", "1m", "1h"
};

// Where the process environment comes in; tests substitute their own.
struct Environment {
  std::map<std::string, std::string> vars;  // KUBECONFIG, HOME, KUBERNETES_SERVICE_*
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // The current process environment.
  static Environment Current();
};

// An exec credential plugin (kubeconfig users[].user.exec).
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string install_hint;
};

// Everything needed to open connections to one API server.
struct RestConfig {
  std::string server;  // "https://host:port" (path prefix allowed)
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::string ca_pem;    // empty: the system trust store
  std::string cert_pem;  // client certificate (chain)
  std::string key_pem;
  std::string token;     // bearer token
  std::string username;  // basic auth
  std::string password;
  std::optional<ExecConfig> exec;
  std::string namespace_ = "default";
  std::chrono::milliseconds timeout{0};  // 0: none
  // For messages: which context/cluster/user were used, and the files read.
  std::string context_name;
  std::string cluster_name;
  std::string user_name;
  std::vector<std::string> files;
  bool in_cluster = false;
};

// kubectl's --request-timeout: a plain integer is seconds; otherwise Go durations made of
// h/m/s/ms units ("1m30s"). kInvalidArgument with kubectl's wording otherwise.
Result<std::chrono::milliseconds> ParseTimeout(const std::string& text);

// Resolves the configuration. Errors (kInvalidArgument unless said):
//   --kubeconfig missing file:  stat F: no such file or directory   (kNotFound)
//   unparsable file:            kubeconfig "F": <yaml error>
//   unknown context/cluster/user: context "x" does not exist in kubeconfig (files: ...)
//   no server at all:           no server to connect to: no current context in ... and no
//                               --server (set KUBECONFIG, use --kubeconfig or --server)
//   auth-provider users:        kUnsupported, naming the provider
Result<RestConfig> LoadRestConfig(const Overrides& overrides, const Environment& env);

// Standard base64 decoding (kubeconfig *-data fields); kInvalidArgument on bad input.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace etcdrestore::kube

#endif  // ETCDRESTORE_SHARED_KUBE_KUBECONFIG_H_
