// etcdctl-ext/command.h
//
// How subcommands plug into etcdctl-ext's main. Each command file (snapshot_save.cc,
// endpoint.cc, ...) registers itself at static-initialisation time:
//
//   const bool kRegistered = RegisterCommand({.name = "snapshot save", ...});
//
// main.cc finds the command from the non-flag words of the command line, parses the global
// flags plus the command's own, applies ETCDCTL_* variables (only for commands with
// uses_client, as etcdctl), runs it and prints an Error as "Error: <message>" with the exit
// code from shared/cli/exit_code.h.
#ifndef ETCDRESTORE_ETCDCTL_EXT_COMMAND_H_
#define ETCDRESTORE_ETCDCTL_EXT_COMMAND_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/error.h"
#include "shared/cli/exit_code.h"
#include "shared/cli/flags.h"
#include "shared/cli/global.h"
#include "shared/cli/printers.h"
#include "shared/etcdclient/client.h"

namespace etcdrestore::etcdctl_ext {

struct CommandContext {
  const cli::GlobalOptions& global;
  const cli::FlagSet& flags;            // global + command flags, after parsing and env
  std::vector<std::string> args;        // positional arguments after the command words
  std::vector<std::string> raw_args;    // the whole command line after the program name
  cli::PrintOptions print;              // from -w/--hex; format already validated

  // One client configuration per --endpoints entry (TLS files loaded, --user split).
  Result<std::vector<etcdclient::Config>> ClientConfigs() const;
  // A client for cfg, authenticated when --user is given, like clientv3.New. If that
  // fails, client_setup_failed is set: main then exits with the command's
  // setup_failure_code, as etcdctl does for any failure to create its client.
  Result<std::unique_ptr<etcdclient::Client>> Connect(const etcdclient::Config& cfg) const;
  // Connect for the first endpoint that answers (etcdctl's balancer: one of them).
  Result<std::unique_ptr<etcdclient::Client>> DialFirst() const;
  // The deadline for a short command: now + --command-timeout.
  etcdclient::Deadline CommandDeadline() const;

  mutable bool client_setup_failed = false;
  // Set by a command whose error needs another exit code than the command's failure_code
  // (txn's input errors: ExitInvalidInput).
  std::optional<cli::ExitCode> failure_code;

 private:
  Result<std::unique_ptr<etcdclient::Client>> Authenticated(std::unique_ptr<etcdclient::Client> client) const;
};

// Returns the process exit code on success (normally 0); an Error is printed by main.
using RunFn = std::function<Result<int>(CommandContext&)>;

struct Command {
  std::string name;        // "snapshot save": the words that select it
  std::string usage;       // "etcdctl snapshot save <filename> [options] [flags]"
  std::string summary;     // one line, for the command list
  std::string description; // extra paragraphs for --help (may be empty)
  cli::ExitCode failure_code = cli::kExitError;
  // When the client cannot be set up (authentication refused or not answered):
  // etcdctl's mustClientFromCmd exits ExitBadConnection.
  cli::ExitCode setup_failure_code = cli::kExitBadConnection;
  bool uses_client = true;
  bool validates_output_format = true;  // false: the command checks -w itself
  std::function<void(cli::FlagSet&)> add_flags;  // the command's own flags (may be empty)
  // Flags the command inherits from its parent (cobra persistent flags, e.g. endpoint's
  // --cluster): parsed like its own, listed under GLOBAL OPTIONS in --help.
  std::function<void(cli::FlagSet&)> add_inherited_flags;
  RunFn run;
  // false: a command of etcdctl 3.4 that etcdctl-ext does not implement. It is listed and has
  // --help, but running it fails with "Error: ... is not implemented" and exit 4 (never a
  // silent success). See unimplemented.cc.
  bool implemented = true;
  // ETCDCTL_* variables the command reads itself (watch: ETCDCTL_WATCH_KEY is "watch-key"):
  // not reported as unrecognized.
  std::vector<std::string> env_only_flags;
  // Flags of etcdctl's command that are registered (for --help and parsing) but not
  // implemented: giving one fails like an unimplemented command.
  std::vector<std::string> unimplemented_flags;
};

bool RegisterCommand(Command command);
const std::vector<Command>& Commands();

// Writes bytes to stdout/stderr unbuffered-enough for a CLI (fwrite + fflush).
void WriteStdout(const std::string& s);
void WriteStderr(const std::string& s);

}  // namespace etcdrestore::etcdctl_ext

#endif  // ETCDRESTORE_ETCDCTL_EXT_COMMAND_H_
