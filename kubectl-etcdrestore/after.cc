// kubectl etcdrestore verify / finish: after the plan's node phases, through the API.
//   verify --plan plan.json: kube-apiserver /readyz on every control-plane node of the plan
//     and of every replacement that joined (one that has not is named), the revision past the
//     snapshot's plus the planned bump, and the leftovers named.
//   finish --plan plan.json [--delete]: the exact cleanup command of every leftover; with
//     --delete it sends the API deletes itself, printing each one.
// The decisions are shared/plan/after.h; this file fetches, prints and (finish --delete)
// deletes. The etcd side (member list, revision on every member) is the scripts' verify.
#include <CLI/CLI.hpp>

#include <fcntl.h>

#include <cstdio>
#include <memory>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/output.h"
#include "shared/base/file.h"
#include "shared/plan/after.h"

namespace etcdrestore::kubectl_plugin {
namespace {

struct AfterFlags {
  std::string plan;
  std::vector<std::string> apiservers;
  bool do_delete = false;
};

Result<plan::AfterPlan> ReadPlan(const std::string& path) {
  if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "--plan PATH (the plan bundle's plan.json) is required");
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY | O_CLOEXEC));
  ASSIGN_OR_RETURN(uint64_t size, FileSize(fd.get(), path));
  if (size > (64u << 20))
    return Fail(ErrorCode::kInvalidArgument, path + " is " + std::to_string(size) + " bytes: not a plan.json");
  std::string text(size, '\0');
  RETURN_IF_ERROR(ReadAt(fd.get(), path, text.data(), size, 0));
  auto p = plan::ParsePlanJson(text);
  if (!p) return Fail(std::move(p).error().Wrap("reading " + path));
  return p;
}

// The leftovers as the API serves them now.
Result<plan::Findings> Leftovers(kube::Client& client, const plan::AfterPlan& p) {
  plan::Observed o;
  o.now = NowUtc();
  ASSIGN_OR_RETURN(o.nodes, client.Get("/api/v1/nodes", {"list", "nodes", ""}));
  ASSIGN_OR_RETURN(o.leases, client.Get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
                                        {"list", "leases", "kube-system"}));
  auto ep = client.Get("/api/v1/namespaces/default/endpoints/kubernetes", {"get", "endpoints", "default"});
  if (ep) {
    o.endpoints = std::move(*ep);
  } else if (ep.error().code() != ErrorCode::kNotFound) {
    return Fail(std::move(ep).error());
  }
  return plan::FindLeftovers(p, o);
}

void PrintLeftovers(const plan::Findings& f) {
  for (const auto& l : f.leftovers) {
    std::printf("leftover: %s %s: %s\n", l.kind.c_str(), l.name.c_str(), l.why.c_str());
    std::printf("  $ %s\n", l.command.c_str());
  }
  for (const auto& n : f.notes) std::printf("note: %s\n", n.c_str());
}

RunResult RunVerify(const AfterFlags& f, const GlobalFlags& global) {
  ASSIGN_OR_RETURN(plan::AfterPlan p, ReadPlan(f.plan));
  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, global.NewClient());
  int failed = 0;

  // /readyz of every kube-apiserver of the plan's nodes and of the replacements that joined.
  std::vector<std::string> urls = f.apiservers;
  if (urls.empty()) {
    ASSIGN_OR_RETURN(std::string pods,
                     client->Get("/api/v1/namespaces/kube-system/pods?labelSelector=component%3Dkube-apiserver",
                                 {"list", "pods", "kube-system"}));
    ASSIGN_OR_RETURN(plan::PlannedApiServers found, plan::ApiServerUrls(p, pods));
    urls = std::move(found.urls);
    for (const auto& name : found.not_joined)
      std::printf("note: replacement %s has not joined yet (no kube-apiserver pod on it): the join step of the "
                  "plan's README.md; until then etcd runs without its member\n",
                  name.c_str());
    if (urls.empty()) {
      std::printf("note: no kube-apiserver pod on the plan's nodes (%zu) lists --advertise-address; checking the "
                  "kubeconfig's server only (give each with --apiserver URL)\n",
                  p.nodes.size());
      urls.push_back(client->config().server);
    }
  }
  for (const auto& url : urls) {
    kube::RestConfig c = client->config();
    c.server = url;
    kube::Client one(std::move(c));
    auto r = one.Get("/readyz", {"get", "readyz", ""});
    if (r) {
      std::printf("ok: kube-apiserver %s /readyz: %s\n", url.c_str(), r->c_str());
    } else {
      std::printf("FAILED: kube-apiserver %s /readyz: %s\n", url.c_str(), r.error().message().c_str());
      ++failed;
    }
  }

  // The revision: past the snapshot's plus the bump, or the API serves other data.
  ASSIGN_OR_RETURN(std::string list, client->Get("/api/v1/namespaces?limit=1", {"list", "namespaces", ""}));
  ASSIGN_OR_RETURN(uint64_t rev, plan::ListRevision(list));
  const uint64_t want = plan::MinRevision(p);
  if (rev >= want) {
    std::printf("ok: revision %llu >= %llu (the snapshot's %lld + the bump %llu)\n",
                static_cast<unsigned long long>(rev), static_cast<unsigned long long>(want),
                static_cast<long long>(p.snapshot_revision), static_cast<unsigned long long>(p.bump));
  } else {
    std::printf("FAILED: the API serves revision %llu; plan %s restores at least %llu (the snapshot's %lld + the "
                "bump %llu): this is not the restored etcd, or the bump was not applied\n",
                static_cast<unsigned long long>(rev), p.id.c_str(), static_cast<unsigned long long>(want),
                static_cast<long long>(p.snapshot_revision), static_cast<unsigned long long>(p.bump));
    ++failed;
  }
  if (p.snapshot_revision == 0)
    std::printf("note: the plan does not know the snapshot's revision; the scripts' verify phase compares it on "
                "every member\n");

  ASSIGN_OR_RETURN(plan::Findings leftovers, Leftovers(*client, p));
  PrintLeftovers(leftovers);
  std::printf("verify: %s; %zu leftover%s%s\n", failed ? "FAILED" : "the API is ready on the restored data",
              leftovers.leftovers.size(), leftovers.leftovers.size() == 1 ? "" : "s",
              leftovers.leftovers.empty() ? "" : " (kubectl etcdrestore finish --plan PLAN.json prints the cleanup, "
                                                 "--delete does it)");
  return failed ? 1 : 0;
}

RunResult RunFinish(const AfterFlags& f, const GlobalFlags& global) {
  ASSIGN_OR_RETURN(plan::AfterPlan p, ReadPlan(f.plan));
  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, global.NewClient());
  ASSIGN_OR_RETURN(plan::Findings leftovers, Leftovers(*client, p));
  PrintLeftovers(leftovers);
  if (leftovers.leftovers.empty()) {
    std::printf("finish: no leftovers\n");
    return 0;
  }
  if (!f.do_delete) {
    std::printf("finish: nothing was deleted; run the commands above, or again with --delete to send the API "
                "deletes (Nodes, Leases)\n");
    return 0;
  }
  int failed = 0;
  for (const auto& l : leftovers.leftovers) {
    if (l.delete_path.empty()) {
      std::printf("finish: %s %s is not an API object: run the command above by hand\n", l.kind.c_str(),
                  l.name.c_str());
      continue;
    }
    auto r = client->Delete(l.delete_path, {"delete", l.kind == "Node" ? "nodes" : "leases",
                                            l.kind == "Node" ? "" : "kube-system"});
    if (r) {
      std::printf("finish: deleted %s %s\n", l.kind.c_str(), l.name.c_str());
    } else {
      std::printf("FAILED: deleting %s %s: %s\n", l.kind.c_str(), l.name.c_str(), r.error().message().c_str());
      ++failed;
    }
  }
  return failed ? 1 : 0;
}

Runner SetupVerify(CLI::App& sub, const GlobalFlags& global) {
  auto f = std::make_shared<AfterFlags>();
  sub.add_option("--plan", f->plan, "The plan bundle's plan.json")->required();
  sub.add_option("--apiserver", f->apiservers,
                 "https://HOST:PORT of a kube-apiserver to check /readyz on (repeat; default: every kube-apiserver "
                 "pod on the plan's nodes)");
  return [f, &global]() -> RunResult { return RunVerify(*f, global); };
}

Runner SetupFinish(CLI::App& sub, const GlobalFlags& global) {
  auto f = std::make_shared<AfterFlags>();
  sub.add_option("--plan", f->plan, "The plan bundle's plan.json")->required();
  sub.add_flag("--delete", f->do_delete, "Delete the leftover Nodes and Leases through the API (each is printed)");
  return [f, &global]() -> RunResult { return RunFinish(*f, global); };
}

const bool kVerifyRegistered = RegisterCommand(
    {"verify", "After a restore: kube-apiserver readyz, the revision, and the leftovers named", SetupVerify});
const bool kFinishRegistered = RegisterCommand(
    {"finish", "After a restore: the cleanup commands of the leftovers (--delete runs the API deletes)", SetupFinish});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
