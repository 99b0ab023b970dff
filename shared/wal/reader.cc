#include "shared/wal/reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "shared/base/coding.h"
#include "shared/base/crc32c.h"
#include "shared/base/file.h"
#include "shared/pb/walpb/record.pb.h"
#include "shared/wal/format.h"

namespace etcdrestore::wal {
namespace {

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Reads n bytes at offset into *out; returns the number read (< n only at end of data).
using ReadFn = std::function<Result<size_t>(uint64_t offset, size_t n, std::string* out)>;

Result<std::vector<Record>> Decode(const ReadFn& read, uint32_t prev_crc) {
  std::vector<Record> records;
  uint32_t crc = prev_crc;
  uint64_t offset = 0;
  std::string buf;
  while (true) {
    ASSIGN_OR_RETURN(size_t got, read(offset, kLengthFieldSize, &buf));
    if (got < kLengthFieldSize) break;  // end of data
    const uint64_t len_field = LoadLE64(reinterpret_cast<const uint8_t*>(buf.data()));
    if (len_field == 0) break;  // preallocated zeros: end of records
    const std::string where =
        "wal record " + std::to_string(records.size()) + " at offset " + std::to_string(offset);
    const uint64_t n = len_field & kLengthMask;
    const uint64_t pad = (len_field >> 63) ? (len_field >> 56) & 0x7 : 0;
    if (n > kSegmentSizeBytes) {
      return Fail(ErrorCode::kCorruption, where + ": record length " + std::to_string(n) + " exceeds segment size");
    }
    ASSIGN_OR_RETURN(size_t got_rec, read(offset + kLengthFieldSize, n, &buf));
    if (got_rec < n) {
      return Fail(ErrorCode::kCorruption, where + ": unexpected end of data (record length " + std::to_string(n) +
                                              ", " + std::to_string(got_rec) + " bytes left)");
    }
    walpb::Record pb;
    if (!pb.ParseFromString(buf)) return Fail(ErrorCode::kCorruption, where + ": cannot parse walpb.Record");
    Record rec;
    rec.type = pb.type();
    rec.crc = pb.crc();
    rec.has_data = pb.has_data();
    rec.data = pb.data();
    rec.offset = offset;
    if (rec.type == static_cast<int64_t>(RecordType::kCrc)) {
      if (crc != 0 && crc != rec.crc) {
        return Fail(ErrorCode::kCorruption,
                    where + ": crc record mismatch (stored " + Hex32(rec.crc) + ", running " + Hex32(crc) + ")");
      }
      crc = rec.crc;
    } else {
      crc = crc32c::Extend(crc, rec.data);
      if (crc != rec.crc) {
        return Fail(ErrorCode::kCorruption,
                    where + ": crc mismatch (stored " + Hex32(rec.crc) + ", computed " + Hex32(crc) + ")");
      }
    }
    records.push_back(std::move(rec));
    offset += kLengthFieldSize + n + pad;
  }
  return records;
}

}  // namespace

Result<std::vector<Record>> DecodeSegment(std::span<const uint8_t> bytes, uint32_t prev_crc) {
  auto read = [&](uint64_t offset, size_t n, std::string* out) -> Result<size_t> {
    const uint64_t avail = offset < bytes.size() ? bytes.size() - offset : 0;
    const size_t got = static_cast<size_t>(std::min<uint64_t>(avail, n));
    out->assign(reinterpret_cast<const char*>(bytes.data()) + (got ? offset : 0), got);
    return got;
  };
  return Decode(read, prev_crc);
}

Result<std::vector<Record>> ReadSegmentFile(const std::string& path, uint32_t prev_crc) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY | O_CLOEXEC));
  auto read = [&](uint64_t offset, size_t n, std::string* out) -> Result<size_t> {
    out->resize(n);
    size_t total = 0;
    while (total < n) {
      ASSIGN_OR_RETURN(size_t got, ReadSomeAt(fd.get(), path, out->data() + total, n - total, offset + total));
      if (got == 0) break;
      total += got;
    }
    out->resize(total);
    return total;
  };
  Result<std::vector<Record>> r = Decode(read, prev_crc);
  if (!r) return Fail(std::move(r).error().Wrap("read wal \"" + path + "\""));
  return r;
}

}  // namespace etcdrestore::wal
