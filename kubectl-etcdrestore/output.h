// kubectl-etcdrestore/output.h
//
// Output helpers shared by the commands: kubectl-style tables (upper-case headers, columns
// separated by 3 spaces, like kubectl's tabwriter), and JSON/YAML of a JSON value
// (`-o json` is nlohmann's 4-space dump as kubectl indents; `-o yaml` is the same tree
// through yaml-cpp).
#ifndef ETCDRESTORE_KUBECTL_ETCDRESTORE_OUTPUT_H_
#define ETCDRESTORE_KUBECTL_ETCDRESTORE_OUTPUT_H_

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "shared/base/error.h"

namespace etcdrestore::kubectl_plugin {

// The current time in UTC as RFC 3339 seconds ("2026-11-30T16:10:17Z").
std::string NowUtc();

std::string Table(const std::vector<std::vector<std::string>>& rows);

// "json" or "yaml"; kInvalidArgument for anything else (kubectl's wording). An ordered_json
// keeps its keys' order (an object as the API prints it); a json has them sorted. Invalid
// UTF-8 in strings is printed as U+FFFD.
Result<std::string> Render(const nlohmann::ordered_json& value, const std::string& format);
Result<std::string> Render(const nlohmann::json& value, const std::string& format);


}  // namespace etcdrestore::kubectl_plugin

#endif  // ETCDRESTORE_KUBECTL_ETCDRESTORE_OUTPUT_H_
