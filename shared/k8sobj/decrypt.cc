#include "shared/k8sobj/decrypt.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <yaml-cpp/yaml.h>

#include <memory>

#include <fmt/format.h>

namespace etcdrestore::k8sobj {
namespace {

constexpr std::string_view kPrefix = "k8s:enc:";

Result<std::string> Base64(const std::string& s, const std::string& what) {
  std::string out((s.size() + 3) / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0 || s.size() % 4 != 0) return Fail(ErrorCode::kInvalidArgument, what + ": secret is not base64");
  size_t pad = 0;
  for (size_t i = s.size(); i > 0 && s[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const EVP_CIPHER* Aes(std::string_view mode, size_t key_bytes) {
  if (mode == "cbc") {
    return key_bytes == 16   ? EVP_aes_128_cbc()
           : key_bytes == 24 ? EVP_aes_192_cbc()
           : key_bytes == 32 ? EVP_aes_256_cbc()
                             : nullptr;
  }
  return key_bytes == 16   ? EVP_aes_128_gcm()
         : key_bytes == 24 ? EVP_aes_192_gcm()
         : key_bytes == 32 ? EVP_aes_256_gcm()
                           : nullptr;
}

// secretbox (XSalsa20-Poly1305, NaCl's crypto_secretbox): value = nonce (24 bytes) + MAC
// (16 bytes) + ciphertext, as Go's nacl/secretbox.Seal and libsodium's _easy API lay it out;
// no authenticated data; a 32-byte key.
Result<std::string> OpenSecretbox(std::string_view data, const std::string& key, std::string_view etcd_key,
                                  const std::string& name) {
  if (key.size() != crypto_secretbox_KEYBYTES) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("secretbox key \"{}\" is {} bytes (want {})", name, key.size(), crypto_secretbox_KEYBYTES));
  }
  if (sodium_init() < 0) return Fail(ErrorCode::kInternal, "libsodium does not initialize");
  if (data.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("{}: secretbox value of {} bytes is shorter than nonce and MAC ({})", etcd_key, data.size(),
                            crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES));
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(data.data());
  const auto* box = nonce + crypto_secretbox_NONCEBYTES;
  const size_t box_len = data.size() - crypto_secretbox_NONCEBYTES;
  std::string out(box_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), box, box_len, nonce,
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return Fail(ErrorCode::kCorruption, fmt::format("{} does not decrypt with secretbox key \"{}\"", etcd_key, name));
  }
  return out;
}

}  // namespace

Result<Keyring> Keyring::Load(const std::string& path) {
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("encryption config \"{}\": {}", path, e.what()));
  }
  Keyring k;
  try {
    if (!doc.IsMap() || !doc["resources"] || !doc["resources"].IsSequence()) {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("encryption config \"{}\": no \"resources\" list (want an EncryptionConfiguration)", path));
    }
    for (const auto& r : doc["resources"]) {
      if (!r["providers"] || !r["providers"].IsSequence()) continue;
      for (const auto& p : r["providers"]) {
        for (const char* name : {"aescbc", "aesgcm", "secretbox"}) {
          if (!p[name] || !p[name]["keys"]) continue;
          for (const auto& key : p[name]["keys"]) {
            const std::string kname = key["name"] ? key["name"].as<std::string>() : "";
            const std::string what = fmt::format("encryption config \"{}\": {} key \"{}\"", path, name, kname);
            if (kname.empty() || !key["secret"])
              return Fail(ErrorCode::kInvalidArgument, what + ": needs name and secret");
            ASSIGN_OR_RETURN(std::string bytes, Base64(key["secret"].as<std::string>(), what));
            k.keys_[{name, kname}] = std::move(bytes);
          }
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("encryption config \"{}\": {}", path, e.what()));
  }
  if (k.keys_.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("encryption config \"{}\" has no aescbc, aesgcm or secretbox keys", path));
  }
  return k;
}

Result<std::string> Keyring::Decrypt(std::string_view value, std::string_view etcd_key) const {
  if (!value.starts_with(kPrefix)) return std::string(value);
  std::string_view rest = value.substr(kPrefix.size());
  const size_t c1 = rest.find(':');
  const std::string provider(rest.substr(0, c1));
  if (provider == "kms") {
    return Fail(ErrorCode::kUnsupported, fmt::format("{} is encrypted by a KMS plugin: it can only be decrypted "
                                                     "by that KMS, not offline", etcd_key));
  }
  if (c1 == std::string_view::npos)
    return Fail(ErrorCode::kCorruption, fmt::format("{}: damaged encryption prefix", etcd_key));
  rest.remove_prefix(c1 + 1);
  const size_t c2 = rest.find(':');  // "v1"
  const size_t c3 = c2 == std::string_view::npos ? c2 : rest.find(':', c2 + 1);
  if (c3 == std::string_view::npos)
    return Fail(ErrorCode::kCorruption, fmt::format("{}: damaged encryption prefix", etcd_key));
  const std::string name(rest.substr(c2 + 1, c3 - c2 - 1));
  std::string_view data = rest.substr(c3 + 1);
  if (provider != "aescbc" && provider != "aesgcm" && provider != "secretbox") {
    return Fail(ErrorCode::kUnsupported, fmt::format("{}: unknown encryption provider \"{}\"", etcd_key, provider));
  }
  auto it = keys_.find({provider, name});
  if (it == keys_.end()) {
    return Fail(ErrorCode::kNotFound, fmt::format("{} is encrypted with {} key \"{}\", which the encryption config "
                                                  "does not have", etcd_key, provider, name));
  }
  const std::string& key = it->second;
  if (provider == "secretbox") return OpenSecretbox(data, key, etcd_key, name);
  const EVP_CIPHER* cipher = Aes(provider == "aescbc" ? "cbc" : "gcm", key.size());
  if (cipher == nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} key \"{}\" is {} bytes (want 16, 24 or 32)", provider, name, key.size()));
  }
  auto bad = [&] {
    return Fail(ErrorCode::kCorruption,
                fmt::format("{} does not decrypt with {} key \"{}\"", etcd_key, provider, name));
  };
  const bool cbc = provider == "aescbc";
  const size_t iv = cbc ? 16 : 12, tag = cbc ? 0 : 16;
  if (data.size() < iv + tag) return bad();
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const auto* d = reinterpret_cast<const unsigned char*>(data.data());
  std::string out(data.size() + 32, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0, total = 0;
  if (cbc) {
    if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, k, d) != 1) return bad();
  } else {
    if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv), nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, k, d) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(etcd_key.data()),
                          static_cast<int>(etcd_key.size())) != 1) {
      return bad();
    }
    std::string t(data.substr(data.size() - tag));
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag), t.data()) != 1) return bad();
  }
  if (EVP_DecryptUpdate(ctx.get(), o, &n, d + iv, static_cast<int>(data.size() - iv - tag)) != 1) return bad();
  total = n;
  if (EVP_DecryptFinal_ex(ctx.get(), o + total, &n) != 1) return bad();
  total += n;
  out.resize(static_cast<size_t>(total));
  return out;
}

}  // namespace etcdrestore::k8sobj
