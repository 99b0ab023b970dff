// txn (etcdctl 3.4 ctlv3/command/txn_command.go), non-interactive grammar from stdin:
//
//   <compare>*      one a line: ver|version|c|create|m|mod|val|value("key") <op> "value"
//   <blank line>
//   <request>*      success requests: get/put/del command lines with their flags
//   <blank line>
//   <request>*      failure requests
//   <blank line>
//
// Input errors exit 3 (ExitInvalidInput) with etcdctl's texts; a missing blank line at the
// end is "EOF", as etcdctl reads it.
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "etcdctl-ext/command.h"
#include "etcdctl-ext/kv.h"
#include "shared/cli/format.h"

namespace etcdrestore::etcdctl_ext {
namespace {

bool interactive = false;

// bufio.Reader.ReadString('\n') on stdin: false at EOF before a newline (etcdctl: "EOF").
bool ReadLine(std::string* line) {
  line->clear();
  char c;
  while (::read(STDIN_FILENO, &c, 1) == 1) {
    if (c == '\n') return true;
    *line += c;
  }
  return false;
}

std::string TrimSpace(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n\v\f");
  return s.substr(b, e - b + 1);
}

// Go's %q scanning of one quoted string at s[*pos] ("..." with escapes, or `...`).
bool ScanQuoted(const std::string& s, size_t* pos, std::string* out) {
  while (*pos < s.size() && (s[*pos] == ' ' || s[*pos] == '\t')) ++*pos;
  if (*pos >= s.size()) return false;
  const char q = s[*pos];
  out->clear();
  if (q == '`') {
    size_t end = s.find('`', *pos + 1);
    if (end == std::string::npos) return false;
    *out = s.substr(*pos + 1, end - *pos - 1);
    *pos = end + 1;
    return true;
  }
  if (q != '"') return false;
  size_t i = *pos + 1;
  while (i < s.size() && s[i] != '"') {
    if (s[i] != '\\') {
      *out += s[i++];
      continue;
    }
    if (++i >= s.size()) return false;
    const char e = s[i++];
    switch (e) {
      case 'n': *out += '\n'; break;
      case 't': *out += '\t'; break;
      case 'r': *out += '\r'; break;
      case 'a': *out += '\a'; break;
      case 'b': *out += '\b'; break;
      case 'f': *out += '\f'; break;
      case 'v': *out += '\v'; break;
      case '\\': *out += '\\'; break;
      case '"': *out += '"'; break;
      case '\'': *out += '\''; break;
      case 'x': {
        if (i + 2 > s.size()) return false;
        *out += static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16));
        i += 2;
        break;
      }
      default: return false;
    }
  }
  if (i >= s.size()) return false;
  *pos = i + 1;
  return true;
}

// etcdctl's argify: words, "double quoted" (unquoted as Go does) and 'single quoted' ones.
Result<std::vector<std::string>> Argify(const std::string& line) {
  static const std::regex word(R"re("(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?)re");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(line.begin(), line.end(), word); it != std::sregex_iterator(); ++it) {
    std::string a = it->str();
    if (a[0] == '\'') {
      a = a.substr(1, a.size() - 2);
    } else if (a[0] == '"') {
      size_t pos = 0;
      std::string unq;
      if (!ScanQuoted(a, &pos, &unq)) return Fail(ErrorCode::kInvalidArgument, "bad quoted string " + a);
      a = unq;
    }
    out.push_back(std::move(a));
  }
  return out;
}

// etcdctl's parseCompare.
Result<etcdclient::TxnCompare> ParseCompare(const std::string& line) {
  const size_t lparen = line.find('(');
  if (lparen == std::string::npos) return Fail(ErrorCode::kInvalidArgument, "malformed comparison: " + line);
  const std::string target = line.substr(0, lparen), rest = line.substr(lparen + 1);
  // fmt.Sscanf(rest, "%q) %s %q", &key, &op, &val)
  std::string key, op, val;
  size_t pos = 0;
  int n = 0;
  if (ScanQuoted(rest, &pos, &key)) {
    n = 1;
    // Go's Sscanf wants at least one space where the format has one.
    if (pos + 1 < rest.size() && rest[pos] == ')' && (rest[pos + 1] == ' ' || rest[pos + 1] == '\t')) {
      ++pos;
      while (pos < rest.size() && (rest[pos] == ' ' || rest[pos] == '\t')) ++pos;
      size_t end = rest.find_first_of(" \t", pos);
      op = rest.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (!op.empty()) {
        n = 2;
        pos = end == std::string::npos ? rest.size() : end;
        if (ScanQuoted(rest, &pos, &val)) n = 3;
      }
    }
  }
  if (n != 3) {
    return Fail(ErrorCode::kInvalidArgument, "malformed comparison: " + line + "; got " + target + "(" +
                                                 GoQuote(key) + ") " + op + " " + GoQuote(val));
  }
  etcdclient::TxnCompare cmp;
  cmp.key = key;
  if (op == "=") cmp.result = 0;
  else if (op == ">") cmp.result = 1;
  else if (op == "<") cmp.result = 2;
  else if (op == "!=") cmp.result = 3;
  else  // etcdctl 3.4 panics here ("Unknown result op")
    return Fail(ErrorCode::kInvalidArgument, "malformed comparison: " + line + " (unknown operator " + op + ")");
  if (target == "val" || target == "value") {
    cmp.target = 3;
    cmp.value = val;
    return cmp;
  }
  if (target == "ver" || target == "version") cmp.target = 0;
  else if (target == "c" || target == "create") cmp.target = 1;
  else if (target == "m" || target == "mod") cmp.target = 2;
  else if (target == "lease")  // etcdctl 3.4 panics on any lease comparison
    return Fail(ErrorCode::kInvalidArgument,
                "malformed comparison: " + line + " (lease comparisons are not supported)");
  else
    return Fail(ErrorCode::kInvalidArgument, "malformed comparison: " + line + " (unknown target " + target + ")");
  auto v = cli::ParseGoInt(val, 10);
  if (!v) return Fail(ErrorCode::kInvalidArgument, "invalid txn compare request: " + line);
  cmp.number = *v;
  return cmp;
}

// Input errors are etcdctl's ExitInvalidInput (3).
Error InvalidInput(CommandContext& ctx, std::string message) {
  ctx.failure_code = cli::kExitInvalidInput;
  return Error(ErrorCode::kFailedPrecondition, std::move(message));
}

Result<std::vector<etcdclient::TxnOp>> ReadOps(CommandContext& ctx) {
  std::vector<etcdclient::TxnOp> ops;
  std::string raw;
  while (true) {
    if (!ReadLine(&raw)) return Fail(InvalidInput(ctx, "EOF"));
    const std::string line = TrimSpace(raw);
    if (line.empty()) return ops;
    auto words = Argify(line);
    if (!words) return Fail(InvalidInput(ctx, words.error().message()));
    if (words->size() < 2) return Fail(InvalidInput(ctx, "invalid txn compare request: " + line));
    bool syntax = false;
    auto op = ParseTxnRequest(*words, /*value_from_stdin=*/false, &syntax);
    if (!op && syntax) return Fail(InvalidInput(ctx, "invalid txn request: " + line));
    if (!op) return Fail(std::move(op).error());  // the command's own check (exit 128)
    ops.push_back(std::move(*op));
  }
}

Result<int> RunTxn(CommandContext& ctx) {
  if (!ctx.args.empty()) return Fail(ErrorCode::kInvalidArgument, "txn command does not accept argument");
  ASSIGN_OR_RETURN(auto client, ctx.DialFirst());  // etcdctl connects before reading stdin
  auto prompt = [](const char* s) {
    if (interactive) WriteStdout(std::string(s) + "\n");
  };
  prompt("compares:");
  std::vector<etcdclient::TxnCompare> compares;
  std::string raw;
  while (true) {
    if (!ReadLine(&raw)) return Fail(InvalidInput(ctx, "EOF"));
    const std::string line = TrimSpace(raw);
    if (line.empty()) break;
    auto cmp = ParseCompare(line);
    if (!cmp) return Fail(InvalidInput(ctx, cmp.error().message()));
    compares.push_back(std::move(*cmp));
  }
  prompt("success requests (get, put, del):");
  ASSIGN_OR_RETURN(auto success, ReadOps(ctx));
  prompt("failure requests (get, put, del):");
  ASSIGN_OR_RETURN(auto failure, ReadOps(ctx));
  ASSIGN_OR_RETURN(auto resp, client->Txn(compares, success, failure, ctx.CommandDeadline()));
  ASSIGN_OR_RETURN(std::string out, cli::PrintTxn(ctx.print, resp));
  WriteStdout(out);
  return 0;
}

const bool kTxn = RegisterCommand({
    .name = "txn",
    .usage = "etcdctl txn [options] [flags]",
    .summary = "Txn processes all the requests in one transaction",
    .add_flags =
        [](cli::FlagSet& f) { f.AddBool("interactive", 'i', &interactive, "Input transaction in interactive mode"); },
    .run = RunTxn,
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
