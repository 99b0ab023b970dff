// shared/k8sobj/diff.h
//
// A snapshot's objects against the live cluster's, by name and uid. In etcd an object's
// resourceVersion is its mod revision, so "changed" is exact: same uid, another
// resourceVersion. Pure function: the caller lists both sides.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_DIFF_H_
#define ETCDRESTORE_SHARED_K8SOBJ_DIFF_H_

#include <string>
#include <vector>

namespace etcdrestore::k8sobj {

struct Ident {
  std::string type;  // "deployments.apps"
  std::string namespace_, name, uid, resource_version;
};

enum class Change {
  kDeleted,   // in the snapshot, not live
  kCreated,   // live, not in the snapshot
  kChanged,   // same uid, another resourceVersion
  kReplaced,  // same name, another uid (deleted and created again); needs the snapshot's uid
};
const char* ChangeName(Change c);  // "deleted", "created", "changed", "replaced"

struct Difference {
  Change change;
  Ident snapshot;  // empty for kCreated
  Ident live;      // empty for kDeleted
};

// Differences between the two sides (unchanged objects are left out), ordered by type,
// namespace and name.
std::vector<Difference> Compare(const std::vector<Ident>& snapshot, const std::vector<Ident>& live);

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_DIFF_H_
