// The `etcdutl` personality (see etcdutl.h): etcdutl 3.5.30's command tree, cobra's help and
// error texts, and exit codes, over etcdctl-ext's engines:
//   snapshot restore   shared/restore (the same engine and flags as etcdctl-ext's restore;
//                      our --dry-run and --etcd-version work but are hidden from the help,
//                      so that help and flag-error texts equal etcdutl's);
//   snapshot status    shared/etcddb status (plus etcdutl 3.6's storage version when the db
//                      has one); ASCII tables as upstream (Debian's 3.5.30 draws Unicode);
//   hashkv             etcdutl 3.6's command (shared/etcddb/hashkv.h);
//   version            etcdutl 3.5.30's text;
//   defrag             offline, of --data-dir (defrag_offline.h);
//   backup, check v2store, completion: refused loudly (Error, exit 4) after
//                      etcdutl's own flag checks: never a silent success.
#include "etcdctl-ext/etcdutl.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "etcdctl-ext/defrag_offline.h"
#include "shared/base/strings.h"
#include "shared/etcddb/hashkv.h"
#include "shared/etcddb/status.h"

namespace etcdrestore::etcdctl_ext {
namespace {

// One flag as pflag's FlagUsages shows it.
struct FlagDoc {
  std::string name;
  char shorthand = 0;
  std::string type;  // "string", "uint", "int", "" for bool
  std::string usage;
  std::string def;     // "" = zero value: no "(default ...)"
  bool quote = false;  // strings: (default "x")
};

const FlagDoc kWriteOut{
    "write-out", 'w', "string", "set the output format (fields, json, protobuf, simple, table)",
    "simple",    true};

// pflag's FlagUsages: sorted by name, the usage column aligned after the widest "name type".
std::string FlagUsages(std::vector<FlagDoc> flags) {
  std::sort(flags.begin(), flags.end(),
            [](const FlagDoc& a, const FlagDoc& b) { return a.name < b.name; });
  std::vector<std::pair<std::string, std::string>> lines;
  size_t maxlen = 0;
  for (const FlagDoc& f : flags) {
    std::string left =
        f.shorthand ? std::string("  -") + f.shorthand + ", --" + f.name : "      --" + f.name;
    if (!f.type.empty()) left += " " + f.type;
    maxlen = std::max(maxlen, left.size() + 1);
    std::string right = f.usage;
    if (!f.def.empty())
      right += f.quote ? " (default \"" + f.def + "\")" : " (default " + f.def + ")";
    lines.emplace_back(left, right);
  }
  std::string out;
  for (const auto& [l, r] : lines)
    out += l + " " + std::string(maxlen - l.size(), ' ') + " " + r + "\n";
  return out;
}

struct UtlCommand {
  std::string path;  // "snapshot status"
  std::string use;   // the Use line after "etcdutl "
  std::string short_text;
  std::vector<FlagDoc> flags;         // shown in help (besides -h)
  std::vector<std::string> required;  // cobra MarkFlagRequired, in the order cobra reports them
  std::function<void(cli::FlagSet&)> add_flags;
  // -1: any args (the command checks); n >= 0: cobra.ExactArgs(n).
  int exact_args = -1;
  std::function<Result<int>(CommandContext&)> run;
};

struct Group {
  std::string path;
  std::string short_text;
};

std::string g_write_out = "simple";

std::string Leaf(const std::string& path) { return path.substr(path.rfind(' ') + 1); }

std::string CommandUsage(const UtlCommand& c) {
  std::vector<FlagDoc> local = c.flags;
  local.push_back({"help", 'h', "", "help for " + Leaf(c.path), "", false});
  return "Usage:\n  etcdutl " + c.use + "\n\nFlags:\n" + FlagUsages(local) + "\nGlobal Flags:\n" +
         FlagUsages({kWriteOut});
}

// --- commands -----------------------------------------------------------------------------

cli::OutputFormat g_format = cli::OutputFormat::kSimple;

// etcdutl's initPrinterFromCmd: an unknown -w fails with exit 4.
Status CheckPrinter() {
  auto f = cli::ParseOutputFormat(g_write_out);
  if (!f) return Fail(f.error());
  g_format = *f;
  return {};
}

// etcdutl 3.5's order: argument count, printer, status, then the printer's own refusal
// (protobuf).
Result<int> RunStatus(CommandContext& ctx) {
  if (ctx.args.size() != 1) {
    return Fail(ErrorCode::kInvalidArgument, "snapshot status requires exactly one argument");
  }
  RETURN_IF_ERROR(CheckPrinter());
  const std::string& path = ctx.args[0];
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Fail(ErrnoError("stat " + path, errno));
  ASSIGN_OR_RETURN(etcddb::SnapshotStatus s, etcddb::ComputeStatus(path));
  if (g_format == cli::OutputFormat::kProtobuf) {
    return Fail(ErrorCode::kUnsupported, "protobuf not supported as output format");
  }
  cli::PrintOptions p;
  p.format = g_format;
  ASSIGN_OR_RETURN(std::string out, cli::PrintDbStatus(p, {s.hash, s.revision, s.total_keys,
                                                           s.total_size, s.storage_version}));
  WriteStdout(out);
  return 0;
}

int64_t g_hashkv_rev = 0;

Result<int> RunHashKV(CommandContext& ctx) {
  RETURN_IF_ERROR(CheckPrinter());
  ASSIGN_OR_RETURN(etcddb::KvHash h, etcddb::HashKV(ctx.args[0], g_hashkv_rev));
  cli::PrintOptions p;
  p.format = g_format;
  ASSIGN_OR_RETURN(std::string out,
                   cli::PrintDbHashKV(p, {h.hash, h.revision, h.compact_revision}));
  WriteStdout(out);
  return 0;
}

Result<int> NotImplemented(const std::string& what) {
  return Fail(ErrorCode::kUnsupported, "\"" + what +
                                           "\" is not implemented by etcdctl-ext's etcdutl (use "
                                           "etcdutl 3.5 for it); nothing was done");
}

std::string g_data_dir, g_wal_dir, g_backup_dir, g_backup_wal_dir;
bool g_with_v3 = true;

UtlCommand Completion(const std::string& shell) {
  return {.path = "completion " + shell,
          .use = "completion " + shell,
          .short_text = "Generate the autocompletion script for " + shell,
          .run = [shell](CommandContext&) { return NotImplemented("completion " + shell); }};
}

const std::vector<UtlCommand>& UtlCommands() {
  static const std::vector<UtlCommand> commands = {
      {.path = "backup",
       .use = "backup [flags]",
       .short_text = "[legacy] offline backup of etcd directory",
       .flags = {{"backup-dir", 0, "string", "Path to the backup dir", "", false},
                 {"backup-wal-dir", 0, "string", "Path to the backup wal dir", "", false},
                 {"data-dir", 0, "string", "Path to the etcd data dir", "", false},
                 {"wal-dir", 0, "string", "Path to the etcd wal dir", "", false},
                 {"with-v3", 0, "", "Backup v3 backend data", "true", false}},
       .required = {"backup-dir", "data-dir"},
       .add_flags =
           [](cli::FlagSet& f) {
             f.AddString("backup-dir", 0, &g_backup_dir, "");
             f.AddString("backup-wal-dir", 0, &g_backup_wal_dir, "");
             f.AddString("data-dir", 0, &g_data_dir, "");
             f.AddString("wal-dir", 0, &g_wal_dir, "");
             f.AddBool("with-v3", 0, &g_with_v3, "");
           },
       .run = [](CommandContext&) { return NotImplemented("backup"); }},
      {.path = "check v2store",
       .use = "check v2store [flags]",
       .short_text = "Check custom content in v2store",
       .flags = {{"data-dir", 0, "string", "Required. A data directory not in use by etcd.", "",
                  false},
                 {"wal-dir", 0, "string", "Optional. A dedicated WAL directory.", "", false}},
       .required = {"data-dir"},
       .add_flags =
           [](cli::FlagSet& f) {
             f.AddString("data-dir", 0, &g_data_dir, "");
             f.AddString("wal-dir", 0, &g_wal_dir, "");
           },
       .run = [](CommandContext&) { return NotImplemented("check v2store"); }},
      Completion("bash"),
      Completion("fish"),
      Completion("powershell"),
      Completion("zsh"),
      {.path = "defrag",
       .use = "defrag [flags]",
       .short_text = "Defragments the storage of the etcd",
       .flags = {{"data-dir", 0, "string",
                  "Required. Defragments a data directory not in use by etcd.", "", false}},
       .required = {"data-dir"},
       .add_flags = [](cli::FlagSet& f) { f.AddString("data-dir", 0, &g_data_dir, ""); },
       .run = [](CommandContext&) -> Result<int> { return DefragDataDir(g_data_dir, DefragTool::kEtcdutl); }},
      {.path = "hashkv",
       .use = "hashkv <filename> [flags]",
       .short_text = "Prints the KV history hash of a given file",
       .flags = {{"rev", 0, "int", "maximum revision to hash (default: latest revision)", "",
                  false}},
       .add_flags = [](cli::FlagSet& f) { f.AddInt64("rev", 0, &g_hashkv_rev, ""); },
       .exact_args = 1,
       .run = RunHashKV},
      {.path = "snapshot restore",
       .use = "snapshot restore <filename> --data-dir {output dir} [options] [flags]",
       .short_text = "Restores an etcd member snapshot to an etcd directory",
       .flags = {{"bump-revision", 0, "uint",
                  "How much to increase the latest revision after restore", "", false},
                 {"data-dir", 0, "string", "Path to the output data directory", "", false},
                 {"initial-advertise-peer-urls", 0, "string",
                  "List of this member's peer URLs to advertise to the rest of the cluster",
                  "http://localhost:2380", true},
                 {"initial-cluster", 0, "string",
                  "Initial cluster configuration for restore bootstrap",
                  "default=http://localhost:2380", true},
                 {"initial-cluster-token", 0, "string",
                  "Initial cluster token for the etcd cluster during restore bootstrap",
                  "etcd-cluster", true},
                 {"initial-memory-map-size", 0, "uint",
                  "Initial memory map size of the database in bytes. It uses the default value if "
                  "not defined or "
                  "defined to 0",
                  "10737418240", false},
                 {"mark-compacted", 0, "",
                  "Mark the latest revision after restore as the point of scheduled compaction "
                  "(required if "
                  "--bump-revision > 0, disallowed otherwise)",
                  "", false},
                 {"name", 0, "string", "Human-readable name for this member", "default", true},
                 {"skip-hash-check", 0, "",
                  "Ignore snapshot integrity hash value (required if copied from data directory)",
                  "", false},
                 {"wal-dir", 0, "string",
                  "Path to the WAL directory (use --data-dir if none given)", "", false}},
       .required = {"data-dir"},
       .add_flags = AddRestoreFlags,
       .run = RunRestore},
      {.path = "snapshot status",
       .use = "snapshot status <filename> [flags]",
       .short_text = "Gets backend snapshot status of a given file",
       .run = RunStatus},
      {.path = "version",
       .use = "version [flags]",
       .short_text = "Prints the version of etcdutl",
       .run = [](CommandContext&) -> Result<int> {
         WriteStdout("etcdutl version: 3.5.30\nAPI version: 3.5\n");
         return 0;
       }},
  };
  return commands;
}

const std::vector<Group>& Groups() {
  static const std::vector<Group> groups = {
      {"check", "commands for checking properties"},
      {"completion", "Generate the autocompletion script for the specified shell"},
      {"snapshot", "Manages etcd node snapshots"},
  };
  return groups;
}

// The root's and groups' "Available Commands:" (cobra: name padded to the longest + 2...
// at least 11 columns).
// help_flag false: cobra's usage before its -h flag exists (the unknown help topic case).
std::string GroupUsage(const std::string& path, bool help_flag = true) {
  std::vector<std::pair<std::string, std::string>> rows;
  const std::string prefix = path.empty() ? "" : path + " ";
  auto add = [&](const std::string& full, const std::string& short_text) {
    if (!full.starts_with(prefix)) return;
    std::string rest = full.substr(prefix.size());
    if (rest.find(' ') != std::string::npos) return;
    rows.emplace_back(rest, short_text);
  };
  for (const UtlCommand& c : UtlCommands()) add(c.path, c.short_text);
  for (const Group& g : Groups()) add(g.path, g.short_text);
  if (path.empty()) rows.emplace_back("help", "Help about any command");
  std::sort(rows.begin(), rows.end());
  size_t pad = 11;  // cobra's minNamePadding
  for (const auto& r : rows) pad = std::max(pad, r.first.size());
  const std::string self = path.empty() ? "etcdutl" : "etcdutl " + path;
  std::string out = "Usage:\n  " + self + " [command]\n\nAvailable Commands:\n";
  for (const auto& [name, text] : rows)
    out += "  " + name + std::string(pad - name.size(), ' ') + " " + text + "\n";
  if (path.empty()) {
    std::vector<FlagDoc> flags{kWriteOut};
    if (help_flag) flags.push_back({"help", 'h', "", "help for etcdutl", "", false});
    out += "\nFlags:\n" + FlagUsages(flags);
  } else {
    out += "\nFlags:\n" + FlagUsages({{"help", 'h', "", "help for " + Leaf(path), "", false}}) +
           "\nGlobal Flags:\n" + FlagUsages({kWriteOut});
  }
  out += "\nUse \"" + self + " [command] --help\" for more information about a command.\n";
  return out;
}

bool IsGroup(const std::string& path) {
  if (path.empty()) return true;
  for (const Group& g : Groups())
    if (g.path == path) return true;
  return false;
}

// cobra's suggestions: Levenshtein distance <= 2, or the typed word is a prefix.
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                            std::tolower(static_cast<unsigned char>(b[j - 1]))
                        ? 0
                        : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

int FlagError(const std::string& usage, const std::string& message) {
  WriteStderr("Error: " + message + "\n" + usage + "\nError: " + message + "\n");
  return cli::kExitError;
}

// Splits argv into command words and the rest, as cobra's Find does (a flag taking a value
// consumes the next argument).
std::vector<std::string> Words(const std::vector<std::string>& args) {
  static const std::map<std::string, bool> kBoolFlags = {
      {"help", true},           {"h", true},       {"skip-hash-check", true},
      {"mark-compacted", true}, {"with-v3", true}, {"dry-run", true}};
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') {
      words.push_back(a);
      continue;
    }
    if (a.find('=') != std::string::npos) continue;
    std::string name = a[1] == '-' ? a.substr(2) : a.substr(1);
    if (name.size() > 1 && a[1] != '-') continue;  // -wjson
    if (!kBoolFlags.contains(name)) ++i;
  }
  return words;
}

}  // namespace

bool InvokedAsEtcdutl(std::string_view argv0) {
  size_t slash = argv0.rfind('/');
  return argv0.substr(slash == std::string_view::npos ? 0 : slash + 1) == "etcdutl";
}

int EtcdutlMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> words = Words(args);

  // `help [command...]`: the command's help, or the root's.
  bool help_command = !words.empty() && words[0] == "help";
  std::vector<std::string> path_words(words.begin() + (help_command ? 1 : 0), words.end());

  // The deepest command or group the words name.
  std::string path;
  const UtlCommand* cmd = nullptr;
  size_t used = 0;
  for (size_t n = 1; n <= std::min<size_t>(2, path_words.size()); ++n) {
    std::string p;
    for (size_t i = 0; i < n; ++i) p += (i ? " " : "") + path_words[i];
    for (const UtlCommand& c : UtlCommands())
      if (c.path == p) cmd = &c, path = p, used = n;
    if (!cmd && IsGroup(p)) path = p, used = n;
    if (cmd) break;
  }
  if (!cmd && used == 0 && !path_words.empty()) {
    const std::string& w = path_words[0];
    if (help_command) {
      // cobra: Printf("Unknown help topic %#q\n", args) and the root's usage, both on stderr.
      WriteStderr("Unknown help topic [`" + Join(path_words, "` `") + "`]\n" +
                  GroupUsage("", false));
      return cli::kExitSuccess;
    }
    std::string suggestions;
    std::vector<std::string> names;
    for (const UtlCommand& c : UtlCommands())
      if (c.path.find(' ') == std::string::npos) names.push_back(c.path);
    for (const Group& g : Groups()) names.push_back(g.path);
    names.push_back("help");
    std::sort(names.begin(), names.end());
    for (const std::string& n : names)
      if (Distance(w, n) <= 2 || n.starts_with(w)) suggestions += "\t" + n + "\n";
    if (!suggestions.empty()) suggestions = "\n\nDid you mean this?\n" + suggestions;
    std::string msg = "unknown command \"" + w + "\" for \"etcdutl\"" + suggestions;
    WriteStderr("Error: " + msg + "\nRun 'etcdutl --help' for usage.\nError: " + msg + "\n");
    return cli::kExitError;
  }

  // Flags: the global -w, the command's own, -h.
  cli::FlagSet flags;
  flags.AddString("write-out", 'w', &g_write_out, "");
  bool help = false;
  flags.AddBool("help", 'h', &help, "");
  if (cmd && cmd->add_flags) cmd->add_flags(flags);
  const std::string usage = cmd ? CommandUsage(*cmd) : GroupUsage(path);
  std::vector<std::string> rest;
  {
    // Drop the command words (the first `used` words, plus "help").
    size_t to_drop = used + (help_command ? 1 : 0);
    std::vector<std::string> ws = words;
    for (const std::string& a : args) {
      if (to_drop > 0 && !ws.empty() && a == ws.front()) {
        ws.erase(ws.begin());
        --to_drop;
        continue;
      }
      rest.push_back(a);
    }
  }
  auto positional = flags.Parse(rest);
  if (!positional) return FlagError(usage, positional.error().message());
  if (help || help_command || !cmd) {
    WriteStdout(usage);
    return cli::kExitSuccess;
  }
  std::vector<std::string> missing;
  for (const std::string& r : cmd->required)
    if (!flags.Changed(r)) missing.push_back("\"" + r + "\"");
  if (!missing.empty())
    return FlagError(usage, "required flag(s) " + Join(missing, ", ") + " not set");
  if (cmd->exact_args >= 0 && positional->size() != static_cast<size_t>(cmd->exact_args)) {
    return FlagError(usage, "accepts " + std::to_string(cmd->exact_args) + " arg(s), received " +
                                std::to_string(positional->size()));
  }

  cli::GlobalOptions global;
  CommandContext ctx{global, flags, std::move(*positional), args, cli::PrintOptions{}};
  Result<int> rc = cmd->run(ctx);
  if (!rc) {
    WriteStderr("Error: " + rc.error().message() + "\n");
    return cli::ExitCodeFor(rc.error().code(), cli::kExitError);
  }
  return *rc;
}

}  // namespace etcdrestore::etcdctl_ext
