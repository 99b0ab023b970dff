// auth enable/disable, user add/delete/get/list/passwd/grant-role/revoke-role, role add/delete/
// get/list/grant-permission/revoke-permission (etcdctl 3.4 ctlv3/command/auth_command.go,
// user_command.go, role_command.go). Disaster-recovery scripts re-create root with these.
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <string>
#include <vector>

#include "etcdctl-ext/command.h"

namespace etcdrestore::etcdctl_ext {
namespace {

// --- passwords ----------------------------------------------------------------------------------

// One line of stdin without its newline; echo is off when stdin is a terminal (speakeasy.Ask:
// the prompt goes to stdout, a newline follows the answer).
std::string AskLine(const std::string& prompt) {
  WriteStdout(prompt);
  termios saved{};
  const bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c;
  while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') line += c;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  WriteStdout("\n");
  return line;
}

// etcdctl's readPasswordInteractive.
Result<std::string> ReadPasswordInteractive(const std::string& name) {
  std::string first = AskLine("Password of " + name + ": ");
  if (first.empty()) return Fail(ErrorCode::kInvalidArgument, "empty password");
  std::string second = AskLine("Type password of " + name + " again for confirmation: ");
  if (first != second) return Fail(ErrorCode::kInvalidArgument, "given passwords are different");
  return first;
}

// fmt.Scanf("%s"): the first space-separated word of stdin ("" if there is none).
std::string ScanWord() {
  std::string word;
  char c;
  while (::read(STDIN_FILENO, &c, 1) == 1) {
    if (c == ' ' || c == '\t' || c == '\r') {
      if (word.empty()) continue;
      break;
    }
    if (c == '\n') break;
    word += c;
  }
  return word;
}

bool interactive = true;
std::string new_user_password;
bool no_password = false;
bool show_detail = false;

// --- auth ---------------------------------------------------------------------------------------

Result<int> RunAuthEnable(CommandContext& ctx) {
  if (!ctx.args.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "auth enable command does not accept any arguments");
  }
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  const auto deadline = ctx.CommandDeadline();
  // etcdctl gives the root user the root role (creating it) when that is all that is missing.
  while (true) {
    auto r = client->AuthEnable(deadline);
    if (r) break;
    if (r.error().message() != "etcdserver: root user does not have root role") return Fail(std::move(r).error());
    ASSIGN_OR_RETURN(auto added, client->RoleAdd("root", deadline));
    ASSIGN_OR_RETURN(auto granted, client->UserGrantRole("root", "root", deadline));
  }
  WriteStdout("Authentication Enabled\n");
  return 0;
}

Result<int> RunAuthDisable(CommandContext& ctx) {
  if (!ctx.args.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "auth disable command does not accept any arguments");
  }
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->AuthDisable(ctx.CommandDeadline()));
  WriteStdout("Authentication Disabled\n");
  return 0;
}

// --- user ---------------------------------------------------------------------------------------

Status NeedArgs(const CommandContext& ctx, size_t n, const char* message) {
  if (ctx.args.size() != n) return Fail(ErrorCode::kInvalidArgument, message);
  return {};
}

Result<int> Print(Result<std::string> out) {
  if (!out) return Fail(std::move(out).error());
  WriteStdout(*out);
  return 0;
}

Result<int> RunUserAdd(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 1, "user add command requires user name as its argument"));
  std::string user = ctx.args[0], password;
  if (!no_password) {
    if (!new_user_password.empty()) {
      password = new_user_password;
    } else if (size_t colon = user.find(':'); colon != std::string::npos) {
      password = user.substr(colon + 1);
      user = user.substr(0, colon);
      if (user.empty()) return Fail(ErrorCode::kInvalidArgument, "empty user name is not allowed");
    } else if (!interactive) {
      password = ScanWord();
    } else {
      ASSIGN_OR_RETURN(password, ReadPasswordInteractive(user));
    }
  }
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->UserAdd(user, password, no_password, ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "User " + user + " created\n", true));
}

Result<int> RunUserDelete(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 1, "user delete command requires user name as its argument"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->UserDelete(ctx.args[0], ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "User " + ctx.args[0] + " deleted\n", true));
}

Result<int> RunUserGet(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 1, "user get command requires user name as its argument"));
  const std::string& name = ctx.args[0];
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->UserGet(name, ctx.CommandDeadline()));
  if (!show_detail) return Print(cli::PrintUserGet(ctx.print, r, name));
  // --detail: each role as `role get` prints it, in the chosen format.
  WriteStdout("User: " + name + "\n");
  for (const auto& role : r.names) {
    WriteStdout("\n");
    ASSIGN_OR_RETURN(auto rr, client->RoleGet(role, ctx.CommandDeadline()));
    ASSIGN_OR_RETURN(int rc, Print(cli::PrintRoleGet(ctx.print, rr, role)));
    (void)rc;
  }
  return 0;
}

Result<int> RunUserList(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 0, "user list command requires no arguments"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->UserList(ctx.CommandDeadline()));
  return Print(cli::PrintUserList(ctx.print, r));
}

Result<int> RunUserPasswd(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 1, "user passwd command requires user name as its argument"));
  std::string password;
  if (!interactive) {
    password = ScanWord();
  } else {
    ASSIGN_OR_RETURN(password, ReadPasswordInteractive(ctx.args[0]));
  }
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->UserChangePassword(ctx.args[0], password, ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "Password updated\n", true));
}

Result<int> RunUserGrantRole(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 2, "user grant command requires user name and role name as its argument"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->UserGrantRole(ctx.args[0], ctx.args[1], ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "Role " + ctx.args[1] + " is granted to user " + ctx.args[0] + "\n", true));
}

Result<int> RunUserRevokeRole(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 2, "user revoke-role requires user name and role name as its argument"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->UserRevokeRole(ctx.args[0], ctx.args[1], ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "Role " + ctx.args[1] + " is revoked from user " + ctx.args[0] + "\n", true));
}

// --- role ---------------------------------------------------------------------------------------

bool perm_prefix = false;
bool perm_from_key = false;

// etcdctl's permRange / rangeEndFromPermFlags: args are <key> [endkey].
Status PermRange(const std::vector<std::string>& args, std::string* key, std::string* range_end) {
  *key = args[0];
  range_end->clear();
  const std::string all(1, '\0');
  if (key->empty()) {
    if (perm_prefix && perm_from_key) {
      return Fail(ErrorCode::kInvalidArgument, "--from-key and --prefix flags are mutually exclusive");
    }
    *key = all;
    if (perm_prefix || perm_from_key) *range_end = all;
    return {};
  }
  if (args.size() == 1) {
    if (perm_prefix) {
      if (perm_from_key)
        return Fail(ErrorCode::kInvalidArgument, "--from-key and --prefix flags are mutually exclusive");
      *range_end = cli::PrefixRangeEnd(*key);
    } else if (perm_from_key) {
      *range_end = all;
    }
    return {};
  }
  if (perm_prefix) return Fail(ErrorCode::kInvalidArgument, "unexpected endkey argument with --prefix flag");
  if (perm_from_key) return Fail(ErrorCode::kInvalidArgument, "unexpected endkey argument with --from-key flag");
  *range_end = args[1];
  return {};
}

Result<int> RunRoleAdd(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 1, "role add command requires role name as its argument"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->RoleAdd(ctx.args[0], ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "Role " + ctx.args[0] + " created\n", true));
}

Result<int> RunRoleDelete(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 1, "role delete command requires role name as its argument"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->RoleDelete(ctx.args[0], ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "Role " + ctx.args[0] + " deleted\n", true));
}

Result<int> RunRoleGet(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 1, "role get command requires role name as its argument"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->RoleGet(ctx.args[0], ctx.CommandDeadline()));
  return Print(cli::PrintRoleGet(ctx.print, r, ctx.args[0]));
}

Result<int> RunRoleList(CommandContext& ctx) {
  RETURN_IF_ERROR(NeedArgs(ctx, 0, "role list command requires no arguments"));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->RoleList(ctx.CommandDeadline()));
  return Print(cli::PrintRoleList(ctx.print, r));
}

Result<int> RunRoleGrantPermission(CommandContext& ctx) {
  if (ctx.args.size() < 3) {
    return Fail(ErrorCode::kInvalidArgument,
                "role grant command requires role name, permission type, and key [endkey] as its argument");
  }
  // clientv3.StrToPermissionType: case-insensitive READ, WRITE, READWRITE.
  std::string type = ctx.args[1];
  for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  etcdclient::Permission perm;
  if (type == "READ") perm.type = 0;
  else if (type == "WRITE") perm.type = 1;
  else if (type == "READWRITE") perm.type = 2;
  else return Fail(ErrorCode::kInvalidArgument, "invalid permission type: " + ctx.args[1]);
  RETURN_IF_ERROR(PermRange({ctx.args.begin() + 2, ctx.args.end()}, &perm.key, &perm.range_end));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->RoleGrantPermission(ctx.args[0], perm, ctx.CommandDeadline()));
  return Print(cli::PrintOp(ctx.print, r, "Role " + ctx.args[0] + " updated\n", true));
}

Result<int> RunRoleRevokePermission(CommandContext& ctx) {
  if (ctx.args.size() < 2) {
    return Fail(ErrorCode::kInvalidArgument,
                "role revoke-permission command requires role name and key [endkey] as its argument");
  }
  std::string key, range_end;
  RETURN_IF_ERROR(PermRange({ctx.args.begin() + 1, ctx.args.end()}, &key, &range_end));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto r, client->RoleRevokePermission(ctx.args[0], key, range_end, ctx.CommandDeadline()));
  // etcdctl prints the key as given (args[1]), not the "\0" it sends for an empty one.
  return Print(cli::PrintRoleRevokePermission(ctx.print, r, ctx.args[0], ctx.args[1], range_end));
}

void AddPermFlags(cli::FlagSet& f, const std::string& verb) {
  f.AddBool("prefix", 0, &perm_prefix, verb + " a prefix permission");
  f.AddBool("from-key", 0, &perm_from_key,
            verb + " a permission of keys that are greater than or equal to the given key using byte compare");
}

struct Entry {
  const char* name;
  const char* usage;
  const char* summary;
  Result<int> (*run)(CommandContext&);
  void (*add_flags)(cli::FlagSet&);
};

const Entry kEntries[] = {
    {"auth enable", "etcdctl auth enable [flags]", "Enables authentication", RunAuthEnable, nullptr},
    {"auth disable", "etcdctl auth disable [flags]", "Disables authentication", RunAuthDisable, nullptr},
    {"user add", "etcdctl user add <user name or user:password> [options] [flags]", "Adds a new user", RunUserAdd,
     [](cli::FlagSet& f) {
       f.AddBool("interactive", 0, &interactive, "Read password from stdin instead of interactive terminal");
       f.AddString("new-user-password", 0, &new_user_password, "Supply password from the command line flag");
       f.AddBool("no-password", 0, &no_password, "Create a user without password (CN based auth only)");
     }},
    {"user delete", "etcdctl user delete <user name> [flags]", "Deletes a user", RunUserDelete, nullptr},
    {"user get", "etcdctl user get <user name> [options] [flags]", "Gets detailed information of a user", RunUserGet,
     [](cli::FlagSet& f) { f.AddBool("detail", 0, &show_detail, "Show permissions of roles granted to the user"); }},
    {"user list", "etcdctl user list [flags]", "Lists all users", RunUserList, nullptr},
    {"user passwd", "etcdctl user passwd <user name> [options] [flags]", "Changes password of user", RunUserPasswd,
     [](cli::FlagSet& f) {
       f.AddBool("interactive", 0, &interactive, "If true, read password from stdin instead of interactive terminal");
     }},
    {"user grant-role", "etcdctl user grant-role <user name> <role name> [flags]", "Grants a role to a user",
     RunUserGrantRole, nullptr},
    {"user revoke-role", "etcdctl user revoke-role <user name> <role name> [flags]", "Revokes a role from a user",
     RunUserRevokeRole, nullptr},
    {"role add", "etcdctl role add <role name> [flags]", "Adds a new role", RunRoleAdd, nullptr},
    {"role delete", "etcdctl role delete <role name> [flags]", "Deletes a role", RunRoleDelete, nullptr},
    {"role get", "etcdctl role get <role name> [flags]", "Gets detailed information of a role", RunRoleGet, nullptr},
    {"role list", "etcdctl role list [flags]", "Lists all roles", RunRoleList, nullptr},
    {"role grant-permission",
     "etcdctl role grant-permission [options] <role name> <permission type> <key> [endkey] [flags]",
     "Grants a key to a role", RunRoleGrantPermission, [](cli::FlagSet& f) { AddPermFlags(f, "grant"); }},
    {"role revoke-permission", "etcdctl role revoke-permission <role name> <key> [endkey] [flags]",
     "Revokes a key from a role", RunRoleRevokePermission, [](cli::FlagSet& f) { AddPermFlags(f, "revoke"); }},
};

bool RegisterAll() {
  for (const Entry& e : kEntries) {
    RegisterCommand({.name = e.name,
                     .usage = e.usage,
                     .summary = e.summary,
                     .add_flags = e.add_flags ? std::function<void(cli::FlagSet&)>(e.add_flags) : nullptr,
                     .run = e.run});
  }
  return true;
}

const bool kRegistered = RegisterAll();

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
