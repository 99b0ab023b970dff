// The commands of etcdctl 3.4.23 that etcdctl-ext does not implement. They are registered
// so that `--help` and the command list show them, and so that running one fails loudly
// ("Error: ... is not implemented", exit 4) instead of printing usage and exiting 0; a
// script that calls one stops. tests/e2e/test_etcdctl_parity.py (CommandTree) walks etcdctl's
// command tree and checks each command is implemented or fails this way.
#include "etcdctl-ext/command.h"

namespace etcdrestore::etcdctl_ext {
namespace {

struct Stub {
  const char* name;
  const char* usage;
  const char* summary;
};

// Names, usage lines and summaries as `etcdctl --help` / `etcdctl <cmd> --help` print them.
constexpr Stub kStubs[] = {
    {"check datascale", "etcdctl check datascale [options] [flags]",
     "Check the memory usage of holding data for different workloads on a given server endpoint."},
    {"check perf", "etcdctl check perf [options] [flags]", "Check the performance of the etcd cluster"},
    {"completion bash", "etcdctl completion bash", "Generate the autocompletion script for bash"},
    {"completion fish", "etcdctl completion fish [flags]", "Generate the autocompletion script for fish"},
    {"completion powershell", "etcdctl completion powershell [flags]",
     "Generate the autocompletion script for powershell"},
    {"completion zsh", "etcdctl completion zsh [flags]", "Generate the autocompletion script for zsh"},
    {"elect", "etcdctl elect <election-name> [proposal] [flags]", "Observes and participates in leader election"},
    {"lock", "etcdctl lock <lockname> [exec-command arg1 arg2 ...] [flags]", "Acquires a named lock"},
    {"make-mirror", "etcdctl make-mirror [options] <destination> [flags]",
     "Makes a mirror at the destination etcd cluster"},
    {"migrate", "etcdctl migrate [flags]", "Migrates keys in a v2 store to a mvcc store"},
};

bool RegisterStubs() {
  for (const Stub& s : kStubs) {
    RegisterCommand({
        .name = s.name,
        .usage = s.usage,
        .summary = s.summary,
        .uses_client = false,
        .validates_output_format = false,
        .run = nullptr,
        .implemented = false,
    });
  }
  return true;
}

const bool kRegistered = RegisterStubs();

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
