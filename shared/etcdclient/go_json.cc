#include "shared/etcdclient/go_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <cctype>
#include <memory>
#include <string>

#include "etcdclient_rpc.pb.h"

namespace etcdrestore::etcdclient {
namespace {

namespace gp = google::protobuf;

void WalkMessage(const gp::Message& m, JsonSink& sink);

void WalkValue(const gp::Message& m, const gp::FieldDescriptor* f, int index, JsonSink& sink) {
  const gp::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case gp::FieldDescriptor::CPPTYPE_INT32:
      sink.Int(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_INT64:
      sink.Int(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_UINT32:
      sink.Uint(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_UINT64:
      sink.Uint(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_BOOL:
      sink.Bool(rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_ENUM:  // a Go int32 type: a number
      sink.Int(rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == gp::FieldDescriptor::TYPE_BYTES) {
        sink.Bytes(s);
      } else {
        sink.String(s);
      }
      break;
    }
    case gp::FieldDescriptor::CPPTYPE_MESSAGE:
      WalkMessage(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), sink);
      break;
    default:
      sink.Int(0);
  }
}

// Whether Go's omitempty leaves the (singular) field out.
bool IsEmpty(const gp::Message& m, const gp::FieldDescriptor* f) {
  const gp::Reflection* r = m.GetReflection();
  if (f->is_repeated()) return r->FieldSize(m, f) == 0;
  if (f->cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) return !r->HasField(m, f);  // nil pointer
  return !r->HasField(m, f);  // proto3 scalars: HasField is "not the zero value"
}

// gogo's Go name of a oneof or of a oneof member: "target_union" -> "TargetUnion".
std::string GoOneofName(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

void WalkMessage(const gp::Message& m, JsonSink& sink) {
  const gp::Descriptor* d = m.GetDescriptor();
  sink.BeginObject();
  for (int i = 0; i < d->field_count(); ++i) {
    const gp::FieldDescriptor* f = d->field(i);
    // A oneof is an interface field holding a wrapper struct whose one field has no json
    // tag: "Response":{"ResponseRange":{...}}. The interface sits where its first member is.
    if (const gp::OneofDescriptor* o = f->real_containing_oneof()) {
      if (o->field(0) != f) continue;
      const gp::FieldDescriptor* set = m.GetReflection()->GetOneofFieldDescriptor(m, o);
      if (set == nullptr) continue;
      sink.Key(GoOneofName(o->name()));
      sink.BeginObject();
      sink.Key(GoOneofName(set->name()));
      WalkValue(m, set, 0, sink);
      sink.EndObject();
      continue;
    }
    if (IsEmpty(m, f)) continue;
    sink.Key(f->name());
    if (f->is_repeated()) {
      sink.BeginArray();
      const int n = m.GetReflection()->FieldSize(m, f);
      for (int k = 0; k < n; ++k) WalkValue(m, f, k, sink);
      sink.EndArray();
    } else {
      WalkValue(m, f, 0, sink);
    }
  }
  sink.EndObject();
}

}  // namespace

Status WalkGoJson(std::string_view type, std::string_view wire, JsonSink& sink) {
  // Make sure our generated messages are registered in the pool before looking one up.
  (void)etcdserverpb::ResponseHeader::descriptor();
  const gp::Descriptor* d = gp::DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(type));
  if (d == nullptr) return Fail(ErrorCode::kInternal, "no JSON encoding for message type " + std::string(type));
  const gp::Message* prototype = gp::MessageFactory::generated_factory()->GetPrototype(d);
  if (prototype == nullptr) return Fail(ErrorCode::kInternal, "no message class for " + std::string(type));
  std::unique_ptr<gp::Message> m(prototype->New());
  if (!m->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return Fail(ErrorCode::kInternal, "cannot decode " + std::string(type));
  }
  WalkMessage(*m, sink);
  return {};
}

}  // namespace etcdrestore::etcdclient
