#include "shared/cli/flags.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "shared/base/strings.h"

namespace etcdrestore::cli {
namespace {

std::string JoinSlice(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out + "]";
}

Result<int64_t> ParseGoInt64(std::string_view s) {
  const std::string orig(s);
  auto syntax = [&] {
    return Fail(ErrorCode::kInvalidArgument,
                "strconv.ParseInt: parsing " + GoQuote(orig) + ": invalid syntax");
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    if (p == 'x') base = 16, s.remove_prefix(2);
    else if (p == 'b') base = 2, s.remove_prefix(2);
    else if (p == 'o') base = 8, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);
  }
  if (s.empty()) return syntax();
  unsigned __int128 v = 0;
  for (char c : s) {
    if (c == '_' && base != 10) continue;
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return syntax();
    if (d >= base) return syntax();
    v = v * base + d;
    if (v > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + 1) break;
  }
  const unsigned __int128 limit =
      static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + (neg ? 1 : 0);
  if (v > limit) {
    return Fail(ErrorCode::kInvalidArgument,
                "strconv.ParseInt: parsing " + GoQuote(orig) + ": value out of range");
  }
  return neg ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
}

}  // namespace

Result<uint64_t> ParseGoUint(std::string_view s, int base) {
  const std::string fn = "strconv.ParseUint: parsing " + GoQuote(std::string(s)) + ": ";
  if (s.empty()) return Fail(ErrorCode::kInvalidArgument, fn + "invalid syntax");
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return Fail(ErrorCode::kInvalidArgument, fn + "invalid syntax");
    if (d >= base) return Fail(ErrorCode::kInvalidArgument, fn + "invalid syntax");
    // Go stops at the first overflow: the rest of the string is not checked.
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      return Fail(ErrorCode::kInvalidArgument, fn + "value out of range");
    }
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  return v;
}

Result<int64_t> ParseGoInt(std::string_view s, int base) {
  const std::string fn = "strconv.ParseInt: parsing " + GoQuote(std::string(s)) + ": ";
  std::string_view digits = s;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  auto u = ParseGoUint(digits, base);
  if (!u) {
    const bool range = u.error().message().ends_with("value out of range");
    return Fail(ErrorCode::kInvalidArgument, fn + (range ? "value out of range" : "invalid syntax"));
  }
  const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (neg ? 1 : 0);
  if (*u > limit) return Fail(ErrorCode::kInvalidArgument, fn + "value out of range");
  return neg ? static_cast<int64_t>(0 - *u) : static_cast<int64_t>(*u);
}

Result<bool> ParseGoBool(std::string_view s) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) return false;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "strconv.ParseBool: parsing " + GoQuote(s) + ": invalid syntax");
}

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view s) {
  const std::string orig(s);
  auto invalid = [&] {
    return Fail(ErrorCode::kInvalidArgument, "time: invalid duration " + GoQuote(orig));
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid();
  long double total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || std::isdigit(static_cast<unsigned char>(s[0])))) return invalid();
    size_t i = 0;
    long double value = 0;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      value = value * 10 + (s[i] - '0');
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        value += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
        digits = true;
      }
    }
    if (!digits) return invalid();
    size_t u = i;
    while (u < s.size() && s[u] != '.' && !std::isdigit(static_cast<unsigned char>(s[u]))) ++u;
    std::string_view unit = s.substr(i, u - i);
    if (unit.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "time: missing unit in duration " + GoQuote(orig));
    }
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3L;
    else if (unit == "ms") mult = 1e6L;
    else if (unit == "s") mult = 1e9L;
    else if (unit == "m") mult = 60e9L;
    else if (unit == "h") mult = 3600e9L;
    else {
      return Fail(ErrorCode::kInvalidArgument,
                  "time: unknown unit " + GoQuote(unit) + " in duration " + GoQuote(orig));
    }
    total += value * mult;
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return invalid();
    s.remove_prefix(u);
  }
  auto ns = static_cast<int64_t>(total + 0.5L);
  return std::chrono::nanoseconds(neg ? -ns : ns);
}

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  int64_t v = d.count();
  if (v == 0) return "0s";
  bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  // Formats u / 10^prec with the fraction's trailing zeros dropped.
  auto frac = [](uint64_t x, int prec) {
    uint64_t p = 1;
    for (int i = 0; i < prec; ++i) p *= 10;
    std::string out = std::to_string(x / p);
    std::string f = fmt::format("{:0{}}", x % p, prec);
    while (!f.empty() && f.back() == '0') f.pop_back();
    if (!f.empty()) out += "." + f;
    return out;
  };
  std::string out;
  if (u < 1000) {
    out = std::to_string(u) + "ns";
  } else if (u < 1000000) {
    out = frac(u, 3) + "\xC2\xB5s";
  } else if (u < 1000000000) {
    out = frac(u, 6) + "ms";
  } else {
    uint64_t secs_ns = u % 60000000000ULL;
    uint64_t mins = u / 60000000000ULL;
    out = frac(secs_ns, 9) + "s";
    if (mins > 0) {
      uint64_t hours = mins / 60;
      out = std::to_string(mins % 60) + "m" + out;
      if (hours > 0) out = std::to_string(hours) + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}

void FlagSet::AddString(std::string name, char shorthand, std::string* target, std::string usage) {
  flags_.push_back(Flag{std::move(name), shorthand, FlagType::kString, std::move(usage),
                        GoQuote(*target), target, false});
}
void FlagSet::AddBool(std::string name, char shorthand, bool* target, std::string usage) {
  flags_.push_back(Flag{std::move(name), shorthand, FlagType::kBool, std::move(usage),
                        *target ? "true" : "false", target, false});
}
void FlagSet::AddInt64(std::string name, char shorthand, int64_t* target, std::string usage) {
  flags_.push_back(Flag{std::move(name), shorthand, FlagType::kInt64, std::move(usage),
                        std::to_string(*target), target, false});
}
void FlagSet::AddDuration(std::string name, char shorthand, std::chrono::nanoseconds* target,
                          std::string usage) {
  flags_.push_back(Flag{std::move(name), shorthand, FlagType::kDuration, std::move(usage),
                        FormatGoDuration(*target), target, false});
}
void FlagSet::AddStringSlice(std::string name, char shorthand, std::vector<std::string>* target,
                             std::string usage) {
  flags_.push_back(Flag{std::move(name), shorthand, FlagType::kStringSlice, std::move(usage),
                        JoinSlice(*target), target, false});
}

const Flag* FlagSet::Find(std::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}
Flag* FlagSet::FindMutable(std::string_view name) {
  for (Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}
const Flag* FlagSet::FindShort(char shorthand) const {
  for (const Flag& f : flags_) {
    if (f.shorthand != 0 && f.shorthand == shorthand) return &f;
  }
  return nullptr;
}
bool FlagSet::Changed(std::string_view name) const {
  const Flag* f = Find(name);
  return f != nullptr && f->changed;
}

Status FlagSet::SetFlag(Flag& f, std::string_view value, std::string_view shown_name) {
  auto invalid = [&](const Error& e) {
    return Fail(ErrorCode::kInvalidArgument, "invalid argument " + GoQuote(value) + " for " +
                                                 GoQuote(shown_name) + " flag: " + e.message());
  };
  switch (f.type) {
    case FlagType::kString:
      *static_cast<std::string*>(f.target) = std::string(value);
      break;
    case FlagType::kBool: {
      auto b = ParseGoBool(value);
      if (!b) return invalid(b.error());
      *static_cast<bool*>(f.target) = *b;
      break;
    }
    case FlagType::kInt64: {
      auto i = ParseGoInt64(value);
      if (!i) return invalid(i.error());
      *static_cast<int64_t*>(f.target) = *i;
      break;
    }
    case FlagType::kDuration: {
      auto d = ParseGoDuration(value);
      if (!d) return invalid(d.error());
      *static_cast<std::chrono::nanoseconds*>(f.target) = *d;
      break;
    }
    case FlagType::kStringSlice: {
      auto* v = static_cast<std::vector<std::string>*>(f.target);
      if (!f.changed) v->clear();
      if (!value.empty()) {
        size_t start = 0;
        while (true) {
          size_t comma = value.find(',', start);
          v->emplace_back(value.substr(start, comma == std::string_view::npos ? comma : comma - start));
          if (comma == std::string_view::npos) break;
          start = comma + 1;
        }
      }
      break;
    }
  }
  f.changed = true;
  return {};
}

Status FlagSet::Set(std::string_view name, std::string_view value) {
  Flag* f = FindMutable(name);
  if (f == nullptr) return Fail(ErrorCode::kInvalidArgument, "unknown flag: --" + std::string(name));
  return SetFlag(*f, value, "--" + std::string(name));
}

Result<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s.size() < 2 || s[0] != '-') {
      positional.push_back(s);
      continue;
    }
    if (s == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (s[1] == '-') {
      std::string name = s.substr(2);
      std::string value;
      bool has_value = false;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      Flag* f = FindMutable(name);
      if (f == nullptr) return Fail(ErrorCode::kInvalidArgument, "unknown flag: --" + name);
      if (!has_value) {
        if (f->type == FlagType::kBool) {
          value = "true";
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return Fail(ErrorCode::kInvalidArgument, "flag needs an argument: " + s);
        }
      }
      RETURN_IF_ERROR(SetFlag(*f, value, "--" + name));
      continue;
    }
    std::string shorthands = s.substr(1);
    while (!shorthands.empty()) {
      char c = shorthands[0];
      Flag* f = nullptr;
      for (Flag& cand : flags_) {
        if (cand.shorthand == c) f = &cand;
      }
      if (f == nullptr) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("unknown shorthand flag: '{}' in -{}", c, shorthands));
      }
      const std::string shown = fmt::format("-{}, --{}", c, f->name);
      std::string value;
      if (shorthands.size() > 2 && shorthands[1] == '=') {
        value = shorthands.substr(2);
        shorthands.clear();
      } else if (f->type == FlagType::kBool) {
        value = "true";
        shorthands.erase(0, 1);
      } else if (shorthands.size() > 1) {
        value = shorthands.substr(1);
        shorthands.clear();
      } else if (i + 1 < args.size()) {
        value = args[++i];
        shorthands.clear();
      } else {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("flag needs an argument: '{}' in -{}", c, shorthands));
      }
      RETURN_IF_ERROR(SetFlag(*f, value, shown));
    }
  }
  return positional;
}

std::string FlagSet::Usages() const {
  std::vector<const Flag*> sorted;
  for (const Flag& f : flags_) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](const Flag* a, const Flag* b) { return a->name < b->name; });
  std::vector<std::string> lefts;
  size_t widest = 0;
  for (const Flag* f : sorted) {
    std::string left = f->shorthand ? fmt::format("  -{}, --{}", f->shorthand, f->name)
                                    : fmt::format("      --{}", f->name);
    left += f->type == FlagType::kBool ? "[=" + f->default_text + "]" : "=" + f->default_text;
    widest = std::max(widest, left.size());
    lefts.push_back(std::move(left));
  }
  // Go's text/tabwriter as etcdctl's help template uses it (tabwidth 8, padding 1, '\t'
  // padding): the column is the widest cell + 1 rounded up to a multiple of 8, filled with tabs.
  const size_t column = (widest + 1 + 7) / 8 * 8;
  std::string out;
  for (size_t i = 0; i < sorted.size(); ++i) {
    size_t tabs = (column - lefts[i].size() + 7) / 8;
    out += lefts[i] + std::string(tabs, '\t') + sorted[i]->usage + "\n";
  }
  return out;
}

}  // namespace etcdrestore::cli
