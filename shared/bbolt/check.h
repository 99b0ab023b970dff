// shared/bbolt/check.h
//
// A structural check in the spirit of bbolt's tx.Check: every page reachable from the
// selected meta is below the high water mark, is a branch or leaf page whose id field
// matches, has its elements inside the page, is reached once only; the root holds only
// buckets; keys are strictly
// increasing within and across the pages of each bucket and lie between their parent's
// keys. Sub-buckets (inline or not) are checked too. When the file stores a freelist page
// (meta.freelist != kPgidNoFreelist) it is also checked: no id freed twice, no reachable
// page freed, and every page below the high water mark reachable or free. With
// NoFreelistSync (etcd) there is no stored freelist and nothing to compare against.
//
// Problems go to a callback (LevelDB Reporter style); the walk goes on past them.
// Message texts follow bbolt's where bbolt has one ("page 7: multiple references").
#ifndef ETCDRESTORE_SHARED_BBOLT_CHECK_H_
#define ETCDRESTORE_SHARED_BBOLT_CHECK_H_

#include <cstdint>
#include <functional>
#include <string>

#include "shared/base/error.h"
#include "shared/bbolt/reader.h"

namespace etcdrestore::bbolt {

// Receives each problem; may be null (then problems are only counted).
using Reporter = std::function<void(const std::string& problem)>;

// Checks the whole file from reader.Root(). Returns the number of problems found; fails
// only when the file cannot be read (kIO) or on_entry returns an error.
// on_entry, if given, sees every entry (root entries at depth 0, the top-level buckets'
// entries at depth 1, deeper sub-buckets below) in key order during the same single pass,
// so a caller can check and hash a snapshot with one read of the file. Entries of damaged
// pages are skipped, so results computed from them are only meaningful when the returned
// count is 0.
Result<uint64_t> Check(Reader& reader, const Reporter& report,
                       const std::function<Status(const Entry&, int depth)>& on_entry = {});

}  // namespace etcdrestore::bbolt

#endif  // ETCDRESTORE_SHARED_BBOLT_CHECK_H_
