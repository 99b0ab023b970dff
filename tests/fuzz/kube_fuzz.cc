// kubeconfig loading (shared/kube/kubeconfig.h) the way kubectl-etcdrestore does it:
// input parts split at NUL: part 0 is a kubeconfig file (--kubeconfig), part 1 a second
// file merged through $KUBECONFIG, then overrides (--context, --cluster, --user, -n,
// --server, --request-timeout); ParseTimeout and Base64Decode on the parts too. Nothing
// runs an exec plugin here (LoadRestConfig only describes it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/kube/kubeconfig.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> p = fuzz::Split(std::string_view(reinterpret_cast<const char*>(data), size), '\0');
  p.resize(std::max<size_t>(p.size(), 8));
  for (const std::string& s : p) {
    (void)kube::ParseTimeout(s);
    (void)kube::Base64Decode(s);
  }
  fuzz::MemFile a(p[0]);
  fuzz::MemFile b(p[1]);
  kube::Environment env;
  env.vars["HOME"] = "/nonexistent-home";
  env.service_account_dir = "/nonexistent-sa";
  kube::Overrides o;
  auto opt = [&](size_t i) -> std::optional<std::string> {
    if (p[i].empty()) return std::nullopt;
    return p[i];
  };
  o.context = opt(2);
  o.cluster = opt(3);
  o.user = opt(4);
  o.namespace_ = opt(5);
  o.server = opt(6);
  o.request_timeout = opt(7);
  if (size & 1) {
    o.kubeconfig = a.path();
  } else {
    env.vars["KUBECONFIG"] = a.path() + ":" + b.path() + ":/nonexistent-kubeconfig";
  }
  (void)kube::LoadRestConfig(o, env);
  return 0;
}
