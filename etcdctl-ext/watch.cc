// watch (etcdctl 3.4 ctlv3/command/watch_command.go), non-interactive: a key, a range or a
// prefix (--prefix), from a revision (--rev), with previous key-values (--prev-kv), printed
// in any -w format until the server cancels the watch ("Error: watch is canceled by the
// server", exit 5) or the process is interrupted. `watch [key] -- cmd args...` runs cmd for
// every event with ETCD_WATCH_REVISION/_EVENT_TYPE/_KEY/_VALUE set; ETCDCTL_WATCH_KEY and
// ETCDCTL_WATCH_RANGE_END give the key instead of arguments. Interactive mode (-i) is not
// implemented and fails loudly.
#include <spawn.h>
#include <sys/wait.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "etcdctl-ext/command.h"
#include "shared/cli/format.h"

extern char** environ;

namespace etcdrestore::etcdctl_ext {
namespace {

bool watch_interactive = false;
bool watch_prefix = false;
int64_t watch_rev = 0;
bool watch_prev_kv = false;

const Error kBadArgsNum(ErrorCode::kInvalidArgument, "bad number of arguments");
const Error kConflictEnv(ErrorCode::kInvalidArgument, "bad number of arguments (found conflicting environment key)");

struct WatchArgs {
  std::vector<std::string> watch;  // key [range_end]
  std::vector<std::string> exec;   // command after "--"
};

// etcdctl's parseWatchArgs (non-interactive), quirks included.
Result<WatchArgs> ParseWatchArgs(const std::vector<std::string>& raw_all, const std::vector<std::string>& command_args,
                                 const std::string& env_key, const std::string& env_range) {
  std::vector<std::string> raw = raw_all;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == "watch") {
      raw.erase(raw.begin(), raw.begin() + static_cast<long>(i) + 1);
      break;
    }
  }
  WatchArgs out;
  out.watch = command_args;
  size_t exec_idx = 0;
  bool exec_exist = false;
  for (exec_idx = 0; exec_idx < raw.size(); ++exec_idx) {
    if (raw[exec_idx] == "--") {
      exec_exist = true;
      break;
    }
  }
  if (exec_exist && exec_idx == raw.size() - 1) {
    return Fail(ErrorCode::kInvalidArgument, "bad number of arguments (found separator --, but no commands)");
  }
  if (!exec_exist && raw.empty() && env_key.empty()) return Fail(kBadArgsNum);
  if (exec_exist && !env_key.empty()) {
    long ridx = static_cast<long>(raw.size()) - 1;
    for (long widx = static_cast<long>(out.watch.size()) - 1; widx >= 0; --widx) {
      if (ridx >= 0 && out.watch[static_cast<size_t>(widx)] == raw[static_cast<size_t>(ridx)]) {
        --ridx;
        continue;
      }
      if (ridx == static_cast<long>(exec_idx)) return Fail(kConflictEnv);
    }
  }
  if (!exec_exist && !out.watch.empty() && !env_key.empty()) return Fail(kConflictEnv);
  if (exec_exist) out.exec.assign(raw.begin() + static_cast<long>(exec_idx) + 1, raw.end());
  if (!env_key.empty()) {
    std::vector<std::string> ranges{env_key};
    if (!env_range.empty()) ranges.push_back(env_range);
    out.watch.insert(out.watch.begin(), ranges.begin(), ranges.end());
  }
  if (!exec_exist) return out;
  // The watch arguments end where the command (also in the positional arguments) starts.
  long end = static_cast<long>(out.watch.size()) - 1;
  for (; end >= 0; --end) {
    if (out.watch[static_cast<size_t>(end)] == out.exec[0]) break;
  }
  out.watch.resize(static_cast<size_t>(std::max(end, 0L)));
  return out;
}

// Runs the command of `watch -- cmd` for one event; its output goes where ours goes.
Status RunForEvent(const std::vector<std::string>& exec, const etcdclient::WatchResponse& resp,
                   const etcdclient::WatchEvent& ev) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  env.push_back("ETCD_WATCH_REVISION=" + std::to_string(resp.header.revision));
  env.push_back(std::string("ETCD_WATCH_EVENT_TYPE=\"") + (ev.type == 1 ? "DELETE" : "PUT") + "\"");
  env.push_back("ETCD_WATCH_KEY=" + GoQuote(ev.kv.key));
  env.push_back("ETCD_WATCH_VALUE=" + GoQuote(ev.kv.value));
  std::vector<char*> argv, envp;
  for (const auto& a : exec) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string quoted = "[";
  for (size_t i = 0; i < exec.size(); ++i) quoted += (i ? " " : "") + GoQuote(exec[i]);
  quoted += "]";
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0) {
    return Fail(ErrorCode::kFailedPrecondition, "command " + quoted + " error (exec: \"" + exec[0] +
                                                    "\": executable file not found in $PATH)");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string why;
  if (WIFEXITED(status)) {
    why = "exit status " + std::to_string(WEXITSTATUS(status));
  } else {  // Go: "signal: terminated"
    std::string name = strsignal(WTERMSIG(status));
    if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
    why = "signal: " + name;
  }
  return Fail(ErrorCode::kFailedPrecondition, "command " + quoted + " error (" + why + ")");
}

// clientv3 WatchResponse.Err() of a canceled answer.
std::string CancelError(const etcdclient::WatchResponse& r) {
  if (r.compact_revision != 0) return "etcdserver: mvcc: required revision has been compacted";
  if (!r.cancel_reason.empty()) return r.cancel_reason;
  return "etcdserver: mvcc: required revision is a future revision";
}

Result<int> RunWatch(CommandContext& ctx) {
  const char* k = std::getenv("ETCDCTL_WATCH_KEY");
  const char* re = std::getenv("ETCDCTL_WATCH_RANGE_END");
  const std::string env_key = k ? k : "", env_range = re ? re : "";
  if (env_key.empty() && !env_range.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=" + GoQuote(env_range));
  }
  if (watch_interactive) {
    return Fail(ErrorCode::kUnsupported,
                "\"watch -i\" (interactive) is not implemented by etcdctl-ext (use etcdctl 3.4 for it)");
  }
  ASSIGN_OR_RETURN(WatchArgs args, ParseWatchArgs(ctx.raw_args, ctx.args, env_key, env_range));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  // etcdctl's getWatchChan.
  if (args.watch.empty()) return Fail(kBadArgsNum);
  etcdclient::WatchRequest req;
  req.key = args.watch[0];
  if (args.watch.size() == 2) {
    if (watch_prefix) return Fail(ErrorCode::kInvalidArgument, "`range_end` and `--prefix` are mutually exclusive");
    req.range_end = args.watch[1];
  }
  if (watch_prefix) {
    if (req.key.empty()) {
      req.key = req.range_end = std::string(1, '\0');
    } else {
      req.range_end = cli::PrefixRangeEnd(req.key);
    }
  }
  req.start_revision = watch_rev;
  req.prev_kv = watch_prev_kv;
  Status exec_failed;
  auto st = client->Watch(req, [&](const etcdclient::WatchResponse& r) -> Status {
    if (r.canceled) WriteStderr("watch was canceled (" + CancelError(r) + ")\n");
    ASSIGN_OR_RETURN(std::string out, cli::PrintWatch(ctx.print, r));
    WriteStdout(out);
    for (const auto& ev : r.events) {
      if (args.exec.empty()) break;
      if (auto s = RunForEvent(args.exec, r, ev); !s) {
        exec_failed = s;
        return s;
      }
    }
    return {};
  });
  if (!exec_failed) {
    // etcdctl: "command [...] error (...)" on stderr, exit 1 (no "Error:" prefix).
    WriteStderr(exec_failed.error().message() + "\n");
    return cli::kExitError;
  }
  if (!st) return Fail(std::move(st).error());
  return Fail(ErrorCode::kUnavailable, "watch is canceled by the server");
}

const bool kWatch = RegisterCommand({
    .name = "watch",
    .usage = "etcdctl watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...] [flags]",
    .summary = "Watches events stream on keys or prefixes",
    .failure_code = cli::kExitInterrupted,
    .add_flags =
        [](cli::FlagSet& f) {
          f.AddBool("interactive", 'i', &watch_interactive, "Interactive mode");
          f.AddBool("prefix", 0, &watch_prefix, "Watch on a prefix if prefix is set");
          f.AddInt64("rev", 0, &watch_rev, "Revision to start watching");
          f.AddBool("prev-kv", 0, &watch_prev_kv, "get the previous key-value pair before the event happens");
        },
    .run = RunWatch,
    .env_only_flags = {"watch-key", "watch-range-end"},
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
