// shared/k8sobj/key.h
//
// Where the Kubernetes API server keeps objects in etcd (k8s.io/apiserver storage; prefix
// "/registry/" by default):
//
//   /registry/<resource>/<namespace>/<name>        namespaced built-in    /registry/pods/default/web-0
//   /registry/<resource>/<name>                    cluster-scoped         /registry/namespaces/default
//   /registry/<a>/<b>/<namespace>/<name>           two-part resource      /registry/services/specs/default/kubernetes
//   /registry/<group>/<plural>[/<namespace>]/<name> custom resources and aggregated groups (<group> has a dot)
//
// Two-part built-in resources are services/specs, services/endpoints; a resource part with
// a dot is a group (CRDs: apiextensions.k8s.io/customresourcedefinitions/<name>). Names
// never contain '/', so the segment count decides the rest. Pure functions, no I/O.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_KEY_H_
#define ETCDRESTORE_SHARED_K8SOBJ_KEY_H_

#include <optional>
#include <string>
#include <string_view>

namespace etcdrestore::k8sobj {

inline constexpr std::string_view kRegistryPrefix = "/registry/";

struct ObjectKey {
  std::string resource;   // the storage path part: "pods", "services/specs", "crontabs"
  std::string group;      // for "<group>/<plural>" keys; empty for built-in paths
  std::string namespace_; // empty when cluster-scoped
  std::string name;
};

// The same parts as views into the key (no allocation; for walks over every key).
struct ObjectKeyView {
  std::string_view resource;  // "services/specs" for two-part built-ins; the plural for <group>/<plural>
  std::string_view group, namespace_, name;
};

// Splits an etcd key; nullopt when it is not under kRegistryPrefix or has too few or too
// many segments (e.g. "/registry/ranges" internals are still parsed: resource "ranges").
std::optional<ObjectKeyView> ParseKeyView(std::string_view key);
std::optional<ObjectKey> ParseKey(std::string_view key);

// The resource path of the key without the group ("crontabs"), joined as
// "<resource>.<group>" when there is a group, as `kubectl get` names a resource type.
std::string QualifiedResource(const ObjectKey& k);

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_KEY_H_
