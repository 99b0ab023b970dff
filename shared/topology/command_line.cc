// Command lines: ParseFlags, FlagValue, SplitList (topology.h) and ShellWords (internal.h).
#include <algorithm>

#include "shared/base/strings.h"
#include "shared/topology/internal.h"
#include "shared/topology/topology.h"

namespace etcdrestore::topology {

namespace internal {

// Splits a shell command line into words (quotes and backslashes; no expansions).
std::vector<std::string> ShellWords(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

}  // namespace internal

std::vector<Flag> ParseFlags(const std::vector<std::string>& argv,
                             const std::vector<std::string_view>& bool_flags) {
  std::vector<Flag> flags;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string_view w = argv[i];
    if (w.size() < 2 || w[0] != '-' || w == "--") continue;  // positional
    w.remove_prefix(w[1] == '-' ? 2 : 1);
    Flag f;
    const size_t eq = w.find('=');
    if (eq != std::string_view::npos) {
      f.name = std::string(w.substr(0, eq));
      f.value = std::string(w.substr(eq + 1));
    } else {
      f.name = std::string(w);
      const bool is_bool =
          std::find(bool_flags.begin(), bool_flags.end(), f.name) != bool_flags.end();
      if (!is_bool && i + 1 < argv.size() && !StartsWith(argv[i + 1], "-")) {
        f.value = argv[++i];
      } else {
        f.value = "true";
      }
    }
    flags.push_back(std::move(f));
  }
  return flags;
}

std::optional<std::string> FlagValue(const std::vector<Flag>& flags, std::string_view name) {
  for (auto it = flags.rbegin(); it != flags.rend(); ++it) {
    if (it->name == name) return it->value;
  }
  return std::nullopt;
}

std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view item = value.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace etcdrestore::topology
