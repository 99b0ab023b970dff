// plan_write_sidecar: writes the sidecar PATH.json for a snapshot with shared/topology's
// writer, for e2e tests that need `plan --from` before `kubectl etcdrestore save` can run
// against their fake nodes.
//
//   plan_write_sidecar SNAPSHOT REVISION CREATED MANIFESTS_DIR NODE=MANIFEST...
//
// SNAPSHOT is hashed (sha256 of the whole file); REVISION and CREATED (RFC 3339 UTC) are
// recorded as given; each etcd manifest is parsed as save would read the mirror pod, with
// pod.node = NODE and pod.manifest_path = MANIFESTS_DIR/<file name> (the path on the node).
#include <fcntl.h>

#include <cstdio>
#include <string>
#include <vector>

#include "shared/base/file.h"
#include "shared/base/sha256.h"
#include "shared/topology/sidecar.h"
#include "shared/topology/topology.h"

namespace {

using namespace etcdrestore;

// A static pod manifest file, parsed as save reads the mirror pod; pod.manifest_path = path.
Result<topology::EtcdMember> ParseEtcdPodFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto m = topology::ParseEtcdPod(text);
  if (!m) return Fail(std::move(m).error().Wrap(Quote(path)));
  m->pod.manifest_path = path;
  return m;
}

Status Run(int argc, char** argv) {
  if (argc < 6)
    return Fail(ErrorCode::kInvalidArgument,
                "usage: plan_write_sidecar SNAPSHOT REVISION CREATED MANIFESTS_DIR NODE=MANIFEST...");
  const std::string snapshot = argv[1];
  topology::Sidecar s;
  s.tool = "plan_write_sidecar (e2e)";
  s.created = argv[3];
  s.snapshot.file = BaseName(snapshot);
  ASSIGN_OR_RETURN(Sha256Digest digest, Sha256File(snapshot, &s.snapshot.size));
  s.snapshot.sha256 = HexDigest(digest);
  s.snapshot.revision = std::stoll(argv[2]);
  for (int i = 5; i < argc; ++i) {
    std::string spec = argv[i];
    auto eq = spec.find('=');
    if (eq == std::string::npos) return Fail(ErrorCode::kInvalidArgument, "want NODE=MANIFEST, got " + spec);
    ASSIGN_OR_RETURN(topology::EtcdMember m, ParseEtcdPodFile(spec.substr(eq + 1)));
    m.pod.node = spec.substr(0, eq);
    m.pod.manifest_path = std::string(argv[4]) + "/" + BaseName(spec.substr(eq + 1));
    s.members.push_back(std::move(m));
  }
  return topology::WriteSidecar(topology::SidecarPath(snapshot), s);
}

}  // namespace

int main(int argc, char** argv) {
  auto st = Run(argc, argv);
  if (!st) {
    std::fprintf(stderr, "error: %s\n", st.error().message().c_str());
    return 1;
  }
  return 0;
}
