#include "shared/base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace etcdrestore::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  return t;
}
constexpr auto kTables = MakeTables();

uint32_t ExtendPortable(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = kTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of 3 cycles and a throughput of 1, so three
// independent streams over three adjacent blocks run ~3x faster than one; the three
// results are joined by "shifting" a crc over the bytes after it, a linear operator on the
// 32-bit crc register (multiplication by x^(8n) mod P) kept as four byte tables.
constexpr size_t kLong = 8192;  // bytes per stream in a 3-stream step
constexpr size_t kShort = 256;

// out = mat^2 over GF(2), a matrix being 32 columns of 32 bits.
constexpr void Gf2Square(uint32_t* out, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) {
    uint32_t v = mat[n], sum = 0;
    for (const uint32_t* m = mat; v; v >>= 1, ++m) {
      if (v & 1) sum ^= *m;
    }
    out[n] = sum;
  }
}

constexpr uint32_t Gf2Times(const uint32_t* mat, uint32_t v) {
  uint32_t sum = 0;
  for (; v; v >>= 1, ++mat) {
    if (v & 1) sum ^= *mat;
  }
  return sum;
}

// Tables of the operator that appends n zero bytes (n a power of two) to a crc register.
using ShiftTables = std::array<std::array<uint32_t, 256>, 4>;
constexpr ShiftTables MakeShift(size_t n) {
  uint32_t odd[32] = {}, even[32] = {};
  odd[0] = kPoly;  // one zero bit
  for (int i = 1; i < 32; ++i) odd[i] = 1u << (i - 1);
  Gf2Square(even, odd);  // two bits
  Gf2Square(odd, even);  // four bits
  const uint32_t* op = nullptr;
  for (;;) {
    Gf2Square(even, odd);  // 8, 32, 128 ... bits: 1, 4, 16 ... bytes
    if ((n >>= 1) == 0) { op = even; break; }
    Gf2Square(odd, even);
    if ((n >>= 1) == 0) { op = odd; break; }
  }
  ShiftTables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    for (int k = 0; k < 4; ++k) t[k][b] = Gf2Times(op, b << (8 * k));
  }
  return t;
}
const ShiftTables kShiftLong = MakeShift(kLong);
const ShiftTables kShiftShort = MakeShift(kShort);

inline uint32_t Shift(const ShiftTables& t, uint32_t crc) {
  return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

__attribute__((target("sse4.2"))) uint64_t Streams3(uint64_t c0, const uint8_t*& p, size_t& n, size_t block,
                                                   const ShiftTables& shift) {
  while (n >= 3 * block) {
    uint64_t c1 = 0, c2 = 0;
    for (const uint8_t* end = p + block; p < end; p += 8) {
      uint64_t v0, v1, v2;
      std::memcpy(&v0, p, 8);
      std::memcpy(&v1, p + block, 8);
      std::memcpy(&v2, p + 2 * block, 8);
      c0 = _mm_crc32_u64(c0, v0);
      c1 = _mm_crc32_u64(c1, v1);
      c2 = _mm_crc32_u64(c2, v2);
    }
    c0 = Shift(shift, static_cast<uint32_t>(c0)) ^ c1;
    c0 = Shift(shift, static_cast<uint32_t>(c0)) ^ c2;
    p += 2 * block;
    n -= 3 * block;
  }
  return c0;
}

__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = ~crc;
  c = Streams3(c, p, n, kLong, kShiftLong);
  c = Streams3(c, p, n, kShort, kShiftShort);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#endif

bool HasSse42() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
#else
  return false;
#endif
}

}  // namespace

uint32_t Extend(uint32_t crc, const uint8_t* data, size_t n) {
#if defined(__x86_64__)
  if (HasSse42()) return ExtendSse42(crc, data, n);
#endif
  return ExtendPortable(crc, data, n);
}

bool IsHardwareAccelerated() { return HasSse42(); }

}  // namespace etcdrestore::crc32c
