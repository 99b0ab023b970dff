// Schemas: the printer of built-in objects, on messages built here by hand. The descriptors
// are this test's own small .proto files (testdata/: the names and field numbers of the
// Kubernetes types it special-cases are facts of the API, e.g. metav1.Time{seconds=1,
// nanos=2}), compiled by protoc at build time; the JSON tags are written here in
// scripts/k8s-protos.sh's format.
// With the schemas compiled into the build, real API types are printed too.
#include <gtest/gtest.h>

#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <iterator>
#include <string>

#include "shared/k8sobj/schema.h"

namespace etcdrestore::k8sobj {
namespace {

namespace pb = google::protobuf;
using Json = nlohmann::ordered_json;

// testdata/*.proto compiled by protoc at build time (--include_imports).
std::string TestDescriptorSet() {
  std::ifstream in(ETCDRESTORE_K8SOBJ_TEST_DESCRIPTORS, std::ios::binary);
  EXPECT_TRUE(in) << ETCDRESTORE_K8SOBJ_TEST_DESCRIPTORS;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// <message> <field> <json name> <flags: o omitempty, i inline, p pointer>
const char* kTags =
    "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta\t1\tname\to\n"
    "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta\t3\tnamespace\to\n"
    "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta\t6\tresourceVersion\to\n"
    "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta\t8\tcreationTimestamp\to\n"
    "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta\t9\tdeletionTimestamp\top\n"
    "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta\t11\tlabels\to\n"
    "k8s.io.api.test.v1.Source\t1\tpath\to\n"
    "k8s.io.api.test.v1.Source\t2\tmode\to\n"
    "k8s.io.api.test.v1.Thing\t1\tmetadata\to\n"
    "k8s.io.api.test.v1.Thing\t2\tplain\to\n"
    "k8s.io.api.test.v1.Thing\t3\talways\t-\n"
    "k8s.io.api.test.v1.Thing\t4\tcount\to\n"
    "k8s.io.api.test.v1.Thing\t5\tzeroAlways\t-\n"
    "k8s.io.api.test.v1.Thing\t6\tbig\top\n"
    "k8s.io.api.test.v1.Thing\t7\tflag\top\n"
    "k8s.io.api.test.v1.Thing\t8\t\ti\n"
    "k8s.io.api.test.v1.Thing\t9\tnilNoOmit\tp\n"
    "k8s.io.api.test.v1.Thing\t10\tlist\to\n"
    "k8s.io.api.test.v1.Thing\t11\tnilList\t-\n"
    "k8s.io.api.test.v1.Thing\t12\tlimits\to\n"
    "k8s.io.api.test.v1.Thing\t13\tport\to\n"
    "k8s.io.api.test.v1.Thing\t14\tports\to\n"
    "k8s.io.api.test.v1.Thing\t15\tdata\to\n"
    "k8s.io.api.test.v1.Thing\t16\tblob\to\n"
    "k8s.io.api.test.v1.Thing\t17\tevery\to\n"
    "k8s.io.api.test.v1.Thing\t18\tat\top\n"
    "k8s.io.api.test.v1.Thing\t19\textra\to\n"
    "k8s.io.api.test.v1.Thing\t20\tptr\top\n"
    "k8s.io.api.test.v1.Thing\t21\tratio\to\n";

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Schemas::Load(TestDescriptorSet(), kTags);
    ASSERT_TRUE(s) << s.error().message();
    schemas_ = std::move(*s);
    thing_ = schemas_->MessageFor("test/v1", "Thing");
    ASSERT_NE(thing_, nullptr);
  }
  std::unique_ptr<pb::Message> New() { return schemas_->New(thing_); }
  static pb::Message* Sub(pb::Message* m, const char* field) {
    return m->GetReflection()->MutableMessage(m, m->GetDescriptor()->FindFieldByName(field));
  }
  static const pb::FieldDescriptor* F(const pb::Message* m, const char* field) {
    return m->GetDescriptor()->FindFieldByName(field);
  }
  Json Print(const pb::Message& m, std::vector<std::string>* notes = nullptr) {
    auto j = schemas_->ToJson(m, notes);
    EXPECT_TRUE(j) << j.error().message();
    return j ? *j : Json();
  }
  std::unique_ptr<Schemas> schemas_;
  const pb::Descriptor* thing_ = nullptr;
};

TEST_F(SchemaTest, EmptyObjectPrintsOnlyWhatGoWouldPrint) {
  auto m = New();
  // Absent: omitempty fields out; "always" and "zeroAlways" (no omitempty, not pointers) as
  // zero values; the nil pointer and the nil slice without omitempty as null; the inline
  // struct's zero fields out; the non-pointer structs printed as their zero values (Go never
  // omits a struct): metadata with its zero Time as null (kubectl's familiar
  // `"creationTimestamp": null`), IntOrString 0, RawExtension null, Duration "0s".
  const Json want = Json::parse(R"({"metadata": {"creationTimestamp": null}, "always": "", "zeroAlways": 0,
                                   "nilNoOmit": null, "nilList": null, "port": 0, "data": null, "every": "0s"})");
  EXPECT_EQ(Print(*m), want) << Print(*m).dump();
}

TEST_F(SchemaTest, ScalarsPointersInlineMapsAndLists) {
  auto m = New();
  const pb::Reflection* r = m->GetReflection();
  r->SetString(m.get(), F(m.get(), "plain"), "");  // present but zero, omitempty: out
  r->SetInt32(m.get(), F(m.get(), "count"), 0);
  r->SetInt64(m.get(), F(m.get(), "big"), 0);       // a pointer to zero: printed
  r->SetBool(m.get(), F(m.get(), "flag"), false);
  r->SetInt32(m.get(), F(m.get(), "zeroAlways"), 7);
  r->SetDouble(m.get(), F(m.get(), "ratio"), 0.25);
  pb::Message* src = Sub(m.get(), "source");       // inline: its fields join Thing's
  src->GetReflection()->SetString(src, F(src, "path"), "/data");
  src->GetReflection()->SetInt32(src, F(src, "mode"), 420);
  Sub(m.get(), "ptr");                              // a present empty struct pointer: {}
  r->AddString(m.get(), F(m.get(), "list"), "b");
  r->AddString(m.get(), F(m.get(), "list"), "a");   // order kept
  r->SetString(m.get(), F(m.get(), "blob"), std::string("\x00\xff\x10", 3));
  for (const char* k : {"memory", "cpu"}) {         // map keys sorted, as Go prints them
    pb::Message* e = r->AddMessage(m.get(), F(m.get(), "limits"));
    e->GetReflection()->SetString(e, e->GetDescriptor()->map_key(), k);
    pb::Message* q = e->GetReflection()->MutableMessage(e, e->GetDescriptor()->map_value());
    q->GetReflection()->SetString(q, F(q, "string"), std::string(k) == "cpu" ? "500m" : "128Mi");
  }
  pb::Message* e = r->AddMessage(m.get(), F(m.get(), "extra"));  // map of a Go slice type
  e->GetReflection()->SetString(e, e->GetDescriptor()->map_key(), "groups");
  pb::Message* ev = e->GetReflection()->MutableMessage(e, e->GetDescriptor()->map_value());
  ev->GetReflection()->AddString(ev, F(ev, "items"), "admins");
  const Json got = Print(*m);
  const Json want = Json::parse(
      R"({"metadata": {"creationTimestamp": null}, "always": "", "zeroAlways": 7, "big": 0, "flag": false, "path": "/data",
      "mode": 420, "nilNoOmit": null, "list": ["b", "a"], "nilList": null,
      "limits": {"cpu": "500m", "memory": "128Mi"}, "port": 0, "data": null, "blob": "AP8Q", "every": "0s",
      "extra": {"groups": ["admins"]}, "ptr": {}, "ratio": 0.25})");
  EXPECT_EQ(got, want) << got.dump();
  EXPECT_EQ(std::next(got.begin()).key(), "always");  // schema order, not sorted
  EXPECT_EQ(std::next(got["limits"].begin()).key(), "memory");
}

TEST_F(SchemaTest, TimesQuantitiesIntOrStringAndEmbeddedJson) {
  auto m = New();
  pb::Message* meta = Sub(m.get(), "metadata");
  const pb::Reflection* mr = meta->GetReflection();
  mr->SetString(meta, F(meta, "name"), "web");
  pb::Message* t = Sub(meta, "creationTimestamp");
  t->GetReflection()->SetInt64(t, F(t, "seconds"), 1714564800);
  t->GetReflection()->SetInt32(t, F(t, "nanos"), 999);  // Time keeps whole seconds
  pb::Message* del = Sub(meta, "deletionTimestamp");    // Go's zero time.Time, as written: null
  del->GetReflection()->SetInt64(del, F(del, "seconds"), -62135596800);
  pb::Message* at = Sub(m.get(), "at");
  at->GetReflection()->SetInt64(at, F(at, "seconds"), 0);
  at->GetReflection()->SetInt32(at, F(at, "nanos"), 1234567);
  pb::Message* port = Sub(m.get(), "port");
  port->GetReflection()->SetInt64(port, F(port, "type"), 1);
  port->GetReflection()->SetString(port, F(port, "strVal"), "http");
  const pb::Reflection* r = m->GetReflection();
  pb::Message* p1 = r->AddMessage(m.get(), F(m.get(), "ports"));
  p1->GetReflection()->SetInt32(p1, F(p1, "intVal"), 8080);
  pb::Message* data = Sub(m.get(), "data");
  data->GetReflection()->SetString(data, F(data, "raw"), R"({"b":[1,2],"a":null})");
  pb::Message* every = Sub(m.get(), "every");
  every->GetReflection()->SetInt64(every, F(every, "duration"), 3723500000000);
  const Json got = Print(*m);
  EXPECT_EQ(got["metadata"], Json::parse(R"({"name": "web", "creationTimestamp": "2024-05-01T12:00:00Z",
                                             "deletionTimestamp": null})")) << got.dump();
  EXPECT_EQ(got["at"], "1970-01-01T00:00:00.001234Z");
  EXPECT_EQ(got["port"], "http");
  EXPECT_EQ(got["ports"], Json::parse("[8080]"));
  EXPECT_EQ(got["data"], Json::parse(R"({"b":[1,2],"a":null})"));
  EXPECT_EQ(got["every"], "1h2m3.5s");
  data->GetReflection()->SetString(data, F(data, "raw"), "{not json");
  auto bad = schemas_->ToJson(*m, nullptr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kCorruption);
  data->GetReflection()->SetString(data, F(data, "raw"), "");
  EXPECT_TRUE(Print(*m)["data"].is_null());
}

TEST_F(SchemaTest, InvalidUtf8UnknownFieldsAndDepth) {
  auto m = New();
  m->GetReflection()->SetString(m.get(), F(m.get(), "always"), "a\xff" "b\xc3");
  std::string wire = m->SerializeAsString();
  wire += std::string("\xb8\x06\x05", 3);  // field 103, varint 5: not in the schema
  auto parsed = New();
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(parsed->ParseFromString(wire));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // protobuf's UTF-8 complaint is dropped
  std::vector<std::string> notes;
  const Json got = Print(*parsed, &notes);
  EXPECT_EQ(got["always"], "a\xef\xbf\xbd" "b\xef\xbf\xbd");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("k8s.io.api.test.v1.Thing has fields"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("103"), std::string::npos);
  (void)got.dump();  // valid UTF-8: nlohmann does not throw
}

// "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding}.
std::string Envelope(const std::string& api_version, const std::string& kind, const std::string& raw,
                     const std::string& encoding = "") {
  auto bytes = [](int field, const std::string& s) {
    std::string out(1, static_cast<char>(field << 3 | 2));
    for (size_t n = s.size(); ; n >>= 7) {
      out.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
      if (n < 0x80) break;
    }
    return out + s;
  };
  std::string v = std::string("k8s\0", 4) + bytes(1, bytes(1, api_version) + bytes(2, kind)) + bytes(2, raw);
  if (!encoding.empty()) v += bytes(3, encoding);
  return v;
}

TEST_F(SchemaTest, ObjectEnvelopeToJson) {
  auto m = New();
  pb::Message* meta = Sub(m.get(), "metadata");
  meta->GetReflection()->SetString(meta, F(meta, "name"), "web");
  auto j = schemas_->ObjectToJson(Envelope("test/v1", "Thing", m->SerializeAsString()), "4711", nullptr);
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ(j->begin().key(), "apiVersion");
  EXPECT_EQ((*j)["apiVersion"], "test/v1");
  EXPECT_EQ((*j)["kind"], "Thing");
  EXPECT_EQ((*j)["metadata"], Json::parse(R"({"name": "web", "resourceVersion": "4711", "creationTimestamp": null})"));
  j = schemas_->ObjectToJson(Envelope("test/v1", "Gadget", ""), "1", nullptr);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(j.error().message().find("test/v1 Gadget is not in this build's"), std::string::npos);
  j = schemas_->ObjectToJson(Envelope("test/v1", "Thing", "\x0a\x05\x0a"), "1", nullptr);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code(), ErrorCode::kCorruption);
  j = schemas_->ObjectToJson(Envelope("test/v1", "Thing", "", "gzip"), "1", nullptr);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code(), ErrorCode::kUnsupported);
  j = schemas_->ObjectToJson("not k8s", "1", nullptr);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code(), ErrorCode::kCorruption);
}

TEST(SchemaLoad, RejectsBadInputs) {
  EXPECT_FALSE(Schemas::Load("\xff\xff garbage", ""));
  pb::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(TestDescriptorSet()));
  pb::FileDescriptorSet last_only;
  *last_only.add_file() = set.file(set.file_size() - 1);  // thing.proto without its imports
  auto s = Schemas::Load(last_only.SerializeAsString(), "");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("thing.proto does not build: "), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("has not been loaded"), std::string::npos) << s.error().message();
  EXPECT_FALSE(Schemas::Load(pb::FileDescriptorSet().SerializeAsString(), "a\tb\n"));
  EXPECT_FALSE(Schemas::Load(pb::FileDescriptorSet().SerializeAsString(), "a\tx\tc\td\n"));
}

TEST(GoDuration, LikeGo) {
  EXPECT_EQ(GoDuration(0), "0s");
  EXPECT_EQ(GoDuration(1), "1ns");
  EXPECT_EQ(GoDuration(1500), "1.5\xc2\xb5s");
  EXPECT_EQ(GoDuration(150000000), "150ms");
  EXPECT_EQ(GoDuration(1000000000), "1s");
  EXPECT_EQ(GoDuration(3600000000000), "1h0m0s");
  EXPECT_EQ(GoDuration(90000000000), "1m30s");
  EXPECT_EQ(GoDuration(-2500000000), "-2.5s");
  EXPECT_EQ(GoDuration(INT64_MIN), "-2562047h47m16.854775808s");
}

TEST(Rfc3339, CivilDates) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(Rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(Rfc3339(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(Rfc3339(1714564800, 5), "2024-05-01T12:00:00.000005Z");
}

#ifdef ETCDRESTORE_K8S_SCHEMAS
// The schemas compiled in: real API types.
TEST(CompiledSchemas, RealDeploymentAndEveryKindPrints) {
  auto s = Schemas::Compiled();
  ASSERT_TRUE(s) << s.error().message();
  const pb::Descriptor* d = (*s)->MessageFor("apps/v1", "Deployment");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->full_name(), "k8s.io.api.apps.v1.Deployment");
  EXPECT_EQ((*s)->MessageFor("v1", "Pod")->full_name(), "k8s.io.api.core.v1.Pod");
  EXPECT_EQ((*s)->MessageFor("apiextensions.k8s.io/v1", "CustomResourceDefinition")->full_name(),
            "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition");
  EXPECT_EQ((*s)->MessageFor("apiregistration.k8s.io/v1", "APIService")->full_name(),
            "k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.APIService");
  EXPECT_EQ((*s)->MessageFor("v1", "Nope"), nullptr);
  auto m = (*s)->New(d);
  auto* spec = m->GetReflection()->MutableMessage(m.get(), d->FindFieldByName("spec"));
  spec->GetReflection()->SetInt32(spec, spec->GetDescriptor()->FindFieldByName("replicas"), 0);
  auto j = (*s)->ToJson(*m, nullptr);
  ASSERT_TRUE(j) << j.error().message();
  // What kubectl prints of such a Deployment: the zero pointer replicas kept, the
  // template's zero creationTimestamp as null, strategy and status as empty structs.
  EXPECT_EQ((*j)["spec"]["replicas"], 0);
  EXPECT_TRUE((*j)["spec"]["template"]["metadata"]["creationTimestamp"].is_null()) << j->dump();
  EXPECT_EQ((*j)["spec"]["strategy"], Json::object());
  EXPECT_EQ((*j)["status"], Json::object());
  EXPECT_FALSE((*j)["spec"].contains("paused"));  // omitempty bool
  // Every message of the API prints from its empty value (no schema it cannot handle).
  const pb::FileDescriptor* f = d->file();
  std::vector<const pb::FileDescriptor*> files{f};
  for (int i = 0; i < f->dependency_count(); ++i) files.push_back(f->dependency(i));
  int printed = 0;
  for (const pb::FileDescriptor* file : files) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      auto e = (*s)->New(file->message_type(i));
      ASSERT_TRUE((*s)->ToJson(*e, nullptr)) << file->message_type(i)->full_name();
      ++printed;
    }
  }
  EXPECT_GT(printed, 200);
  EXPECT_FALSE(SchemasVersion().empty());
}
#else
TEST(CompiledSchemas, AbsentSaysHowToBuildThem) {
  auto s = Schemas::Compiled();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(s.error().message().find("scripts/k8s-protos.sh"), std::string::npos);
}
#endif

}  // namespace
}  // namespace etcdrestore::k8sobj
