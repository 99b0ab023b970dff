// shared/cli/flags.h
//
// A command-line flag parser with spf13/pflag's syntax and error texts, which is what
// etcdctl (cobra) users and scripts rely on:
//   --name=value, --name value, -n value, -nvalue, -n=value; bool flags take no separate
//   value (--hex, --hex=false); flags and positionals may be mixed; "--" ends the flags.
// Values are parsed like Go: bools by strconv.ParseBool, ints by strconv.ParseInt(s, 0, 64),
// durations by time.ParseDuration, string slices as comma-separated lists (the first use
// replaces the default, later uses append).
#ifndef ETCDRESTORE_SHARED_CLI_FLAGS_H_
#define ETCDRESTORE_SHARED_CLI_FLAGS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::cli {

enum class FlagType { kString, kBool, kInt64, kDuration, kStringSlice };

struct Flag {
  std::string name;
  char shorthand = 0;  // 0: none
  FlagType type = FlagType::kString;
  std::string usage;
  std::string default_text;  // pflag's rendering of the default, for help
  void* target = nullptr;    // std::string*, bool*, int64_t*, std::chrono::nanoseconds*, std::vector<std::string>*
  bool changed = false;
};

class FlagSet {
 public:
  // Each Add* records *target's current value as the default.
  void AddString(std::string name, char shorthand, std::string* target, std::string usage);
  void AddBool(std::string name, char shorthand, bool* target, std::string usage);
  void AddInt64(std::string name, char shorthand, int64_t* target, std::string usage);
  void AddDuration(std::string name, char shorthand, std::chrono::nanoseconds* target,
                   std::string usage);
  void AddStringSlice(std::string name, char shorthand, std::vector<std::string>* target,
                      std::string usage);

  // Parses args (without the program name); returns the positional arguments in order.
  // Errors carry pflag's text, e.g. "unknown flag: --bogus", "flag needs an argument: --rev",
  // "invalid argument \"abc\" for \"--rev\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax".
  Result<std::vector<std::string>> Parse(const std::vector<std::string>& args);

  // Sets a flag by name as if given (marks it changed). Error texts as Parse.
  Status Set(std::string_view name, std::string_view value);

  const Flag* Find(std::string_view name) const;
  const Flag* FindShort(char shorthand) const;
  bool Changed(std::string_view name) const;
  const std::vector<Flag>& flags() const { return flags_; }

  // etcdctl's help listing, one flag a line, sorted by name, usage aligned with tabs as
  // Go's tabwriter does: "      --cacert=\"\"\t\t\t\t<usage>", "  -w, --write-out=\"simple\"\t...".
  std::string Usages() const;

 private:
  Flag* FindMutable(std::string_view name);
  Status SetFlag(Flag& f, std::string_view value, std::string_view shown_name);

  std::vector<Flag> flags_;
};

// Go's time.ParseDuration; errors read `time: invalid duration "abc"`.
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view s);
// Go's time.Duration.String(): "0s", "850ns", "857.82µs", "1.458294ms", "5.000344529s", "1m30s".
std::string FormatGoDuration(std::chrono::nanoseconds d);
// Go's strconv.ParseUint(s, base, 64) and ParseInt(s, base, 64) for an explicit base (no
// prefix, no '_'), as etcdctl parses member and lease IDs (base 16) and TTLs (base 10). Errors
// (kInvalidArgument): `strconv.ParseUint: parsing "zz": invalid syntax`, `... value out of range`.
Result<uint64_t> ParseGoUint(std::string_view s, int base);
Result<int64_t> ParseGoInt(std::string_view s, int base);
// Go's strconv.ParseBool.
Result<bool> ParseGoBool(std::string_view s);

}  // namespace etcdrestore::cli

#endif  // ETCDRESTORE_SHARED_CLI_FLAGS_H_
