// snapshot status: etcdctl 3.4's output, computed by shared/etcddb (bbolt check + CRC-32C
// hash in one read of the file). Unlike etcdctl, a truncated or damaged file gives an error
// message instead of a SIGBUS crash. Like etcdctl, ETCDCTL_* variables are not read.
// A db with meta/storageVersion (a snapshot of etcd 3.6) also gets etcdutl 3.6's version
// column/field; 3.4/3.5 snapshots have none and print exactly etcdctl 3.4's output.
#include <sys/stat.h>

#include <cerrno>

#include "etcdctl-ext/command.h"
#include "shared/etcddb/status.h"

namespace etcdrestore::etcdctl_ext {
namespace {

Result<int> RunStatus(CommandContext& ctx) {
  if (ctx.args.size() != 1) {
    return Fail(ErrorCode::kInvalidArgument, "snapshot status requires exactly one argument");
  }
  ASSIGN_OR_RETURN(cli::OutputFormat format, cli::ParseOutputFormat(ctx.global.write_out));
  if (format == cli::OutputFormat::kProtobuf) {
    return Fail(ErrorCode::kUnsupported, "protobuf not supported as output format");
  }
  const std::string& path = ctx.args[0];
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Fail(ErrnoError("stat " + path, errno));
  ASSIGN_OR_RETURN(etcddb::SnapshotStatus s, etcddb::ComputeStatus(path));
  cli::PrintOptions p = ctx.print;
  p.format = format;
  ASSIGN_OR_RETURN(std::string out,
                   cli::PrintDbStatus(p, {s.hash, s.revision, s.total_keys, s.total_size, s.storage_version}));
  WriteStdout(out);
  return 0;
}

const bool kRegistered = RegisterCommand({
    .name = "snapshot status",
    .usage = "etcdctl snapshot status <filename> [flags]",
    .summary = "Gets backend snapshot status of a given file",
    .description =
        "\tetcdctl-ext: a truncated or damaged file is reported as an error (etcdctl 3.4 can\n"
        "\tcrash with SIGBUS); the bbolt structure is checked before anything is reported.\n",
    .uses_client = false,
    .validates_output_format = false,
    .run = RunStatus,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
