// kubectl etcdrestore recover SNAPSHOT TYPE/NAME... [-n NS] [--all-deleted]
//   [--dry-run=none|client|server] [--encryption-config FILE] [--include-owned]
// Re-creates objects that are missing live, through the API, as they were in the snapshot
// (server-set metadata cleared: shared/k8sobj/edit.h). A live object is never overwritten:
// it is reported and skipped. Order: namespaces, then CRDs, then owners before what they
// own. Objects whose owner is re-created in the same run are left to its controller unless
// --include-owned. Prints what it created like `kubectl create`.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/objects.h"
#include "shared/k8sobj/decrypt.h"
#include "shared/k8sobj/edit.h"
#include "shared/k8sobj/key.h"

namespace etcdrestore::kubectl_plugin {
namespace {

struct Options {
  std::string snapshot;
  std::vector<std::string> args;
  bool all_deleted = false;
  bool include_owned = false;
  std::string dry_run = "none";
  std::string encryption_config;
};

int Rank(const k8sobj::ResourceType& t) {
  if (t.Name() == "namespaces") return 0;
  if (t.Name() == "customresourcedefinitions.apiextensions.k8s.io") return 1;
  return 2;
}

struct Item {
  k8sobj::FoundObject obj;
  k8sobj::ResourceType type;
  std::string plain;  // decrypted value
  std::vector<k8sobj::OwnerRef> owners;
};

RunResult Run(Options o, const GlobalFlags& global) {
  if (o.dry_run.empty()) o.dry_run = "client";  // a bare --dry-run, as kubectl
  if (o.dry_run != "none" && o.dry_run != "client" && o.dry_run != "server") {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid dry-run value ({}). Must be \"none\", \"server\", or \"client\".", o.dry_run));
  }
  if (o.args.empty() && !o.all_deleted) {
    return Fail(ErrorCode::kInvalidArgument, "name the objects to recover (TYPE/NAME...), or pass --all-deleted");
  }
  if (!o.args.empty() && o.args[0].find('/') == std::string::npos && !o.all_deleted && o.args.size() == 1) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("recover takes TYPE/NAME (or TYPE NAME...); to recover every deleted {0}, pass "
                            "--all-deleted {0}", o.args[0]));
  }
  std::optional<k8sobj::Keyring> keyring;
  if (!o.encryption_config.empty()) {
    ASSIGN_OR_RETURN(k8sobj::Keyring k, k8sobj::Keyring::Load(o.encryption_config));
    keyring = std::move(k);
  }
  ASSIGN_OR_RETURN(Selection sel, ParseSelection(o.args, global, /*all_namespaces=*/false, /*type_optional=*/true));
  ASSIGN_OR_RETURN(SnapshotSelection found, FindInSnapshot(o.snapshot, sel, /*keep_values=*/true));
  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, global.NewClient());

  // Which of them are missing live: list each type once.
  std::map<std::string, std::set<std::string>> live_names;  // type -> "ns/name"
  std::vector<Item> items;
  for (auto& obj : found.objects) {
    if (!obj.damage.empty()) {
      return Fail(ErrorCode::kCorruption, fmt::format("{} cannot be recovered: {}", obj.key, obj.damage));
    }
    const auto k = k8sobj::ParseKey(obj.key);
    Item it{std::move(obj), k8sobj::TypeOfKey(*k), {}, {}};
    if (it.obj.info.encoding == k8sobj::Encoding::kEncrypted) {
      if (!keyring) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("{} is encrypted at rest ({}, key \"{}\"): pass --encryption-config with the API "
                                "server's EncryptionConfiguration file to recover it",
                                it.obj.key, it.obj.info.provider, it.obj.info.key_name));
      }
      ASSIGN_OR_RETURN(it.plain, keyring->Decrypt(it.obj.value, it.obj.key));
      ASSIGN_OR_RETURN(it.obj.info, k8sobj::DecodeObject(it.plain));
    } else {
      it.plain = std::move(it.obj.value);
    }
    ASSIGN_OR_RETURN(it.owners, k8sobj::OwnerRefs(it.plain));
    const std::string tname = it.type.Name();
    if (!live_names.count(tname)) {
      Selection scope = sel;
      scope.names.clear();
      ASSIGN_OR_RETURN(auto live, ListLive(*client, it.type, it.obj.info.api_version, scope, k->namespace_.empty()));
      auto& set = live_names[tname];
      for (const auto& l : live) set.insert(l.namespace_ + "/" + l.name);
    }
    items.push_back(std::move(it));
  }
  int failed = 0;
  std::vector<Item> todo;
  for (auto& it : items) {
    const auto k = k8sobj::ParseKey(it.obj.key);
    const std::string display = k8sobj::KindQualifiedName(it.obj.info) + "/" + k->name;
    if (live_names[it.type.Name()].count(k->namespace_ + "/" + k->name)) {
      if (!o.all_deleted) {
        std::fprintf(stderr, "%s exists live: not touched (recover never overwrites a live object)\n", display.c_str());
      }
      continue;
    }
    todo.push_back(std::move(it));
  }
  // Owned objects whose owner is re-created here are left to the owner's controller.
  std::set<std::string> recreating;
  for (const auto& it : todo) recreating.insert(it.obj.info.uid);
  if (!o.include_owned) {
    std::erase_if(todo, [&](const Item& it) {
      for (const auto& ow : it.owners) {
        if (recreating.count(ow.uid)) {
          std::fprintf(stderr,
                       "%s/%s: left to its owner %s %s, which is re-created (--include-owned to re-create it too)\n",
                       k8sobj::KindQualifiedName(it.obj.info).c_str(), it.obj.info.name.c_str(), ow.kind.c_str(),
                       ow.name.c_str());
          return true;
        }
      }
      return false;
    });
  }
  // Namespaces, CRDs, then owners before the objects they own.
  std::stable_sort(todo.begin(), todo.end(), [](const Item& a, const Item& b) { return Rank(a.type) < Rank(b.type); });
  std::vector<Item> ordered;
  std::set<std::string> placed;
  while (!todo.empty()) {
    auto next = std::find_if(todo.begin(), todo.end(), [&](const Item& it) {
      return std::all_of(it.owners.begin(), it.owners.end(),
                         [&](const auto& ow) { return !recreating.count(ow.uid) || placed.count(ow.uid); });
    });
    if (next == todo.end()) next = todo.begin();  // an ownership cycle: keep the given order
    placed.insert(next->obj.info.uid);
    ordered.push_back(std::move(*next));
    todo.erase(next);
  }

  k8sobj::OwnerPolicy owners;
  owners.live = [&](const k8sobj::OwnerRef& ref) {
    auto t = k8sobj::BuiltinForKind(ref.kind);
    if (!t) return false;
    for (const std::string& ns : {sel.namespace_, std::string()}) {
      std::string path = k8sobj::CollectionPath(*t, ref.api_version, ns) + "/" + ref.name;
      auto body = client->Get(path, {"get", t->plural, ns, ref.name});
      if (!body) continue;
      auto j = nlohmann::json::parse(*body, nullptr, false);
      if (!j.is_discarded() && j["metadata"].value("uid", "") == ref.uid) return true;
    }
    return false;
  };
  const char* suffix = o.dry_run == "client" ? " (dry run)" : o.dry_run == "server" ? " (server dry run)" : "";
  for (auto& it : ordered) {
    const auto k = k8sobj::ParseKey(it.obj.key);
    const std::string display = k8sobj::KindQualifiedName(it.obj.info) + "/" + k->name;
    std::vector<std::string> notes;
    ASSIGN_OR_RETURN(k8sobj::CreateBody body, k8sobj::ForCreate(it.plain, owners, &notes));
    for (const auto& n : notes) std::fprintf(stderr, "%s: %s\n", display.c_str(), n.c_str());
    if (o.dry_run == "client") {
      std::printf("%s created%s\n", display.c_str(), suffix);
      continue;
    }
    std::string path = k8sobj::CollectionPath(it.type, it.obj.info.api_version, k->namespace_);
    if (o.dry_run == "server") path += "?dryRun=All";
    auto created =
        client->Post(path, body.content_type, std::move(body.body), {"create", it.type.plural, k->namespace_, k->name});
    if (!created) {
      std::fprintf(stderr, "error: %s: %s\n", display.c_str(), created.error().message().c_str());
      ++failed;
      continue;
    }
    auto j = nlohmann::json::parse(*created, nullptr, false);
    if (!j.is_discarded() && o.dry_run == "none") owners.recreated[it.obj.info.uid] = j["metadata"].value("uid", "");
    std::printf("%s created%s\n", display.c_str(), suffix);
    std::fflush(stdout);
  }
  return failed == 0 ? 0 : 1;
}

Runner Setup(CLI::App& sub, const GlobalFlags& global) {
  auto o = std::make_shared<Options>();
  sub.add_option("SNAPSHOT", o->snapshot, "The snapshot file")->required();
  sub.add_option("TYPE/NAME", o->args, "The objects to re-create (TYPE/NAME, or TYPE NAME...)");
  sub.add_flag("--all-deleted", o->all_deleted, "Re-create every selected object that is missing live");
  sub.add_flag("--include-owned", o->include_owned, "Also re-create objects whose owner is re-created");
  sub.add_option("--dry-run", o->dry_run, "none, client (print only) or server (the API checks, nothing is stored)")
      ->expected(0, 1)
      ->default_str("none");
  sub.add_option("--encryption-config", o->encryption_config,
                 "The API server's EncryptionConfiguration, to decrypt values encrypted at rest (aescbc, aesgcm)");
  return [o, &global]() -> RunResult { return Run(*o, global); };
}

const bool kRegistered = RegisterCommand(
    {"recover", "Re-create objects that are missing live, through the API, as they were in a snapshot", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
