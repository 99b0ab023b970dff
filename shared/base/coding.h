// shared/base/coding.h
//
// Fixed-width integer loads and stores in an explicit byte order. The formats we touch
// mix orders: bbolt pages and WAL frames are little-endian, etcd's revision keys and
// meta/consistent_index are big-endian. Decode from bytes, never reinterpret_cast.
#ifndef ETCDRESTORE_SHARED_BASE_CODING_H_
#define ETCDRESTORE_SHARED_BASE_CODING_H_

#include <cstdint>
#include <string>

namespace etcdrestore {

inline uint16_t LoadLE16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t LoadLE32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint64_t LoadLE64(const uint8_t* p) {
  return uint64_t(LoadLE32(p)) | (uint64_t(LoadLE32(p + 4)) << 32);
}
inline uint64_t LoadBE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

inline void StoreLE16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void StoreLE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void StoreLE64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void StoreBE64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[7 - i] = uint8_t(v >> (8 * i));
}

// Returns the 8-byte big-endian encoding of v as a string (etcd meta values).
inline std::string EncodeBE64(uint64_t v) {
  std::string s(8, '\0');
  StoreBE64(reinterpret_cast<uint8_t*>(s.data()), v);
  return s;
}

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_CODING_H_
