// shared/base/sha256.h
//
// Streaming SHA-256 over OpenSSL's EVP interface (uses the CPU's SHA extensions when
// present; ~4x faster than coreutils here). The snapshot trailer is a raw 32-byte digest.
#ifndef ETCDRESTORE_SHARED_BASE_SHA256_H_
#define ETCDRESTORE_SHARED_BASE_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/base/error.h"

namespace etcdrestore {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  // A moved-from Sha256 may only be destroyed.
  Sha256(Sha256&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
  Sha256& operator=(Sha256&&) = delete;

  void Update(const void* data, size_t n);
  // Finishes the hash; the object must not be used afterwards.
  Sha256Digest Final();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so this header does not pull in OpenSSL
};

// The digest of a whole file, read in 1 MiB blocks; *size (if given) gets its length.
// Errors name the path (open, read).
Result<Sha256Digest> Sha256File(const std::string& path, uint64_t* size = nullptr);

std::string HexDigest(const Sha256Digest& d);
// Go's %v of a byte slice: "[9 206 214 ...]" (etcdctl prints hash mismatches this way).
std::string GoByteSlice(const Sha256Digest& d);

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_SHA256_H_
