// kubectl etcdrestore inspect SNAPSHOT [-o json|yaml]: what is inside a snapshot, offline:
// revision, compaction, size, when and where it was taken (from save's sidecar, when it is
// beside the snapshot), live objects per resource and per namespace, values encrypted at
// rest and by which provider, and the largest objects. The logic is shared/k8sobj.
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/output.h"
#include "shared/base/strings.h"
#include "shared/bbolt/reader.h"
#include "shared/k8sobj/snapshot.h"
#include "shared/topology/sidecar.h"

namespace etcdrestore::kubectl_plugin {
namespace {

nlohmann::json ToJson(const std::string& path, uint64_t file_size, const k8sobj::Inventory& inv,
                      const std::optional<topology::Sidecar>& sidecar) {
  nlohmann::json j;
  j["snapshot"] = path;
  j["fileSize"] = file_size;
  j["revision"] = inv.revision;
  j["compactRevision"] = inv.compact_revision;
  j["revisionsKept"] = inv.revisions;
  j["liveKeys"] = inv.live_keys;
  j["otherKeys"] = inv.other_keys;
  j["undecodable"] = inv.undecodable;
  j["resources"] = inv.by_resource;
  nlohmann::json ns = nlohmann::json::object();
  for (const auto& [n, c] : inv.by_namespace) ns[n.empty() ? "(cluster-scoped)" : n] = c;
  j["namespaces"] = ns;
  j["encryptedAtRest"] = inv.encrypted;
  j["largest"] = nlohmann::json::array();
  for (const auto& l : inv.largest) j["largest"].push_back({{"key", l.key}, {"bytes", l.bytes}});
  if (sidecar) {
    j["taken"] = sidecar->created;
    j["source"] = {{"method", sidecar->source.method},
                   {"member", sidecar->source.member},
                   {"node", sidecar->source.node},
                   {"endpoint", sidecar->source.endpoint},
                   {"etcdVersion", sidecar->source.etcd_version}};
  }
  return j;
}

std::string Text(const std::string& path, uint64_t file_size, const k8sobj::Inventory& inv,
                 const std::optional<topology::Sidecar>& sidecar) {
  std::string out;
  out += fmt::format("Snapshot:     {} ({})\n", path, HumanBytes(file_size));
  if (sidecar) {
    out += fmt::format("Taken:        {} from member {} on {} ({}, etcd {})\n", sidecar->created,
                       sidecar->source.member, sidecar->source.node.empty() ? "-" : sidecar->source.node,
                       sidecar->source.method, sidecar->source.etcd_version);
  }
  out += fmt::format("Revision:     {}\n", inv.revision);
  out += fmt::format("Compacted at: {}\n", inv.compact_revision > 0 ? std::to_string(inv.compact_revision) : "never");
  out += fmt::format("Keys:         {} live ({} outside /registry/), {} revisions kept\n", inv.live_keys,
                     inv.other_keys, inv.revisions);
  uint64_t enc = 0;
  std::string providers;
  for (const auto& [p, c] : inv.encrypted) {
    enc += c;
    providers += fmt::format("{}{}: {}", providers.empty() ? "" : ", ", p, c);
  }
  out += enc == 0 ? "Encrypted:    none (no value is encrypted at rest)\n"
                  : fmt::format("Encrypted:    {} values ({})\n", enc, providers);
  if (inv.undecodable > 0) out += fmt::format("Undecodable:  {} values under /registry/\n", inv.undecodable);
  std::vector<std::vector<std::string>> rows = {{"RESOURCE", "OBJECTS"}};
  for (const auto& [r, c] : inv.by_resource) rows.push_back({r, std::to_string(c)});
  out += "\n" + Table(rows);
  rows = {{"NAMESPACE", "OBJECTS"}};
  for (const auto& [n, c] : inv.by_namespace) rows.push_back({n.empty() ? "(cluster-scoped)" : n, std::to_string(c)});
  out += "\n" + Table(rows);
  if (!inv.largest.empty()) {
    rows = {{"LARGEST", "BYTES"}};
    for (const auto& l : inv.largest) rows.push_back({l.key, std::to_string(l.bytes)});
    out += "\n" + Table(rows);
  }
  return out;
}

Runner Setup(CLI::App& sub, const GlobalFlags&) {
  auto snapshot = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  sub.add_option("SNAPSHOT", *snapshot, "The snapshot file (etcdctl snapshot save, or kubectl etcdrestore save)")
      ->required();
  sub.add_option("-o,--output", *output, "Output format: json or yaml (default: text)");
  return [snapshot, output]() -> RunResult {
    if (!output->empty()) RETURN_IF_ERROR(Render(nlohmann::json(nullptr), *output));  // validates -o
    ASSIGN_OR_RETURN(auto reader, bbolt::Reader::Open(*snapshot));
    ASSIGN_OR_RETURN(k8sobj::Inventory inv, k8sobj::TakeInventory(*reader));
    std::optional<topology::Sidecar> sidecar;
    if (struct stat st{}; ::stat(topology::SidecarPath(*snapshot).c_str(), &st) == 0) {
      ASSIGN_OR_RETURN(topology::Sidecar s, topology::ReadSidecar(topology::SidecarPath(*snapshot)));
      sidecar = std::move(s);
    }
    if (output->empty()) {
      std::fputs(Text(*snapshot, reader->file_size(), inv, sidecar).c_str(), stdout);
    } else {
      ASSIGN_OR_RETURN(std::string text, Render(ToJson(*snapshot, reader->file_size(), inv, sidecar), *output));
      std::fputs(text.c_str(), stdout);
    }
    return 0;
  };
}

const bool kRegistered = RegisterCommand(
    {"inspect", "Show what a snapshot holds: revision, objects per resource and namespace, encryption (offline)",
     Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
