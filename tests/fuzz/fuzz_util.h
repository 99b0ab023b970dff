// tests/fuzz/fuzz_util.h
//
// Helpers shared by the libFuzzer harnesses: inputs as files (a memfd, so no disk I/O and
// fsync is free), inputs split into parts, and the bbolt page-recipe mutator used by the
// bbolt and etcddb harnesses.
#ifndef ETCDRESTORE_TESTS_FUZZ_FUZZ_UTIL_H_
#define ETCDRESTORE_TESTS_FUZZ_FUZZ_UTIL_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "shared/bbolt/format.h"

namespace etcdrestore::fuzz {

// An anonymous in-memory file holding bytes; path() names it for path-taking APIs.
class MemFile {
 public:
  explicit MemFile(std::string_view bytes) {
    fd_ = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd_ < 0) std::abort();
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = write(fd_, bytes.data() + off, bytes.size() - off);
      if (n <= 0) std::abort();
      off += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Splits data at every `sep` byte (empty parts kept).
inline std::vector<std::string> Split(std::string_view data, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t p = data.find(sep, start);
    if (p == std::string_view::npos) {
      parts.emplace_back(data.substr(start));
      return parts;
    }
    parts.emplace_back(data.substr(start, p - start));
    start = p + 1;
  }
}

// Every regular file of dir, sorted by name (the seeds a recipe refers to).
inline std::vector<std::string> LoadFiles(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') names.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> files;
  for (const std::string& n : names) {
    int fd = open(n.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string s;
    char buf[65536];
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(got));
    close(fd);
    files.push_back(std::move(s));
  }
  return files;
}

// A bbolt recipe: input "R" <seed selector> then 8-byte operations applied to the selected
// seed file, so mutations land on page structure (headers, element tables, meta fields)
// instead of being rejected by the meta checksum:
//   op[0] kind (bit 3: offset limited to the first 80 bytes of the page: header + meta
//         body / first elements), op[1..2] page (mod page count), op[3..4] offset in
//         page, op[5..7] value:
//   0 byte, 1 u16, 2 u32, 3 small u64, 4 huge u64 (~0 - v), 5 copy page v over the page,
//   6 truncate the file at the page + offset, 7 swap the page with page v.
// The meta checksums are recomputed afterwards unless the selector's high bit is set.
// Returns false if data is not a recipe (then it is used as a file as is).
inline bool ApplyBboltRecipe(std::string_view data, const std::vector<std::string>& seeds, std::string* out) {
  if (data.size() < 2 || data[0] != 'R' || data.size() > 4096 || seeds.empty()) return false;
  const auto sel = static_cast<uint8_t>(data[1]);
  *out = seeds[(sel & 0x7f) % seeds.size()];
  constexpr size_t kPage = 4096;  // the seeds' page size
  auto npages = [&] { return std::max<size_t>(1, out->size() / kPage); };
  for (size_t i = 2; i + 8 <= data.size(); i += 8) {
    const auto* op = reinterpret_cast<const uint8_t*>(data.data() + i);
    const size_t page = (op[1] | (op[2] << 8)) % npages();
    size_t off = (op[3] | (op[4] << 8)) % kPage;
    if (op[0] & 0x8) off %= 80;
    const uint32_t v = op[5] | (op[6] << 8) | (op[7] << 16);
    const size_t at = page * kPage + off;
    auto put = [&](uint64_t x, size_t n) {
      for (size_t k = 0; k < n && at + k < out->size(); ++k) (*out)[at + k] = static_cast<char>(x >> (8 * k));
    };
    switch (op[0] & 0x7) {
      case 0: put(v, 1); break;
      case 1: put(v, 2); break;
      case 2: put(v, 4); break;
      case 3: put(v, 8); break;
      case 4: put(~uint64_t{0} - v, 8); break;
      case 5: {
        const size_t src = (v % npages()) * kPage;
        if (src + kPage <= out->size() && page * kPage + kPage <= out->size())
          std::memmove(out->data() + page * kPage, out->data() + src, kPage);
        break;
      }
      case 6: out->resize(std::min(out->size(), at)); break;
      case 7: {
        const size_t a = page * kPage, b = (v % npages()) * kPage;
        if (a + kPage <= out->size() && b + kPage <= out->size())
          std::swap_ranges(out->begin() + static_cast<long>(a), out->begin() + static_cast<long>(a + kPage),
                           out->begin() + static_cast<long>(b));
        break;
      }
    }
  }
  if (!(sel & 0x80)) {
    for (size_t p = 0; p < 2; ++p) {
      const size_t body = p * kPage + bbolt::kPageHeaderSize;
      if (body + bbolt::kMetaSize > out->size()) break;
      auto* b = reinterpret_cast<uint8_t*>(out->data() + body);
      const uint64_t sum = bbolt::MetaChecksum(b);
      for (int k = 0; k < 8; ++k) b[bbolt::kMetaChecksumOffset + k] = static_cast<uint8_t>(sum >> (8 * k));
    }
  }
  return true;
}

}  // namespace etcdrestore::fuzz

#endif  // ETCDRESTORE_TESTS_FUZZ_FUZZ_UTIL_H_
