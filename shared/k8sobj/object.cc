#include "shared/k8sobj/object.h"

#include "shared/k8sobj/wire.h"

#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace etcdrestore::k8sobj {
namespace {

using wire::Field;
using wire::ForEachField;

constexpr std::string_view kProtoMagic{"k8s\0", 4};
constexpr std::string_view kEncryptedPrefix = "k8s:enc:";

std::unexpected<Error> Damaged(const std::string& what) {
  return Fail(ErrorCode::kCorruption, "k8sobj: damaged object value: " + what);
}

Status DecodeObjectMeta(std::string_view meta, ObjectInfo* o) {
  return ForEachField(meta, "metadata", [&](const Field& f) -> Status {
    if (f.wire_type == 2) {
      if (f.number == 1) o->name = f.bytes;
      if (f.number == 3) o->namespace_ = f.bytes;
      if (f.number == 5) o->uid = f.bytes;
      if (f.number == 8) {
        return ForEachField(f.bytes, "creationTimestamp", [&](const Field& t) -> Status {
          if (t.number == 1 && t.wire_type == 0) o->creation_seconds = static_cast<int64_t>(t.varint);
          return {};
        });
      }
    }
    return {};
  });
}

Result<ObjectInfo> DecodeProtobuf(std::string_view v) {
  ObjectInfo o;
  o.encoding = Encoding::kProtobuf;
  std::string_view raw;
  RETURN_IF_ERROR(ForEachField(v, "runtime.Unknown", [&](const Field& f) -> Status {
    if (f.number == 1 && f.wire_type == 2) {
      return ForEachField(f.bytes, "typeMeta", [&](const Field& t) -> Status {
        if (t.number == 1 && t.wire_type == 2) o.api_version = t.bytes;
        if (t.number == 2 && t.wire_type == 2) o.kind = t.bytes;
        return {};
      });
    }
    if (f.number == 2 && f.wire_type == 2) raw = f.bytes;
    return {};
  }));
  if (o.kind.empty()) return Damaged("protobuf value without a kind");
  RETURN_IF_ERROR(ForEachField(raw, o.kind.c_str(), [&](const Field& f) -> Status {
    if (f.number == 1 && f.wire_type == 2) return DecodeObjectMeta(f.bytes, &o);
    return {};
  }));
  return o;
}

// RFC 3339 "2006-01-02T15:04:05Z" (what the API server writes) to Unix seconds; 0 if not.
int64_t ParseTime(const std::string& s) {
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return 0;
  return static_cast<int64_t>(::timegm(&tm));
}

Result<ObjectInfo> DecodeJson(std::string_view v) {
  // Not JSON at all (most damage, and foreign values): say so before the parser tries.
  const size_t first = v.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || v[first] != '{') return Damaged("neither protobuf (k8s\\0) nor a JSON object");
  auto j = nlohmann::json::parse(v, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Damaged("neither protobuf (k8s\\0) nor a JSON object");
  ObjectInfo o;
  o.encoding = Encoding::kJson;
  auto str = [](const nlohmann::json& obj, const char* k) {
    auto it = obj.find(k);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  o.api_version = str(j, "apiVersion");
  o.kind = str(j, "kind");
  if (auto m = j.find("metadata"); m != j.end() && m->is_object()) {
    o.name = str(*m, "name");
    o.namespace_ = str(*m, "namespace");
    o.uid = str(*m, "uid");
    o.creation_seconds = ParseTime(str(*m, "creationTimestamp"));
  }
  return o;
}

}  // namespace

Result<ObjectInfo> DecodeObject(std::string_view v) {
  if (v.starts_with(kProtoMagic)) return DecodeProtobuf(v.substr(kProtoMagic.size()));
  if (v.starts_with(kEncryptedPrefix)) {
    // k8s:enc:<provider>:v1:<key name>:<ciphertext>
    ObjectInfo o;
    o.encoding = Encoding::kEncrypted;
    std::string_view rest = v.substr(kEncryptedPrefix.size());
    size_t c1 = rest.find(':');
    if (c1 == std::string_view::npos || c1 == 0) return Damaged("encrypted value without a provider");
    o.provider = rest.substr(0, c1);
    rest.remove_prefix(c1 + 1);
    if (size_t c2 = rest.find(':'); c2 != std::string_view::npos) {
      rest.remove_prefix(c2 + 1);  // "v1"
      if (size_t c3 = rest.find(':'); c3 != std::string_view::npos && c3 <= 256) o.key_name = rest.substr(0, c3);
    }
    return o;
  }
  return DecodeJson(v);
}

std::string KindQualifiedName(const ObjectInfo& o) {
  std::string kind;
  for (char c : o.kind) kind.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const size_t slash = o.api_version.find('/');
  if (slash == std::string::npos) return kind;  // core group: "v1"
  return kind + "." + o.api_version.substr(0, slash);
}

}  // namespace etcdrestore::k8sobj
