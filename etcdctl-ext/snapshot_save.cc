// snapshot save: etcdctl 3.4's command and output, made safe (see the description below).
// The download itself is shared/etcdclient/snapshot_save.h; the bbolt check is
// shared/etcddb ComputeStatus.
#include "shared/etcdclient/snapshot_save.h"

#include <unistd.h>

#include "etcdctl-ext/command.h"
#include "shared/base/progress.h"
#include "shared/base/strings.h"
#include "shared/etcddb/status.h"

namespace etcdrestore::etcdctl_ext {
namespace {

Result<int> RunSave(CommandContext& ctx) {
  if (ctx.args.size() != 1) {
    return Fail(ErrorCode::kInvalidArgument, "snapshot save expects one argument");
  }
  const std::string& path = ctx.args[0];
  ASSIGN_OR_RETURN(auto configs, ctx.ClientConfigs());
  if (configs.size() != 1) {
    std::string list;
    for (size_t i = 0; i < configs.size(); ++i) list += (i ? " " : "") + configs[i].endpoint;
    return Fail(ErrorCode::kFailedPrecondition,
                "snapshot must be requested to one selected node, not multiple [" + list + "]");
  }
  ASSIGN_OR_RETURN(auto client, etcdclient::Dial(configs[0]));  // authenticates on first use

  Progress progress(::isatty(STDERR_FILENO) == 1, "downloading snapshot", HumanizeBytes,
                    /*show_rate=*/true);
  etcdclient::SaveOptions opts;
  opts.path = path;
  opts.connect_timeout = ctx.global.dial_timeout;
  // etcdctl bounds the download only when --command-timeout is given; so do we (a large
  // snapshot may take long), but the connection phase is always bounded by --dial-timeout
  // and a dead peer mid-stream is caught by gRPC keepalive.
  if (ctx.flags.Changed("command-timeout")) opts.deadline = ctx.CommandDeadline();
  opts.progress = [&](uint64_t bytes) { progress.Update(bytes); };
  opts.verify = [](const std::string& part) -> Status {
    auto st = etcddb::ComputeStatus(part);
    if (!st) return Fail(std::move(st).error().Wrap("downloaded snapshot failed the bbolt check"));
    return {};
  };
  auto saved = etcdclient::SaveSnapshot(*client, opts);
  progress.Done();
  if (!saved) return Fail(std::move(saved).error());
  WriteStdout("Snapshot saved at " + path + "\n");
  return 0;
}

const bool kRegistered = RegisterCommand({
    .name = "snapshot save",
    .usage = "etcdctl snapshot save <filename> [flags]",
    .summary = "Stores an etcd node backend snapshot to a given file",
    .description =
        "\tetcdctl-ext differs from etcdctl 3.4 where etcdctl is unsafe:\n"
        "\t- it never hangs: the connection (TCP + TLS) must work within --dial-timeout, else\n"
        "\t  it fails and says why (connection refused, TLS handshake failure, no answer);\n"
        "\t  etcdctl 3.4 blocks forever there unless --command-timeout is given. A peer that\n"
        "\t  dies mid-download is detected by gRPC keepalive (--keepalive-time/-timeout).\n"
        "\t- the sha256 trailer is verified while streaming and the bbolt structure of the\n"
        "\t  file is checked before it is renamed into place.\n"
        "\t- <filename>.part (0600) is fsynced, renamed and the directory fsynced; it is\n"
        "\t  removed on any error and on SIGINT/SIGTERM/SIGHUP.\n"
        "\t- <filename>.part is always a new file of its own, never written through what\n"
        "\t  is there: a stale .part is removed only if it is a regular file owned by this\n"
        "\t  user; a symlink, fifo or another user's file is an error and nothing is written.\n"
        "\t- on a terminal, progress (bytes, rate) is shown on stderr; never on a pipe.\n",
    .failure_code = cli::kExitInterrupted,
    .run = RunSave,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
