// shared/etcdclient/go_json.h
//
// `etcdctl -w json` prints most responses with Go's encoding/json applied to the
// gogo-generated etcdserverpb structs. WalkGoJson replays that on a response's wire bytes
// (OpResponse::wire): struct fields in .proto declaration order under their json tag (the
// .proto field name), every field `omitempty` (zero numbers, false, "", empty lists and
// absent messages are left out), 64-bit integers as numbers, bytes as base64, enums as
// numbers. The caller's JsonSink renders the events (shared/cli's JsonWriter).
#ifndef ETCDRESTORE_SHARED_ETCDCLIENT_GO_JSON_H_
#define ETCDRESTORE_SHARED_ETCDCLIENT_GO_JSON_H_

#include <cstdint>
#include <string_view>

#include "shared/base/error.h"

namespace etcdrestore::etcdclient {

class JsonSink {
 public:
  virtual ~JsonSink() = default;
  virtual void BeginObject() = 0;
  virtual void EndObject() = 0;
  virtual void BeginArray() = 0;
  virtual void EndArray() = 0;
  virtual void Key(std::string_view k) = 0;
  virtual void String(std::string_view s) = 0;
  virtual void Bytes(std::string_view b) = 0;
  virtual void Int(int64_t v) = 0;
  virtual void Uint(uint64_t v) = 0;
  virtual void Bool(bool v) = 0;
};

// type: the message's protobuf full name (OpResponse::type). kInternal if the type is not
// one of ours or the bytes do not parse.
Status WalkGoJson(std::string_view type, std::string_view wire, JsonSink& sink);

}  // namespace etcdrestore::etcdclient

#endif  // ETCDRESTORE_SHARED_ETCDCLIENT_GO_JSON_H_
