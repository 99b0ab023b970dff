// shared/base/crc32c.h
//
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with Go's crc32.Update
// semantics: Extend(crc, data) continues a running checksum, starting from 0.
// Used by the WAL (rolling crc), .snap files and `snapshot status`'s hash.
// Uses the SSE 4.2 crc32 instruction when the CPU has it, a table otherwise.
#ifndef ETCDRESTORE_SHARED_BASE_CRC32C_H_
#define ETCDRESTORE_SHARED_BASE_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etcdrestore::crc32c {

uint32_t Extend(uint32_t crc, const uint8_t* data, size_t n);
inline uint32_t Extend(uint32_t crc, std::string_view s) {
  return Extend(crc, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline uint32_t Value(std::string_view s) { return Extend(0, s); }

// True when Extend runs on the hardware instruction (reported by benchmarks).
bool IsHardwareAccelerated();

}  // namespace etcdrestore::crc32c

#endif  // ETCDRESTORE_SHARED_BASE_CRC32C_H_
