// kubectl-etcdrestore/objects.h
//
// What get, diff and recover share: the TYPE[/NAME] [NAME...] [-n NS | -A] selection of
// kubectl, the matching objects of a snapshot, and the live objects of the same types.
#ifndef ETCDRESTORE_KUBECTL_ETCDRESTORE_OBJECTS_H_
#define ETCDRESTORE_KUBECTL_ETCDRESTORE_OBJECTS_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kubectl-etcdrestore/command.h"
#include "shared/k8sobj/diff.h"
#include "shared/k8sobj/snapshot.h"
#include "shared/k8sobj/types.h"

namespace etcdrestore::kubectl_plugin {

struct Selection {
  std::optional<k8sobj::ResourceType> type;  // nullopt: every type
  std::string type_arg;                      // as given
  std::set<std::string, std::less<>> names;  // empty: all (looked up by view)
  std::string namespace_;                    // -n, else "default"
  bool all_namespaces = false;
};

// args: TYPE[/NAME] [NAME...] (may be empty when type_optional). kubectl's errors.
Result<Selection> ParseSelection(const std::vector<std::string>& args, const GlobalFlags& global, bool all_namespaces,
                                 bool type_optional);

struct SnapshotSelection {
  std::vector<k8sobj::FoundObject> objects;
  bool any_of_type = false;     // the type has objects in the snapshot (in any namespace)
  bool cluster_scoped = false;  // the type's objects have no namespace
};
Result<SnapshotSelection> FindInSnapshot(const std::string& snapshot, const Selection& sel, bool keep_values);

// Every snapshot object's identity (type named as kubectl does).
k8sobj::Ident IdentOf(const k8sobj::FoundObject& o);

// The live objects of type t (listed in api_version) in the selection's scope.
Result<std::vector<k8sobj::Ident>> ListLive(kube::Client& client, const k8sobj::ResourceType& t,
                                            const std::string& api_version, const Selection& sel, bool cluster_scoped);

}  // namespace etcdrestore::kubectl_plugin

#endif  // ETCDRESTORE_KUBECTL_ETCDRESTORE_OBJECTS_H_
