#include "shared/cli/exit_code.h"

namespace etcdrestore::cli {

ExitCode ExitCodeFor(ErrorCode code, ExitCode command_failure) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return kExitBadArgs;
    case ErrorCode::kUnsupported: return kExitBadFeature;
    case ErrorCode::kInternal: return kExitError;
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kCorruption:
    case ErrorCode::kIO:
    case ErrorCode::kUnavailable:
    case ErrorCode::kPermissionDenied: return command_failure;
  }
  return command_failure;
}

}  // namespace etcdrestore::cli
