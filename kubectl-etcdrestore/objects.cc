#include "kubectl-etcdrestore/objects.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "shared/bbolt/reader.h"
#include "shared/k8sobj/key.h"

namespace etcdrestore::kubectl_plugin {

Result<Selection> ParseSelection(const std::vector<std::string>& args, const GlobalFlags& global, bool all_namespaces,
                                 bool type_optional) {
  Selection sel;
  sel.namespace_ = global.overrides.namespace_.value_or("default");
  sel.all_namespaces = all_namespaces;
  if (args.empty()) {
    if (type_optional) return sel;
    return Fail(ErrorCode::kInvalidArgument,
                "you must specify the type of resource to get, e.g. `kubectl etcdrestore get SNAPSHOT deployments`");
  }
  sel.type_arg = args[0];
  if (size_t slash = sel.type_arg.find('/'); slash != std::string::npos) {
    sel.names.insert(sel.type_arg.substr(slash + 1));
    sel.type_arg.resize(slash);
    if (args.size() > 1) {
      return Fail(ErrorCode::kInvalidArgument, "there is no need to specify a resource type as a separate argument "
                                               "when passing arguments in resource/name form");
    }
  }
  for (size_t i = 1; i < args.size(); ++i) sel.names.insert(args[i]);
  ASSIGN_OR_RETURN(k8sobj::ResourceType t, k8sobj::ResolveType(sel.type_arg));
  sel.type = std::move(t);
  if (sel.all_namespaces && !sel.names.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "a resource cannot be retrieved by name across all namespaces");
  }
  return sel;
}

Result<SnapshotSelection> FindInSnapshot(const std::string& snapshot, const Selection& sel, bool keep_values) {
  ASSIGN_OR_RETURN(auto reader, bbolt::Reader::Open(snapshot));
  SnapshotSelection out;
  auto want = [&](std::string_view key) {  // called for every revision: no allocation
    auto k = k8sobj::ParseKeyView(key);
    if (!k || (sel.type && !sel.type->Matches(*k))) return false;
    out.any_of_type = true;
    out.cluster_scoped = k->namespace_.empty();
    if (!sel.all_namespaces && !k->namespace_.empty() && k->namespace_ != sel.namespace_) return false;
    return sel.names.empty() || sel.names.contains(k->name);
  };
  ASSIGN_OR_RETURN(out.objects, k8sobj::FindObjects(*reader, want, keep_values));
  if (sel.type) {
    for (const auto& n : sel.names) {
      bool seen = false;
      for (const auto& obj : out.objects) seen = seen || k8sobj::ParseKey(obj.key)->name == n;
      if (!seen) {
        return Fail(ErrorCode::kNotFound, fmt::format("{} \"{}\" not found in the snapshot{}", sel.type->Name(), n,
                                                      out.cluster_scoped ? "" : " (namespace " + sel.namespace_ + ")"));
      }
    }
    if (!sel.type->builtin && !out.any_of_type) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("the snapshot has no resource type \"{}\" (neither built-in nor a custom resource "
                              "with objects in the snapshot)", sel.type_arg));
    }
  }
  return out;
}

k8sobj::Ident IdentOf(const k8sobj::FoundObject& o) {
  const auto k = k8sobj::ParseKey(o.key);
  return {k8sobj::TypeOfKey(*k).Name(), k->namespace_, k->name, o.info.uid, std::to_string(o.mod_revision)};
}

Result<std::vector<k8sobj::Ident>> ListLive(kube::Client& client, const k8sobj::ResourceType& t,
                                            const std::string& api_version, const Selection& sel,
                                            bool cluster_scoped) {
  const std::string ns = cluster_scoped || sel.all_namespaces ? "" : sel.namespace_;
  const kube::Access access{"list", t.plural, ns, ""};
  ASSIGN_OR_RETURN(std::string body, client.Get(k8sobj::CollectionPath(t, api_version, ns), access));
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("items") || !j["items"].is_array()) {
    return Fail(ErrorCode::kInternal, fmt::format("list {}: the API server's answer is not a list", t.Name()));
  }
  std::vector<k8sobj::Ident> out;
  for (const auto& item : j["items"]) {
    const auto& m = item["metadata"];
    std::string name = m.value("name", "");
    if (!sel.names.empty() && !sel.names.count(name)) continue;
    out.push_back(
        {t.Name(), m.value("namespace", ""), std::move(name), m.value("uid", ""), m.value("resourceVersion", "")});
  }
  return out;
}

}  // namespace etcdrestore::kubectl_plugin
