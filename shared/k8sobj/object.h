// shared/k8sobj/object.h
//
// What an object's value in etcd says about it, without the API's schemas:
//
//   protobuf (built-in kinds):  "k8s\0" + runtime.Unknown{typeMeta=1{apiVersion=1, kind=2},
//                               raw=2, contentEncoding=3, contentType=4}; raw is the object,
//                               whose field 1 is ObjectMeta{name=1, generateName=2,
//                               namespace=3, selfLink=4, uid=5, resourceVersion=6,
//                               generation=7, creationTimestamp=8{seconds=1, nanos=2},
//                               deletionTimestamp=9, ..., labels=11, annotations=12,
//                               ownerReferences=13, finalizers=14, managedFields=17}
//   JSON (custom resources):    {"apiVersion": ..., "kind": ..., "metadata": {...}, ...}
//   encrypted at rest:          "k8s:enc:<provider>:v1:<key name>:" + ciphertext
//                               (aescbc, aesgcm, secretbox; "kms" for KMS v1)
//
// Decoding never trusts lengths: a damaged value is kCorruption naming what was wrong.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_OBJECT_H_
#define ETCDRESTORE_SHARED_K8SOBJ_OBJECT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/base/error.h"

namespace etcdrestore::k8sobj {

enum class Encoding { kProtobuf, kJson, kEncrypted };

struct ObjectInfo {
  Encoding encoding = Encoding::kProtobuf;
  std::string provider;  // kEncrypted: "aescbc", "aesgcm", "secretbox", "kms", ...
  std::string key_name;  // kEncrypted: the key's name in the EncryptionConfiguration
  std::string api_version, kind;
  std::string name, namespace_, uid;
  int64_t creation_seconds = 0;  // 0 when not set or not readable (encrypted)
};

// Decodes the identifying parts of an object value (the full object stays where it is).
Result<ObjectInfo> DecodeObject(std::string_view value);

// "deployment.apps" for apps/v1 Deployment, "pod" for v1 Pod: kubectl's `-o name` prefix.
std::string KindQualifiedName(const ObjectInfo& o);

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_OBJECT_H_
