// shared/base/error.h
//
// Errors as values. Every fallible function in shared/ returns Result<T> or Status;
// nothing in shared/ prints or exits. The binaries print an Error once, in main, and
// map its code to an exit code (shared/cli/exit_code.h).
//
// Message style: lower-case, no final period, says what was being done and carries
// the numbers the user needs, e.g.
//   restore: snapshot "/b/snap.db": sha256 mismatch (expected 3f2a..., got 91c0...)
#ifndef ETCDRESTORE_SHARED_BASE_ERROR_H_
#define ETCDRESTORE_SHARED_BASE_ERROR_H_

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace etcdrestore {

enum class ErrorCode {
  kInvalidArgument,     // bad flag or input value given by the user
  kNotFound,            // a file or object that must exist does not
  kAlreadyExists,       // a target that must not exist does
  kFailedPrecondition,  // state forbids the operation (e.g. a running etcd holds the WAL lock)
  kCorruption,          // a file is damaged or not what it claims to be
  kIO,                  // the OS refused a read or write (disk full, read-only fs, EIO)
  kUnavailable,         // network peer unreachable or timed out
  kPermissionDenied,    // authn/authz refused (TLS, RBAC, file permissions)
  kUnsupported,         // a feature or format the tool does not handle
  kInternal,            // a bug: an invariant did not hold
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns this error with "context: " in front of the message, like Go's
  // fmt.Errorf("context: %w", err). The code is kept.
  Error Wrap(std::string_view context) const& {
    return Error(code_, std::string(context) + ": " + message_);
  }
  Error Wrap(std::string_view context) && {
    message_.insert(0, std::string(context) + ": ");
    return std::move(*this);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}
inline std::unexpected<Error> Fail(Error e) { return std::unexpected<Error>(std::move(e)); }

// Errno-based failure: "<what>: <strerror(errnum)>", with the code chosen from errnum
// (ENOENT -> kNotFound, EEXIST/ENOTEMPTY -> kAlreadyExists, EACCES/EPERM -> kPermissionDenied,
// anything else -> kIO).
Error ErrnoError(std::string_view what, int errnum);

}  // namespace etcdrestore

#define ETCDRESTORE_CONCAT_INNER_(a, b) a##b
#define ETCDRESTORE_CONCAT_(a, b) ETCDRESTORE_CONCAT_INNER_(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define RETURN_IF_ERROR(expr)                                       \
  do {                                                              \
    auto&& etcdrestore_status_ = (expr);                            \
    if (!etcdrestore_status_) {                                     \
      return std::unexpected(std::move(etcdrestore_status_).error()); \
    }                                                               \
  } while (0)

// Declares lhs from a Result expression, or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(ETCDRESTORE_CONCAT_(etcdrestore_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)    \
  auto tmp = (expr);                              \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)

#endif  // ETCDRESTORE_SHARED_BASE_ERROR_H_
