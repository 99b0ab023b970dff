// shared/snap/v2store.h
//
// The etcd v2 store JSON that a restore puts in the .snap file (v2store.Store.Save()
// after membership.AddMember for each member). Exact text: shared/snap/FORMAT.md §2.
#ifndef ETCDRESTORE_SHARED_SNAP_V2STORE_H_
#define ETCDRESTORE_SHARED_SNAP_V2STORE_H_

#include <string>

#include "shared/membership/member.h"

namespace etcdrestore::snap {

// The v2 store holding only /0/members/<hex id>/raftAttributes for each member, created
// in ascending id order (member k gets CreatedIndex k), with the watcher-hub history
// of those creates. Byte-identical to etcdctl 3.4.23 and etcdutl 3.5.16/3.5.30.
// REQUIRES: cluster.members sorted by id, fewer than 1000 members (the event queue's
// capacity; etcd would start overwriting old events).
std::string V2StoreJson(const membership::Cluster& cluster);

}  // namespace etcdrestore::snap

#endif  // ETCDRESTORE_SHARED_SNAP_V2STORE_H_
