#include "shared/etcddb/status.h"

#include <fmt/format.h>

#include <vector>

#include "shared/base/coding.h"
#include "shared/base/crc32c.h"
#include "shared/bbolt/check.h"
#include "shared/etcddb/schema.h"

namespace etcdrestore::etcddb {

Result<SnapshotStatus> ComputeStatus(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, bbolt::Reader::Open(path));
  return ComputeStatus(*reader);
}

Result<SnapshotStatus> ComputeStatus(bbolt::Reader& reader) {
  SnapshotStatus st;
  uint32_t crc = 0;
  bool in_key_bucket = false;
  std::vector<std::string> problems;
  auto on_entry = [&](const bbolt::Entry& e, int depth) -> Status {
    if (depth == 0) {
      crc = crc32c::Extend(crc, e.key);
      in_key_bucket = e.key == kKeyBucket;
      return {};
    }
    if (depth != 1) return {};  // inside a sub-bucket: checked, not hashed (bbolt ForEach)
    crc = crc32c::Extend(crc, e.key);
    if (!e.is_bucket()) crc = crc32c::Extend(crc, e.value);
    if (in_key_bucket) {
      // etcd's bytesToRev: main = first 8 bytes (a shorter key makes etcd panic).
      if (e.key.size() < kRevisionKeySize) {
        return Fail(ErrorCode::kCorruption,
                    fmt::format("etcddb: key bucket holds a key of {} bytes, not a revision", e.key.size()));
      }
      st.revision = static_cast<int64_t>(LoadBE64(reinterpret_cast<const uint8_t*>(e.key.data())));
    }
    ++st.total_keys;
    return {};
  };
  ASSIGN_OR_RETURN(uint64_t n, bbolt::Check(reader, [&](const std::string& p) { problems.push_back(p); }, on_entry));
  if (n > 0) {
    std::string msg = fmt::format("snapshot file integrity check failed. {} errors found.", n);
    for (const auto& p : problems) msg += "\n" + p;
    return Fail(ErrorCode::kCorruption, std::move(msg));
  }
  st.hash = crc;
  st.total_size = static_cast<int64_t>(reader.Size());
  return st;
}

}  // namespace etcdrestore::etcddb
