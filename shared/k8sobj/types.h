// shared/k8sobj/types.h
//
// Resource types as `kubectl get` names them (plural, singular, short names, and
// "<plural>.<group>"), mapped to where the API server stores them in etcd. Built-in types
// come from a table of the Kubernetes API's resources; anything else is taken as a custom
// resource's plural, optionally qualified by its group ("crontabs.stable.example.com").
#ifndef ETCDRESTORE_SHARED_K8SOBJ_TYPES_H_
#define ETCDRESTORE_SHARED_K8SOBJ_TYPES_H_

#include <optional>
#include <string>
#include <string_view>

#include "shared/base/error.h"
#include "shared/k8sobj/key.h"

namespace etcdrestore::k8sobj {

struct ResourceType {
  std::string plural;    // "deployments"
  std::string group;     // "apps"; "" for the core group
  std::string storage;   // the key's resource part: "deployments", "services/specs", "minions"
  bool builtin = true;   // false: a custom resource, stored under "<group>/<plural>/"
  // The kubectl spelling: "deployments.apps", "pods".
  std::string Name() const { return group.empty() ? plural : plural + "." + group; }
  // True if an object key (ParseKeyView) belongs to this type. No allocation: called for
  // every revision of a walk.
  bool Matches(const ObjectKeyView& k) const;
};

// The type of the objects stored under k (the reverse of `storage`; a "<group>/<plural>"
// key that is not a built-in storage path is a custom resource).
ResourceType TypeOfKey(const ObjectKey& k);

// The API collection of type t in version api_version ("v1", "apps/v1"): "/api/v1/pods",
// "/apis/apps/v1/namespaces/shop/deployments". An empty ns lists all namespaces (or a
// cluster-scoped type).
std::string CollectionPath(const ResourceType& t, std::string_view api_version, std::string_view ns);

// The built-in type of a kind ("Deployment" -> deployments.apps), or nullopt.
std::optional<ResourceType> BuiltinForKind(std::string_view kind);

// Resolves a TYPE argument. Built-in names are matched case-insensitively like kubectl
// ("deploy", "deployment", "deployments", "deployments.apps"); an unknown name is a custom
// resource plural ("crontabs", or "crontabs.stable.example.com" to pin the group).
// kInvalidArgument for an empty or malformed name.
Result<ResourceType> ResolveType(std::string_view arg);

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_TYPES_H_
