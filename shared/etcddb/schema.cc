#include "shared/etcddb/schema.h"

#include <fmt/format.h>

#include "shared/base/coding.h"

namespace etcdrestore::etcddb {

std::string EncodeRevision(Revision rev, bool tombstone) {
  std::string s(kRevisionKeySize + (tombstone ? 1 : 0), '\0');
  auto* p = reinterpret_cast<uint8_t*>(s.data());
  StoreBE64(p, static_cast<uint64_t>(rev.main));
  s[8] = kRevisionSeparator;
  StoreBE64(p + 9, static_cast<uint64_t>(rev.sub));
  if (tombstone) s[kRevisionKeySize] = kTombstoneMark;
  return s;
}

Result<Revision> DecodeRevision(std::string_view key) {
  const bool ok = (key.size() == kRevisionKeySize ||
                   (key.size() == kRevisionKeySize + 1 && key[kRevisionKeySize] == kTombstoneMark)) &&
                  key[8] == kRevisionSeparator;
  if (!ok) {
    return Fail(
        ErrorCode::kCorruption,
        fmt::format("etcddb: bad revision key of {} bytes (want 17: main, '_', sub, optional 't')", key.size()));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(key.data());
  return Revision{static_cast<int64_t>(LoadBE64(p)), static_cast<int64_t>(LoadBE64(p + 9))};
}

Result<uint64_t> DecodeU64Value(std::string_view key_name, std::string_view value) {
  if (value.size() != 8) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("etcddb: meta/{} is {} bytes (want 8, big-endian)", key_name, value.size()));
  }
  return LoadBE64(reinterpret_cast<const uint8_t*>(value.data()));
}

}  // namespace etcdrestore::etcddb
