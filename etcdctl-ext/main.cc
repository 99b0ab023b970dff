// etcdctl-ext: a drop-in etcdctl 3.4 for the commands in Commands() (see command.h).
// This file: ETCDCTL_API, command lookup, global flags, ETCDCTL_* variables, help, and
// turning an Error into "Error: <message>" plus etcdctl's exit code.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "etcdctl-ext/command.h"
#include "shared/cli/env.h"
#include "shared/cli/exit_code.h"
#include "shared/cli/flags.h"
#include "shared/cli/global.h"

extern char** environ;

namespace etcdrestore::etcdctl_ext {
namespace {

constexpr const char* kToolVersion = "0.1.0";

std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}

// Which flags (over all commands) take a value, so that command words can be told apart
// from flag values before the command (and so its flags) is known.
std::map<std::string, bool> FlagTakesValue(std::map<char, bool>* shorts) {
  cli::FlagSet all;
  cli::GlobalOptions o;
  cli::AddGlobalFlags(all, &o);
  for (const Command& c : Registry()) {
    if (c.add_flags) c.add_flags(all);
  }
  std::map<std::string, bool> out;
  for (const cli::Flag& f : all.flags()) {
    bool takes = f.type != cli::FlagType::kBool;
    out[f.name] = takes;
    if (f.shorthand) (*shorts)[f.shorthand] = takes;
  }
  return out;
}

struct Lookup {
  const Command* command = nullptr;
  std::vector<std::string> rest;  // args without the command words
  std::vector<std::string> words;  // non-flag words seen (for messages)
};

Lookup FindCommand(const std::vector<std::string>& args) {
  std::map<char, bool> shorts;
  auto longs = FlagTakesValue(&shorts);
  // Positions of non-flag words.
  std::vector<size_t> word_pos;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') {
      word_pos.push_back(i);
      continue;
    }
    if (a.find('=') != std::string::npos) continue;
    if (a[1] == '-') {
      auto it = longs.find(a.substr(2));
      if (it != longs.end() && it->second) ++i;
    } else if (a.size() == 2) {
      auto it = shorts.find(a[1]);
      if (it != shorts.end() && it->second) ++i;
    }
  }
  Lookup l;
  for (size_t p : word_pos) l.words.push_back(args[p]);
  size_t used = 0;
  if (l.words.size() >= 2) {
    for (const Command& c : Registry()) {
      if (c.name == l.words[0] + " " + l.words[1]) l.command = &c, used = 2;
    }
  }
  if (!l.command && !l.words.empty()) {
    for (const Command& c : Registry()) {
      if (c.name == l.words[0]) l.command = &c, used = 1;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_word = false;
    for (size_t k = 0; k < used; ++k) is_word |= word_pos[k] == i;
    if (!is_word) l.rest.push_back(args[i]);
  }
  return l;
}

std::string RootHelp() {
  std::string out =
      "NAME:\n\tetcdctl-ext - A drop-in etcdctl 3.4 whose snapshot commands are safe.\n\n"
      "USAGE:\n\tetcdctl-ext [flags]\n\nVERSION:\n\t3.4.23 (etcdctl-ext " +
      std::string(kToolVersion) + ")\n\nAPI VERSION:\n\t3.4\n\n\nCOMMANDS:\n";
  for (const Command& c : Registry()) out += "\t" + c.name + "\t\t" + c.summary + "\n";
  cli::FlagSet f;
  cli::GlobalOptions o;
  cli::AddGlobalFlags(f, &o);
  bool help = false;
  f.AddBool("help", 'h', &help, "help for etcdctl");
  out += "\nOPTIONS:\n" + f.Usages();
  return out;
}

std::string CommandHelp(const Command& c) {
  cli::FlagSet local, global;
  cli::GlobalOptions o;
  bool help = false;
  if (c.add_flags) c.add_flags(local);
  local.AddBool("help", 'h', &help, "help for " + c.name.substr(c.name.rfind(' ') + 1));
  cli::AddGlobalFlags(global, &o);
  std::string out = "NAME:\n\t" + c.name + " - " + c.summary + "\n\nUSAGE:\n\t" + c.usage + "\n\n";
  if (!c.description.empty()) out += "DESCRIPTION:\n" + c.description + "\n";
  out += "OPTIONS:\n" + local.Usages() + "\nGLOBAL OPTIONS:\n" + global.Usages() + "\n";
  return out;
}

std::vector<std::string> Environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

int Main(int argc, char** argv) {
  // etcdctl's main reads ETCDCTL_API and removes it from the environment.
  const char* api = std::getenv("ETCDCTL_API");
  if (auto bad = cli::CheckApiVersion(api)) {
    WriteStderr(*bad + "\n");
    return cli::kExitError;
  }
  unsetenv("ETCDCTL_API");

  std::vector<std::string> args(argv + 1, argv + argc);
  Lookup l = FindCommand(args);
  if (l.command == nullptr) {
    bool wants_help = l.words.empty();
    for (const auto& a : args) wants_help |= a == "-h" || a == "--help" || a == "help";
    if (!l.words.empty() && l.words[0] != "help") {
      // A group word ("snapshot") alone, or an unknown command.
      bool group = false;
      for (const Command& c : Registry()) group |= c.name.starts_with(l.words[0] + " ");
      if (!group) {
        std::string msg = "unknown command \"" + l.words[0] + "\" for \"etcdctl\"";
        WriteStderr("Error: " + msg + "\nRun 'etcdctl --help' for usage.\nError: " + msg + "\n");
        return cli::kExitError;
      }
      std::string out;
      for (const Command& c : Registry()) {
        if (c.name.starts_with(l.words[0] + " ")) out += "\t" + c.name + "\t" + c.summary + "\n";
      }
      WriteStdout("COMMANDS:\n" + out);
      return cli::kExitSuccess;
    }
    if (wants_help || !l.words.empty()) {
      WriteStdout(RootHelp());
      return cli::kExitSuccess;
    }
  }
  const Command& cmd = *l.command;

  cli::GlobalOptions global;
  cli::FlagSet flags;
  cli::AddGlobalFlags(flags, &global);
  if (cmd.add_flags) cmd.add_flags(flags);
  bool help = false;
  flags.AddBool("help", 'h', &help, "help");
  auto positional = flags.Parse(l.rest);
  if (!positional) {
    const std::string& m = positional.error().message();
    WriteStdout(CommandHelp(cmd));
    WriteStderr("Error: " + m + "\n\nError: " + m + "\n");
    return cli::kExitError;
  }
  if (help) {
    WriteStdout(CommandHelp(cmd));
    return cli::kExitSuccess;
  }
  if (cmd.uses_client) {
    std::vector<std::string> names = cli::GlobalFlagNames();
    cli::EnvOutcome env = cli::ApplyEnvironment(flags, names, Environment());
    for (const auto& w : env.warnings) WriteStderr(cli::CapnslogPrefix('W') + w + "\n");
    if (env.fatal) {
      WriteStderr(cli::CapnslogPrefix('C') + *env.fatal + "\n");
      return cli::kExitError;
    }
  }
  cli::PrintOptions print;
  print.hex = global.hex;
  if (cmd.validates_output_format) {
    auto format = cli::ParseOutputFormat(global.write_out);
    if (!format) {
      WriteStderr("Error: " + format.error().message() + "\n");
      return cli::ExitCodeFor(format.error().code(), cmd.failure_code);
    }
    print.format = *format;
  }
  CommandContext ctx{global, flags, std::move(*positional), print};
  Result<int> rc = cmd.run(ctx);
  if (!rc) {
    WriteStderr("Error: " + rc.error().message() + "\n");
    if (ctx.client_setup_failed) return cmd.setup_failure_code;
    return cli::ExitCodeFor(rc.error().code(), cmd.failure_code);
  }
  return *rc;
}

}  // namespace

bool RegisterCommand(Command command) {
  Registry().push_back(std::move(command));
  return true;
}

const std::vector<Command>& Commands() { return Registry(); }

void WriteStdout(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

void WriteStderr(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stderr);
  std::fflush(stderr);
}

Result<std::vector<etcdclient::Config>> CommandContext::ClientConfigs() const {
  return cli::ClientConfigs(global, flags, []() -> Result<std::string> {
    char* p = getpass("Password: ");
    if (p == nullptr) return Fail(ErrorCode::kInvalidArgument, "read password: no terminal");
    return std::string(p);
  });
}

Result<std::unique_ptr<etcdclient::Client>> CommandContext::Authenticated(
    std::unique_ptr<etcdclient::Client> client) const {
  if (auto st = client->Authenticate(etcdclient::DeadlineAfter(global.dial_timeout)); !st) {
    client_setup_failed = true;
    return Fail(std::move(st).error());
  }
  return client;
}

Result<std::unique_ptr<etcdclient::Client>> CommandContext::Connect(const etcdclient::Config& cfg) const {
  ASSIGN_OR_RETURN(auto client, etcdclient::Dial(cfg));
  return Authenticated(std::move(client));
}

Result<std::unique_ptr<etcdclient::Client>> CommandContext::DialFirst() const {
  ASSIGN_OR_RETURN(auto configs, ClientConfigs());
  if (configs.empty()) return Fail(ErrorCode::kInvalidArgument, "no endpoints given (--endpoints)");
  ASSIGN_OR_RETURN(auto first, etcdclient::Dial(configs[0]));
  // Several endpoints: like clientv3's balancer, use one that answers.
  if (configs.size() > 1 && !first->WaitConnected(global.dial_timeout)) {
    for (size_t i = 1; i < configs.size(); ++i) {
      ASSIGN_OR_RETURN(auto c, etcdclient::Dial(configs[i]));
      if (c->WaitConnected(global.dial_timeout)) return Authenticated(std::move(c));
    }
  }
  return Authenticated(std::move(first));
}

etcdclient::Deadline CommandContext::CommandDeadline() const {
  return etcdclient::DeadlineAfter(global.command_timeout);
}

}  // namespace etcdrestore::etcdctl_ext

int main(int argc, char** argv) {
  try {
    return etcdrestore::etcdctl_ext::Main(argc, argv);
  } catch (const std::exception& e) {
    etcdrestore::etcdctl_ext::WriteStderr(std::string("Error: internal error: ") + e.what() + "\n");
    return etcdrestore::cli::kExitError;
  }
}
