#include "shared/bbolt/format.h"

#include <fmt/format.h>

#include "shared/base/coding.h"

namespace etcdrestore::bbolt {

uint64_t Fnv1a64(std::span<const uint8_t> data) {
  uint64_t h = 14695981039346656037ULL;
  for (uint8_t b : data) {
    h ^= b;
    h *= 1099511628211ULL;
  }
  return h;
}

PageHeader DecodePageHeader(const uint8_t* p) {
  return PageHeader{LoadLE64(p), LoadLE16(p + 8), LoadLE16(p + 10), LoadLE32(p + 12)};
}

void EncodePageHeader(const PageHeader& h, uint8_t* p) {
  StoreLE64(p, h.id);
  StoreLE16(p + 8, h.flags);
  StoreLE16(p + 10, h.count);
  StoreLE32(p + 12, h.overflow);
}

Meta DecodeMeta(const uint8_t* p) {
  Meta m;
  m.magic = LoadLE32(p);
  m.version = LoadLE32(p + 4);
  m.page_size = LoadLE32(p + 8);
  m.flags = LoadLE32(p + 12);
  m.root = LoadLE64(p + 16);
  m.sequence = LoadLE64(p + 24);
  m.freelist = LoadLE64(p + 32);
  m.pgid = LoadLE64(p + 40);
  m.txid = LoadLE64(p + 48);
  m.checksum = LoadLE64(p + 56);
  return m;
}

uint64_t MetaChecksum(const uint8_t* p) { return Fnv1a64({p, kMetaChecksumOffset}); }

void EncodeMeta(const Meta& m, uint8_t* p) {
  StoreLE32(p, m.magic);
  StoreLE32(p + 4, m.version);
  StoreLE32(p + 8, m.page_size);
  StoreLE32(p + 12, m.flags);
  StoreLE64(p + 16, m.root);
  StoreLE64(p + 24, m.sequence);
  StoreLE64(p + 32, m.freelist);
  StoreLE64(p + 40, m.pgid);
  StoreLE64(p + 48, m.txid);
  StoreLE64(p + 56, MetaChecksum(p));
}

std::string PageTypeName(uint16_t flags) {
  if (flags & kBranchPageFlag) return "branch";
  if (flags & kLeafPageFlag) return "leaf";
  if (flags & kMetaPageFlag) return "meta";
  if (flags & kFreelistPageFlag) return "freelist";
  return fmt::format("unknown<{:02x}>", flags);
}

}  // namespace etcdrestore::bbolt
