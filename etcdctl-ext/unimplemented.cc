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
    {"auth disable", "etcdctl auth disable [flags]", "Disables authentication"},
    {"auth enable", "etcdctl auth enable [flags]", "Enables authentication"},
    {"lease grant", "etcdctl lease grant <ttl> [flags]", "Creates leases"},
    {"lease keep-alive", "etcdctl lease keep-alive [options] <leaseID> [flags]", "Keeps leases alive (renew)"},
    {"lease list", "etcdctl lease list [flags]", "List all active leases"},
    {"lease revoke", "etcdctl lease revoke <leaseID> [flags]", "Revokes leases"},
    {"lease timetolive", "etcdctl lease timetolive <leaseID> [options] [flags]", "Get lease information"},
    {"role add", "etcdctl role add <role name> [flags]", "Adds a new role"},
    {"role delete", "etcdctl role delete <role name> [flags]", "Deletes a role"},
    {"role get", "etcdctl role get <role name> [flags]", "Gets detailed information of a role"},
    {"role grant-permission", "etcdctl role grant-permission [options] <role name> <permission type> <key> [endkey] [flags]", "Grants a key to a role"},
    {"role list", "etcdctl role list [flags]", "Lists all roles"},
    {"role revoke-permission", "etcdctl role revoke-permission <role name> <key> [endkey] [flags]", "Revokes a key from a role"},
    {"user add", "etcdctl user add <user name or user:password> [options] [flags]", "Adds a new user"},
    {"user delete", "etcdctl user delete <user name> [flags]", "Deletes a user"},
    {"user get", "etcdctl user get <user name> [options] [flags]", "Gets detailed information of a user"},
    {"user grant-role", "etcdctl user grant-role <user name> <role name> [flags]", "Grants a role to a user"},
    {"user list", "etcdctl user list [flags]", "Lists all users"},
    {"user passwd", "etcdctl user passwd <user name> [options] [flags]", "Changes password of user"},
    {"user revoke-role", "etcdctl user revoke-role <user name> <role name> [flags]", "Revokes a role from a user"},
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
    {"txn", "etcdctl txn [options] [flags]", "Txn processes all the requests in one transaction"},
    {"watch", "etcdctl watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...] [flags]",
     "Watches events stream on keys or prefixes"},
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
