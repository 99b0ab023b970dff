// shared/plan/template.h
//
// The node scripts' text is not built in C++: it lives in shared/plan/templates/*.sh (real
// sh files, checked by shellcheck), built into the library at build time
// (cmake/EmbedFiles.cmake). The plan fills them with values it decides.
//
// A template holds placeholders @NAME@ (NAME: [A-Z][A-Z0-9_]*) and include lines
// `# @INCLUDE file.sh@`. FillTemplate replaces
//   - each placeholder with its value list, every item shell-quoted by ShellQuote (shared/base/strings.h)
//     and joined with spaces (an empty list: nothing); a value never lands unquoted;
//   - each include line with that embedded template, filled the same way.
// It fails (kInternal: a template and its caller disagree, a bug caught by the unit tests)
// on a placeholder with no value, a value no placeholder uses, a placeholder in a comment
// line (a quoted value with a newline would end the comment), or an unknown include.
#ifndef ETCDRESTORE_SHARED_PLAN_TEMPLATE_H_
#define ETCDRESTORE_SHARED_PLAN_TEMPLATE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::plan {

namespace templates {
// The embedded text of shared/plan/templates/<name>; empty when there is no such file.
std::string_view EmbeddedFile(std::string_view name);
}  // namespace templates

using TemplateValues = std::map<std::string, std::vector<std::string>>;

Result<std::string> FillTemplate(std::string_view name, const TemplateValues& values);

}  // namespace etcdrestore::plan

#endif  // ETCDRESTORE_SHARED_PLAN_TEMPLATE_H_
