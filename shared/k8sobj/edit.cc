#include "shared/k8sobj/edit.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "shared/k8sobj/wire.h"

namespace etcdrestore::k8sobj {
namespace {

using wire::Field;
using wire::ForEachField;

constexpr std::string_view kProtoMagic{"k8s\0", 4};

// ObjectMeta fields the server sets (k8s.io/apimachinery/pkg/apis/meta/v1 generated.proto).
bool ServerSetMetaField(uint32_t n) {
  return n == 4 /*selfLink*/ || n == 5 /*uid*/ || n == 6 /*resourceVersion*/ || n == 7 /*generation*/ ||
         n == 8 /*creationTimestamp*/ || n == 9 /*deletionTimestamp*/ || n == 10 /*deletionGracePeriodSeconds*/ ||
         n == 17 /*managedFields*/;
}

// An OwnerReference: kind=1, name=3, uid=4, apiVersion=5, controller=6, blockOwnerDeletion=7.
Result<OwnerRef> DecodeOwnerRef(std::string_view ref) {
  OwnerRef o;
  RETURN_IF_ERROR(ForEachField(ref, "ownerReference", [&](const Field& f) -> Status {
    if (f.wire_type != 2) return {};
    if (f.number == 1) o.kind = f.bytes;
    if (f.number == 3) o.name = f.bytes;
    if (f.number == 4) o.uid = f.bytes;
    if (f.number == 5) o.api_version = f.bytes;
    return {};
  }));
  return o;
}

// Kept, rewritten or dropped (empty result).
Result<std::string> EditOwnerRef(std::string_view ref, const OwnerPolicy& owners, std::vector<std::string>* notes) {
  ASSIGN_OR_RETURN(OwnerRef o, DecodeOwnerRef(ref));
  const std::string &uid = o.uid, &kind = o.kind, &name = o.name;
  if (auto it = owners.recreated.find(uid); it != owners.recreated.end()) {
    std::string out;
    RETURN_IF_ERROR(ForEachField(ref, "ownerReference", [&](const Field& f) -> Status {
      if (f.number == 4 && f.wire_type == 2) {
        wire::PutBytes(&out, 4, it->second);
      } else {
        out.append(f.raw);
      }
      return {};
    }));
    return out;
  }
  if (owners.live && owners.live(o)) return std::string(ref);
  if (notes)
    notes->push_back(fmt::format("owner {} {} (uid {}) is gone: its ownerReference was dropped", kind, name, uid));
  return std::string();
}

Result<std::string> EditMeta(std::string_view meta, const OwnerPolicy& owners, std::vector<std::string>* notes) {
  std::string out;
  RETURN_IF_ERROR(ForEachField(meta, "metadata", [&](const Field& f) -> Status {
    if (ServerSetMetaField(f.number)) return {};
    if (f.number == 13 && f.wire_type == 2) {
      ASSIGN_OR_RETURN(std::string ref, EditOwnerRef(f.bytes, owners, notes));
      if (!ref.empty()) wire::PutBytes(&out, 13, ref);
      return {};
    }
    out.append(f.raw);
    return {};
  }));
  return out;
}

Result<CreateBody> ProtobufForCreate(std::string_view unknown, const OwnerPolicy& owners,
                                     std::vector<std::string>* notes) {
  std::string out_unknown;
  bool have_raw = false;
  RETURN_IF_ERROR(ForEachField(unknown, "runtime.Unknown", [&](const Field& f) -> Status {
    if (f.number != 2 || f.wire_type != 2) {
      out_unknown.append(f.raw);
      return {};
    }
    have_raw = true;
    std::string raw;
    RETURN_IF_ERROR(ForEachField(f.bytes, "object", [&](const Field& o) -> Status {
      if (o.number == 1 && o.wire_type == 2) {
        ASSIGN_OR_RETURN(std::string meta, EditMeta(o.bytes, owners, notes));
        wire::PutBytes(&raw, 1, meta);
      } else {  // spec, data, status, ...: as stored (field 3 is binaryData in a ConfigMap, type in a Secret)
        raw.append(o.raw);
      }
      return {};
    }));
    wire::PutBytes(&out_unknown, 2, raw);
    return {};
  }));
  if (!have_raw) return Fail(ErrorCode::kCorruption, "k8sobj: protobuf object value without its raw bytes");
  return CreateBody{"application/vnd.kubernetes.protobuf", std::string(kProtoMagic) + out_unknown};
}

Result<CreateBody> JsonForCreate(std::string_view value, const OwnerPolicy& owners, std::vector<std::string>* notes) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kCorruption, "k8sobj: the object value is neither protobuf nor a JSON object");
  }
  auto& m = j["metadata"];
  if (!m.is_object()) return Fail(ErrorCode::kCorruption, "k8sobj: JSON object without metadata");
  for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                        "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    m.erase(k);
  }
  if (auto refs = m.find("ownerReferences"); refs != m.end() && refs->is_array()) {
    nlohmann::json kept = nlohmann::json::array();
    for (auto ref : *refs) {
      const OwnerRef o{ref.value("apiVersion", ""), ref.value("kind", ""), ref.value("name", ""), ref.value("uid", "")};
      const std::string& uid = o.uid;
      if (auto it = owners.recreated.find(uid); it != owners.recreated.end()) {
        ref["uid"] = it->second;
        kept.push_back(ref);
      } else if (owners.live && owners.live(o)) {
        kept.push_back(ref);
      } else if (notes) {
        notes->push_back(fmt::format("owner {} {} (uid {}) is gone: its ownerReference was dropped",
                                     ref.value("kind", ""), ref.value("name", ""), uid));
      }
    }
    if (kept.empty()) {
      m.erase("ownerReferences");
    } else {
      *refs = kept;
    }
  }
  return CreateBody{"application/json", j.dump()};
}

}  // namespace

Result<std::vector<OwnerRef>> OwnerRefs(std::string_view value) {
  std::vector<OwnerRef> out;
  if (value.starts_with(kProtoMagic)) {
    RETURN_IF_ERROR(ForEachField(value.substr(kProtoMagic.size()), "runtime.Unknown", [&](const Field& f) -> Status {
      if (f.number != 2 || f.wire_type != 2) return {};
      return ForEachField(f.bytes, "object", [&](const Field& o) -> Status {
        if (o.number != 1 || o.wire_type != 2) return {};
        return ForEachField(o.bytes, "metadata", [&](const Field& m) -> Status {
          if (m.number != 13 || m.wire_type != 2) return {};
          ASSIGN_OR_RETURN(OwnerRef r, DecodeOwnerRef(m.bytes));
          out.push_back(std::move(r));
          return {};
        });
      });
    }));
    return out;
  }
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Fail(ErrorCode::kCorruption, "k8sobj: the object value is neither protobuf nor JSON");
  if (auto m = j.find("metadata"); m != j.end() && m->is_object()) {
    if (auto refs = m->find("ownerReferences"); refs != m->end() && refs->is_array()) {
      for (const auto& r : *refs) {
        if (r.is_object())
          out.push_back({r.value("apiVersion", ""), r.value("kind", ""), r.value("name", ""), r.value("uid", "")});
      }
    }
  }
  return out;
}

Result<CreateBody> ForCreate(std::string_view value, const OwnerPolicy& owners, std::vector<std::string>* notes) {
  if (value.starts_with(kProtoMagic)) return ProtobufForCreate(value.substr(kProtoMagic.size()), owners, notes);
  return JsonForCreate(value, owners, notes);
}

}  // namespace etcdrestore::k8sobj
