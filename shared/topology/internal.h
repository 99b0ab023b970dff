// shared/topology/internal.h
//
// Helpers shared by the topology module's own files (command_line.cc, pods.cc,
// assemble.cc); not part of its interface.
#ifndef ETCDRESTORE_SHARED_TOPOLOGY_INTERNAL_H_
#define ETCDRESTORE_SHARED_TOPOLOGY_INTERNAL_H_

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::topology::internal {

// YAML access that never throws on a missing or mistyped field: an absent key, a scalar
// where a map is wanted and the like read as an undefined node, "" or an empty list.
YAML::Node Child(const YAML::Node& n, const char* key);
YAML::Node Path(const YAML::Node& n, std::initializer_list<const char*> keys);
std::string Str(const YAML::Node& n);
std::vector<std::string> StrList(const YAML::Node& n);
std::vector<YAML::Node> Items(const YAML::Node& n);  // n.items of a List

// Whether s is well-formed UTF-8 (shared/base/strings.h DecodeUtf8 over every sequence).
bool IsUtf8(std::string_view s);
// Parses text (YAML or JSON) that must be a map; errors start with `what`. Text that is not
// UTF-8 is refused: Kubernetes objects are UTF-8 (the API server and the kubelet refuse
// anything else), and what is read here goes out again as JSON (sidecar, plan, -o json),
// which cannot carry other bytes. (yaml-cpp itself refuses escapes of surrogates and of
// code points above U+10FFFF.)
Result<YAML::Node> LoadText(std::string_view text, std::string_view what);

// Splits a shell command line into words (quotes and backslashes; no expansions).
std::vector<std::string> ShellWords(std::string_view s);

}  // namespace etcdrestore::topology::internal

#endif  // ETCDRESTORE_SHARED_TOPOLOGY_INTERNAL_H_
