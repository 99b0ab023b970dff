// shared/base/strings.h
//
// String helpers shared by the modules that build messages and command lines.
#ifndef ETCDRESTORE_SHARED_BASE_STRINGS_H_
#define ETCDRESTORE_SHARED_BASE_STRINGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace etcdrestore {

// The items with sep between them, as Go's strings.Join: {"a", "b"}, "," -> "a,b"; {} -> "".
std::string Join(const std::vector<std::string>& items, std::string_view sep);

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_STRINGS_H_
