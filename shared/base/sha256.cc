#include "shared/base/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <vector>

#include "shared/base/file.h"

namespace etcdrestore {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1)
    std::abort();  // only fails on allocation failure
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Update(const void* data, size_t n) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n);
}

Sha256Digest Sha256::Final() {
  Sha256Digest d{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), d.data(), &len);
  return d;
}

Result<Sha256Digest> Sha256File(const std::string& path, uint64_t* size) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY | O_CLOEXEC));
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  uint64_t off = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, ReadSomeAt(fd.get(), path, buf.data(), buf.size(), off));
    if (n == 0) break;
    sha.Update(buf.data(), n);
    off += n;
  }
  if (size != nullptr) *size = off;
  return sha.Final();
}

std::string HexDigest(const Sha256Digest& d) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (uint8_t b : d) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

std::string GoByteSlice(const Sha256Digest& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) {
    if (i) s.push_back(' ');
    s += std::to_string(d[i]);
  }
  s.push_back(']');
  return s;
}

}  // namespace etcdrestore
