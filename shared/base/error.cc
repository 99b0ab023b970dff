#include "shared/base/error.h"

#include <cerrno>
#include <cstring>

namespace etcdrestore {

Error ErrnoError(std::string_view what, int errnum) {
  ErrorCode code = ErrorCode::kIO;
  switch (errnum) {
    case ENOENT: code = ErrorCode::kNotFound; break;
    case EEXIST:
    case ENOTEMPTY: code = ErrorCode::kAlreadyExists; break;
    case EACCES:
    case EPERM: code = ErrorCode::kPermissionDenied; break;
    default: break;
  }
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(errnum);
  // strerror is capitalised ("No such file or directory"); our messages are lower-case.
  size_t at = msg.size() - std::strlen(std::strerror(errnum));
  if (at < msg.size() && msg[at] >= 'A' && msg[at] <= 'Z') msg[at] = static_cast<char>(msg[at] - 'A' + 'a');
  return Error(code, std::move(msg));
}

}  // namespace etcdrestore
