#include "shared/etcddb/status.h"

#include <fmt/format.h>

#include <vector>

#include "shared/base/coding.h"
#include "shared/base/crc32c.h"
#include "shared/bbolt/check.h"
#include "shared/etcddb/schema.h"

namespace etcdrestore::etcddb {
namespace {

// etcd's ReadStorageVersionFromSnapshot: the value parsed by go-semver's NewVersion
// ("MAJOR.MINOR.PATCH" plus an optional -pre / +build suffix) and printed by its String();
// anything else (e.g. the empty value a 3.6 migration step may leave) is no version: "".
std::string SemverOrEmpty(std::string_view v) {
  std::string out;
  size_t i = 0;
  for (int part = 0; part < 3; ++part) {
    size_t start = i;
    uint64_t n = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9' && i - start < 18) {
      n = n * 10 + static_cast<uint64_t>(v[i++] - '0');
    }
    if (i == start || (i < v.size() && v[i] >= '0' && v[i] <= '9')) return "";
    out += std::to_string(n);
    if (part < 2) {
      if (i >= v.size() || v[i] != '.') return "";
      out += '.';
      ++i;
    }
  }
  if (i < v.size() && v[i] != '-' && v[i] != '+') return "";
  return out + std::string(v.substr(i));
}

}  // namespace

Result<SnapshotStatus> ComputeStatus(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, bbolt::Reader::Open(path));
  return ComputeStatus(*reader);
}

Result<SnapshotStatus> ComputeStatus(bbolt::Reader& reader) {
  SnapshotStatus st;
  uint32_t crc = 0;
  bool in_key_bucket = false;
  bool in_meta_bucket = false;
  std::vector<std::string> problems;
  auto on_entry = [&](const bbolt::Entry& e, int depth) -> Status {
    if (depth == 0) {
      crc = crc32c::Extend(crc, e.key);
      in_key_bucket = e.key == kKeyBucket;
      in_meta_bucket = e.key == kMetaBucket;
      return {};
    }
    if (depth != 1) return {};  // inside a sub-bucket: checked, not hashed (bbolt ForEach)
    crc = crc32c::Extend(crc, e.key);
    if (!e.is_bucket()) crc = crc32c::Extend(crc, e.value);
    if (in_meta_bucket && !e.is_bucket() && e.key == kStorageVersionKey) {
      st.storage_version = SemverOrEmpty(e.value);
    }
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
