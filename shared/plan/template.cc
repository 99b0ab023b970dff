#include "shared/plan/template.h"

#include <set>

#include "shared/plan/render.h"

namespace etcdrestore::plan {
namespace {

bool IsNameChar(char c, bool first) {
  return (c >= 'A' && c <= 'Z') || (!first && ((c >= '0' && c <= '9') || c == '_'));
}

// The length of a placeholder name starting at s[at] (after its '@') followed by '@'; 0 when
// there is none.
size_t PlaceholderAt(std::string_view s, size_t at) {
  size_t i = at;
  while (i < s.size() && IsNameChar(s[i], i == at)) ++i;
  return i > at && i < s.size() && s[i] == '@' ? i - at : 0;
}

Status Fill(std::string_view name, const TemplateValues& values, std::set<std::string>* used, std::string* out,
            int depth) {
  const std::string_view text = templates::EmbeddedFile(name);
  if (text.empty())
    return Fail(ErrorCode::kInternal, "template " + std::string(name) + ": no such embedded template");
  if (depth > 4) return Fail(ErrorCode::kInternal, "template " + std::string(name) + ": includes nest too deep");
  constexpr std::string_view kInclude = "# @INCLUDE ";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::string_view line = text.substr(pos, end - pos);
    pos = end;
    const size_t indent = line.find_first_not_of(" \t");
    const std::string_view body = indent == std::string_view::npos ? std::string_view() : line.substr(indent);
    if (body.starts_with(kInclude)) {
      std::string_view inc = body.substr(kInclude.size());
      const size_t at = inc.find('@');
      if (at == std::string_view::npos)
        return Fail(ErrorCode::kInternal, "template " + std::string(name) + ": an include line without its closing @");
      RETURN_IF_ERROR(Fill(inc.substr(0, at), values, used, out, depth + 1));
      continue;
    }
    const bool comment = body.starts_with("#");
    for (size_t i = 0; i < line.size(); ++i) {
      const size_t len = line[i] == '@' ? PlaceholderAt(line, i + 1) : 0;
      if (len == 0) {
        *out += line[i];
        continue;
      }
      const std::string key(line.substr(i + 1, len));
      if (comment)
        return Fail(ErrorCode::kInternal,
                    "template " + std::string(name) + ": placeholder @" + key + "@ in a comment line");
      auto it = values.find(key);
      if (it == values.end())
        return Fail(ErrorCode::kInternal, "template " + std::string(name) + ": no value for @" + key + "@");
      used->insert(key);
      std::string words;
      for (const auto& v : it->second) words += (words.empty() ? "" : " ") + ShellQuote(v);
      *out += words;
      i += len + 1;
    }
  }
  return {};
}

}  // namespace

Result<std::string> FillTemplate(std::string_view name, const TemplateValues& values) {
  std::string out;
  std::set<std::string> used;
  RETURN_IF_ERROR(Fill(name, values, &used, &out, 0));
  for (const auto& [key, v] : values)
    if (!used.contains(key))
      return Fail(ErrorCode::kInternal, "template " + std::string(name) + ": the value of " + key + " is not used");
  return out;
}

}  // namespace etcdrestore::plan
