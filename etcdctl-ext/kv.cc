// get, put, del: etcdctl 3.4's ctlv3/command/{get,put,del}_command.go.
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <string>

#include "etcdctl-ext/command.h"
#include "etcdctl-ext/kv.h"

namespace etcdrestore::etcdctl_ext {
namespace {

// Key and range end for a key argument with --prefix / --from-key (clientv3 WithPrefix,
// WithFromKey): an empty key means "all keys".
Status CheckPrefixOrFromKey(bool prefix, bool from_key) {
  if (prefix && from_key) {
    return Fail(ErrorCode::kInvalidArgument,
                "`--prefix` and `--from-key` cannot be set at the same time, choose one");
  }
  return {};
}

// The key and the optional range_end argument; a range_end goes with neither --prefix nor
// --from-key.
Status KeyArgs(const std::vector<std::string>& args, bool prefix, bool from_key, std::string* key,
               std::string* range_end) {
  *key = args[0];
  if (args.size() > 1) {
    if (prefix || from_key) {
      return Fail(ErrorCode::kInvalidArgument,
                  "too many arguments, only accept one argument when `--prefix` or `--from-key` is set");
    }
    *range_end = args[1];
  }
  return {};
}

Status ApplyRange(bool prefix, bool from_key, std::string* key, std::string* range_end) {
  RETURN_IF_ERROR(CheckPrefixOrFromKey(prefix, from_key));
  if (prefix) {
    if (key->empty()) {
      *key = std::string(1, '\0');
      *range_end = std::string(1, '\0');
    } else {
      *range_end = cli::PrefixRangeEnd(*key);
    }
  } else if (from_key) {
    if (key->empty()) *key = std::string(1, '\0');
    *range_end = std::string(1, '\0');
  }
  return {};
}

struct GetOptions {
  std::string consistency = "l";
  std::string order;
  std::string sort_by;
  bool prefix = false;
  bool from_key = false;
  int64_t limit = 0;
  int64_t rev = 0;
  bool keys_only = false;
  bool print_value_only = false;
} get_opts;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// etcdctl 3.4's getGetOp, checks in its order, then clientv3.WithSort.
Result<etcdclient::RangeRequest> GetRequest(const std::vector<std::string>& args) {
  if (args.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "get command needs one argument as key and an optional argument as range_end");
  }
  RETURN_IF_ERROR(CheckPrefixOrFromKey(get_opts.prefix, get_opts.from_key));  // before --consistency, as etcdctl
  etcdclient::RangeRequest req;
  if (get_opts.consistency == "s") {
    req.serializable = true;
  } else if (get_opts.consistency != "l") {
    return Fail(ErrorCode::kUnsupported, "unknown consistency flag \"" + get_opts.consistency + "\"");
  }
  RETURN_IF_ERROR(KeyArgs(args, get_opts.prefix, get_opts.from_key, &req.key, &req.range_end));
  req.limit = get_opts.limit;
  req.revision = get_opts.rev;
  using Order = etcdclient::SortOrder;
  using Target = etcdclient::SortTarget;
  const std::string order = Upper(get_opts.order), target = Upper(get_opts.sort_by);
  if (order == "ASCEND") {
    req.sort_order = Order::kAscend;
  } else if (order == "DESCEND") {
    req.sort_order = Order::kDescend;
  } else if (!order.empty()) {
    return Fail(ErrorCode::kUnsupported, "bad sort order " + get_opts.order);
  }
  if (target == "CREATE") {
    req.sort_target = Target::kCreate;
  } else if (target == "MODIFY") {
    req.sort_target = Target::kMod;
  } else if (target == "VALUE") {
    req.sort_target = Target::kValue;
  } else if (target == "VERSION") {
    req.sort_target = Target::kVersion;
  } else if (target == "KEY" || target.empty()) {
    req.sort_target = Target::kKey;
  } else {
    return Fail(ErrorCode::kUnsupported, "bad sort target " + get_opts.sort_by);
  }
  // The server returns keys in ascending order anyway; asking for it would make it sort.
  if (req.sort_target == Target::kKey && req.sort_order == Order::kAscend) req.sort_order = Order::kNone;
  RETURN_IF_ERROR(ApplyRange(get_opts.prefix, get_opts.from_key, &req.key, &req.range_end));
  req.keys_only = get_opts.keys_only;
  return req;
}

Result<int> RunGet(CommandContext& ctx) {
  ASSIGN_OR_RETURN(etcdclient::RangeRequest req, GetRequest(ctx.args));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->Range(req, ctx.CommandDeadline()));
  // etcdctl checks this only once it has the answer.
  if (get_opts.print_value_only && ctx.print.format != cli::OutputFormat::kSimple) {
    return Fail(ErrorCode::kInvalidArgument, "print-value-only is only for `--write-out=simple`");
  }
  cli::PrintOptions p = ctx.print;
  p.value_only = get_opts.print_value_only;
  ASSIGN_OR_RETURN(std::string out, cli::PrintGet(p, resp));
  WriteStdout(out);
  return 0;
}

struct PutFlags {
  std::string lease = "0";
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;
} put_opts;

// etcdctl's getPutOp: the checks in its order, then the request options.
Result<etcdclient::TxnOp> PutOp(const std::vector<std::string>& args, bool value_from_stdin = true) {
  const Error usage(ErrorCode::kInvalidArgument,
                    "put command needs 1 argument and input from stdin or 2 arguments");
  if (args.empty()) return Fail(usage);
  if (put_opts.ignore_value && args.size() > 1) {
    return Fail(ErrorCode::kInvalidArgument, "put command needs only 1 argument when 'ignore-value' is set");
  }
  etcdclient::TxnOp op;
  op.kind = etcdclient::TxnOp::Kind::kPut;
  op.key = args[0];
  if (put_opts.ignore_value) {
    // no value: the key keeps its current one
  } else if (args.size() > 1) {
    op.value = args[1];
  } else {
    char buf[65536];
    ssize_t n;
    while (value_from_stdin && (n = ::read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
      op.value.append(buf, static_cast<size_t>(n));
    }
    if (op.value.empty()) return Fail(usage);
  }
  auto lease = cli::ParseGoInt(put_opts.lease, 16);
  if (!lease) {
    return Fail(ErrorCode::kInvalidArgument, "bad lease ID (" + lease.error().message() + "), expecting ID in Hex");
  }
  op.put = etcdclient::PutOptions{*lease, put_opts.prev_kv, put_opts.ignore_value, put_opts.ignore_lease};
  return op;
}

Result<int> RunPut(CommandContext& ctx) {
  ASSIGN_OR_RETURN(etcdclient::TxnOp op, PutOp(ctx.args));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->Put(op.key, op.value, op.put, ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintPut(ctx.print, resp));
  WriteStdout(out);
  return 0;
}

struct DelOptions {
  bool prefix = false;
  bool from_key = false;
  bool prev_kv = false;
} del_opts;

// etcdctl's getDelOp.
Result<etcdclient::TxnOp> DelOp(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    return Fail(ErrorCode::kInvalidArgument,
                "del command needs one argument as key and an optional argument as range_end");
  }
  etcdclient::TxnOp op;
  op.kind = etcdclient::TxnOp::Kind::kDelete;
  RETURN_IF_ERROR(KeyArgs(args, del_opts.prefix, del_opts.from_key, &op.key, &op.range_end));
  RETURN_IF_ERROR(ApplyRange(del_opts.prefix, del_opts.from_key, &op.key, &op.range_end));
  op.prev_kv = del_opts.prev_kv;
  return op;
}

Result<int> RunDel(CommandContext& ctx) {
  ASSIGN_OR_RETURN(etcdclient::TxnOp op, DelOp(ctx.args));
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());
  ASSIGN_OR_RETURN(auto resp, client->DeleteRange(op.key, op.range_end, op.prev_kv, ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintDel(ctx.print, resp));
  WriteStdout(out);
  return 0;
}

void AddGetFlags(cli::FlagSet& f) {
  f.AddString("consistency", 0, &get_opts.consistency, "Linearizable(l) or Serializable(s)");
  f.AddString("order", 0, &get_opts.order, "Order of results; ASCEND or DESCEND (ASCEND by default)");
  f.AddString("sort-by", 0, &get_opts.sort_by, "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION");
  f.AddInt64("limit", 0, &get_opts.limit, "Maximum number of results");
  f.AddBool("prefix", 0, &get_opts.prefix, "Get keys with matching prefix");
  f.AddBool("from-key", 0, &get_opts.from_key,
            "Get keys that are greater than or equal to the given key using byte compare");
  f.AddInt64("rev", 0, &get_opts.rev, "Specify the kv revision");
  f.AddBool("keys-only", 0, &get_opts.keys_only, "Get only the keys");
  f.AddBool("print-value-only", 0, &get_opts.print_value_only,
            "Only write values when using the \"simple\" output format");
}

void AddPutFlags(cli::FlagSet& f) {
  f.AddString("lease", 0, &put_opts.lease, "lease ID (in hexadecimal) to attach to the key");
  f.AddBool("prev-kv", 0, &put_opts.prev_kv, "return the previous key-value pair before modification");
  f.AddBool("ignore-value", 0, &put_opts.ignore_value, "updates the key using its current value");
  f.AddBool("ignore-lease", 0, &put_opts.ignore_lease, "updates the key using its current lease");
}

void AddDelFlags(cli::FlagSet& f) {
  f.AddBool("prefix", 0, &del_opts.prefix, "delete keys with matching prefix");
  f.AddBool("from-key", 0, &del_opts.from_key,
            "delete keys that are greater than or equal to the given key using byte compare");
  f.AddBool("prev-kv", 0, &del_opts.prev_kv, "return deleted key-value pairs");
}

const bool kGet = RegisterCommand({
    .name = "get",
    .usage = "etcdctl get [options] <key> [range_end] [flags]",
    .summary = "Gets the key or a range of keys",
    .add_flags = AddGetFlags,
    .run = RunGet,
});

const bool kPut = RegisterCommand({
    .name = "put",
    .usage = "etcdctl put [options] <key> <value> (<value> can also be given from stdin) [flags]",
    .summary = "Puts the given key into the store",
    .description =
        "\tPuts the given key into the store.\n\t\n"
        "\tWhen <value> begins with '-', <value> is interpreted as a flag.\n"
        "\tInsert '--' for workaround:\n\t\n\t$ put <key> -- <value>\n\t$ put -- <key> <value>\n\t\n"
        "\tIf <value> isn't given as a command line argument and '--ignore-value' is not specified,\n"
        "\tthis command tries to read the value from standard input.\n\t\n"
        "\tIf <lease> isn't given as a command line argument and '--ignore-lease' is not specified,\n"
        "\tthis command tries to read the value from standard input.\n\t\n"
        "\tFor example,\n\t$ cat file | put <key>\n\twill store the content of the file to <key>.\n",
    .add_flags = AddPutFlags,
    .run = RunPut,
});

const bool kDel = RegisterCommand({
    .name = "del",
    .usage = "etcdctl del [options] <key> [range_end] [flags]",
    .summary = "Removes the specified key or range of keys [key, range_end)",
    .add_flags = AddDelFlags,
    .run = RunDel,
});

}  // namespace

Result<etcdclient::TxnOp> ParseTxnRequest(const std::vector<std::string>& words, bool value_from_stdin,
                                          bool* syntax_error) {
  *syntax_error = false;
  // Each line starts from the defaults, as each is a fresh cobra command in etcdctl.
  get_opts = GetOptions{};
  put_opts = PutFlags{};
  del_opts = DelOptions{};
  cli::FlagSet flags;
  bool help = false;
  flags.AddBool("help", 'h', &help, "help");
  const std::string& cmd = words[0];
  if (cmd == "get") {
    AddGetFlags(flags);
  } else if (cmd == "put") {
    AddPutFlags(flags);
  } else if (cmd == "del") {
    AddDelFlags(flags);
  } else {
    *syntax_error = true;
    return Fail(ErrorCode::kInvalidArgument, "unknown request " + cmd);
  }
  auto args = flags.Parse({words.begin() + 1, words.end()});
  if (!args) {
    *syntax_error = true;
    return Fail(std::move(args).error());
  }
  if (cmd == "put") return PutOp(*args, value_from_stdin);
  if (cmd == "del") return DelOp(*args);
  etcdclient::TxnOp op;
  op.kind = etcdclient::TxnOp::Kind::kRange;
  ASSIGN_OR_RETURN(op.range, GetRequest(*args));
  return op;
}

}  // namespace etcdrestore::etcdctl_ext
