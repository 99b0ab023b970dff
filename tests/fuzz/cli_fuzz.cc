// etcdctl-ext's flag and environment parsing (shared/cli): a FlagSet with etcdctl's
// global flags plus one flag of each type parses the args, then the ETCDCTL_* variables
// are applied and the client configurations built. Input: args separated by NUL, then a
// 0x01 byte, then "NAME=value" environment entries separated by NUL. Every part also goes
// through ParseGoDuration, ParseGoBool, ParseOutputFormat and CheckApiVersion. Oracle:
// FormatGoDuration of a parsed duration parses back to the same duration.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shared/cli/env.h"
#include "shared/cli/flags.h"
#include "shared/cli/global.h"
#include "shared/cli/printers.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t split = in.find('\x01');
  std::vector<std::string> args = fuzz::Split(in.substr(0, split), '\0');
  std::vector<std::string> env;
  if (split != std::string_view::npos) env = fuzz::Split(in.substr(split + 1), '\0');

  for (const auto* list : {&args, &env}) {
    for (const std::string& s : *list) {
      if (auto d = cli::ParseGoDuration(s)) {
        auto back = cli::ParseGoDuration(cli::FormatGoDuration(*d));
        if (!back || *back != *d) std::abort();
      }
      (void)cli::ParseGoBool(s);
      (void)cli::ParseOutputFormat(s);
      (void)cli::CheckApiVersion(s.c_str());
      (void)cli::FlagToEnv(s);
    }
  }

  cli::FlagSet flags;
  cli::GlobalOptions g;
  cli::AddGlobalFlags(flags, &g);
  std::string prefix;
  bool keys_only = false;
  int64_t rev = 0;
  std::chrono::nanoseconds ttl{0};
  std::vector<std::string> peers;
  flags.AddString("prefix-string", 'p', &prefix, "a string");
  flags.AddBool("keys-only", 'k', &keys_only, "a bool");
  flags.AddInt64("rev", 'r', &rev, "an int");
  flags.AddDuration("ttl", 't', &ttl, "a duration");
  flags.AddStringSlice("peers", 'P', &peers, "a list");
  auto pos = flags.Parse(args);
  if (!pos) return 0;
  (void)flags.Usages();
  cli::EnvOutcome out = cli::ApplyEnvironment(flags, cli::GlobalFlagNames(), env);
  if (out.fatal) return 0;
  if (g.cacert.empty() && g.cert.empty() && g.key.empty()) {
    (void)cli::ClientConfigs(g, flags, []() -> Result<std::string> { return std::string("pw"); });
  }
  return 0;
}
