#include "shared/base/strings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace etcdrestore {

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  return fmt::format("{}", fmt::join(items, sep));
}

}  // namespace etcdrestore
