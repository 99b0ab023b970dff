#include "shared/bbolt/check.h"

#include <fmt/format.h>

#include <vector>

#include "shared/base/coding.h"

namespace etcdrestore::bbolt {
namespace {

// Reads the stored freelist page: marks its pages reached and returns the freed ids.
Result<std::vector<Pgid>> ReadFreelist(Reader& reader, std::vector<bool>* reached,
                                       const std::function<void(std::string)>& problem) {
  const Meta& m = reader.meta();
  std::vector<uint8_t> page;
  auto h = reader.ReadPage(m.freelist, &page);
  if (!h) {
    if (h.error().code() != ErrorCode::kCorruption) return Fail(h.error());
    problem(fmt::format("freelist page {}: {}", m.freelist, h.error().message()));
    return std::vector<Pgid>();
  }
  for (uint64_t i = 0; i <= h->overflow; ++i) (*reached)[m.freelist + i] = true;
  if (!(h->flags & kFreelistPageFlag)) {
    problem(fmt::format("page {}: invalid freelist page type: {}", m.freelist, PageTypeName(h->flags)));
    return std::vector<Pgid>();
  }
  uint64_t count = h->count;
  size_t idx = kPageHeaderSize;
  if (count == kFreelistCountOverflow) {
    count = LoadLE64(page.data() + kPageHeaderSize);
    idx += 8;
  }
  if (count > (page.size() - idx) / 8) {
    problem(fmt::format("page {}: freelist of {} ids does not fit in {} bytes", m.freelist, count, page.size()));
    return std::vector<Pgid>();
  }
  std::vector<Pgid> ids(count);
  for (uint64_t i = 0; i < count; ++i) ids[i] = LoadLE64(page.data() + idx + i * 8);
  return ids;
}

}  // namespace

Result<uint64_t> Check(Reader& reader, const Reporter& report,
                       const std::function<Status(const Entry&, int depth)>& on_entry) {
  uint64_t problems = 0;
  auto problem = [&](std::string msg) {
    ++problems;
    if (report) report(msg);
  };
  const Meta& m = reader.meta();
  std::vector<bool> reached(m.pgid, false);
  reached[0] = reached[1] = true;  // meta pages
  std::vector<bool> freed;
  const bool has_freelist = m.freelist != kPgidNoFreelist;
  if (has_freelist) {
    ASSIGN_OR_RETURN(std::vector<Pgid> ids, ReadFreelist(reader, &reached, problem));
    freed.assign(m.pgid, false);
    for (Pgid id : ids) {
      if (id < 2 || id >= m.pgid) {
        problem(fmt::format("page {}: freed page out of bounds: {}", id, m.pgid));
      } else if (freed[id]) {
        problem(fmt::format("page {}: already freed", id));
      } else {
        freed[id] = true;
      }
    }
  }

  WalkHooks hooks;
  hooks.descend = true;
  hooks.on_entry = [&](const Entry& e, int depth) -> Status {
    // The tx root bucket holds buckets only (bbolt's Tx has no Put).
    if (depth == 0 && !e.is_bucket()) {
      std::string hex;
      for (unsigned char c : e.key.substr(0, 32)) hex += fmt::format("{:02x}", c);
      problem(fmt::format("root bucket: key {} is not a bucket (flags {:#x})", hex, e.flags));
    }
    return on_entry ? on_entry(e, depth) : Status{};
  };
  hooks.on_problem = problem;
  RETURN_IF_ERROR(reader.Walk(reader.Root(), hooks, &reached));

  if (has_freelist) {
    for (Pgid i = 2; i < m.pgid; ++i) {
      if (reached[i] && freed[i] && i != m.freelist) problem(fmt::format("page {}: reachable freed", i));
      if (!reached[i] && !freed[i]) problem(fmt::format("page {}: unreachable unfreed", i));
    }
  }
  return problems;
}

}  // namespace etcdrestore::bbolt
