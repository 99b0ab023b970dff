// shared/k8sobj/wire.h (internal to the module)
//
// A reader of protobuf wire data that yields each field's number and bytes without copies,
// over protobuf's CodedInputStream: enough to read the few fields of etcd's KeyValue and
// Kubernetes' runtime.Unknown / ObjectMeta that this module needs, without their schemas.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_WIRE_H_
#define ETCDRESTORE_SHARED_K8SOBJ_WIRE_H_

#include <google/protobuf/io/coded_stream.h>

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "shared/base/error.h"

namespace etcdrestore::k8sobj::wire {

inline std::unexpected<Error> WireError(const std::string& what) {
  return Fail(ErrorCode::kCorruption, "k8sobj: damaged protobuf: " + what);
}

// One field of a protobuf message: its number and, for length-delimited fields, the bytes.
struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;
  std::string_view bytes;  // length-delimited fields: the payload
  std::string_view raw;    // the whole field as encoded: tag, length and payload
};

// Calls fn for each field of msg; fails on malformed wire data.
template <typename Fn>
Status ForEachField(std::string_view msg, const char* what, Fn&& fn) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(msg.data()), static_cast<int>(msg.size()));
  for (;;) {
    const int start = in.CurrentPosition();
    const uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (in.CurrentPosition() != static_cast<int>(msg.size()))
        return WireError(fmt::format("{}: bad field tag", what));
      return {};
    }
    Field f;
    f.number = tag >> 3;
    f.wire_type = tag & 7;
    switch (f.wire_type) {
      case 0:
        if (!in.ReadVarint64(&f.varint)) return WireError(fmt::format("{}: field {}: bad varint", what, f.number));
        break;
      case 1:
        if (!in.Skip(8)) return WireError(fmt::format("{}: field {}: truncated", what, f.number));
        break;
      case 5:
        if (!in.Skip(4)) return WireError(fmt::format("{}: field {}: truncated", what, f.number));
        break;
      case 2: {
        uint32_t len = 0;
        const int at = in.CurrentPosition();
        if (!in.ReadVarint32(&len) || len > msg.size() - static_cast<size_t>(in.CurrentPosition()) ||
            !in.Skip(static_cast<int>(len))) {
          return WireError(fmt::format("{}: field {} at byte {}: length runs past the end", what, f.number, at));
        }
        f.bytes = msg.substr(static_cast<size_t>(in.CurrentPosition()) - len, len);
        break;
      }
      default:
        return WireError(fmt::format("{}: field {}: wire type {}", what, f.number, f.wire_type));
    }
    f.raw = msg.substr(static_cast<size_t>(start), static_cast<size_t>(in.CurrentPosition() - start));
    RETURN_IF_ERROR(fn(f));
  }
}

// Encoding: a varint, and a length-delimited field (tag, length, payload).
inline void PutVarint(std::string* out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out->push_back(static_cast<char>(b | (v ? 0x80 : 0)));
  } while (v);
}
inline void PutBytes(std::string* out, uint32_t field, std::string_view payload) {
  PutVarint(out, uint64_t{field} << 3 | 2);
  PutVarint(out, payload.size());
  out->append(payload);
}

}  // namespace etcdrestore::k8sobj::wire

#endif  // ETCDRESTORE_SHARED_K8SOBJ_WIRE_H_
