// shared/cli/env.h
//
// etcdctl's ETCDCTL_* environment handling (etcd pkg/flags SetPflagsFromEnv + verifyEnv):
// ETCDCTL_<FLAG NAME, upper-case, '-' -> '_'> sets a global flag that was not given on the
// command line (an empty value counts as unset); a variable whose flag *was* given is a fatal
// conflict; any other ETCDCTL_* variable gets a warning. Variables are visited in environment
// order, so warnings before the conflict are still printed, as etcdctl does.
#ifndef ETCDRESTORE_SHARED_CLI_ENV_H_
#define ETCDRESTORE_SHARED_CLI_ENV_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shared/base/error.h"
#include "shared/cli/flags.h"

namespace etcdrestore::cli {

struct EnvOutcome {
  // "unrecognized environment variable ETCDCTL_FOO=1" (etcdctl prints them as capnslog "W").
  std::vector<std::string> warnings;
  // "conflicting environment variable \"ETCDCTL_X\" is shadowed by corresponding command-line
  // flag (either unset environment variable or disable flag)" (capnslog "C", exit 1), or an
  // unparsable value: "invalid value \"abc\" for ETCDCTL_DIAL_TIMEOUT: ...".
  std::optional<std::string> fatal;
};

// env: "NAME=value" strings in environment order (environ(3)). Only flags named in
// flag_names are settable from the environment.
EnvOutcome ApplyEnvironment(FlagSet& flags, const std::vector<std::string>& flag_names,
                            const std::vector<std::string>& env);

// "ETCDCTL_" + upper-cased name with '-' -> '_'.
std::string FlagToEnv(const std::string& flag_name);

// Checks ETCDCTL_API like etcdctl 3.4's main: "" and "3" pick v3 (nullopt); anything else is
// an error text: "unsupported API version 4". "2" (the v2 API) is not implemented here.
std::optional<std::string> CheckApiVersion(const char* value);

// capnslog's line prefix: "2006-01-02 15:04:05.000000 <level> | pkg/flags: " (local time).
std::string CapnslogPrefix(char level);

}  // namespace etcdrestore::cli

#endif  // ETCDRESTORE_SHARED_CLI_ENV_H_
