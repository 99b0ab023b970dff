#include "shared/wal/format.h"

#include <cstdio>

namespace etcdrestore::wal {

std::string WalFileName(uint64_t seq, uint64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx-%016llx.wal", static_cast<unsigned long long>(seq),
                static_cast<unsigned long long>(index));
  return buf;
}

}  // namespace etcdrestore::wal
