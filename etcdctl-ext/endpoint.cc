// endpoint status, health and hashkv (etcdctl 3.4 ctlv3/command/ep_command.go).
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "etcdctl-ext/command.h"
#include "shared/cli/flags.h"

namespace etcdrestore::etcdctl_ext {
namespace {

bool use_cluster = false;

// --endpoints, or with --cluster every member's client URLs (etcdctl endpointsFromCluster).
Result<std::vector<etcdclient::Config>> EndpointConfigs(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto configs, ctx.ClientConfigs());
  if (!use_cluster) return configs;
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto members, client->MemberList(ctx.CommandDeadline()));
  std::vector<etcdclient::Config> out;
  for (const auto& m : members.members) {
    for (const auto& url : m.client_urls) {
      etcdclient::Config c = configs[0];
      c.endpoint = url;
      out.push_back(c);
    }
  }
  return out;
}

Result<int> RunStatus(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto configs, EndpointConfigs(ctx));
  std::vector<cli::EndpointStatus> statuses;
  bool failed = false;
  for (const auto& cfg : configs) {
    ASSIGN_OR_RETURN(auto client, ctx.Connect(cfg));  // etcdctl: mustClient per endpoint
    auto st = client->Status(ctx.CommandDeadline());
    if (!st) {
      WriteStderr("Failed to get the status of endpoint " + cfg.endpoint + " (" +
                  st.error().message() + ")\n");
      failed = true;
      continue;
    }
    statuses.push_back({cfg.endpoint, std::move(*st)});
  }
  ASSIGN_OR_RETURN(std::string out, cli::PrintEndpointStatus(ctx.print, statuses));
  WriteStdout(out);
  return failed ? cli::kExitError : cli::kExitSuccess;
}

Result<int> RunHealth(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto configs, EndpointConfigs(ctx));
  std::vector<cli::EndpointHealth> results;  // in order of completion, as etcdctl
  std::mutex mu;
  std::vector<std::thread> threads;
  for (const auto& cfg : configs) {
    threads.emplace_back([&, cfg] {
      cli::EndpointHealth h{cfg.endpoint, false, "", ""};
      auto client = etcdclient::Dial(cfg);
      if (!client) {
        h.error = client.error().message();
      } else {
        auto start = std::chrono::steady_clock::now();
        etcdclient::RangeRequest req;
        req.key = "health";
        auto r = (*client)->Range(req, ctx.CommandDeadline());
        h.took = cli::FormatGoDuration(std::chrono::steady_clock::now() - start);
        // Permission denied still went through consensus: healthy (etcdctl does the same).
        if (r || r.error().code() == ErrorCode::kPermissionDenied) {
          h.health = true;
        } else {
          h.error = r.error().message();
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(h));
    });
  }
  for (auto& t : threads) t.join();
  ASSIGN_OR_RETURN(cli::Printed p, cli::PrintEndpointHealth(ctx.print, results));
  WriteStdout(p.out);
  WriteStderr(p.err);
  for (const auto& h : results) {
    if (!h.error.empty()) return Fail(ErrorCode::kUnavailable, "unhealthy cluster");
  }
  return 0;
}

int64_t hashkv_rev = 0;

// etcdctl: one client (mustClientFromCmd) whose maintenance API dials each endpoint in turn;
// a failing endpoint is reported on stderr and the last error ends the command (exit 1).
Result<int> RunHashKV(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto configs, EndpointConfigs(ctx));
  std::vector<cli::EndpointHashKV> hashes;
  std::optional<Error> last;
  for (const auto& cfg : configs) {
    ASSIGN_OR_RETURN(auto client, ctx.Connect(cfg));
    auto h = client->HashKV(hashkv_rev, ctx.CommandDeadline());
    if (!h) {
      WriteStderr("Failed to get the hash of endpoint " + cfg.endpoint + " (" + h.error().message() + ")\n");
      last = std::move(h).error();
      continue;
    }
    hashes.push_back({cfg.endpoint, std::move(*h)});
  }
  ASSIGN_OR_RETURN(std::string out, cli::PrintEndpointHashKV(ctx.print, hashes));
  WriteStdout(out);
  if (last) return Fail(std::move(*last));
  return 0;
}

void AddClusterFlag(cli::FlagSet& f) {
  f.AddBool("cluster", 0, &use_cluster, "use all endpoints from the cluster member list");
}

const bool kStatus = RegisterCommand({
    .name = "endpoint status",
    .usage = "etcdctl endpoint status [flags]",
    .summary = "Prints out the status of endpoints specified in `--endpoints` flag",
    .description =
        "\tWhen --write-out is set to simple, this command prints out comma-separated status lists for each "
        "endpoint.\n\tThe items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, "
        "raft index, raft applied index, errors.\n",
    .add_inherited_flags = AddClusterFlag,
    .run = RunStatus,
});

const bool kHashKV = RegisterCommand({
    .name = "endpoint hashkv",
    .usage = "etcdctl endpoint hashkv [flags]",
    .summary = "Prints the KV history hash for each endpoint in --endpoints",
    .add_flags =
        [](cli::FlagSet& f) { f.AddInt64("rev", 0, &hashkv_rev, "maximum revision to hash (default: all revisions)"); },
    .add_inherited_flags = AddClusterFlag,
    .run = RunHashKV,
});

const bool kHealth = RegisterCommand({
    .name = "endpoint health",
    .usage = "etcdctl endpoint health [flags]",
    .summary = "Checks the healthiness of endpoints specified in `--endpoints` flag",
    .add_inherited_flags = AddClusterFlag,
    .run = RunHealth,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
