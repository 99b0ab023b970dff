// The Kubernetes object layer (shared/k8sobj) on arbitrary values, as they come out of a
// snapshot's key bucket: DecodeKeyValue, DecodeObject, OwnerRefs, ForCreate (the wire-level
// ObjectMeta edit), Keyring::Decrypt (aescbc, aesgcm, secretbox), ParseKey, ResolveType, and
// the built-in object printer (Schemas::ObjectToJson over the API schemas compiled into the
// build, when it has them; the corpus holds real objects of a kube-apiserver 1.20). Oracles:
// a value that decodes turns into a create body that decodes again to the same kind, name
// and namespace, without a uid; a printed object is a JSON object with the input's kind that
// dumps (valid UTF-8) and parses back equal; no input aborts or trips a sanitizer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "shared/k8sobj/decrypt.h"
#include "shared/k8sobj/edit.h"
#include "shared/k8sobj/key.h"
#include "shared/k8sobj/object.h"
#include "shared/k8sobj/schema.h"
#include "shared/k8sobj/snapshot.h"
#include "shared/k8sobj/types.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

namespace {

const k8sobj::Keyring& Keys() {
  static const k8sobj::Keyring k = [] {
    fuzz::MemFile f(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        "- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n"
        "        secret: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n  - aesgcm:\n      keys:\n"
        "      - name: key1\n        secret: AAECAwQFBgcICQoLDA0ODw==\n  - secretbox:\n      keys:\n"
        "      - name: key1\n        secret: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    auto r = k8sobj::Keyring::Load(f.path());
    if (!r) std::abort();
    return *r;
  }();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)k8sobj::ParseKey(in);
  (void)k8sobj::ResolveType(in.substr(0, 64));
  if (auto kv = k8sobj::DecodeKeyValue(in)) (void)k8sobj::DecodeObject(kv->value);
  (void)Keys().Decrypt(in, "/registry/secrets/default/x");
  (void)k8sobj::OwnerRefs(in);
  auto info = k8sobj::DecodeObject(in);
  if (auto schemas = k8sobj::Schemas::Compiled(); schemas && info && info->encoding == k8sobj::Encoding::kProtobuf) {
    std::vector<std::string> notes;
    if (auto j = (*schemas)->ObjectToJson(in, "42", &notes)) {
      if (!j->is_object() || (*j)["kind"] != info->kind) std::abort();
      const std::string text = j->dump();  // throws on invalid UTF-8
      if (nlohmann::ordered_json::parse(text) != *j) std::abort();
    }
  }
  if (!info || info->encoding == k8sobj::Encoding::kEncrypted) return 0;
  k8sobj::OwnerPolicy owners;
  owners.live = [](const k8sobj::OwnerRef& r) { return r.uid.size() % 2 == 0; };
  owners.recreated["a"] = "b";
  std::vector<std::string> notes;
  auto body = k8sobj::ForCreate(in, owners, &notes);
  if (!body) return 0;
  auto again = k8sobj::DecodeObject(body->body);
  if (info->encoding == k8sobj::Encoding::kProtobuf) {
    if (!again || again->kind != info->kind || again->name != info->name || again->namespace_ != info->namespace_ ||
        !again->uid.empty() || again->creation_seconds != 0) {
      std::abort();
    }
  }
  return 0;
}
