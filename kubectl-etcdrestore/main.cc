// kubectl-etcdrestore: the kubectl plugin. `save`, `discover` and `plan` arrive with
// the Kubernetes-side issues; until then it prints its usage and exits 1 on any command.
#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"Back up and restore the etcd of a kubeadm control plane.", "kubectl etcdrestore"};
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  std::fputs(app.help().c_str(), stdout);
  std::fputs("\nno commands yet: save, discover and plan are not implemented in this build\n", stderr);
  return 1;
}
