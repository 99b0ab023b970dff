// shared/k8sobj/edit.h
//
// Turns an object as etcd stored it into a body the API server accepts on create: the
// metadata the server sets is cleared (uid, resourceVersion, creationTimestamp,
// generation, managedFields, selfLink, deletionTimestamp, deletionGracePeriodSeconds),
// everything else is kept byte for byte. Built-in kinds stay protobuf (the API accepts
// "application/vnd.kubernetes.protobuf" on create, so no schema is needed: ObjectMeta is
// edited at the wire level); custom resources stay JSON.
//
// Owner references: the caller says which owners exist (by uid) and which were just
// re-created (old uid -> new uid); a reference to a live owner is kept, one to a re-created
// owner is rewritten to its new uid, any other is dropped (the garbage collector would
// delete the object at once) and named in *notes.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_EDIT_H_
#define ETCDRESTORE_SHARED_K8SOBJ_EDIT_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::k8sobj {

struct CreateBody {
  std::string content_type;  // "application/vnd.kubernetes.protobuf" or "application/json"
  std::string body;
};

struct OwnerRef {
  std::string api_version, kind, name, uid;
};

struct OwnerPolicy {
  std::function<bool(const OwnerRef&)> live;       // the owner exists live under ref.uid
  std::map<std::string, std::string> recreated;    // old uid -> new uid
};

// The owner references of an object value (plain, not encrypted).
Result<std::vector<OwnerRef>> OwnerRefs(std::string_view value);

// value: a plain (decrypted) object value from etcd. kCorruption when it cannot be read.
Result<CreateBody> ForCreate(std::string_view value, const OwnerPolicy& owners, std::vector<std::string>* notes);

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_EDIT_H_
