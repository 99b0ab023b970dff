// etcdctl-ext: a drop-in etcdctl 3.4 for the commands in Commands() (see command.h).
// This file: ETCDCTL_API, command lookup, global flags, ETCDCTL_* variables, help, and
// turning an Error into "Error: <message>" plus etcdctl's exit code.
#include <unistd.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "etcdctl-ext/command.h"
#include "etcdctl-ext/etcdutl.h"
#include "shared/cli/env.h"
#include "shared/cli/exit_code.h"
#include "shared/cli/flags.h"
#include "shared/cli/global.h"
#include "shared/base/strings.h"
#include "shared/base/version.h"

extern char** environ;

namespace etcdrestore::etcdctl_ext {
namespace {

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
    if (c.add_inherited_flags) c.add_inherited_flags(all);
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

// etcdctl 3.4's parent commands ("member <subcommand>"): selecting one alone, or with an
// unknown word after it, prints its help and exits 0, as cobra does.
struct Group {
  const char* name;
  const char* usage;
  const char* summary;
  const char* description;  // "" or tab-indented lines
  bool cluster_flag;        // a persistent --cluster (endpoint): listed in the group's OPTIONS
};
constexpr Group kGroups[] = {
    {"alarm", "etcdctl alarm <subcommand> [flags]", "Alarm related commands", "", false},
    {"auth", "etcdctl auth <enable or disable> [flags]", "Enable or disable authentication", "", false},
    {"check", "etcdctl check <subcommand> [flags]", "commands for checking properties of the etcd cluster", "", false},
    {"completion", "etcdctl completion [flags]", "Generate the autocompletion script for the specified shell",
     "\tGenerate the autocompletion script for etcdctl for the specified shell.\n"
     "\tSee each sub-command's help for details on how to use the generated script.\n",
     false},
    {"endpoint", "etcdctl endpoint <subcommand> [flags]", "Endpoint related commands", "", true},
    {"lease", "etcdctl lease <subcommand> [flags]", "Lease related commands", "", false},
    {"member", "etcdctl member <subcommand> [flags]", "Membership related commands", "", false},
    {"role", "etcdctl role <subcommand> [flags]", "Role related commands", "", false},
    {"snapshot", "etcdctl snapshot <subcommand> [flags]", "Manages etcd node snapshots", "", false},
    {"user", "etcdctl user <subcommand> [flags]", "User related commands", "", false},
};

const Group* FindGroup(const std::string& word) {
  for (const Group& g : kGroups) {
    if (word == g.name) return &g;
  }
  return nullptr;
}

// Rows "\t<left>\t<right>" aligned as Go's text/tabwriter does in cobra's help template
// (tabwidth 8, padding 1, tabs as padding): the column is the widest left cell + 1, rounded
// up to a multiple of 8.
std::string AlignedRows(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t widest = 0;
  for (const auto& r : rows) widest = std::max(widest, r.first.size());
  const size_t column = (widest + 1 + 7) / 8 * 8;
  std::string out;
  for (const auto& [left, right] : rows) {
    out += "\t" + left + std::string((column - left.size() + 7) / 8, '\t') + right + "\n";
  }
  return out;
}

std::vector<const Command*> SortedCommands() {
  std::vector<const Command*> out;
  for (const Command& c : Registry()) out.push_back(&c);
  std::sort(out.begin(), out.end(), [](const Command* a, const Command* b) { return a->name < b->name; });
  return out;
}

std::string GlobalUsages() {
  cli::FlagSet global;
  cli::GlobalOptions o;
  cli::AddGlobalFlags(global, &o);
  return global.Usages();
}

std::string RootHelp() {
  std::string out =
      "NAME:\n\tetcdctl-ext - A drop-in etcdctl 3.4 whose snapshot commands are safe.\n\n"
      "USAGE:\n\tetcdctl-ext [flags]\n\nVERSION:\n\t3.4.23 (etcdctl-ext " +
      std::string(kVersion) + ")\n\nAPI VERSION:\n\t3.4\n\n\nCOMMANDS:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Command* c : SortedCommands()) {
    if (c->name > "help" && (rows.empty() || rows.back().first < "help"))
      rows.push_back({"help", "Help about any command"});
    rows.push_back({c->name, c->summary});
  }
  out += AlignedRows(rows);
  cli::FlagSet f;
  cli::GlobalOptions o;
  cli::AddGlobalFlags(f, &o);
  bool help = false;
  f.AddBool("help", 'h', &help, "help for etcdctl");
  out += "\nOPTIONS:\n" + f.Usages();
  return out;
}

std::string GroupHelp(const Group& g) {
  std::string out = std::string("NAME:\n\t") + g.name + " - " + g.summary + "\n\nUSAGE:\n\t" + g.usage +
                    "\n\nAPI VERSION:\n\t3.4\n\n\nCOMMANDS:\n";
  const std::string prefix = std::string(g.name) + " ";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Command* c : SortedCommands()) {
    if (c->name.starts_with(prefix)) rows.push_back({c->name.substr(prefix.size()), c->summary});
  }
  out += AlignedRows(rows) + "\n";
  if (*g.description) out += std::string("DESCRIPTION:\n") + g.description + "\n";
  cli::FlagSet local;
  bool help = false;
  local.AddBool("help", 'h', &help, std::string("help for ") + g.name);
  bool cluster = false;
  if (g.cluster_flag) local.AddBool("cluster", 0, &cluster, "use all endpoints from the cluster member list");
  out += "OPTIONS:\n" + local.Usages() + "\nGLOBAL OPTIONS:\n" + GlobalUsages() + "\n";
  return out;
}

// etcdctl's `help` command itself.
std::string HelpCommandHelp() {
  cli::FlagSet local;
  bool help = false;
  local.AddBool("help", 'h', &help, "help for help");
  return "NAME:\n\thelp - Help about any command\n\nUSAGE:\n\tetcdctl help [command] [flags]\n\n"
         "DESCRIPTION:\n\tHelp provides help for any command in the application.\n"
         "\tSimply type etcdctl help [path to command] for full details.\n\nOPTIONS:\n" +
         local.Usages() + "\nGLOBAL OPTIONS:\n" + GlobalUsages() + "\n";
}

std::string CommandHelp(const Command& c) {
  cli::FlagSet local, global;
  cli::GlobalOptions o;
  bool help = false;
  if (c.add_flags) c.add_flags(local);
  local.AddBool("help", 'h', &help, "help for " + c.name.substr(c.name.rfind(' ') + 1));
  cli::AddGlobalFlags(global, &o);
  if (c.add_inherited_flags) c.add_inherited_flags(global);
  std::string out = "NAME:\n\t" + c.name + " - " + c.summary + "\n\nUSAGE:\n\t" + c.usage + "\n\n";
  std::string description = c.description;
  if (!c.implemented) {
    description += "\tNot implemented by etcdctl-ext: running it fails with exit code 4 (use etcdctl 3.4).\n";
  }
  if (!description.empty()) out += "DESCRIPTION:\n" + description + "\n";
  out += "OPTIONS:\n" + local.Usages() + "\nGLOBAL OPTIONS:\n" + global.Usages() + "\n";
  return out;
}

std::vector<std::string> Environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

// Flag errors: etcdctl (cobra) prints the usage on stdout and the error twice on stderr.
int FlagError(const std::string& usage, const std::string& message) {
  WriteStdout(usage);
  WriteStderr("Error: " + message + "\n\nError: " + message + "\n");
  return cli::kExitError;
}

// No command matched: the root, `help [topic]`, a group ("member", "member bogus") or an
// unknown command, each as etcdctl 3.4 answers it.
int RunWithoutCommand(const std::vector<std::string>& args, const Lookup& l) {
  cli::FlagSet flags;
  cli::GlobalOptions global;
  cli::AddGlobalFlags(flags, &global);
  bool help = false;
  flags.AddBool("help", 'h', &help, "help");
  if (l.words.empty()) {
    auto parsed = flags.Parse(args);
    if (!parsed) return FlagError(RootHelp(), parsed.error().message());
    WriteStdout(RootHelp());
    return cli::kExitSuccess;
  }
  const std::string& first = l.words[0];
  if (first == "help") {
    auto parsed = flags.Parse(l.rest);
    if (!parsed) return FlagError(HelpCommandHelp(), parsed.error().message());
    if (help) {
      WriteStdout(HelpCommandHelp());
      return cli::kExitSuccess;
    }
    std::vector<std::string> topic(l.words.begin() + 1, l.words.end());
    if (topic.empty()) {
      WriteStdout(RootHelp());
      return cli::kExitSuccess;
    }
    if (topic.size() >= 2) {
      for (const Command& c : Registry()) {
        if (c.name == topic[0] + " " + topic[1]) {
          WriteStdout(CommandHelp(c));
          return cli::kExitSuccess;
        }
      }
    }
    for (const Command& c : Registry()) {
      if (c.name == topic[0]) {
        WriteStdout(CommandHelp(c));
        return cli::kExitSuccess;
      }
    }
    if (const Group* g = FindGroup(topic[0])) {
      WriteStdout(GroupHelp(*g));
      return cli::kExitSuccess;
    }
    WriteStderr("Unknown help topic [`" + Join(topic, " ") + "`]\n");
    WriteStdout(RootHelp());
    return cli::kExitSuccess;
  }
  if (const Group* g = FindGroup(first)) {
    auto parsed = flags.Parse(l.rest);
    if (!parsed) return FlagError(GroupHelp(*g), parsed.error().message());
    WriteStdout(GroupHelp(*g));
    return cli::kExitSuccess;
  }
  std::string msg = "unknown command \"" + first + "\" for \"etcdctl\"";
  WriteStderr("Error: " + msg + "\nRun 'etcdctl --help' for usage.\nError: " + msg + "\n");
  return cli::kExitError;
}

int Main(int argc, char** argv) {
  if (argc > 0 && InvokedAsEtcdutl(argv[0])) return EtcdutlMain(argc, argv);
  // etcdctl's main reads ETCDCTL_API and removes it from the environment.
  const char* api = std::getenv("ETCDCTL_API");
  if (auto bad = cli::CheckApiVersion(api)) {
    WriteStderr(*bad + "\n");
    return cli::kExitError;
  }
  unsetenv("ETCDCTL_API");

  std::vector<std::string> args(argv + 1, argv + argc);
  Lookup l = FindCommand(args);
  if (l.command == nullptr) return RunWithoutCommand(args, l);
  const Command& cmd = *l.command;

  cli::GlobalOptions global;
  cli::FlagSet flags;
  cli::AddGlobalFlags(flags, &global);
  if (cmd.add_flags) cmd.add_flags(flags);
  if (cmd.add_inherited_flags) cmd.add_inherited_flags(flags);
  bool help = false;
  flags.AddBool("help", 'h', &help, "help");
  auto positional = flags.Parse(l.rest);
  if (!positional) return FlagError(CommandHelp(cmd), positional.error().message());
  if (help) {
    WriteStdout(CommandHelp(cmd));
    return cli::kExitSuccess;
  }
  // Never a silent success: a command or flag etcdctl has and we do not fails loudly.
  if (!cmd.implemented) {
    WriteStderr("Error: \"" + cmd.name + "\" is not implemented by etcdctl-ext (use etcdctl " +
                "3.4 for it)\n");
    return cli::kExitBadFeature;
  }
  for (const std::string& name : cmd.unimplemented_flags) {
    if (flags.Changed(name)) {
      WriteStderr("Error: flag --" + name + " of \"" + cmd.name +
                  "\" is not implemented by etcdctl-ext (use etcdctl 3.4 for it)\n");
      return cli::kExitBadFeature;
    }
  }
  std::vector<std::string> env_only_values(cmd.env_only_flags.size());
  for (size_t i = 0; i < cmd.env_only_flags.size(); ++i) {
    flags.AddString(cmd.env_only_flags[i], 0, &env_only_values[i], "");
  }
  if (cmd.uses_client) {
    std::vector<std::string> names = cli::GlobalFlagNames();
    names.insert(names.end(), cmd.env_only_flags.begin(), cmd.env_only_flags.end());
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
  CommandContext ctx{global, flags, std::move(*positional), args, print};
  Result<int> rc = cmd.run(ctx);
  if (!rc) {
    WriteStderr("Error: " + rc.error().message() + "\n");
    if (ctx.client_setup_failed) return cmd.setup_failure_code;
    return cli::ExitCodeFor(rc.error().code(), ctx.failure_code.value_or(cmd.failure_code));
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
