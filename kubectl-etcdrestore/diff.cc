// kubectl etcdrestore diff SNAPSHOT [TYPE[/NAME]] [-n NS | -A] [-o table|json]: the
// snapshot against the live cluster: deleted since (in the snapshot, not live), created
// since, changed since (same uid, another resourceVersion: in etcd an object's
// resourceVersion is its mod revision, so this is exact), replaced (same name, other uid).
// Without TYPE, every type that has objects in the snapshot is compared.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/objects.h"
#include "kubectl-etcdrestore/output.h"
#include "shared/k8sobj/key.h"

namespace etcdrestore::kubectl_plugin {
namespace {

struct Options {
  std::string snapshot;
  std::vector<std::string> args;
  std::string output;
  bool all_namespaces = false;
};

RunResult Run(const Options& o, const GlobalFlags& global) {
  if (!o.output.empty() && o.output != "table" && o.output != "json") {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("-o {}: the diff prints table or json", o.output));
  }
  ASSIGN_OR_RETURN(Selection sel, ParseSelection(o.args, global, o.all_namespaces, /*type_optional=*/true));
  ASSIGN_OR_RETURN(SnapshotSelection found, FindInSnapshot(o.snapshot, sel, /*keep_values=*/false));
  // One live list per type (and version) seen in the snapshot; with a TYPE and nothing in
  // the snapshot, the type's own preferred version is unknown offline: ask for it below.
  struct Group {
    k8sobj::ResourceType type;
    std::string api_version;
    bool cluster_scoped = false;
    std::vector<k8sobj::Ident> snapshot;
  };
  std::map<std::string, Group> groups;
  for (const auto& obj : found.objects) {
    if (!obj.damage.empty()) {
      std::fprintf(stderr, "warning: %s: not compared: %s\n", obj.key.c_str(), obj.damage.c_str());
      continue;
    }
    const auto k = k8sobj::ParseKey(obj.key);
    k8sobj::ResourceType t = k8sobj::TypeOfKey(*k);
    Group& g = groups[t.Name()];
    if (g.snapshot.empty()) {
      g.type = t;
      g.cluster_scoped = k->namespace_.empty();
    }
    if (g.api_version.empty()) g.api_version = obj.info.api_version;
    g.snapshot.push_back(IdentOf(obj));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, global.NewClient());
  std::vector<k8sobj::Ident> snap, live;
  for (auto& [name, g] : groups) {
    if (g.api_version.empty() && g.type.builtin && g.type.group.empty()) g.api_version = "v1";  // all encrypted
    if (g.api_version.empty()) {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("{}: the snapshot's objects do not say their apiVersion (encrypted at rest?): pass "
                              "TYPE to compare a readable type", name));
    }
    ASSIGN_OR_RETURN(std::vector<k8sobj::Ident> l, ListLive(*client, g.type, g.api_version, sel, g.cluster_scoped));
    snap.insert(snap.end(), g.snapshot.begin(), g.snapshot.end());
    live.insert(live.end(), l.begin(), l.end());
  }
  const auto diffs = k8sobj::Compare(snap, live);
  if (o.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : diffs) {
      const auto& i = d.change == k8sobj::Change::kCreated ? d.live : d.snapshot;
      nlohmann::json j = {{"change", k8sobj::ChangeName(d.change)}, {"type", i.type}, {"namespace", i.namespace_},
                          {"name", i.name}};
      if (d.change != k8sobj::Change::kCreated) {
        j["snapshot"] = {{"uid", d.snapshot.uid}, {"resourceVersion", d.snapshot.resource_version}};
      }
      if (d.change != k8sobj::Change::kDeleted)
        j["live"] = {{"uid", d.live.uid}, {"resourceVersion", d.live.resource_version}};
      out.push_back(std::move(j));
    }
    std::fputs((out.dump(4) + "\n").c_str(), stdout);
    return 0;
  }
  if (diffs.empty()) {
    std::fputs("No differences: every selected object is as it was in the snapshot.\n", stderr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"CHANGE", "TYPE", "NAMESPACE", "NAME", "SNAPSHOT-RV", "LIVE-RV"}};
  for (const auto& d : diffs) {
    const auto& i = d.change == k8sobj::Change::kCreated ? d.live : d.snapshot;
    rows.push_back({k8sobj::ChangeName(d.change), i.type, i.namespace_.empty() ? "-" : i.namespace_, i.name,
                    d.snapshot.resource_version.empty() ? "-" : d.snapshot.resource_version,
                    d.live.resource_version.empty() ? "-" : d.live.resource_version});
  }
  std::fputs(Table(rows).c_str(), stdout);
  return 0;
}

Runner Setup(CLI::App& sub, const GlobalFlags& global) {
  auto o = std::make_shared<Options>();
  sub.add_option("SNAPSHOT", o->snapshot, "The snapshot file")->required();
  sub.add_option("TYPE", o->args, "TYPE[/NAME] [NAME...] (default: every type in the snapshot)");
  sub.add_option("-o,--output", o->output, "Output format: table (default) or json");
  sub.add_flag("-A,--all-namespaces", o->all_namespaces, "Compare every namespace");
  return [o, &global]() -> RunResult { return Run(*o, global); };
}

const bool kRegistered = RegisterCommand(
    {"diff", "Compare a snapshot with the live cluster: deleted, created, changed and replaced objects", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
