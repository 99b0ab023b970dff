// member list (etcdctl 3.4 ctlv3/command/member_command.go).
#include "etcdctl-ext/command.h"

namespace etcdrestore::etcdctl_ext {
namespace {

Result<int> RunMemberList(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->MemberList(ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintMemberList(ctx.print, resp));
  WriteStdout(out);
  return 0;
}

const bool kMemberList = RegisterCommand({
    .name = "member list",
    .usage = "etcdctl member list [flags]",
    .summary = "Lists all members in the cluster",
    .description =
        "\tWhen --write-out is set to simple, this command prints out comma-separated member lists for each "
        "endpoint.\n\tThe items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.\n",
    .run = RunMemberList,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
