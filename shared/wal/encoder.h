// shared/wal/encoder.h
//
// Frames etcd WAL records. Byte layout: shared/wal/FORMAT.md. Output is byte-identical to
// etcd's wal/encoder.go: length field, marshaled walpb.Record, zero padding.
#ifndef ETCDRESTORE_SHARED_WAL_ENCODER_H_
#define ETCDRESTORE_SHARED_WAL_ENCODER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/wal/format.h"

namespace etcdrestore::wal {

// Appends framed records to a byte string. The crc rolls across all records of a
// segment (crc_i = crc32c.Update(crc_{i-1}, data_i)), so use one Encoder per segment,
// seeded with the previous segment's final crc (0 for the first segment).
class Encoder {
 public:
  explicit Encoder(uint32_t prev_crc = 0) : crc_(prev_crc) {}
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // The first record of every segment: type crc, crc = the running crc, no data.
  void AppendCrcRecord(std::string* out);
  // Extends the running crc over data and appends {type, crc, data} framed and padded.
  // data is always emitted (etcd never writes a nil data for these types).
  void Append(RecordType type, std::string_view data, std::string* out);

  uint32_t crc() const { return crc_; }

 private:
  void AppendFrame(const std::string& record, std::string* out);

  uint32_t crc_;
};

}  // namespace etcdrestore::wal

#endif  // ETCDRESTORE_SHARED_WAL_ENCODER_H_
