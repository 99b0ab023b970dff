// shared/backup/backup.h
//
// `kubectl etcdrestore save` as a library: a verified snapshot of a Kubernetes cluster's
// etcd plus its sidecar PATH.json (shared/topology/sidecar.h). The binary parses flags, makes
// one Save call and prints the Outcome; everything decided in between is here:
//
//   1. PATH and PATH.json must be new (lstat: a planted symlink counts as existing); PATH
//      defaults to "etcd-snapshot-<UTC time>.db";
//   2. the topology comes from the cluster (Cluster::Discover); no etcd at all is an error
//      listing the topology's problems;
//   3. the member: --member NAME, else the healthy voting member with the highest raft index
//      (a learner serves no snapshot: never chosen, and refused by name);
//   4. direct (gRPC from here to the member's client URL, Cluster::Dial) with the client cert
//      ChooseTls picks; or exec: `etcdctl snapshot save` inside the etcd pod (Cluster::Exec)
//      into --node-dir (default: its data dir), checked there with `etcdctl snapshot
//      status`, then copied here from the hostPath behind it when that is readable;
//   5. the snapshot file is written by etcdclient::SnapshotFile (both modes: ".part" 0600,
//      trailer check, bbolt check, fsync, rename, dir fsync); an exec copy must have the hash
//      and revision etcdctl reported in the pod;
//   6. the sidecar is filled (members from MemberList joined with the pods by name) and
//      written; if that fails, the snapshot just written is removed again (a snapshot
//      without its sidecar is half a save).
// Nothing here prints; progress goes to Request::progress.
#ifndef ETCDRESTORE_SHARED_BACKUP_BACKUP_H_
#define ETCDRESTORE_SHARED_BACKUP_BACKUP_H_

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "shared/base/error.h"
#include "shared/etcdclient/client.h"
#include "shared/kube/client.h"
#include "shared/topology/sidecar.h"
#include "shared/topology/topology.h"

namespace etcdrestore::backup {

// What Save needs from outside this process. RealCluster is the real one; unit tests give a
// fake (tests/unit/backup) to drive the decisions.
class Cluster {
 public:
  virtual ~Cluster() = default;
  // The control plane's etcd topology (kube::Discover).
  virtual Result<topology::Topology> Discover() = 0;
  // A client for one etcd endpoint (etcdclient::Dial; not connected yet).
  virtual Result<std::unique_ptr<etcdclient::Client>> Dial(const etcdclient::Config& config) = 0;
  // A command in a pod's container (pods/exec); a command that ran and failed is not an error.
  virtual Result<kube::ExecResult> Exec(const kube::ExecRequest& request) = 0;
};

// The real cluster: the API through a kube::Client made by `connect` when first needed (so a
// taken PATH fails before any kubeconfig is read), etcd through etcdclient::Dial.
class RealCluster : public Cluster {
 public:
  using Connect = std::function<Result<std::unique_ptr<kube::Client>>()>;
  explicit RealCluster(Connect connect) : connect_(std::move(connect)) {}
  Result<topology::Topology> Discover() override;
  Result<std::unique_ptr<etcdclient::Client>> Dial(const etcdclient::Config& config) override;
  Result<kube::ExecResult> Exec(const kube::ExecRequest& request) override;

 private:
  Result<kube::Client*> Api();
  Connect connect_;
  std::unique_ptr<kube::Client> client_;
};

enum class Via { kDirect, kExec };

struct Request {
  std::string path;    // the snapshot file; empty: "etcd-snapshot-<UTC time>.db"
  std::string member;  // empty: the healthy voter with the highest raft index
  Via via = Via::kDirect;
  std::string cacert, cert, key;  // direct: given client TLS files (any of them set: used as given)
  std::string node_dir;           // exec: dir in the etcd container (empty: its data dir)
  std::chrono::seconds connect_timeout{5};
  std::time_t now = 0;  // the time of the save (file names, sidecar "created")
  std::string tool;     // the sidecar's "tool" ("kubectl-etcdrestore 0.1.0")
  std::function<void(uint64_t bytes)> progress;  // direct: bytes received so far
};

struct Outcome {
  std::string path;          // the snapshot file (Request::path or the default)
  std::string sidecar_path;  // "<path>.json"
  // False only in exec mode when the node's file could not be copied here (no host path,
  // or not readable on this machine): the snapshot stays on the node (sidecar.source.node,
  // node_path) and `not_copied` says why.
  bool copied = true;
  std::string not_copied;
  topology::Sidecar sidecar;
  // direct: where the client cert came from ("--cacert/--cert/--key", "etcd client cert of
  // pod P", "server cert of pod P"); empty for plain http.
  std::string tls_origin;
  // exec: the file's path inside the container, and the host path behind it ("" if none).
  std::string node_file;
  std::string host_file;
};

Result<Outcome> Save(const Request& request, Cluster& cluster);

// The client cert direct mode uses, with where it came from: the given files if any is set;
// none if no endpoint is https; else the first readable one of the kube-apiservers'
// --etcd-certfile/--etcd-keyfile/--etcd-cafile, then the members' own server certs (host
// paths through the pods' hostPath volumes). kPermissionDenied listing what was tried.
struct TlsChoice {
  std::string ca, cert, key;
  std::string origin;
};
Result<TlsChoice> ChooseTls(const Request& request, const topology::Topology& t, bool need_tls);

// "%Y%m%dT%H%M%SZ"-style UTC text of t (strftime format).
std::string UtcTime(std::time_t t, const char* format);

}  // namespace etcdrestore::backup

#endif  // ETCDRESTORE_SHARED_BACKUP_BACKUP_H_
