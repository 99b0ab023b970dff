// kubectl etcdrestore get SNAPSHOT TYPE[/NAME] [NAME...] [-n NS | -A] [-o wide|name|json|yaml]:
// like `kubectl get`, the objects as they were in the snapshot, offline. TYPE takes
// kubectl's forms (shared/k8sobj/types.h). -o json|yaml prints each object as the API
// returns it: custom resources are stored as JSON; built-in kinds are stored as protobuf and
// printed through the API's schemas compiled into the build (shared/k8sobj/schema.h); a
// build without them refuses -o json|yaml of built-in kinds with a clear error, exit 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/objects.h"
#include "kubectl-etcdrestore/output.h"
#include "shared/k8sobj/key.h"
#include "shared/k8sobj/schema.h"
#include "shared/k8sobj/snapshot.h"
#include "shared/k8sobj/types.h"

namespace etcdrestore::kubectl_plugin {
namespace {

// kubectl's short age: 45s, 3m20s, 2h5m, 4d3h, 400d, 3y20d.
std::string Age(int64_t created, int64_t now) {
  if (created <= 0) return "<unknown>";
  int64_t s = std::max<int64_t>(0, now - created), m = s / 60, h = m / 60, d = h / 24;
  if (s < 120) return fmt::format("{}s", s);
  if (m < 10) return s % 60 ? fmt::format("{}m{}s", m, s % 60) : fmt::format("{}m", m);
  if (m < 180) return fmt::format("{}m", m);
  if (h < 8) return m % 60 ? fmt::format("{}h{}m", h, m % 60) : fmt::format("{}h", h);
  if (h < 48) return fmt::format("{}h", h);
  if (h < 192) return h % 24 ? fmt::format("{}d{}h", d, h % 24) : fmt::format("{}d", d);
  if (d < 730) return fmt::format("{}d", d);
  if (d < 2920) return fmt::format("{}y{}d", d / 365, d % 365);
  return fmt::format("{}y", d / 365);
}

struct Options {
  std::string snapshot;
  std::vector<std::string> args;  // TYPE[/NAME] [NAME...]
  std::string output;
  bool all_namespaces = false;
  bool show_managed_fields = false;
};

// kubectl leaves metadata.managedFields out of -o json|yaml unless --show-managed-fields.
void HideManagedFields(nlohmann::ordered_json* obj) {
  if (auto m = obj->find("metadata"); m != obj->end() && m->is_object()) m->erase("managedFields");
}

RunResult Run(const Options& o, const GlobalFlags& global) {
  if (!o.output.empty() && o.output != "wide" && o.output != "name" && o.output != "json" && o.output != "yaml") {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("unable to match a printer suitable for the output format \"{}\", allowed formats are: "
                            "json,name,wide,yaml", o.output));
  }
  ASSIGN_OR_RETURN(Selection sel, ParseSelection(o.args, global, o.all_namespaces, /*type_optional=*/false));
  const bool values = o.output == "json" || o.output == "yaml";
  ASSIGN_OR_RETURN(SnapshotSelection found, FindInSnapshot(o.snapshot, sel, values));
  const std::vector<k8sobj::FoundObject>& objs = found.objects;
  const bool all_ns = sel.all_namespaces, cluster_scoped = found.cluster_scoped;
  if (objs.empty()) {
    std::fputs((all_ns || cluster_scoped ? std::string("No resources found\n")
                                         : fmt::format("No resources found in {} namespace.\n", sel.namespace_))
                   .c_str(),
               stderr);
    return 0;
  }
  const auto& names = sel.names;
  for (const auto& obj : objs) {
    if (!obj.damage.empty()) std::fprintf(stderr, "warning: %s: %s\n", obj.key.c_str(), obj.damage.c_str());
  }
  if (o.output == "name") {
    for (const auto& obj : objs) {
      if (obj.damage.empty())
        std::printf("%s/%s\n", k8sobj::KindQualifiedName(obj.info).c_str(), obj.info.name.c_str());
    }
    return 0;
  }
  if (values) {
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& obj : objs) {
      if (!obj.damage.empty()) return Fail(ErrorCode::kCorruption, fmt::format("{}: {}", obj.key, obj.damage));
      if (obj.info.encoding == k8sobj::Encoding::kEncrypted) {
        return Fail(ErrorCode::kUnsupported, fmt::format("{} is encrypted at rest ({}, key \"{}\"): it cannot be "
                                                         "shown offline without the key",
                                                         obj.key, obj.info.provider, obj.info.key_name));
      }
      // In etcd an object's resourceVersion is its mod revision; the API server sets it on read.
      const std::string rv = std::to_string(obj.mod_revision);
      if (obj.info.encoding == k8sobj::Encoding::kProtobuf) {
        auto schemas = k8sobj::Schemas::Compiled();
        if (!schemas) {
          return Fail(schemas.error().Wrap(fmt::format("-o {} of {} ({})", o.output, obj.key, obj.info.kind)));
        }
        std::vector<std::string> notes;
        auto j = (*schemas)->ObjectToJson(obj.value, rv, &notes);
        if (!j) return Fail(j.error().Wrap(obj.key));
        for (const auto& n : notes) std::fprintf(stderr, "warning: %s: %s\n", obj.key.c_str(), n.c_str());
        if (!o.show_managed_fields) HideManagedFields(&*j);
        items.push_back(std::move(*j));
        continue;
      }
      nlohmann::ordered_json j = nlohmann::ordered_json::parse(obj.value, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        return Fail(ErrorCode::kCorruption, fmt::format("{}: the stored value is not a JSON object", obj.key));
      }
      j["metadata"]["resourceVersion"] = rv;
      if (!o.show_managed_fields) HideManagedFields(&j);
      items.push_back(std::move(j));
    }
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    if (items.size() == 1 && !names.empty()) {
      doc = std::move(items[0]);
    } else {
      doc["apiVersion"] = "v1";
      doc["items"] = std::move(items);
      doc["kind"] = "List";
      doc["metadata"] = {{"resourceVersion", ""}};
    }
    ASSIGN_OR_RETURN(std::string text, Render(doc, o.output));
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const bool ns_col = all_ns && !cluster_scoped;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  if (ns_col) header.push_back("NAMESPACE");
  header.insert(header.end(), {"NAME", "AGE"});
  if (o.output == "wide") header.insert(header.end(), {"RESOURCEVERSION", "UID", "KIND"});
  rows.push_back(header);
  for (const auto& obj : objs) {
    std::vector<std::string> row;
    const auto k = k8sobj::ParseKey(obj.key);
    if (ns_col) row.push_back(k ? k->namespace_ : "");
    const bool encrypted = obj.info.encoding == k8sobj::Encoding::kEncrypted;
    row.push_back(k ? k->name : obj.key);
    row.push_back(!obj.damage.empty() ? "<damaged>" : encrypted ? "<encrypted>" : Age(obj.info.creation_seconds, now));
    if (o.output == "wide") {
      row.push_back(std::to_string(obj.mod_revision));
      row.push_back(encrypted ? "<encrypted>" : obj.info.uid);
      row.push_back(encrypted ? "<encrypted:" + obj.info.provider + ">" : obj.info.kind);
    }
    rows.push_back(std::move(row));
  }
  std::fputs(Table(rows).c_str(), stdout);
  return 0;
}

Runner Setup(CLI::App& sub, const GlobalFlags& global) {
  auto o = std::make_shared<Options>();
  sub.add_option("SNAPSHOT", o->snapshot, "The snapshot file")->required();
  sub.add_option("TYPE", o->args, "TYPE[/NAME] [NAME...]: kubectl's resource forms (deploy, deployments.apps, ...)");
  sub.add_option("-o,--output", o->output, "Output format: wide, name, json or yaml (default: a table)");
  sub.add_flag("-A,--all-namespaces", o->all_namespaces, "List the objects of every namespace");
  sub.add_flag("--show-managed-fields", o->show_managed_fields,
               "Keep metadata.managedFields in -o json|yaml (left out by default, as kubectl does)");
  return [o, &global]() -> RunResult { return Run(*o, global); };
}

const bool kRegistered =
    RegisterCommand({"get", "Show objects as they were in a snapshot, like kubectl get (offline)", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
