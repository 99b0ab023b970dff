// shared/topology/sidecar.h
//
// The sidecar `PATH.json` that `kubectl etcdrestore save` writes next to a snapshot PATH:
// everything a later restore needs without the Kubernetes API (cluster ID, every member
// with ID, URLs, node, data dir and host path, cert paths, image version), the snapshot's
// own facts (revision, hash, keys, size, sha256) and how it was taken.
//
// Contract:
//   - Never holds secrets: paths to keys and certs only, never their contents, no tokens.
//   - `format` is kSidecarFormat; FromJson refuses a newer format and ignores unknown keys
//     (so a newer tool's optional additions do not break an older reader).
//   - Integers that may exceed 2^53 (member and cluster IDs) are written as lower-case hex
//     strings, as etcdctl -w table prints them ("8e9e05c52164694d").
//   - WriteSidecar is atomic and never writes through a planted link or file: a fresh
//     "<path>.tmp" 0600 of our own (shared/base/file.h AtomicFile), fsync, rename, fsync of
//     the directory.
#ifndef ETCDRESTORE_SHARED_TOPOLOGY_SIDECAR_H_
#define ETCDRESTORE_SHARED_TOPOLOGY_SIDECAR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/topology/topology.h"

namespace etcdrestore::topology {

inline constexpr int kSidecarFormat = 1;

struct SnapshotFacts {
  std::string file;       // base name of the snapshot file
  uint64_t size = 0;      // bytes, sha256 trailer included
  std::string sha256;     // hex SHA-256 of the whole file
  std::string db_sha256;  // hex of the etcd trailer (SHA-256 of the db bytes)
  uint32_t hash = 0;      // etcdctl snapshot status hash
  int64_t revision = 0;
  int64_t total_keys = 0;
  int64_t total_size = 0;
};

// How and from where the snapshot was taken.
struct SnapshotSource {
  std::string method;  // "direct" (gRPC from here) or "exec" (etcdctl in the pod)
  std::string member;  // member name
  uint64_t member_id = 0;
  std::string endpoint;  // client URL used
  std::string node;
  std::string pod;  // "kube-system/etcd-cp1"; empty for external etcd
  // exec: where the file was first written on the node (under the etcd-data hostPath).
  std::string node_path;
  std::string etcd_version;  // the member's server version (Status)
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  // The client cert/key/CA paths used (direct mode), for the record.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

struct Sidecar {
  int format = kSidecarFormat;
  std::string tool;     // "kubectl-etcdrestore 0.1.0"
  std::string created;  // RFC 3339 UTC, "2024-05-01T12:00:00Z"
  uint64_t cluster_id = 0;
  std::string kubernetes_version;
  bool external_etcd = false;
  SnapshotFacts snapshot;
  SnapshotSource source;
  std::vector<EtcdMember> members;    // every member (IDs from MemberList)
  std::vector<ApiServer> apiservers;  // their etcd client cert paths and --etcd-servers
  std::optional<ClusterConfiguration> cluster_config;
};

// Pretty JSON (2-space indent, trailing newline).
std::string SidecarToJson(const Sidecar& s);
// kInvalidArgument on text that is not JSON, a missing "format", or fields of the wrong
// type; kUnsupported on a newer format.
Result<Sidecar> SidecarFromJson(std::string_view text);

// "<snapshot path>.json".
std::string SidecarPath(std::string_view snapshot_path);
Status WriteSidecar(const std::string& path, const Sidecar& s);
Result<Sidecar> ReadSidecar(const std::string& path);

// Lower-case unpadded hex of an ID ("0" for 0), and back (kInvalidArgument on bad hex).
std::string HexId(uint64_t id);
Result<uint64_t> ParseHexId(std::string_view text);

}  // namespace etcdrestore::topology

#endif  // ETCDRESTORE_SHARED_TOPOLOGY_SIDECAR_H_
