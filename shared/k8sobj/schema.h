// shared/k8sobj/schema.h
//
// Built-in objects (protobuf in etcd) as the API server returns them in JSON, from the API's
// own schemas: the generated.proto files of the Kubernetes source, compiled into a
// descriptor set at build time (scripts/k8s-protos.sh fetches them; CMake embeds the set),
// plus the Go JSON tag of every struct field (name, omitempty, inline, pointer: how Go's
// encoding/json prints it, which the .proto files do not say).
//
// Printed like Kubernetes' JSON (kubectl get -o json):
//   - field names are the Go JSON names; `inline` structs are merged into their parent;
//     fields in schema order, map keys sorted (as Go prints them);
//   - a field absent on the wire is left out when its Go tag says omitempty, else null (a
//     nil pointer, slice or map); a zero scalar that is not a pointer is left out when
//     omitempty; a present struct is always printed (Go never omits structs);
//   - int64 and the other integers as JSON numbers, bytes as base64, invalid UTF-8 as U+FFFD;
//   - metav1.Time as RFC 3339 in UTC to the second (null when zero), MicroTime with
//     microseconds, metav1.Duration as Go's duration string ("1h0m0s"), resource.Quantity as
//     its stored string (written in canonical form by the API), IntOrString as a number or a
//     string, RawExtension, FieldsV1 and apiextensions' JSON as the embedded JSON (null when
//     empty), JSONSchemaPropsOr{Array,Bool,StringArray} as Go prints them, and wrappers of a
//     Go slice type (ExtraValue: one repeated "items" field, no Go struct) as arrays.
// Fields on the wire that the schema lacks (an object written by a newer Kubernetes) are
// left out and named in *notes. Load installs a protobuf log handler (process-wide, once)
// that drops protobuf's "invalid UTF-8" messages, which parsing such strings would print.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_SCHEMA_H_
#define ETCDRESTORE_SHARED_K8SOBJ_SCHEMA_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/base/error.h"

namespace etcdrestore::k8sobj {

// How Go's encoding/json prints one struct field (its `json:"..."` tag and type).
struct JsonTag {
  std::string name;  // "" with inline
  bool omitempty = false, inline_ = false, pointer = false;
};

class Schemas {
 public:
  // descriptor_set: a serialized google.protobuf.FileDescriptorSet with every import
  // (protoc --include_imports). json_tags: lines "<message>\t<field number>\t<json name>\t<flags>"
  // (flags: o omitempty, i inline, p pointer, - none; scripts/k8s-protos.sh writes them).
  // kInvalidArgument when either does not load.
  static Result<std::unique_ptr<Schemas>> Load(std::string_view descriptor_set, std::string_view json_tags);
  // The schemas compiled into this build (Kubernetes version: SchemasVersion()); kUnsupported,
  // saying how to build with them, when it was built without.
  static Result<const Schemas*> Compiled();

  // The message of apiVersion/kind ("apps/v1", "Deployment" -> k8s.io.api.apps.v1.Deployment),
  // or nullptr.
  const google::protobuf::Descriptor* MessageFor(std::string_view api_version, std::string_view kind) const;
  const google::protobuf::Descriptor* Message(std::string_view full_name) const {
    return pool_.FindMessageTypeByName(std::string(full_name));
  }
  // An empty message of type d (for building objects in tests and tools).
  std::unique_ptr<google::protobuf::Message> New(const google::protobuf::Descriptor* d) const;

  // m as Kubernetes' JSON (the rules above).
  Result<nlohmann::ordered_json> ToJson(const google::protobuf::Message& m, std::vector<std::string>* notes) const;

  // A plain built-in object value from etcd ("k8s\0" + runtime.Unknown) as the API returns
  // it: apiVersion, kind, then the object's fields. resource_version (the key's mod
  // revision; etcd does not store it in the value) is set in metadata when not empty.
  // kCorruption for a damaged value, kUnsupported for a kind the schemas lack or a
  // contentEncoding other than none.
  Result<nlohmann::ordered_json> ObjectToJson(std::string_view value, std::string_view resource_version,
                                              std::vector<std::string>* notes) const;

 private:
  Schemas() = default;
  const JsonTag* Tag(const google::protobuf::FieldDescriptor* f) const;
  Result<nlohmann::ordered_json> Value(const google::protobuf::Message& m, std::vector<std::string>* notes,
                                       int depth) const;
  Status Fields(const google::protobuf::Message& m, nlohmann::ordered_json* out, std::vector<std::string>* notes,
                int depth) const;
  Result<nlohmann::ordered_json> FieldValue(const google::protobuf::Message& m,
                                            const google::protobuf::FieldDescriptor* f, int index,
                                            std::vector<std::string>* notes, int depth) const;

  google::protobuf::DescriptorPool pool_;
  mutable google::protobuf::DynamicMessageFactory factory_{&pool_};
  std::unordered_map<const google::protobuf::FieldDescriptor*, JsonTag> tags_;
  std::unordered_map<const google::protobuf::Descriptor*, bool> has_tags_;  // messages of a Go struct
};

// The Kubernetes source version the compiled schemas come from ("" when built without).
std::string_view SchemasVersion();

// Go's time.Duration.String() of nanoseconds: "1h2m3.5s", "150ms", "0s".
std::string GoDuration(int64_t nanos);
// RFC 3339 in UTC of Unix seconds (+ microseconds when micros >= 0): "2024-05-01T10:00:00Z".
std::string Rfc3339(int64_t seconds, int micros = -1);

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_SCHEMA_H_
