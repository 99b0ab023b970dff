#include "shared/k8sobj/schema.h"

#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>

#include <fmt/format.h>

#include "shared/k8sobj/wire.h"

#ifdef ETCDRESTORE_K8S_SCHEMAS
// Generated at build time by cmake/K8sSchemas.cmake from scripts/k8s-protos.sh's cache.
namespace etcdrestore::k8sobj::embedded {
extern const unsigned char kDescriptorSet[];
extern const size_t kDescriptorSetSize;
extern const unsigned char kJsonTags[];
extern const size_t kJsonTagsSize;
extern const char kVersion[];
}  // namespace etcdrestore::k8sobj::embedded
#endif

namespace etcdrestore::k8sobj {
namespace {

namespace pb = google::protobuf;
using Json = nlohmann::ordered_json;

constexpr int kMaxDepth = 100;  // nesting, as protobuf's own parse limit
constexpr std::string_view kMeta = "k8s.io.apimachinery.pkg.apis.meta.v1.";
constexpr int64_t kGoZeroTimeUnix = -62135596800;  // time.Time{}.Unix(): January 1, year 1, UTC

std::unexpected<Error> Damaged(const std::string& what) {
  return Fail(ErrorCode::kCorruption, "k8sobj: damaged object value: " + what);
}

// Go's encoding/json writes invalid UTF-8 as U+FFFD; so do we (nlohmann would throw).
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && n > 1) {
      uint32_t cp = c & (0x7f >> n);
      for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
      const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= min[n] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.append("\xef\xbf\xbd");
      ++i;
    }
  }
  return out;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v =
        static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 | static_cast<uint8_t>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Embedded JSON (RawExtension, FieldsV1, apiextensions JSON): Go copies the bytes into its
// output as they are; they must be JSON for the result to be.
Result<Json> RawJson(std::string_view raw, const pb::Descriptor* d) {
  if (raw.empty()) return Json(nullptr);
  Json j = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Damaged(fmt::format("{}: embedded bytes are not JSON", d->full_name()));
  return j;
}

// "k8s.io.api.apps.v1" for a group's first label and version, and the other trees the
// API server's types come from.
std::vector<std::string> PackagesFor(std::string_view group, std::string_view version) {
  std::string label(group.substr(0, group.find('.')));
  if (group.empty()) label = "core";
  if (group == "internal.apiserver.k8s.io") label = "apiserverinternal";
  const std::string v(version);
  return {"k8s.io.api." + label + "." + v, "k8s.io.apiextensions_apiserver.pkg.apis." + label + "." + v,
          "k8s.io.kube_aggregator.pkg.apis." + label + "." + v};
}

bool IsZeroScalar(const pb::Message& m, const pb::FieldDescriptor* f) {
  const pb::Reflection* r = m.GetReflection();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: return r->GetInt32(m, f) == 0;
    case pb::FieldDescriptor::CPPTYPE_INT64: return r->GetInt64(m, f) == 0;
    case pb::FieldDescriptor::CPPTYPE_UINT32: return r->GetUInt32(m, f) == 0;
    case pb::FieldDescriptor::CPPTYPE_UINT64: return r->GetUInt64(m, f) == 0;
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return r->GetDouble(m, f) == 0;
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return r->GetFloat(m, f) == 0;
    case pb::FieldDescriptor::CPPTYPE_BOOL: return !r->GetBool(m, f);
    case pb::FieldDescriptor::CPPTYPE_ENUM: return r->GetEnumValue(m, f) == 0;
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      return r->GetStringReference(m, f, &scratch).empty();
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: return false;
  }
  return false;
}

// The fields of the wire data that the schema does not know, named for the caller.
void NoteUnknown(const pb::Message& m, std::vector<std::string>* notes) {
  const pb::UnknownFieldSet& u = m.GetReflection()->GetUnknownFields(m);
  if (u.empty() || notes == nullptr) return;
  std::string nums;
  for (int i = 0; i < u.field_count(); ++i) nums += (nums.empty() ? "" : ", ") + std::to_string(u.field(i).number());
  notes->push_back(fmt::format("{} has fields this build's schemas (Kubernetes {}) do not know: {}; they are left out",
                               m.GetDescriptor()->full_name(), SchemasVersion().empty() ? "?" : SchemasVersion(),
                               nums));
}

// Protobuf logs an error for each proto2 string field with invalid UTF-8 it parses (and
// parses it anyway). Go's strings are bytes, so the API server stores such values; the
// printer writes them with U+FFFD. Those messages are dropped; any other is printed as
// protobuf's default handler does.
void ProtobufLog(pb::LogLevel level, const char* file, int line, const std::string& message) {
  if (message.find("invalid UTF-8") != std::string::npos) return;
  static const char* const kLevels[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  std::fprintf(stderr, "[libprotobuf %s %s:%d] %s\n", kLevels[std::clamp(static_cast<int>(level), 0, 3)], file, line,
               message.c_str());
}

}  // namespace

std::string GoDuration(int64_t d) {
  if (d == 0) return "0s";
  const bool neg = d < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  // Built right to left, as Go's time.Duration.String does.
  std::string out;
  auto frac = [&](int prec) {  // the last prec digits of u as ".ddd" without trailing zeros
    bool print = false;
    std::string digits;
    for (int i = 0; i < prec; ++i) {
      const char digit = static_cast<char>('0' + u % 10);
      print = print || digit != '0';
      if (print) digits.insert(digits.begin(), digit);
      u /= 10;
    }
    if (print) out.insert(0, "." + digits);
  };
  auto integer = [&](uint64_t v) { out.insert(0, std::to_string(v)); };
  if (u < 1000000000ULL) {
    std::string unit;
    int prec;
    if (u < 1000) {
      unit = "ns", prec = 0;
    } else if (u < 1000000) {
      unit = "\xc2\xb5s", prec = 3;
    } else {
      unit = "ms", prec = 6;
    }
    out = unit;
    frac(prec);
    integer(u);
  } else {
    out = "s";
    frac(9);
    integer(u % 60);
    u /= 60;
    if (u > 0) {
      out.insert(0, "m");
      integer(u % 60);
      u /= 60;
      if (u > 0) {
        out.insert(0, "h");
        integer(u);
      }
    }
  }
  return neg ? "-" + out : out;
}

std::string Rfc3339(int64_t seconds, int micros) {
  // Civil date from days since 1970-01-01 (proleptic Gregorian, as Go's time package).
  int64_t days = seconds / 86400, rem = seconds % 86400;
  if (rem < 0) rem += 86400, --days;
  const int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  std::string out = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", year, month, day, rem / 3600,
                                rem / 60 % 60, rem % 60);
  if (micros >= 0) out += fmt::format(".{:06d}", micros);
  return out + "Z";
}

Result<std::unique_ptr<Schemas>> Schemas::Load(std::string_view descriptor_set, std::string_view json_tags) {
  pb::FileDescriptorSet set;
  if (!set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
    return Fail(ErrorCode::kInvalidArgument, "k8sobj: the API schemas are not a protobuf FileDescriptorSet");
  }
  static std::once_flag log_once;
  std::call_once(log_once, [] { pb::SetLogHandler(&ProtobufLog); });
  std::unique_ptr<Schemas> s(new Schemas());
  struct FirstError : pb::DescriptorPool::ErrorCollector {
    void AddError(const std::string&, const std::string& element, const pb::Message*, ErrorLocation,
                  const std::string& message) override {
      if (first.empty()) first = element + ": " + message;
    }
    std::string first;
  };
  for (const auto& file : set.file()) {
    FirstError errors;
    if (s->pool_.BuildFileCollectingErrors(file, &errors) == nullptr) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("k8sobj: the API schemas' {} does not build: {}", file.name(), errors.first));
    }
  }
  size_t line_no = 0;
  while (!json_tags.empty()) {
    ++line_no;
    const size_t nl = json_tags.find('\n');
    std::string_view line = json_tags.substr(0, nl);
    json_tags.remove_prefix(nl == std::string_view::npos ? json_tags.size() : nl + 1);
    if (line.empty()) continue;
    std::string_view col[4];
    for (int i = 0; i < 4; ++i) {
      const size_t tab = i < 3 ? line.find('\t') : line.size();
      if (tab == std::string_view::npos) {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("k8sobj: JSON tags line {}: not 4 columns", line_no));
      }
      col[i] = line.substr(0, tab);
      line.remove_prefix(std::min(line.size(), tab + 1));
    }
    int number = 0;
    if (std::from_chars(col[1].data(), col[1].data() + col[1].size(), number).ec != std::errc()) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("k8sobj: JSON tags line {}: bad field number", line_no));
    }
    const pb::Descriptor* d = s->pool_.FindMessageTypeByName(std::string(col[0]));
    if (d == nullptr) continue;  // a Go struct without a message (not serialized as protobuf)
    s->has_tags_[d] = true;
    const pb::FieldDescriptor* f = d->FindFieldByNumber(number);
    if (f == nullptr) continue;
    JsonTag t;
    t.name = col[2];
    t.omitempty = col[3].find('o') != std::string_view::npos;
    t.inline_ = col[3].find('i') != std::string_view::npos;
    t.pointer = col[3].find('p') != std::string_view::npos;
    s->tags_[f] = std::move(t);
  }
  return s;
}

Result<const Schemas*> Schemas::Compiled() {
#ifdef ETCDRESTORE_K8S_SCHEMAS
  static std::once_flag once;
  static Result<std::unique_ptr<Schemas>> loaded = Fail(ErrorCode::kInternal, "unset");
  std::call_once(once, [] {
    loaded = Load({reinterpret_cast<const char*>(embedded::kDescriptorSet), embedded::kDescriptorSetSize},
                  {reinterpret_cast<const char*>(embedded::kJsonTags), embedded::kJsonTagsSize});
  });
  if (!loaded) return std::unexpected(loaded.error());
  return loaded->get();
#else
  return Fail(ErrorCode::kUnsupported,
              "this build has no Kubernetes API schemas, which -o json|yaml of built-in kinds (stored as protobuf) "
              "needs: run scripts/k8s-protos.sh (fetches Debian's kubernetes source once) and configure again "
              "(or -DETCDRESTORE_K8S_PROTO_DIR=DIR); meanwhile use -o name or -o wide");
#endif
}

std::string_view SchemasVersion() {
#ifdef ETCDRESTORE_K8S_SCHEMAS
  return embedded::kVersion;
#else
  return {};
#endif
}

const pb::Descriptor* Schemas::MessageFor(std::string_view api_version, std::string_view kind) const {
  const size_t slash = api_version.find('/');
  const std::string_view group = slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
  const std::string_view version = slash == std::string_view::npos ? api_version : api_version.substr(slash + 1);
  if (version.empty() || kind.empty()) return nullptr;
  for (const std::string& pkg : PackagesFor(group, version)) {
    if (const pb::Descriptor* d = pool_.FindMessageTypeByName(pkg + "." + std::string(kind))) return d;
  }
  return nullptr;
}

std::unique_ptr<pb::Message> Schemas::New(const pb::Descriptor* d) const {
  return std::unique_ptr<pb::Message>(factory_.GetPrototype(d)->New());
}

const JsonTag* Schemas::Tag(const pb::FieldDescriptor* f) const {
  auto it = tags_.find(f);
  return it == tags_.end() ? nullptr : &it->second;
}

Result<Json> Schemas::ToJson(const pb::Message& m, std::vector<std::string>* notes) const { return Value(m, notes, 0); }

// One message as Go prints the type it stands for.
Result<Json> Schemas::Value(const pb::Message& m, std::vector<std::string>* notes, int depth) const {
  if (depth > kMaxDepth) return Damaged("objects nested deeper than 100 levels");
  NoteUnknown(m, notes);
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  const std::string& full = d->full_name();
  auto field = [&](const char* name) { return d->FindFieldByName(name); };
  std::string scratch;
  auto str = [&](const pb::FieldDescriptor* f) -> const std::string& { return r->GetStringReference(m, f, &scratch); };
  if (full.starts_with(kMeta)) {
    const std::string_view name = std::string_view(full).substr(kMeta.size());
    if (name == "Time" || name == "MicroTime") {
      const auto* sec = field("seconds");
      const auto* nanos = field("nanos");
      if (sec == nullptr || nanos == nullptr) return Damaged(full + ": schema without seconds/nanos");
      // Empty bytes are the zero time (null); Time keeps whole seconds only (time_proto.go).
      const int64_t s = r->GetInt64(m, sec);
      const int32_t n = r->GetInt32(m, nanos);
      if (!r->HasField(m, sec) && !r->HasField(m, nanos)) return Json(nullptr);
      if (name == "Time") return s == kGoZeroTimeUnix ? Json(nullptr) : Json(Rfc3339(s));
      if (s == kGoZeroTimeUnix && n == 0) return Json(nullptr);
      if (n < 0 || n > 999999999) return Damaged(fmt::format("{}: nanos {} out of range", full, n));
      return Json(Rfc3339(s, n / 1000));
    }
    if (name == "Duration") {
      const auto* f = field("duration");
      if (f == nullptr) return Damaged(full + ": schema without duration");
      return Json(GoDuration(r->GetInt64(m, f)));
    }
    if (name == "FieldsV1") {
      const auto* f = field("Raw");
      if (f == nullptr) return Damaged(full + ": schema without Raw");
      return RawJson(str(f), d);
    }
  }
  if (full == "k8s.io.apimachinery.pkg.api.resource.Quantity") {
    const auto* f = field("string");
    if (f == nullptr) return Damaged(full + ": schema without string");
    return Json(r->HasField(m, f) ? ValidUtf8(str(f)) : std::string("0"));
  }
  if (full == "k8s.io.apimachinery.pkg.util.intstr.IntOrString") {
    const auto* type = field("type");
    const auto* iv = field("intVal");
    const auto* sv = field("strVal");
    if (type == nullptr || iv == nullptr || sv == nullptr) return Damaged(full + ": schema without type/intVal/strVal");
    if (r->GetInt64(m, type) == 1) return Json(ValidUtf8(str(sv)));
    return Json(r->GetInt32(m, iv));
  }
  if (full == "k8s.io.apimachinery.pkg.runtime.RawExtension") {
    const auto* f = field("raw");
    if (f == nullptr) return Damaged(full + ": schema without raw");
    return RawJson(str(f), d);
  }
  if (full.starts_with("k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.")) {
    const std::string_view name = std::string_view(full).substr(full.rfind('.') + 1);
    auto sub = [&](const char* n) -> Result<Json> {
      const auto* f = field(n);
      if (f == nullptr) return Damaged(full + ": schema without " + n);
      if (!r->HasField(m, f)) return Json(nullptr);
      return Value(r->GetMessage(m, f), notes, depth + 1);
    };
    auto list = [&](const char* n) -> Result<Json> {
      const auto* f = field(n);
      if (f == nullptr) return Damaged(full + ": schema without " + n);
      Json a = Json::array();
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        ASSIGN_OR_RETURN(Json v, FieldValue(m, f, i, notes, depth + 1));
        a.push_back(std::move(v));
      }
      return a;
    };
    auto size = [&](const char* n) { const auto* f = field(n); return f == nullptr ? 0 : r->FieldSize(m, f); };
    if (name == "JSON") {
      const auto* f = field("raw");
      if (f == nullptr) return Damaged(full + ": schema without raw");
      return RawJson(str(f), d);
    }
    if (name == "JSONSchemaPropsOrArray") return size("jSONSchemas") > 0 ? list("jSONSchemas") : sub("schema");
    if (name == "JSONSchemaPropsOrStringArray") return size("property") > 0 ? list("property") : sub("schema");
    if (name == "JSONSchemaPropsOrBool") {
      const auto* schema = field("schema");
      const auto* allows = field("allows");
      if (schema == nullptr || allows == nullptr) return Damaged(full + ": schema without schema/allows");
      if (r->HasField(m, schema)) return sub("schema");
      return Json(r->GetBool(m, allows));
    }
  }
  // A Go slice type (type ExtraValue []string): one repeated "items" field, no Go struct.
  if (!has_tags_.contains(d) && d->field_count() == 1 && d->field(0)->is_repeated() && d->field(0)->name() == "items") {
    Json a = Json::array();
    for (int i = 0; i < r->FieldSize(m, d->field(0)); ++i) {
      ASSIGN_OR_RETURN(Json v, FieldValue(m, d->field(0), i, notes, depth + 1));
      a.push_back(std::move(v));
    }
    return a;
  }
  Json out = Json::object();
  RETURN_IF_ERROR(Fields(m, &out, notes, depth));
  return out;
}

// The fields of a Go struct, added to *out (an inline struct adds its own fields to it).
Status Schemas::Fields(const pb::Message& m, Json* out, std::vector<std::string>* notes, int depth) const {
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  const bool go_struct = has_tags_.contains(d);
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    const JsonTag* tag = Tag(f);
    // Without the Go tag (a message no Go struct of the source names): print what is set.
    JsonTag fallback{f->name(), /*omitempty=*/true, false, /*pointer=*/f->has_presence() && !go_struct};
    if (tag == nullptr) tag = &fallback;
    const std::string& name = tag->name;
    if (f->is_map()) {
      const int n = r->FieldSize(m, f);
      if (n == 0) {
        if (!tag->omitempty) (*out)[name] = nullptr;
        continue;
      }
      const pb::FieldDescriptor* kf = f->message_type()->map_key();
      const pb::FieldDescriptor* vf = f->message_type()->map_value();
      std::vector<std::pair<std::string, Json>> entries;
      for (int k = 0; k < n; ++k) {
        const pb::Message& e = r->GetRepeatedMessage(m, f, k);
        std::string key;
        if (kf->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
          std::string s;
          key = ValidUtf8(e.GetReflection()->GetStringReference(e, kf, &s));
        } else {
          ASSIGN_OR_RETURN(Json kj, FieldValue(e, kf, -1, notes, depth + 1));
          key = kj.dump();
        }
        ASSIGN_OR_RETURN(Json v, FieldValue(e, vf, -1, notes, depth + 1));
        entries.emplace_back(std::move(key), std::move(v));  // a repeated key: the last wins, as in Go
      }
      std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      Json obj = Json::object();
      for (auto& [k, v] : entries) obj[k] = std::move(v);
      (*out)[name] = std::move(obj);
      continue;
    }
    if (f->is_repeated()) {
      const int n = r->FieldSize(m, f);
      if (n == 0) {
        if (!tag->omitempty) (*out)[name] = nullptr;
        continue;
      }
      Json a = Json::array();
      for (int k = 0; k < n; ++k) {
        ASSIGN_OR_RETURN(Json v, FieldValue(m, f, k, notes, depth + 1));
        a.push_back(std::move(v));
      }
      (*out)[name] = std::move(a);
      continue;
    }
    const bool has = r->HasField(m, f);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      // Go writes every struct that is not a nil pointer; absent is a nil pointer (or the
      // zero struct, printed as such).
      if (!has && tag->pointer) {
        if (!tag->omitempty) (*out)[name] = nullptr;
        continue;
      }
      if (tag->inline_) {
        if (depth + 1 > kMaxDepth) return Damaged("objects nested deeper than 100 levels");
        NoteUnknown(r->GetMessage(m, f), notes);
        RETURN_IF_ERROR(Fields(r->GetMessage(m, f), out, notes, depth + 1));
        continue;
      }
      ASSIGN_OR_RETURN(Json v, FieldValue(m, f, -1, notes, depth + 1));
      (*out)[name] = std::move(v);
      continue;
    }
    if (tag->pointer) {
      if (!has) {
        if (!tag->omitempty) (*out)[name] = nullptr;
        continue;
      }
    } else if (tag->omitempty && IsZeroScalar(m, f)) {
      continue;
    }
    ASSIGN_OR_RETURN(Json v, FieldValue(m, f, -1, notes, depth + 1));
    (*out)[name] = std::move(v);
  }
  return {};
}

// One value of field f (element index of a repeated field, -1 for a singular one).
Result<Json> Schemas::FieldValue(const pb::Message& m, const pb::FieldDescriptor* f, int index,
                                 std::vector<std::string>* notes, int depth) const {
  const pb::Reflection* r = m.GetReflection();
  const bool rep = index >= 0;
  std::string scratch;
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: return Json(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_INT64: return Json(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_UINT32: return Json(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_UINT64: return Json(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_BOOL: return Json(rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f));
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return Json(rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      const double v = f->cpp_type() == pb::FieldDescriptor::CPPTYPE_DOUBLE
                           ? (rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f))
                           : (rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
      if (!std::isfinite(v)) return Damaged(fmt::format("{}: {} is not a finite number", f->full_name(), v));
      return Json(v);
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      const std::string& s =
          rep ? r->GetRepeatedStringReference(m, f, index, &scratch) : r->GetStringReference(m, f, &scratch);
      if (f->type() == pb::FieldDescriptor::TYPE_BYTES) return Json(Base64(s));
      return Json(ValidUtf8(s));
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return Value(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), notes, depth);
  }
  return Damaged(f->full_name() + ": unknown field type");
}

Result<Json> Schemas::ObjectToJson(std::string_view value, std::string_view resource_version,
                                   std::vector<std::string>* notes) const {
  constexpr std::string_view kMagic{"k8s\0", 4};
  if (!value.starts_with(kMagic)) return Damaged("not a protobuf object (no k8s\\0 prefix)");
  std::string api_version, kind, encoding;
  std::string_view raw;
  RETURN_IF_ERROR(
      wire::ForEachField(value.substr(kMagic.size()), "runtime.Unknown", [&](const wire::Field& f) -> Status {
        if (f.wire_type != 2) return {};
        if (f.number == 1) {
          return wire::ForEachField(f.bytes, "typeMeta", [&](const wire::Field& t) -> Status {
            if (t.number == 1 && t.wire_type == 2) api_version = t.bytes;
            if (t.number == 2 && t.wire_type == 2) kind = t.bytes;
            return {};
          });
        }
        if (f.number == 2) raw = f.bytes;
        if (f.number == 3) encoding = f.bytes;
        return {};
      }));
  if (kind.empty()) return Damaged("protobuf value without a kind");
  if (!encoding.empty()) {
    return Fail(ErrorCode::kUnsupported, fmt::format("{} {}: content encoding \"{}\" is not supported", api_version,
                                                     ValidUtf8(kind), ValidUtf8(encoding)));
  }
  const pb::Descriptor* d = MessageFor(api_version, kind);
  if (d == nullptr) {
    return Fail(
        ErrorCode::kUnsupported,
        fmt::format("{} {} is not in this build's Kubernetes API schemas (Kubernetes {})", ValidUtf8(api_version),
                    ValidUtf8(kind), SchemasVersion().empty() ? "?" : SchemasVersion()));
  }
  std::unique_ptr<pb::Message> msg = New(d);
  if (!msg->ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    return Damaged(fmt::format("{} {}: the object does not parse as {}", api_version, kind, d->full_name()));
  }
  if (!resource_version.empty()) {
    // etcd keeps the resourceVersion as the key's mod revision, not in the value.
    const pb::FieldDescriptor* mf = d->FindFieldByName("metadata");
    if (mf != nullptr && mf->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      pb::Message* meta = msg->GetReflection()->MutableMessage(msg.get(), mf);
      if (const pb::FieldDescriptor* rv = meta->GetDescriptor()->FindFieldByName("resourceVersion")) {
        meta->GetReflection()->SetString(meta, rv, std::string(resource_version));
      }
    }
  }
  ASSIGN_OR_RETURN(Json body, Value(*msg, notes, 0));
  if (!body.is_object()) return Damaged(d->full_name() + " is not printed as a JSON object");
  Json out = Json::object();
  out["apiVersion"] = ValidUtf8(api_version);
  out["kind"] = ValidUtf8(kind);
  for (auto& [k, v] : body.items()) out[k] = std::move(v);
  return out;
}

}  // namespace etcdrestore::k8sobj
