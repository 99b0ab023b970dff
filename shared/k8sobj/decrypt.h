// shared/k8sobj/decrypt.h
//
// Values encrypted at rest by the API server (EncryptionConfiguration, apiserver.config.k8s.io/v1):
//   "k8s:enc:aescbc:v1:<key name>:" + IV (16 bytes) + AES-CBC ciphertext, PKCS#7 padded
//   "k8s:enc:aesgcm:v1:<key name>:" + nonce (12 bytes) + AES-GCM ciphertext + tag (16 bytes),
//                                     authenticated data: the etcd key
//   "k8s:enc:secretbox:v1:<key name>:" + nonce (24 bytes) + XSalsa20-Poly1305 box (MAC 16 bytes
//                                     + ciphertext; libsodium's crypto_secretbox_open_easy), 32-byte key
// KMS values are reported as not decryptable offline, with the reason.
#ifndef ETCDRESTORE_SHARED_K8SOBJ_DECRYPT_H_
#define ETCDRESTORE_SHARED_K8SOBJ_DECRYPT_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "shared/base/error.h"

namespace etcdrestore::k8sobj {

class Keyring {
 public:
  // Reads the keys of every aescbc/aesgcm/secretbox provider of an EncryptionConfiguration
  // file. kInvalidArgument naming the file and the problem; secrets never appear in errors.
  static Result<Keyring> Load(const std::string& path);
  // The plain value of an encrypted etcd value stored under etcd_key. kUnsupported for KMS
  // and unknown providers, kNotFound for a key name the file lacks, kInvalidArgument for a
  // key of the wrong size, kCorruption for a value that does not decrypt.
  Result<std::string> Decrypt(std::string_view value, std::string_view etcd_key) const;

 private:
  std::map<std::pair<std::string, std::string>, std::string> keys_;  // (provider, name) -> key bytes
};

}  // namespace etcdrestore::k8sobj

#endif  // ETCDRESTORE_SHARED_K8SOBJ_DECRYPT_H_
