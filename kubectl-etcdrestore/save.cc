// kubectl etcdrestore save [PATH]: a verified snapshot of the cluster's etcd plus the
// sidecar PATH.json. Flags, one shared/backup Save call (which decides member, TLS and mode
// and writes both files; see backup.h), and the summary (or -o json: the sidecar).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>

#include "kubectl-etcdrestore/command.h"
#include "shared/backup/backup.h"
#include "shared/base/file.h"
#include "shared/base/progress.h"
#include "shared/base/strings.h"
#include "shared/base/version.h"
#include "shared/topology/sidecar.h"

namespace etcdrestore::kubectl_plugin {
namespace {

struct SaveFlags {
  std::string path;
  std::string member;
  std::string via = "direct";
  std::string cacert, cert, key;
  std::string node_dir;
  std::string output;
  int connect_timeout_s = 5;
};

// etcdctl snapshot status's hash column: %08x.
std::string HexHash(uint32_t h) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

std::string Summary(const backup::Outcome& o) {
  const topology::Sidecar& sc = o.sidecar;
  std::string out;
  if (o.copied) {
    out += "Snapshot saved to " + AbsolutePath(o.path) + "\n";
  } else {
    out += "Snapshot saved on node " + sc.source.node + " at " + sc.source.node_path + "\n";
  }
  out += "  sidecar:   " + AbsolutePath(o.sidecar_path) + "\n";
  out += "  member:    " + sc.source.member + " (" + topology::HexId(sc.source.member_id) +
         ") at " + sc.source.endpoint + (sc.source.node.empty() ? "" : ", node " + sc.source.node) +
         ", etcd " + sc.source.etcd_version + "\n";
  if (sc.source.method == "direct") {
    out += "  method:    direct, client cert: " +
           (o.tls_origin.empty() ? std::string("none (plain http)") : o.tls_origin) + "\n";
  } else {
    out += "  method:    exec in pod " + sc.source.pod +
           " (etcdctl snapshot save + snapshot status)\n" + "  on node:   " + sc.source.node +
           " at " +
           (o.host_file.empty() ? o.node_file + " (container path; no hostPath behind it)"
                                : o.host_file) +
           "\n";
    if (!o.copied) {
      out += "  not copied here: " + o.not_copied + "; copy it from node " + sc.source.node + "\n";
    }
  }
  out += "  cluster:   " + topology::HexId(sc.cluster_id) + ", " +
         std::to_string(sc.members.size()) + " member(s)\n";
  out += "  revision:  " + std::to_string(sc.snapshot.revision) +
         ", keys: " + std::to_string(sc.snapshot.total_keys) +
         ", hash: " + HexHash(sc.snapshot.hash) + " (as etcdctl snapshot status prints it)\n";
  if (o.copied) {
    out += "  size:      " + HumanBytes(sc.snapshot.size) + " (" +
           std::to_string(sc.snapshot.size) + " bytes)\n";
    out += "  sha256:    " + sc.snapshot.sha256 + "\n";
  }
  return out;
}

RunResult Run(const SaveFlags& f, const GlobalFlags& global) {
  backup::Request r;
  if (f.via == "direct") {
    r.via = backup::Via::kDirect;
  } else if (f.via == "exec") {
    r.via = backup::Via::kExec;
  } else {
    return Fail(ErrorCode::kInvalidArgument, "--via must be direct or exec, not " + Quote(f.via));
  }
  if (!f.output.empty() && f.output != "json") {
    return Fail(ErrorCode::kInvalidArgument,
                "--output must be json (or absent), not " + Quote(f.output));
  }
  r.path = f.path;
  r.member = f.member;
  r.cacert = f.cacert;
  r.cert = f.cert;
  r.key = f.key;
  r.node_dir = f.node_dir;
  r.connect_timeout = std::chrono::seconds(f.connect_timeout_s);
  r.now = std::time(nullptr);
  r.tool = std::string("kubectl-etcdrestore ") + kVersion;
  Progress progress(::isatty(STDERR_FILENO) == 1, "saving snapshot", HumanBytes,
                    /*show_rate=*/false);
  r.progress = [&](uint64_t n) { progress.Update(n); };

  backup::RealCluster cluster([&global] { return global.NewClient(); });
  auto outcome = backup::Save(r, cluster);
  progress.Done();
  if (!outcome) return Fail(std::move(outcome).error());
  if (f.output == "json") {
    std::fputs(topology::SidecarToJson(outcome->sidecar).c_str(), stdout);
    return 0;
  }
  std::fputs(Summary(*outcome).c_str(), stdout);
  return 0;
}

Runner Setup(CLI::App& sub, const GlobalFlags& global) {
  auto f = std::make_shared<SaveFlags>();
  sub.add_option(
      "path", f->path,
      "Snapshot file to write (default: etcd-snapshot-<UTC time>.db); PATH.json is the sidecar");
  sub.add_option("--member", f->member,
                 "Snapshot this member (default: the healthy one with the highest raft index)");
  sub.add_option("--via", f->via,
                 "direct (gRPC from here, default) or exec (etcdctl inside the etcd pod)");
  sub.add_option("--cacert", f->cacert,
                 "CA file for etcd (default: the kube-apiserver's --etcd-cafile)");
  sub.add_option("--cert", f->cert,
                 "Client cert for etcd (default: the kube-apiserver's --etcd-certfile)");
  sub.add_option("--key", f->key,
                 "Client key for etcd (default: the kube-apiserver's --etcd-keyfile)");
  sub.add_option(
      "--node-dir", f->node_dir,
      "--via exec: directory inside the etcd container for the snapshot (default: its data dir)");
  sub.add_option("--connect-timeout", f->connect_timeout_s, "Seconds to wait for each etcd member");
  sub.add_option("-o,--output", f->output, "json: print the sidecar instead of a summary");
  return [f, &global]() -> RunResult { return Run(*f, global); };
}

const bool kRegistered = RegisterCommand(
    {"save", "Take a verified etcd snapshot plus a PATH.json sidecar describing the cluster",
     Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
