// alarm list/disarm, compaction, defrag, move-leader (etcdctl 3.4 ctlv3/command/
// alarm_command.go, compaction_command.go, defrag_command.go, move_leader_command.go).
#include <string>
#include <vector>

#include "etcdctl-ext/command.h"
#include "etcdctl-ext/defrag_offline.h"
#include "shared/base/strings.h"

namespace etcdrestore::etcdctl_ext {
namespace {

Result<int> RunAlarm(CommandContext& ctx, bool disarm) {
  if (!ctx.args.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("alarm ") + (disarm ? "disarm" : "list") + " command accepts no arguments");
  }
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  auto resp = disarm ? client->AlarmDisarmAll(ctx.CommandDeadline()) : client->AlarmList(ctx.CommandDeadline());
  if (!resp) return Fail(std::move(resp).error());
  ASSIGN_OR_RETURN(std::string out, cli::PrintAlarm(ctx.print, *resp));
  WriteStdout(out);
  return 0;
}

bool physical = false;

// Prints "compacted revision N" whatever -w says, as etcdctl.
Result<int> RunCompaction(CommandContext& ctx) {
  if (ctx.args.size() != 1) return Fail(ErrorCode::kInvalidArgument, "compaction command needs 1 argument");
  auto rev = cli::ParseGoInt(ctx.args[0], 10);
  if (!rev) return Fail(ErrorCode::kFailedPrecondition, rev.error().message());  // etcdctl: ExitError
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->Compact(*rev, physical, ctx.CommandDeadline()));
  WriteStdout("compacted revision " + std::to_string(*rev) + "\n");
  return 0;
}

bool defrag_cluster = false;
std::string defrag_data_dir;

// Online defragmentation, one member at a time; failures are reported per member and make
// the exit code 1 (etcdctl prints no "Error:" line here). With --data-dir: offline, of a data
// dir no etcd runs on (defrag_offline.h).
Result<int> RunDefrag(CommandContext& ctx) {
  if (!defrag_data_dir.empty()) return DefragDataDir(defrag_data_dir, DefragTool::kEtcdctl);
  ASSIGN_OR_RETURN(auto configs, ctx.ClientConfigs());
  ASSIGN_OR_RETURN(auto first, ctx.DialFirst());  // etcdctl's mustClientFromCmd
  if (defrag_cluster) {
    ASSIGN_OR_RETURN(auto members, first->MemberList(ctx.CommandDeadline()));
    std::vector<etcdclient::Config> all;
    for (const auto& m : members.members) {
      for (const auto& url : m.client_urls) {
        etcdclient::Config c = configs[0];
        c.endpoint = url;
        all.push_back(c);
      }
    }
    configs = std::move(all);
  }
  int failures = 0;
  for (const auto& cfg : configs) {
    ASSIGN_OR_RETURN(auto client, ctx.Connect(cfg));
    auto r = client->Defragment(ctx.CommandDeadline());
    if (!r) {
      WriteStderr("Failed to defragment etcd member[" + cfg.endpoint + "] (" + r.error().message() + ")\n");
      ++failures;
    } else {
      WriteStdout("Finished defragmenting etcd member[" + cfg.endpoint + "]\n");
    }
  }
  return failures ? cli::kExitError : cli::kExitSuccess;
}

// Finds the leader among --endpoints (Status of each, in order) and asks it to hand over.
Result<int> RunMoveLeader(CommandContext& ctx) {
  if (ctx.args.size() != 1) return Fail(ErrorCode::kInvalidArgument, "move-leader command needs 1 argument");
  ASSIGN_OR_RETURN(uint64_t target, cli::ParseGoUint(ctx.args[0], 16));
  ASSIGN_OR_RETURN(auto configs, ctx.ClientConfigs());
  const auto deadline = ctx.CommandDeadline();
  std::vector<std::string> endpoints;
  for (const auto& cfg : configs) endpoints.push_back(cfg.endpoint);
  for (const auto& cfg : configs) {
    ASSIGN_OR_RETURN(auto client, ctx.Connect(cfg));
    ASSIGN_OR_RETURN(auto status, client->Status(deadline));
    if (status.header.member_id != status.leader) continue;
    ASSIGN_OR_RETURN(auto resp, client->MoveLeader(target, deadline));
    ASSIGN_OR_RETURN(std::string out, cli::PrintMoveLeader(ctx.print, resp, status.leader, target));
    WriteStdout(out);
    return 0;
  }
  return Fail(ErrorCode::kInvalidArgument, "no leader endpoint given at [" + Join(endpoints, " ") + "]");
}

const bool kAlarmDisarm = RegisterCommand({
    .name = "alarm disarm",
    .usage = "etcdctl alarm disarm [flags]",
    .summary = "Disarms all alarms",
    .run = [](CommandContext& ctx) { return RunAlarm(ctx, true); },
});

const bool kAlarmList = RegisterCommand({
    .name = "alarm list",
    .usage = "etcdctl alarm list [flags]",
    .summary = "Lists all alarms",
    .run = [](CommandContext& ctx) { return RunAlarm(ctx, false); },
});

const bool kCompaction = RegisterCommand({
    .name = "compaction",
    .usage = "etcdctl compaction [options] <revision> [flags]",
    .summary = "Compacts the event history in etcd",
    .add_flags =
        [](cli::FlagSet& f) {
          f.AddBool("physical", 0, &physical, "'true' to wait for compaction to physically remove all old revisions");
        },
    .run = RunCompaction,
});

const bool kDefrag = RegisterCommand({
    .name = "defrag",
    .usage = "etcdctl defrag [flags]",
    .summary = "Defragments the storage of the etcd members with given endpoints",
    .add_flags =
        [](cli::FlagSet& f) {
          f.AddBool("cluster", 0, &defrag_cluster, "use all endpoints from the cluster member list");
          f.AddString("data-dir", 0, &defrag_data_dir,
                      "Optional. If present, defragments a data directory not in use by etcd.");
        },
    .run = RunDefrag,
});

const bool kMoveLeader = RegisterCommand({
    .name = "move-leader",
    .usage = "etcdctl move-leader <transferee-member-id> [flags]",
    .summary = "Transfers leadership to another etcd cluster member.",
    .run = RunMoveLeader,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
