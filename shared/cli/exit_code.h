// shared/cli/exit_code.h
//
// etcdctl's exit codes (pkg/cobrautl) and the one table mapping an Error to them.
// Which code a failed command uses depends on the command, as in etcdctl: `snapshot save`
// fails with kInterrupted (5), most others with kError (1). Argument errors (kInvalidArgument)
// are kBadArgs (128) and unsupported features kBadFeature (4) everywhere.
#ifndef ETCDRESTORE_SHARED_CLI_EXIT_CODE_H_
#define ETCDRESTORE_SHARED_CLI_EXIT_CODE_H_

#include "shared/base/error.h"

namespace etcdrestore::cli {

enum ExitCode : int {
  kExitSuccess = 0,
  kExitError = 1,
  kExitBadConnection = 2,
  kExitInvalidInput = 3,
  kExitBadFeature = 4,
  kExitInterrupted = 5,
  kExitIO = 6,
  kExitBadArgs = 128,
};

// The exit code for an error from a command whose generic failure code is command_failure.
ExitCode ExitCodeFor(ErrorCode code, ExitCode command_failure);

}  // namespace etcdrestore::cli

#endif  // ETCDRESTORE_SHARED_CLI_EXIT_CODE_H_
