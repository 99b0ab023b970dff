// shared/cli/global.h
//
// etcdctl 3.4's global flags (names, defaults, help texts) and how they turn into client
// configurations (ctlv3/command/global.go: clientConfigFromCmd, newClientCfg).
#ifndef ETCDRESTORE_SHARED_CLI_GLOBAL_H_
#define ETCDRESTORE_SHARED_CLI_GLOBAL_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "shared/base/error.h"
#include "shared/cli/flags.h"
#include "shared/etcdclient/client.h"

namespace etcdrestore::cli {

struct GlobalOptions {
  std::vector<std::string> endpoints{"127.0.0.1:2379"};
  std::string cacert, cert, key;
  bool insecure_transport = true;
  bool insecure_skip_tls_verify = false;
  bool insecure_discovery = true;
  std::string discovery_srv, discovery_srv_name;
  std::chrono::nanoseconds dial_timeout = std::chrono::seconds(2);
  std::chrono::nanoseconds command_timeout = std::chrono::seconds(5);
  std::chrono::nanoseconds keepalive_time = std::chrono::seconds(2);
  std::chrono::nanoseconds keepalive_timeout = std::chrono::seconds(6);
  std::string user, password;
  std::string write_out = "simple";
  bool hex = false;
  bool debug = false;
};

// Registers every global flag (etcdctl 3.4's set, with its defaults and help texts).
void AddGlobalFlags(FlagSet& flags, GlobalOptions* options);
// The names of the flags AddGlobalFlags registers (the ones ETCDCTL_* variables may set).
const std::vector<std::string>& GlobalFlagNames();

// One client configuration per endpoint, with etcdctl's checks and errors:
//   "empty string is passed to --cert option" (also --key, --cacert; kInvalidArgument),
//   TLS file errors from etcdclient::LoadTlsFiles, and --user "name:password" splitting.
// prompt_password is called when --user has no password and --password is empty.
Result<std::vector<etcdclient::Config>> ClientConfigs(
    const GlobalOptions& options, const FlagSet& flags,
    const std::function<Result<std::string>()>& prompt_password);

}  // namespace etcdrestore::cli

#endif  // ETCDRESTORE_SHARED_CLI_GLOBAL_H_
