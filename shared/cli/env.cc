#include "shared/cli/env.h"

#include <sys/time.h>

#include <algorithm>
#include <ctime>
#include <set>

#include <fmt/format.h>

namespace etcdrestore::cli {

std::string FlagToEnv(const std::string& flag_name) {
  std::string out = "ETCDCTL_";
  for (char c : flag_name) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

EnvOutcome ApplyEnvironment(FlagSet& flags, const std::vector<std::string>& flag_names,
                            const std::vector<std::string>& env) {
  EnvOutcome out;
  auto lookup = [&](const std::string& key) -> std::optional<std::string> {
    for (const std::string& kv : env) {
      if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=') {
        return kv.substr(key.size() + 1);
      }
    }
    return std::nullopt;
  };
  std::set<std::string> already_set, used;
  for (const std::string& name : flag_names) {
    const std::string key = FlagToEnv(name);
    if (flags.Changed(name)) {
      already_set.insert(key);
      continue;
    }
    auto val = lookup(key);
    if (!val || val->empty()) continue;
    used.insert(key);
    if (auto s = flags.Set(name, *val); !s && !out.fatal) {
      out.fatal = fmt::format("invalid value \"{}\" for {}: {}", *val, key, s.error().message());
    }
  }
  for (const std::string& kv : env) {
    const std::string key = kv.substr(0, kv.find('='));
    if (used.count(key)) continue;
    if (already_set.count(key)) {
      out.fatal = fmt::format(
          "conflicting environment variable \"{}\" is shadowed by corresponding command-line flag "
          "(either unset environment variable or disable flag)",
          key);
      return out;
    }
    if (kv.starts_with("ETCDCTL_")) out.warnings.push_back("unrecognized environment variable " + kv);
  }
  return out;
}

std::optional<std::string> CheckApiVersion(const char* value) {
  if (value == nullptr || std::string_view(value).empty() || std::string_view(value) == "3") {
    return std::nullopt;
  }
  if (std::string_view(value) == "2") {
    return "ETCDCTL_API=2: the v2 API is not supported by etcdctl-ext (use the v3 API: unset ETCDCTL_API or set it to "
           "3)";
  }
  return fmt::format("unsupported API version {}", value);
}

std::string CapnslogPrefix(char level) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  std::tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:06} {} | pkg/flags: ", buf, tv.tv_usec, level);
}

}  // namespace etcdrestore::cli
