#include "shared/wal/encoder.h"

#include "shared/base/coding.h"
#include "shared/base/crc32c.h"
#include "shared/pb/walpb/record.pb.h"

namespace etcdrestore::wal {

void Encoder::AppendCrcRecord(std::string* out) {
  walpb::Record rec;
  rec.set_type(static_cast<int64_t>(RecordType::kCrc));
  rec.set_crc(crc_);
  AppendFrame(rec.SerializeAsString(), out);
}

void Encoder::Append(RecordType type, std::string_view data, std::string* out) {
  crc_ = crc32c::Extend(crc_, data);
  walpb::Record rec;
  rec.set_type(static_cast<int64_t>(type));
  rec.set_crc(crc_);
  rec.set_data(std::string(data));
  AppendFrame(rec.SerializeAsString(), out);
}

void Encoder::AppendFrame(const std::string& record, std::string* out) {
  const uint64_t n = record.size();
  const uint64_t pad = (kFrameAlign - n % kFrameAlign) % kFrameAlign;
  uint64_t len_field = n;
  if (pad != 0) len_field |= (0x80 | pad) << 56;
  uint8_t header[kLengthFieldSize];
  StoreLE64(header, len_field);
  out->append(reinterpret_cast<const char*>(header), sizeof header);
  out->append(record);
  out->append(pad, '\0');
}

}  // namespace etcdrestore::wal
