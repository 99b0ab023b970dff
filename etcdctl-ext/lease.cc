// lease grant/revoke/timetolive/list/keep-alive --once (etcdctl 3.4 ctlv3/command/
// lease_command.go). The endless `keep-alive` without --once is not implemented: it fails
// loudly (exit 4) instead.
#include <string>

#include "etcdctl-ext/command.h"

namespace etcdrestore::etcdctl_ext {
namespace {

// etcdctl's leaseFromArgs: a hex lease ID.
Result<int64_t> LeaseArg(const std::string& arg) {
  auto id = cli::ParseGoInt(arg, 16);
  if (!id) {
    return Fail(ErrorCode::kInvalidArgument,
                "bad lease ID arg (" + id.error().message() + "), expecting ID in Hex");
  }
  return *id;
}

Result<int> Print(Result<std::string> out) {
  if (!out) return Fail(std::move(out).error());
  WriteStdout(*out);
  return 0;
}

Result<int> RunGrant(CommandContext& ctx) {
  if (ctx.args.size() != 1) return Fail(ErrorCode::kInvalidArgument, "lease grant command needs TTL argument");
  auto ttl = cli::ParseGoInt(ctx.args[0], 10);
  if (!ttl) return Fail(ErrorCode::kInvalidArgument, "bad TTL (" + ttl.error().message() + ")");
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  auto r = client->LeaseGrant(*ttl, ctx.CommandDeadline());
  if (!r) return Fail(r.error().code(), "failed to grant lease (" + r.error().message() + ")");
  return Print(cli::PrintLeaseGrant(ctx.print, *r));
}

Result<int> RunRevoke(CommandContext& ctx) {
  if (ctx.args.size() != 1) return Fail(ErrorCode::kInvalidArgument, "lease revoke command needs 1 argument");
  ASSIGN_OR_RETURN(int64_t id, LeaseArg(ctx.args[0]));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  auto r = client->LeaseRevoke(id, ctx.CommandDeadline());
  if (!r) return Fail(r.error().code(), "failed to revoke lease (" + r.error().message() + ")");
  return Print(cli::PrintLeaseRevoke(ctx.print, *r, id));
}

bool ttl_keys = false;

Result<int> RunTimeToLive(CommandContext& ctx) {
  if (ctx.args.size() != 1) {
    return Fail(ErrorCode::kInvalidArgument, "lease timetolive command needs lease ID as argument");
  }
  ASSIGN_OR_RETURN(int64_t id, LeaseArg(ctx.args[0]));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->LeaseTimeToLive(id, ttl_keys, ctx.CommandDeadline()));
  return Print(cli::PrintLeaseTimeToLive(ctx.print, r, ttl_keys));
}

Result<int> RunList(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->LeaseLeases(ctx.CommandDeadline()));
  return Print(cli::PrintLeaseLeases(ctx.print, r));
}

bool once = false;

Result<int> RunKeepAlive(CommandContext& ctx) {
  if (ctx.args.size() != 1) {
    return Fail(ErrorCode::kInvalidArgument, "lease keep-alive command needs lease ID as argument");
  }
  ASSIGN_OR_RETURN(int64_t id, LeaseArg(ctx.args[0]));
  if (!once) {
    return Fail(ErrorCode::kUnsupported,
                "\"lease keep-alive\" without --once is not implemented by etcdctl-ext (use etcdctl 3.4 for it)");
  }
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->LeaseKeepAliveOnce(id, ctx.CommandDeadline()));
  return Print(cli::PrintLeaseKeepAlive(ctx.print, r));
}

const bool kGrant = RegisterCommand({
    .name = "lease grant",
    .usage = "etcdctl lease grant <ttl> [flags]",
    .summary = "Creates leases",
    .run = RunGrant,
});

const bool kRevoke = RegisterCommand({
    .name = "lease revoke",
    .usage = "etcdctl lease revoke <leaseID> [flags]",
    .summary = "Revokes leases",
    .run = RunRevoke,
});

// etcdctl exits 2 (ExitBadConnection) when timetolive, list or keep-alive fail.
const bool kTimeToLive = RegisterCommand({
    .name = "lease timetolive",
    .usage = "etcdctl lease timetolive <leaseID> [options] [flags]",
    .summary = "Get lease information",
    .failure_code = cli::kExitBadConnection,
    .add_flags = [](cli::FlagSet& f) { f.AddBool("keys", 0, &ttl_keys, "Get keys attached to this lease"); },
    .run = RunTimeToLive,
});

const bool kList = RegisterCommand({
    .name = "lease list",
    .usage = "etcdctl lease list [flags]",
    .summary = "List all active leases",
    .failure_code = cli::kExitBadConnection,
    .run = RunList,
});

const bool kKeepAlive = RegisterCommand({
    .name = "lease keep-alive",
    .usage = "etcdctl lease keep-alive [options] <leaseID> [flags]",
    .summary = "Keeps leases alive (renew)",
    .failure_code = cli::kExitBadConnection,
    .add_flags =
        [](cli::FlagSet& f) {
          f.AddBool("once", 0, &once, "Resets the keep-alive time to its original value and exits immediately");
        },
    .run = RunKeepAlive,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
