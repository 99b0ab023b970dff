// shared/wal/reader.h
//
// A minimal WAL segment reader: decodes the framed records of one segment and checks
// every crc. Used by tests and by post-restore verification; it does not repair, skip
// torn writes, or follow segments.
#ifndef ETCDRESTORE_SHARED_WAL_READER_H_
#define ETCDRESTORE_SHARED_WAL_READER_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::wal {

struct Record {
  int64_t type = 0;  // a RecordType value; unknown types are kept
  uint32_t crc = 0;
  bool has_data = false;
  std::string data;
  uint64_t offset = 0;  // of the length field in the segment
};

// Decodes records from the start of bytes until a zero length field or the end.
// The running crc starts at prev_crc and is reset by a crc record (which must carry
// the running crc). Errors are kCorruption and name the record index and offset:
//   wal record 3 at offset 80: crc mismatch (stored 0x..., computed 0x...)
Result<std::vector<Record>> DecodeSegment(std::span<const uint8_t> bytes, uint32_t prev_crc = 0);

// Reads a segment file frame by frame (never the whole 64 MB) and decodes it.
Result<std::vector<Record>> ReadSegmentFile(const std::string& path, uint32_t prev_crc = 0);

}  // namespace etcdrestore::wal

#endif  // ETCDRESTORE_SHARED_WAL_READER_H_
