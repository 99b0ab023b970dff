// shared/bbolt/format.h
//
// bbolt's on-disk layout (go.etcd.io/bbolt page.go, meta.go, bucket.go, node.go; format
// version 2). Byte layout, grammar and a worked example: shared/bbolt/FORMAT.md.
// Every integer is little-endian (bbolt writes host order; every supported target is LE).
// Values here are written to disk: never change them.
//
// Decoding goes through explicit loads (shared/base/coding.h), never reinterpret_cast.
#ifndef ETCDRESTORE_SHARED_BBOLT_FORMAT_H_
#define ETCDRESTORE_SHARED_BBOLT_FORMAT_H_

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "shared/base/coding.h"

namespace etcdrestore::bbolt {

using Pgid = uint64_t;
using Txid = uint64_t;

// Page header: id u64, flags u16, count u16, overflow u32.
inline constexpr size_t kPageHeaderSize = 16;
inline constexpr uint16_t kBranchPageFlag = 0x01;
inline constexpr uint16_t kLeafPageFlag = 0x02;
inline constexpr uint16_t kMetaPageFlag = 0x04;
inline constexpr uint16_t kFreelistPageFlag = 0x10;

// Leaf element: flags u32, pos u32, ksize u32, vsize u32; pos is relative to the
// element's own first byte; the key follows at pos, the value right after the key.
inline constexpr size_t kLeafElementSize = 16;
inline constexpr uint32_t kBucketLeafFlag = 0x01;  // the value is a bucket header
// Branch element: pos u32, ksize u32, pgid u64 (pos relative to the element).
inline constexpr size_t kBranchElementSize = 16;

// Bucket value: root pgid u64, sequence u64; root == 0 means an inline bucket whose
// leaf page (header with id 0 + elements) follows the 16 bytes.
inline constexpr size_t kBucketHeaderSize = 16;

// Meta body (at page offset 16): magic u32, version u32, page_size u32, flags u32,
// root {pgid u64, sequence u64}, freelist u64, pgid u64, txid u64, checksum u64.
inline constexpr uint32_t kMagic = 0xED0CDAED;
inline constexpr uint32_t kVersion = 2;
inline constexpr size_t kMetaSize = 64;
inline constexpr size_t kMetaChecksumOffset = 56;  // FNV-1a-64 covers the 56 bytes before
// meta.freelist when the freelist is not stored (Options.NoFreelistSync, used by etcd):
// bbolt rebuilds the free list on open from the pages not reachable from the root.
inline constexpr Pgid kPgidNoFreelist = 0xffffffffffffffffULL;
// A freelist page whose count field is 0xFFFF keeps the real count in its first u64.
inline constexpr uint16_t kFreelistCountOverflow = 0xFFFF;

static_assert(kPageHeaderSize == 16 && kLeafElementSize == 16 && kBranchElementSize == 16);
static_assert(kPageHeaderSize + kMetaSize <= 512, "a meta page fits the smallest page");

// bbolt's limits on what Put accepts (bucket.go MaxKeySize, MaxValueSize).
inline constexpr size_t kMaxKeySize = 32768;
inline constexpr size_t kMaxValueSize = (size_t{1} << 31) - 2;

// Smallest/largest page size this code accepts (bbolt uses the OS page size, 4096 here).
inline constexpr uint32_t kMinPageSize = 512;
inline constexpr uint32_t kMaxPageSize = 1u << 16;

struct PageHeader {
  Pgid id = 0;
  uint16_t flags = 0;
  uint16_t count = 0;
  uint32_t overflow = 0;
};

struct Meta {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint32_t page_size = 0;
  uint32_t flags = 0;
  Pgid root = 0;           // root of the tx root bucket (the tree of top-level buckets)
  uint64_t sequence = 0;   // root bucket's sequence
  Pgid freelist = 0;
  Pgid pgid = 0;           // high water mark: pages [0, pgid) are in use or free
  Txid txid = 0;
  uint64_t checksum = 0;
};

// FNV-1a 64-bit (Go's hash/fnv New64a).
uint64_t Fnv1a64(std::span<const uint8_t> data);

// Decodes/encodes a page header from/to the first 16 bytes of p.
PageHeader DecodePageHeader(const uint8_t* p);
void EncodePageHeader(const PageHeader& h, uint8_t* p);

// Decodes the 64-byte meta body at p (page offset 16).
Meta DecodeMeta(const uint8_t* p);
// Encodes m at p, computing and storing the checksum (m.checksum is ignored).
void EncodeMeta(const Meta& m, uint8_t* p);
// The FNV-1a-64 checksum of the first 56 bytes of an encoded meta body.
uint64_t MetaChecksum(const uint8_t* p);

// Encodes a node (leaf or branch page) at p, which has room for it: header (id, flags,
// count, overflow), the element table, then keys (and leaf values) packed in element order.
// Elem has flags, key, value (leaf) and pgid (branch); key and value have data() and size().
template <class Elem>
void EncodeNode(bool leaf, const Elem* elems, size_t n, Pgid id, uint32_t overflow, uint8_t* p) {
  EncodePageHeader(PageHeader{id, leaf ? kLeafPageFlag : kBranchPageFlag, static_cast<uint16_t>(n), overflow}, p);
  size_t data = kPageHeaderSize + n * kLeafElementSize;
  for (size_t i = 0; i < n; ++i) {
    const Elem& in = elems[i];
    uint8_t* e = p + kPageHeaderSize + i * kLeafElementSize;
    const auto pos = static_cast<uint32_t>(data - (kPageHeaderSize + i * kLeafElementSize));
    if (leaf) {
      StoreLE32(e, in.flags);
      StoreLE32(e + 4, pos);
      StoreLE32(e + 8, static_cast<uint32_t>(in.key.size()));
      StoreLE32(e + 12, static_cast<uint32_t>(in.value.size()));
    } else {
      StoreLE32(e, pos);
      StoreLE32(e + 4, static_cast<uint32_t>(in.key.size()));
      StoreLE64(e + 8, in.pgid);
    }
    if (!in.key.empty()) std::memcpy(p + data, in.key.data(), in.key.size());
    data += in.key.size();
    if (leaf) {
      if (!in.value.empty()) std::memcpy(p + data, in.value.data(), in.value.size());
      data += in.value.size();
    }
  }
}

// bbolt's page.typ(): "branch", "leaf", "meta", "freelist" or "unknown<%02x>".
std::string PageTypeName(uint16_t flags);

}  // namespace etcdrestore::bbolt

#endif  // ETCDRESTORE_SHARED_BBOLT_FORMAT_H_
