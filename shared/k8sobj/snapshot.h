// shared/k8sobj/snapshot.h
//
// Kubernetes objects in an etcd snapshot, read through the bbolt reader (one streaming walk
// of the `key` bucket; the snapshot is never loaded). etcd keeps every revision of a key
// until compaction as `key` bucket entries (revision -> mvccpb.KeyValue{key=1,
// create_revision=2, mod_revision=3, version=4, value=5, lease=6}); a deletion is an entry
// whose revision key ends in 't'. Entries come in revision order, so the last one seen for
// a key is its state in the snapshot.
//
// Memory: one small record per distinct key (TakeInventory), plus, for FindObjects, what
// the caller keeps of the matching objects.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_SNAPSHOT_H_
#define ETCDRESTORE_SHARED_K8SOBJ_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/bbolt/reader.h"
#include "shared/k8sobj/object.h"

namespace etcdrestore::k8sobj {

struct KeyValueRef {
  std::string_view key, value;  // views into the decoded bytes
  int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
};
// Decodes an mvccpb.KeyValue; kCorruption when damaged or without a key.
Result<KeyValueRef> DecodeKeyValue(std::string_view bytes);

struct Inventory {
  int64_t revision = 0;             // the newest revision in the snapshot
  int64_t compact_revision = 0;     // meta/finishedCompactRev, 0 when never compacted
  uint64_t revisions = 0;           // entries in `key` (history kept since the compaction)
  uint64_t live_keys = 0;           // keys whose last entry is not a deletion
  uint64_t other_keys = 0;          // live keys outside /registry/ (not Kubernetes objects)
  uint64_t undecodable = 0;         // live /registry/ values neither protobuf ("k8s\0"), JSON nor encrypted
  std::map<std::string, uint64_t> by_resource;   // "deployments.apps"-like names -> live objects
  std::map<std::string, uint64_t> by_namespace;  // "" -> cluster-scoped
  std::map<std::string, uint64_t> encrypted;     // provider -> live values encrypted at rest
  struct Large {
    std::string key;
    uint64_t bytes = 0;
  };
  std::vector<Large> largest;  // biggest live values, biggest first
};
Result<Inventory> TakeInventory(bbolt::Reader& reader, size_t largest = 10);

struct FoundObject {
  std::string key;
  int64_t mod_revision = 0;  // the object's resourceVersion
  ObjectInfo info;
  std::string value;   // only when asked for
  std::string damage;  // why the value could not be decoded (info is then empty); "" when fine
};
// The live objects whose key `want` accepts, in key order. Values are kept only when
// keep_values (the caller then holds them in memory). A value that cannot be decoded is
// returned with `damage` set, so one bad object does not hide the others.
Result<std::vector<FoundObject>> FindObjects(bbolt::Reader& reader,
                                             const std::function<bool(std::string_view key)>& want, bool keep_values);

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_SNAPSHOT_H_
