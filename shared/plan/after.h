// shared/plan/after.h
//
// After the restore: what `kubectl etcdrestore verify` and `finish` decide from the plan
// (plan.json) and what the API serves. Pure: JSON texts in, findings out; the command
// fetches and, for finish --delete, deletes.
//
// The restored cluster went back to the snapshot's time, so the API holds objects of
// machines and processes that no longer exist. FindLeftovers names them, each with the exact
// command that removes it (never run here):
//   - Node objects of control-plane machines the plan does not have (the lost member's node
//     of --replace/--members, a control-plane Node not in the plan), and Nodes whose kubelet
//     has not posted a Ready condition for kStaleAfterSeconds (a machine that is gone);
//   - kube-apiserver identity Leases (kube-system, kube-apiserver-*) not renewed for their
//     duration plus kStaleAfterSeconds (an apiserver that no longer runs);
//   - leader-election Leases (kube-system kube-controller-manager, kube-scheduler, ...)
//     held by a host that is not a control-plane node of the plan;
//   - addresses of the default/kubernetes Endpoints that are not a control-plane node's
//     InternalIP (an apiserver of a lost machine; its etcd master lease keeps it there).
#ifndef ETCDRESTORE_SHARED_PLAN_AFTER_H_
#define ETCDRESTORE_SHARED_PLAN_AFTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::plan {

// How long an object may go unrenewed before it counts as a leftover (beyond its own
// lease duration): kubelets post status every 10 s to 1 min, apiservers renew every 10 s.
inline constexpr int64_t kStaleAfterSeconds = 300;

// What verify and finish need from a plan.json (RenderJson).
struct AfterPlan {
  std::string id;
  std::vector<std::string> nodes;       // control-plane nodes that were restored
  std::vector<std::string> joining;     // replacements (--replace): their node names to be
  std::vector<std::string> lost_nodes;  // nodes of lost members (--replace, --members)
  int64_t snapshot_revision = 0;        // 0: unknown
  uint64_t bump = 0;
};

// Parses plan.json (kInvalidArgument naming the field that is missing or of the wrong type).
Result<AfterPlan> ParsePlanJson(const std::string& text);

// What the API serves (JSON bodies of the GETs), and the time to judge staleness by.
struct Observed {
  std::string nodes;      // GET /api/v1/nodes
  std::string leases;     // GET /apis/coordination.k8s.io/v1/namespaces/kube-system/leases
  std::string endpoints;  // GET /api/v1/namespaces/default/endpoints/kubernetes ("" if absent)
  std::string now;        // RFC 3339 UTC
};

struct Leftover {
  std::string kind;       // "Node", "Lease", "Endpoints address"
  std::string name;       // object name (the address for Endpoints)
  std::string why;        // one sentence
  std::string command;    // the exact cleanup command
  // The API path `finish --delete` sends a DELETE to; empty when the cleanup is not an API
  // delete (an Endpoints address comes from an etcd master lease: command says what to do).
  std::string delete_path;
};

struct Findings {
  std::vector<Leftover> leftovers;  // in the order: Nodes, Leases, Endpoints addresses
  std::vector<std::string> notes;   // what could not be judged, and why
};

// kInvalidArgument when a body is not the JSON of its kind (NodeList, LeaseList, Endpoints)
// or now is not RFC 3339.
Result<Findings> FindLeftovers(const AfterPlan& plan, const Observed& observed);

// metadata.resourceVersion of a List body: the etcd revision the API read it at.
Result<uint64_t> ListRevision(const std::string& list);

// The kube-apiservers verify checks, from the kube-system pods with labelSelector
// component=kube-apiserver (their mirror pods).
struct PlannedApiServers {
  // https://ADDRESS:PORT of each kube-apiserver pod on a restored node of the plan or on a
  // replacement that has joined, from its --advertise-address and --secure-port (default
  // 6443); sorted, no duplicates.
  std::vector<std::string> urls;
  // Replacements (AfterPlan::joining) with no kube-apiserver pod: not joined yet. Plan order.
  std::vector<std::string> not_joined;
};
Result<PlannedApiServers> ApiServerUrls(const AfterPlan& plan, const std::string& pods);

// The revision the restored cluster must be at least at (the snapshot's plus the bump;
// the bump alone when the snapshot's revision is unknown).
uint64_t MinRevision(const AfterPlan& plan);

}  // namespace etcdrestore::plan

#endif  // ETCDRESTORE_SHARED_PLAN_AFTER_H_
