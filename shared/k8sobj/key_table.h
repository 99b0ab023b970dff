// shared/k8sobj/key_table.h (internal to the module)
//
// A table from etcd keys to a small record, for walks over every revision of a snapshot
// (TakeInventory). Records live in one dense vector in insertion order; an open-addressing
// index (linear probing, at most half full) of 8-byte slots -- 32 bits of the key's hash and
// the record's number -- finds them, so a lookup touches one small slot and only on a hash
// match the record and its key. The slots are advised into transparent huge pages (a lookup
// is a random access; 4 KiB pages would add a TLB miss to most). Keys are copied once into
// 1 MiB blocks. Memory: 24 bytes a record + the key + 16-32 bytes of slots.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_KEY_TABLE_H_
#define ETCDRESTORE_SHARED_K8SOBJ_KEY_TABLE_H_

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

namespace etcdrestore::k8sobj {

template <typename State>  // a small trivially copyable record, value-initialized for a new key
class KeyTable {
 public:
  KeyTable() { Allocate(size_t{1} << 17); }

  static uint64_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

  // Starts loading the slot where a lookup of a key of hash h begins (a walk calls it one
  // entry ahead, so the cache miss overlaps other work).
  void Prefetch(uint64_t h) const { __builtin_prefetch(&slots_[h & (size_ - 1)]); }

  // The record of key; a new one (State{}) when the key was not seen before. The reference
  // is valid until the next Find.
  State& Find(std::string_view key) { return Find(key, Hash(key)); }
  // The same, given h = Hash(key).
  State& Find(std::string_view key, uint64_t h) {
    const uint32_t fp = static_cast<uint32_t>(h >> 32);
    const size_t mask = size_ - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.record == 0) {
        records_.push_back({Keep(key), static_cast<uint32_t>(key.size()), State{}});
        s = {fp, static_cast<uint32_t>(records_.size())};
        if (records_.size() * 2 > size_) Grow();
        return records_.back().state;
      }
      if (s.fp == fp) {
        Record& r = records_[s.record - 1];
        if (r.len == key.size() && std::memcmp(r.key, key.data(), key.size()) == 0) return r.state;
      }
    }
  }

  size_t size() const { return records_.size(); }

  // fn(key, state) for every key, in the order they were first found.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Record& r : records_) fn(std::string_view(r.key, r.len), r.state);
  }

 private:
  struct Slot {
    uint32_t fp = 0;      // the hash's high 32 bits
    uint32_t record = 0;  // 1 + index into records_; 0: empty
  };
  struct Record {
    const char* key;
    uint32_t len;
    State state;
  };

  // Zeroed slots in transparent huge pages where the kernel allows them (madvise mode): a
  // lookup is a random access, and 4 KiB pages would add a TLB miss to most.
  void Allocate(size_t n) {
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t bytes = (n * sizeof(Slot) + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, bytes);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: the table works without
    std::memset(p, 0, bytes);
    slots_.reset(static_cast<Slot*>(p));
    size_ = n;
  }

  void Grow() {
    Allocate(size_ * 2);
    const size_t mask = size_ - 1;
    for (size_t n = 0; n < records_.size(); ++n) {
      const uint64_t h = Hash(std::string_view(records_[n].key, records_[n].len));
      size_t i = h & mask;
      while (slots_[i].record != 0) i = (i + 1) & mask;
      slots_[i] = {static_cast<uint32_t>(h >> 32), static_cast<uint32_t>(n + 1)};
    }
  }

  const char* Keep(std::string_view k) {
    if (k.empty()) return "";  // never a null pointer for memcmp
    if (k.size() > left_) {
      left_ = std::max<size_t>(1 << 20, k.size());
      blocks_.emplace_back(new char[left_]);
      next_ = blocks_.back().get();
    }
    char* dst = next_;
    std::memcpy(dst, k.data(), k.size());
    next_ += k.size();
    left_ -= k.size();
    return dst;
  }

  struct Free {
    void operator()(Slot* p) const { std::free(p); }
  };
  std::unique_ptr<Slot[], Free> slots_;
  size_t size_ = 0;  // slots, a power of two
  std::vector<Record> records_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_KEY_TABLE_H_
