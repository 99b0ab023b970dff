#include <gtest/gtest.h>

#include <string>

#include "shared/k8sobj/diff.h"
#include "shared/k8sobj/key.h"
#include "shared/k8sobj/object.h"
#include "shared/k8sobj/snapshot.h"
#include "shared/k8sobj/types.h"

namespace etcdrestore::k8sobj {
namespace {

TEST(ParseKey, BuiltinCustomAndTwoPartResources) {
  auto k = ParseKey("/registry/deployments/default/nginx-deployment");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->resource, "deployments");
  EXPECT_EQ(k->namespace_, "default");
  EXPECT_EQ(k->name, "nginx-deployment");
  k = ParseKey("/registry/namespaces/kube-system");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->resource, "namespaces");
  EXPECT_EQ(k->namespace_, "");
  EXPECT_EQ(k->name, "kube-system");
  k = ParseKey("/registry/services/specs/default/kubernetes");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->resource, "services/specs");
  EXPECT_EQ(k->namespace_, "default");
  k = ParseKey("/registry/stable.example.com/crontabs/default/my-crontab");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->group, "stable.example.com");
  EXPECT_EQ(k->resource, "crontabs");
  EXPECT_EQ(k->namespace_, "default");
  EXPECT_EQ(QualifiedResource(*k), "crontabs.stable.example.com");
  k = ParseKey("/registry/apiextensions.k8s.io/customresourcedefinitions/crontabs.stable.example.com");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->group, "apiextensions.k8s.io");
  EXPECT_EQ(k->namespace_, "");
  EXPECT_EQ(k->name, "crontabs.stable.example.com");
}

TEST(ParseKey, RejectsForeignAndMalformedKeys) {
  EXPECT_FALSE(ParseKey("/other/pods/a/b"));
  EXPECT_FALSE(ParseKey("/registry/"));
  EXPECT_FALSE(ParseKey("/registry/pods"));
  EXPECT_FALSE(ParseKey("/registry/pods//x"));
  EXPECT_FALSE(ParseKey("/registry/pods/a/b/c"));
  EXPECT_FALSE(ParseKey("/registry/pods/a/"));
}

TEST(ResolveType, KubectlFormsAndCustomResources) {
  for (const char* arg : {"deploy", "deployment", "deployments", "Deployments", "deployments.apps"}) {
    auto t = ResolveType(arg);
    ASSERT_TRUE(t) << arg;
    EXPECT_EQ(t->Name(), "deployments.apps") << arg;
    EXPECT_TRUE(t->Matches(*ParseKeyView("/registry/deployments/default/x"))) << arg;
  }
  auto svc = ResolveType("svc");
  ASSERT_TRUE(svc);
  EXPECT_TRUE(svc->Matches(*ParseKeyView("/registry/services/specs/default/kubernetes")));
  EXPECT_FALSE(svc->Matches(*ParseKeyView("/registry/services/endpoints/default/kubernetes")));
  auto no = ResolveType("nodes");
  ASSERT_TRUE(no);
  EXPECT_TRUE(no->Matches(*ParseKeyView("/registry/minions/cp1")));
  auto crd = ResolveType("crd");
  ASSERT_TRUE(crd);
  EXPECT_TRUE(crd->Matches(*ParseKeyView("/registry/apiextensions.k8s.io/customresourcedefinitions/a.b.c")));
  auto ct = ResolveType("crontabs");
  ASSERT_TRUE(ct);
  EXPECT_FALSE(ct->builtin);
  EXPECT_TRUE(ct->Matches(*ParseKeyView("/registry/stable.example.com/crontabs/default/x")));
  EXPECT_FALSE(ct->Matches(*ParseKeyView("/registry/pods/default/crontabs")));
  auto pinned = ResolveType("crontabs.other.io");
  ASSERT_TRUE(pinned);
  EXPECT_FALSE(pinned->Matches(*ParseKeyView("/registry/stable.example.com/crontabs/default/x")));
  EXPECT_FALSE(ResolveType(""));
  EXPECT_FALSE(ResolveType("pods/x"));
}

// Protobuf wire helpers for hand-built values.
std::string Varint(uint64_t v) {
  std::string s;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    s.push_back(static_cast<char>(b | (v ? 0x80 : 0)));
  } while (v);
  return s;
}
std::string Bytes(int field, const std::string& b) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(b.size()) + b;
}
std::string Int(int field, uint64_t v) { return Varint(static_cast<uint64_t>(field) << 3) + Varint(v); }

std::string ConfigMapValue() {
  std::string meta = Bytes(1, "settings") + Bytes(3, "shop") + Bytes(5, "6b4b2f0e-uid") + Bytes(8, Int(1, 1700000000)) +
                     Bytes(11, Bytes(1, "app") + Bytes(2, "web"));
  std::string raw = Bytes(1, meta) + Bytes(2, Bytes(1, "k") + Bytes(2, "v"));
  std::string unknown = Bytes(1, Bytes(1, "v1") + Bytes(2, "ConfigMap")) + Bytes(2, raw) + Bytes(4, "");
  return std::string("k8s\0", 4) + unknown;
}

TEST(DecodeObject, ProtobufJsonAndEncrypted) {
  auto o = DecodeObject(ConfigMapValue());
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->encoding, Encoding::kProtobuf);
  EXPECT_EQ(o->kind, "ConfigMap");
  EXPECT_EQ(o->name, "settings");
  EXPECT_EQ(o->namespace_, "shop");
  EXPECT_EQ(o->uid, "6b4b2f0e-uid");
  EXPECT_EQ(o->creation_seconds, 1700000000);
  EXPECT_EQ(KindQualifiedName(*o), "configmap");

  o = DecodeObject(
      R"({"apiVersion":"stable.example.com/v1","kind":"CronTab",)"
      R"("metadata":{"name":"c1","namespace":"default","uid":"u-1","creationTimestamp":"2023-11-14T22:13:20Z"}})");
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->encoding, Encoding::kJson);
  EXPECT_EQ(o->name, "c1");
  EXPECT_EQ(o->creation_seconds, 1700000000);
  EXPECT_EQ(KindQualifiedName(*o), "crontab.stable.example.com");

  o = DecodeObject("k8s:enc:aescbc:v1:key1:\x01\x02\x03");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->encoding, Encoding::kEncrypted);
  EXPECT_EQ(o->provider, "aescbc");
  EXPECT_EQ(o->key_name, "key1");
}

TEST(DecodeObject, DamageIsAnErrorNeverACrash) {
  const std::string good = ConfigMapValue();
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auto o = DecodeObject(good.substr(0, cut));
    if (!o) {
      EXPECT_EQ(o.error().code(), ErrorCode::kCorruption) << "cut " << cut;
    }
  }
  EXPECT_FALSE(DecodeObject("garbage"));
  EXPECT_FALSE(DecodeObject(std::string("k8s\0\x0a\xff\xff\xff\xff\x0f", 10)));  // length past the end
  EXPECT_FALSE(DecodeObject("k8s:enc:"));
}

TEST(DecodeKeyValue, FieldsAndDamage) {
  std::string kv = Bytes(1, "/registry/pods/a/b") + Int(2, 5) + Int(3, 9) + Int(4, 2) + Bytes(5, "v") + Int(6, 7);
  auto r = DecodeKeyValue(kv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->key, "/registry/pods/a/b");
  EXPECT_EQ(r->create_revision, 5);
  EXPECT_EQ(r->mod_revision, 9);
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->value, "v");
  EXPECT_EQ(r->lease, 7);
  EXPECT_FALSE(DecodeKeyValue(Int(3, 9)));            // no key
  EXPECT_FALSE(DecodeKeyValue(kv.substr(0, 5)));      // truncated
}

}  // namespace
}  // namespace etcdrestore::k8sobj

namespace etcdrestore::k8sobj {
namespace {

TEST(Compare, FourCategoriesAndUnchangedLeftOut) {
  std::vector<Ident> snap = {{"deployments.apps", "shop", "gone", "u1", "10"},
                             {"configmaps", "shop", "same", "u2", "11"},
                             {"configmaps", "shop", "edited", "u3", "12"},
                             {"services", "shop", "web", "u4", "13"},
                             {"secrets", "shop", "sealed", "", "14"}};  // encrypted: uid unknown
  std::vector<Ident> live = {{"configmaps", "shop", "same", "u2", "11"},
                             {"configmaps", "shop", "edited", "u3", "40"},
                             {"services", "shop", "web", "u9", "41"},
                             {"configmaps", "shop", "new", "u5", "42"},
                             {"secrets", "shop", "sealed", "u6", "14"}};
  auto d = Compare(snap, live);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].change, Change::kChanged);
  EXPECT_EQ(d[0].snapshot.name, "edited");
  EXPECT_EQ(d[1].change, Change::kCreated);
  EXPECT_EQ(d[1].live.name, "new");
  EXPECT_EQ(d[2].change, Change::kDeleted);
  EXPECT_EQ(d[2].snapshot.name, "gone");
  EXPECT_EQ(d[3].change, Change::kReplaced);
  EXPECT_EQ(d[3].live.uid, "u9");
}

}  // namespace
}  // namespace etcdrestore::k8sobj
