// shared/kube/discover.h
//
// Control-plane discovery: reads what an operator would read with kubectl and hands it to
// topology::Assemble:
//   GET /version                                                  (Kubernetes version)
//   GET /api/v1/namespaces/kube-system/pods?labelSelector=component=etcd
//   GET /api/v1/namespaces/kube-system/pods?labelSelector=component=kube-apiserver
//   GET /api/v1/nodes                                             (InternalIP per node)
//   GET /api/v1/namespaces/kube-system/configmaps/kubeadm-config  (ClusterConfiguration)
//   GET .../configmaps/kubelet-config, else kubelet-config-<major.minor> (staticPodPath)
// Listing the pods is required (its errors are returned, e.g. a 403 naming verb and
// resource). The others are optional: when one is forbidden or absent, the topology gets a
// Problem saying which object could not be read and why, and discovery goes on.
#ifndef ETCDRESTORE_SHARED_KUBE_DISCOVER_H_
#define ETCDRESTORE_SHARED_KUBE_DISCOVER_H_

#include "shared/base/error.h"
#include "shared/kube/client.h"
#include "shared/topology/topology.h"

namespace etcdrestore::kube {

inline constexpr char kControlPlaneNamespace[] = "kube-system";

Result<topology::Topology> Discover(Client& client);

}  // namespace etcdrestore::kube

#endif  // ETCDRESTORE_SHARED_KUBE_DISCOVER_H_
