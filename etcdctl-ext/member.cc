// member list/add/remove/update/promote (etcdctl 3.4 ctlv3/command/member_command.go).
#include <cctype>
#include <string>
#include <vector>

#include "etcdctl-ext/command.h"

namespace etcdrestore::etcdctl_ext {
namespace {

std::string peer_urls;  // --peer-urls of add and update
bool learner = false;   // add --learner

Result<int> RunMemberList(CommandContext& ctx) {
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->MemberList(ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintMemberList(ctx.print, resp));
  WriteStdout(out);
  return 0;
}

// etcdctl splits --peer-urls on "," without further checks; the server validates them.
std::vector<std::string> SplitUrls(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// clientv3 checks peer URLs before sending them (types.NewURLs: "fail-fast before panic in
// rafthttp"), with these texts.
Status CheckPeerUrls(const std::vector<std::string>& urls) {
  for (std::string in : urls) {
    while (!in.empty() && std::isspace(static_cast<unsigned char>(in.front()))) in.erase(0, 1);
    while (!in.empty() && std::isspace(static_cast<unsigned char>(in.back()))) in.pop_back();
    const size_t colon = in.find(':');
    const std::string scheme = colon == std::string::npos ? "" : in.substr(0, colon);
    if (scheme != "http" && scheme != "https" && scheme != "unix" && scheme != "unixs") {
      return Fail(ErrorCode::kInvalidArgument, "URL scheme must be http, https, unix, or unixs: " + in);
    }
    std::string rest = in.substr(colon + 1);
    std::string host;
    if (rest.starts_with("//")) {
      rest.erase(0, 2);
      const size_t end = rest.find_first_of("/?#");
      host = rest.substr(0, end);
      rest = end == std::string::npos ? "" : rest.substr(end);
    }
    // net.SplitHostPort: "host:port" or "[v6]:port".
    const size_t last = host.rfind(':');
    const bool bracketed = host.starts_with("[");
    if (last == std::string::npos || (bracketed && host.find("]:") == std::string::npos) ||
        (!bracketed && host.find(':') != last)) {
      return Fail(ErrorCode::kInvalidArgument, "URL address does not have the form \"host:port\": " + in);
    }
    const std::string path = rest.substr(0, rest.find_first_of("?#"));
    if (!path.empty()) return Fail(ErrorCode::kInvalidArgument, "URL must not contain a path: " + in);
  }
  return {};
}

// The member ID argument of remove/update/promote, in hex, with etcdctl's messages.
Result<uint64_t> MemberIdArg(const std::vector<std::string>& args) {
  if (args.size() != 1) return Fail(ErrorCode::kInvalidArgument, "member ID is not provided");
  auto id = cli::ParseGoUint(args[0], 16);
  if (!id) {
    return Fail(ErrorCode::kInvalidArgument,
                "bad member ID arg (" + id.error().message() + "), expecting ID in Hex");
  }
  return *id;
}

Result<int> RunMemberAdd(CommandContext& ctx) {
  if (ctx.args.empty()) return Fail(ErrorCode::kInvalidArgument, "member name not provided");
  if (ctx.args.size() > 1) {
    std::string msg = "too many arguments";
    for (const auto& a : ctx.args) {
      std::string lower = a;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.starts_with("http")) msg += ", did you mean --peer-urls=" + a;
    }
    return Fail(ErrorCode::kInvalidArgument, msg);
  }
  if (peer_urls.empty()) return Fail(ErrorCode::kInvalidArgument, "member peer urls not provided");
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  if (auto st = CheckPeerUrls(SplitUrls(peer_urls)); !st)
    return Fail(ErrorCode::kFailedPrecondition, st.error().message());
  ASSIGN_OR_RETURN(auto resp, client->MemberAdd(SplitUrls(peer_urls), learner, ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintMemberAdd(ctx.print, resp, ctx.args[0], peer_urls));
  WriteStdout(out);
  return 0;
}

Result<int> RunMemberRemove(CommandContext& ctx) {
  ASSIGN_OR_RETURN(uint64_t id, MemberIdArg(ctx.args));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->MemberRemove(id, ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintMemberChange(ctx.print, resp, id, "removed from"));
  WriteStdout(out);
  return 0;
}

Result<int> RunMemberUpdate(CommandContext& ctx) {
  ASSIGN_OR_RETURN(uint64_t id, MemberIdArg(ctx.args));
  if (peer_urls.empty()) return Fail(ErrorCode::kInvalidArgument, "member peer urls not provided");
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  if (auto st = CheckPeerUrls(SplitUrls(peer_urls)); !st)
    return Fail(ErrorCode::kFailedPrecondition, st.error().message());
  ASSIGN_OR_RETURN(auto resp, client->MemberUpdate(id, SplitUrls(peer_urls), ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintMemberChange(ctx.print, resp, id, "updated in"));
  WriteStdout(out);
  return 0;
}

// etcdctl 3.4 crashes (nil printer, exit 2) on `member promote -w json|protobuf|fields|table`
// after the promotion; etcdctl-ext prints json/protobuf like member update and refuses
// fields/table with exit 4.
Result<int> RunMemberPromote(CommandContext& ctx) {
  ASSIGN_OR_RETURN(uint64_t id, MemberIdArg(ctx.args));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->MemberPromote(id, ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintMemberChange(ctx.print, resp, id, "promoted in"));
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

const bool kMemberAdd = RegisterCommand({
    .name = "member add",
    .usage = "etcdctl member add <memberName> [options] [flags]",
    .summary = "Adds a member into the cluster",
    .add_flags =
        [](cli::FlagSet& f) {
          f.AddString("peer-urls", 0, &peer_urls, "comma separated peer URLs for the new member.");
          f.AddBool("learner", 0, &learner, "indicates if the new member is raft learner");
        },
    .run = RunMemberAdd,
});

const bool kMemberRemove = RegisterCommand({
    .name = "member remove",
    .usage = "etcdctl member remove <memberID> [flags]",
    .summary = "Removes a member from the cluster",
    .run = RunMemberRemove,
});

const bool kMemberUpdate = RegisterCommand({
    .name = "member update",
    .usage = "etcdctl member update <memberID> [options] [flags]",
    .summary = "Updates a member in the cluster",
    .add_flags =
        [](cli::FlagSet& f) {
          f.AddString("peer-urls", 0, &peer_urls, "comma separated peer URLs for the updated member.");
        },
    .run = RunMemberUpdate,
});

const bool kMemberPromote = RegisterCommand({
    .name = "member promote",
    .usage = "etcdctl member promote <memberID> [flags]",
    .summary = "Promotes a non-voting member in the cluster",
    .description = "\tPromotes a non-voting learner member to a voting one in the cluster.\n",
    .run = RunMemberPromote,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
