// Keyring: values encrypted as the API server's EncryptionConfiguration providers write them,
// made here with the real libraries (libsodium's crypto_secretbox_easy for secretbox, as Go's
// nacl/secretbox.Seal lays it out), then decrypted through a config file.
#include <gtest/gtest.h>

#include <sodium.h>

#include <fstream>
#include <string>

#include "shared/k8sobj/decrypt.h"
#include "tests/unit/common/etcd_reference.h"

namespace etcdrestore::k8sobj {
namespace {

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string Key(unsigned char first, size_t n = 32) {
  std::string k(n, '\0');
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<char>(first + i);
  return k;
}

// "k8s:enc:secretbox:v1:<name>:" + nonce + crypto_secretbox_easy(plain).
std::string SealSecretbox(const std::string& name, const std::string& key, const std::string& plain) {
  unsigned char nonce[crypto_secretbox_NONCEBYTES];
  randombytes_buf(nonce, sizeof nonce);
  std::string box(plain.size() + crypto_secretbox_MACBYTES, '\0');
  EXPECT_EQ(crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()),
                                  reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), nonce,
                                  reinterpret_cast<const unsigned char*>(key.data())),
            0);
  return "k8s:enc:secretbox:v1:" + name + ":" + std::string(reinterpret_cast<char*>(nonce), sizeof nonce) + box;
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    path_ = dir_.path() + "/encryption.yaml";
  }
  Result<Keyring> Load(const std::string& yaml) {
    std::ofstream(path_) << yaml;
    return Keyring::Load(path_);
  }
  static std::string Config(const std::string& providers) {
    return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
           "  - resources: [secrets]\n    providers:\n" + providers + "    - identity: {}\n";
  }
  testing::TempDir dir_;
  std::string path_;
};

TEST_F(KeyringTest, SecretboxValueOfTheApiServerDecrypts) {
  const std::string key = Key(1), old = Key(100);
  auto ring = Load(Config("    - secretbox:\n        keys:\n        - name: key2\n          secret: " + Base64(key) +
                          "\n        - name: key1\n          secret: " + Base64(old) + "\n"));
  ASSERT_TRUE(ring) << ring.error().message();
  const std::string plain = std::string("k8s\0\n\x0fsome object", 17);
  auto got = ring->Decrypt(SealSecretbox("key2", key, plain), "/registry/secrets/default/s");
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, plain);
  got = ring->Decrypt(SealSecretbox("key1", old, ""), "/registry/secrets/default/s");  // the older key, empty value
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, "");
}

TEST_F(KeyringTest, SecretboxRefusesTamperingWrongKeysAndShortValues) {
  const std::string key = Key(1);
  auto ring = Load(Config("    - secretbox:\n        keys:\n        - name: key1\n          secret: " + Base64(key) +
                          "\n        - name: short\n          secret: " + Base64(Key(7, 16)) + "\n"));
  ASSERT_TRUE(ring) << ring.error().message();
  std::string v = SealSecretbox("key1", key, "hello secret");
  v.back() ^= 1;
  auto got = ring->Decrypt(v, "/registry/secrets/ns/a");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(got.error().message().find("does not decrypt with secretbox key \"key1\""), std::string::npos);
  EXPECT_EQ(got.error().message().find(Base64(key)), std::string::npos);  // never the key
  got = ring->Decrypt(SealSecretbox("key1", Key(2), "x"), "/registry/secrets/ns/a");  // another key under that name
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ErrorCode::kCorruption);
  got = ring->Decrypt("k8s:enc:secretbox:v1:key1:" + std::string(39, 'x'), "/registry/secrets/ns/a");
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("shorter than nonce and MAC (40)"), std::string::npos) << got.error().message();
  got = ring->Decrypt(SealSecretbox("nokey", key, "x"), "/registry/secrets/ns/a");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ErrorCode::kNotFound);
  got = ring->Decrypt(SealSecretbox("short", Key(7, 32), "x"), "/registry/secrets/ns/a");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(got.error().message().find("is 16 bytes (want 32)"), std::string::npos);
}

TEST_F(KeyringTest, KmsIsNotDecryptableOfflineAndPlainValuesPassThrough) {
  auto ring =
      Load(Config("    - secretbox:\n        keys:\n        - name: k\n          secret: " + Base64(Key(3)) + "\n"));
  ASSERT_TRUE(ring);
  auto got = ring->Decrypt("k8s:enc:kms:v1:vault:\x01\x02", "/registry/secrets/ns/a");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(got.error().message().find("KMS"), std::string::npos);
  got = ring->Decrypt(std::string("k8s\0plain", 9), "/registry/secrets/ns/a");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, std::string("k8s\0plain", 9));
}

}  // namespace
}  // namespace etcdrestore::k8sobj
