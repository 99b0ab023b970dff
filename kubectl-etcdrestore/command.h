// kubectl-etcdrestore/command.h
//
// How subcommands plug into kubectl-etcdrestore's main. Each command file (discover.cc,
// save.cc, plan.cc, ...) registers itself at static-initialisation time:
//
//   const bool kRegistered = RegisterCommand({"save", "Take a verified snapshot ...", SetupSave});
//
// main.cc owns the CLI11 app and kubectl's global flags (GlobalFlags: --kubeconfig, --context,
// -n, -s, --token, ...). It creates the subcommand and calls `setup`, which adds the
// command's own flags (bound to state the returned runner captures) and returns the runner.
// After parsing, main runs the selected command's runner; an Error is printed as
// "error: <message>" with exit code 1 (kubectl's behaviour). Commands print their results
// to stdout themselves; nothing in shared/ prints.
#ifndef ETCDRESTORE_KUBECTL_ETCDRESTORE_COMMAND_H_
#define ETCDRESTORE_KUBECTL_ETCDRESTORE_COMMAND_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/base/error.h"
#include "shared/kube/client.h"
#include "shared/kube/kubeconfig.h"

namespace CLI {
class App;
}

namespace etcdrestore::kubectl_plugin {

// kubectl's global flags, as given on the command line.
struct GlobalFlags {
  kube::Overrides overrides;
  // The API client for these flags (kubeconfig resolved on first call).
  Result<std::unique_ptr<kube::Client>> NewClient() const;
};

// What a command returns: an exit code, or an Error for main to print.
using RunResult = Result<int>;
using Runner = std::function<RunResult()>;

struct Command {
  std::string name;
  std::string summary;
  // Adds the command's flags to its subcommand `sub`; `global` is filled in before the
  // runner is called.
  std::function<Runner(CLI::App& sub, const GlobalFlags& global)> setup;
};

// Where etcdctl-ext is: the file beside this plugin's own binary (krew installs both into
// ~/.krew/store/etcdrestore/<version>/ and links only the plugin into ~/.krew/bin). `plan`
// writes this path into its steps and `--help` names it.
std::string InstalledEtcdctlExt();

bool RegisterCommand(Command command);
const std::vector<Command>& Commands();

}  // namespace etcdrestore::kubectl_plugin

#endif  // ETCDRESTORE_KUBECTL_ETCDRESTORE_COMMAND_H_
