// kubectl etcdrestore version: the plugin's version (the project's, from CMake) and the
// etcd snapshot formats it reads and writes.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "kubectl-etcdrestore/command.h"
#include "shared/base/version.h"

namespace etcdrestore::kubectl_plugin {
namespace {

Runner Setup(CLI::App&, const GlobalFlags&) {
  return []() -> RunResult {
    std::printf("kubectl-etcdrestore %s\n", kVersion);
    return 0;
  };
}

const bool kRegistered = RegisterCommand({"version", "Print the plugin's version", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
