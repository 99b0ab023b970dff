// kubectl-etcdrestore: the kubectl plugin (`kubectl etcdrestore ...`). Parses kubectl's
// global flags and dispatches to the registered subcommands (command.h); prints errors as
// kubectl does: "error: <message>", exit code 1.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <optional>

#include "kubectl-etcdrestore/command.h"
#include "shared/base/file.h"

namespace etcdrestore::kubectl_plugin {
namespace {

std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}

}  // namespace

bool RegisterCommand(Command command) {
  Registry().push_back(std::move(command));
  return true;
}

const std::vector<Command>& Commands() { return Registry(); }

std::string InstalledEtcdctlExt() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "etcdctl-ext";
  buf[n] = '\0';
  return JoinPath(DirName(buf), "etcdctl-ext");
}

Result<std::unique_ptr<kube::Client>> GlobalFlags::NewClient() const {
  ASSIGN_OR_RETURN(kube::RestConfig config, kube::LoadRestConfig(overrides, kube::Environment::Current()));
  return std::make_unique<kube::Client>(std::move(config));
}

namespace {

int Main(int argc, char** argv) {
  CLI::App app{"Back up and restore the etcd of a kubeadm control plane.", "kubectl etcdrestore"};
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(
      "etcdctl-ext (the drop-in etcdctl whose safe `snapshot restore` plan's steps run) is installed at\n  " +
      InstalledEtcdctlExt() +
      "\nkrew puts only kubectl-etcdrestore on PATH; copy etcdctl-ext to the control-plane nodes with the plan.");
  GlobalFlags global;
  kube::Overrides& o = global.overrides;
  std::string kubeconfig, context, cluster, user, ns, server, token, ca, cert, key, tls_name, timeout;
  bool insecure = false;
  auto* kubeconfig_opt = app.add_option("--kubeconfig", kubeconfig, "Path to the kubeconfig file to use");
  auto* context_opt = app.add_option("--context", context, "The name of the kubeconfig context to use");
  auto* cluster_opt = app.add_option("--cluster", cluster, "The name of the kubeconfig cluster to use");
  auto* user_opt = app.add_option("--user", user, "The name of the kubeconfig user to use");
  auto* ns_opt = app.add_option("-n,--namespace", ns, "The namespace scope (etcd lives in kube-system)");
  auto* server_opt = app.add_option("-s,--server", server, "The address and port of the Kubernetes API server");
  auto* token_opt = app.add_option("--token", token, "Bearer token for authentication to the API server");
  auto* ca_opt = app.add_option("--certificate-authority", ca, "Path to a cert file for the certificate authority");
  auto* cert_opt = app.add_option("--client-certificate", cert, "Path to a client certificate file for TLS");
  auto* key_opt = app.add_option("--client-key", key, "Path to a client key file for TLS");
  auto* insecure_opt = app.add_flag("--insecure-skip-tls-verify", insecure,
                                    "Do not check the server's certificate (insecure)");
  auto* tls_opt = app.add_option("--tls-server-name", tls_name, "Server name to use for certificate validation");
  auto* timeout_opt = app.add_option("--request-timeout", timeout,
                                     "Time to wait for a single request (e.g. 1s, 2m; 0: no timeout)");

  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const Command& c : Commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    runners.emplace_back(sub, c.setup(*sub, global));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // kubectl's words for a command it does not have: the first argument that is not a flag.
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a.starts_with("-")) break;
      bool known = false;
      for (const Command& c : Commands()) known = known || c.name == a;
      if (!known) {
        std::fprintf(stderr, "error: unknown command \"%s\" for \"kubectl etcdrestore\"\nSee 'kubectl etcdrestore "
                             "--help' for usage.\n", a.c_str());
        return 1;
      }
      break;
    }
    std::fprintf(stderr, "error: %s\nSee 'kubectl etcdrestore --help' for usage.\n", e.what());
    return 1;
  }
  {
    auto set = [](CLI::Option* opt, const std::string& v, std::optional<std::string>* out) {
      if (opt->count() > 0) *out = v;
    };
    set(kubeconfig_opt, kubeconfig, &o.kubeconfig);
    set(context_opt, context, &o.context);
    set(cluster_opt, cluster, &o.cluster);
    set(user_opt, user, &o.user);
    set(ns_opt, ns, &o.namespace_);
    set(server_opt, server, &o.server);
    set(token_opt, token, &o.token);
    set(ca_opt, ca, &o.certificate_authority);
    set(cert_opt, cert, &o.client_certificate);
    set(key_opt, key, &o.client_key);
    set(tls_opt, tls_name, &o.tls_server_name);
    set(timeout_opt, timeout, &o.request_timeout);
    if (insecure_opt->count() > 0) o.insecure_skip_tls_verify = insecure;
  }
  for (auto& [sub, run] : runners) {
    if (!sub->parsed()) continue;
    RunResult result = run();
    if (!result) {
      std::fprintf(stderr, "error: %s\n", result.error().message().c_str());
      return 1;
    }
    return *result;
  }
  return 0;
}

}  // namespace
}  // namespace etcdrestore::kubectl_plugin

int main(int argc, char** argv) {
  try {
    return etcdrestore::kubectl_plugin::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error: %s\n", e.what());
    return 1;
  }
}
