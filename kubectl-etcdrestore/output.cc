#include "kubectl-etcdrestore/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

namespace etcdrestore::kubectl_plugin {

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

void Emit(YAML::Emitter& out, const nlohmann::ordered_json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      Emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : v) Emit(out, item);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    out << YAML::DoubleQuoted << v.get<std::string>();
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

}  // namespace

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows) {
    if (widths.size() < r.size()) widths.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(widths[i] - r[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

Result<std::string> Render(const nlohmann::ordered_json& value, const std::string& format) {
  if (format == "json") return value.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  if (format == "yaml") {
    YAML::Emitter out;
    Emit(out, value);
    return std::string(out.c_str()) + "\n";
  }
  return Fail(ErrorCode::kInvalidArgument,
              "unable to match a printer suitable for the output format \"" + format +
                  "\", allowed formats are: json,yaml");
}

Result<std::string> Render(const nlohmann::json& value, const std::string& format) {
  // Keys sorted, as nlohmann::json keeps them.
  return Render(nlohmann::ordered_json::parse(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
                format);
}

}  // namespace etcdrestore::kubectl_plugin
