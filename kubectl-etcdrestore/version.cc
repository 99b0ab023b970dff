// kubectl etcdrestore version [-o json|yaml]: the plugin's version (the project's, from
// CMake's project(VERSION) through the generated shared/base/version.h). Plain output is
// "kubectl-etcdrestore 0.1.0"; -o json prints {"name": ..., "version": ...} as kubectl
// prints its own version object (4-space indent), -o yaml the same keys.
#include "shared/base/version.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "kubectl-etcdrestore/command.h"
#include "kubectl-etcdrestore/output.h"

namespace etcdrestore::kubectl_plugin {
namespace {

Runner Setup(CLI::App& sub, const GlobalFlags&) {
  auto output = std::make_shared<std::string>();
  sub.add_option("-o,--output", *output, "One of 'yaml' or 'json'");
  return [output]() -> RunResult {
    if (output->empty()) {
      std::printf("kubectl-etcdrestore %s\n", kVersion);
      return 0;
    }
    ASSIGN_OR_RETURN(
        std::string text,
        Render(nlohmann::json{{"name", "kubectl-etcdrestore"}, {"version", kVersion}}, *output));
    std::fputs(text.c_str(), stdout);
    return 0;
  };
}

const bool kRegistered = RegisterCommand({"version", "Print the plugin's version", Setup});

}  // namespace
}  // namespace etcdrestore::kubectl_plugin
