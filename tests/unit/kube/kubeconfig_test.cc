#include "shared/kube/kubeconfig.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "shared/base/file.h"
#include "shared/kube/client.h"
#include "shared/kube/exec_plugin.h"

namespace etcdrestore::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class KubeconfigTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etcdrestore-kubeconfig-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    env_.service_account_dir = dir_ + "/sa";
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string p = dir_ + "/" + name;
    (void)MakeDirs(DirName(p), 0700);
    std::ofstream(p) << text;
    chmod(p.c_str(), mode);
    return p;
  }

  std::string dir_;
  Environment env_;
};

// "PEM" "abc" -> base64 "YWJj".
constexpr char kFirst[] = R"(apiVersion: v1
kind: Config
current-context: first
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: YWJj
- name: shared
  cluster:
    server: https://first.example:443
users:
- name: u1
  user:
    client-certificate: certs/u1.crt
    client-key: certs/u1.key
- name: tok
  user:
    tokenFile: token.txt
contexts:
- name: first
  context: {cluster: c1, user: u1, namespace: team-a}
- name: bytoken
  context: {cluster: shared, user: tok}
)";

constexpr char kSecond[] = R"(apiVersion: v1
kind: Config
current-context: second
clusters:
- name: shared
  cluster:
    server: https://second.example:443
- name: c2
  cluster:
    server: https://10.0.0.2:6443
    insecure-skip-tls-verify: true
    tls-server-name: api.internal
users:
- name: plug
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: bin/get-token
      args: ["--region", "x"]
      env: [{name: A, value: b}]
      provideClusterInfo: true
- name: gcp
  user:
    auth-provider: {name: gcp}
contexts:
- name: second
  context: {cluster: c2, user: plug}
- name: legacy
  context: {cluster: c2, user: gcp}
)";

TEST_F(KubeconfigTest, MergesKubeconfigListFirstWins) {
  const std::string a = Write("a/config", kFirst);
  Write("a/certs/u1.crt", "CERT");
  Write("a/certs/u1.key", "KEY");
  Write("a/token.txt", "tok-123\n");
  const std::string b = Write("b/config", kSecond);
  env_.vars["KUBECONFIG"] = a + ":" + dir_ + "/missing:" + b;
  auto c = LoadRestConfig({}, env_);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->context_name, "first");  // first non-empty current-context
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "abc");
  EXPECT_EQ(c->cert_pem, "CERT");  // relative to a/
  EXPECT_EQ(c->key_pem, "KEY");
  EXPECT_EQ(c->namespace_, "team-a");
  EXPECT_EQ(c->files, (std::vector<std::string>{a, b}));

  // "shared" is defined in both: the first file's wins; tokenFile is read and trimmed.
  Overrides o;
  o.context = "bytoken";
  c = LoadRestConfig(o, env_);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server, "https://first.example:443");
  EXPECT_EQ(c->token, "tok-123");
  EXPECT_EQ(c->namespace_, "default");

  // A context only in the second file, with an exec plugin (command relative to b/).
  o.context = "second";
  c = LoadRestConfig(o, env_);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->tls_server_name, "api.internal");
  ASSERT_TRUE(c->exec.has_value());
  EXPECT_EQ(c->exec->command, dir_ + "/b/bin/get-token");
  EXPECT_EQ(c->exec->args, (std::vector<std::string>{"--region", "x"}));
  EXPECT_TRUE(c->exec->provide_cluster_info);
  EXPECT_EQ(c->exec->env.at(0), (std::pair<std::string, std::string>{"A", "b"}));
}

TEST_F(KubeconfigTest, FlagOverrides) {
  const std::string a = Write("a/config", kFirst);
  Write("a/certs/u1.crt", "CERT");
  Write("a/certs/u1.key", "KEY");
  const std::string ca = Write("ca.pem", "CA-FROM-FLAG");
  Overrides o;
  o.kubeconfig = a;
  o.server = "https://override:7443";
  o.namespace_ = "ns2";
  o.certificate_authority = ca;
  o.token = "flag-token";
  o.insecure_skip_tls_verify = true;
  o.tls_server_name = "x.example";
  o.request_timeout = "1m30s";
  auto c = LoadRestConfig(o, env_);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server, "https://override:7443");
  EXPECT_EQ(c->namespace_, "ns2");
  EXPECT_EQ(c->ca_pem, "CA-FROM-FLAG");
  EXPECT_EQ(c->token, "flag-token");
  EXPECT_EQ(c->cert_pem, "");  // --token replaces the user's client cert
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->tls_server_name, "x.example");
  EXPECT_EQ(c->timeout.count(), 90000);
  // --cluster/--user pick other entries than the context's.
  Overrides o2;
  o2.kubeconfig = a;
  o2.cluster = "shared";
  auto c2 = LoadRestConfig(o2, env_);
  ASSERT_TRUE(c2) << c2.error().message();
  EXPECT_EQ(c2->server, "https://first.example:443");
  EXPECT_EQ(c2->user_name, "u1");
}

TEST_F(KubeconfigTest, ErrorsReadLikeKubectl) {
  const std::string b = Write("b/config", kSecond);
  Overrides o;
  o.kubeconfig = dir_ + "/nope";
  auto c = LoadRestConfig(o, env_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "stat " + dir_ + "/nope: no such file or directory");
  o.kubeconfig = b;
  o.context = "zzz";
  c = LoadRestConfig(o, env_);
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message(), HasSubstr("context was not found for specified context: zzz"));
  o.context.reset();
  o.user = "ghost";
  c = LoadRestConfig(o, env_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "auth info \"ghost\" does not exist");
  o.user.reset();
  o.cluster = "ghost";
  c = LoadRestConfig(o, env_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "no server found for cluster \"ghost\"");
  o.cluster.reset();
  o.context = "legacy";
  c = LoadRestConfig(o, env_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(c.error().message(), HasSubstr("auth-provider \"gcp\" is not supported"));
  o.context.reset();
  o.request_timeout = "5x";
  c = LoadRestConfig(o, env_);
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message(), HasSubstr("Invalid timeout value"));

  const std::string bad = Write("bad", "clusters: [unclosed");
  o = {};
  o.kubeconfig = bad;
  c = LoadRestConfig(o, env_);
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message(), HasSubstr("kubeconfig \"" + bad + "\": "));
}

// Found by tests/fuzz/kube_fuzz: a user (or cluster, context) that is a scalar made
// yaml-cpp's operator[] throw BadSubscript out of LoadRestConfig (std::terminate).
TEST_F(KubeconfigTest, EntryThatIsNotAMappingIsAnError) {
  for (const char* body : {"user: just-a-string", "user: [a, b]"}) {
    const std::string p = Write("bad", std::string("users:\n- name: u1\n  ") + body +
                                           "\ncontexts:\n- name: x\n  context: {cluster: c, user: u1}\n"
                                           "clusters:\n- name: c\n  cluster: {server: https://h:1}\n"
                                           "current-context: x\n");
    Overrides o;
    o.kubeconfig = p;
    auto r = LoadRestConfig(o, env_);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message(), "kubeconfig \"" + p + "\": users entry \"u1\": user is not a mapping");
  }
  // An empty body is an empty mapping, as before.
  const std::string p = Write("empty",
                              "users:\n- name: u1\n  user:\ncontexts:\n- name: x\n  context: {cluster: c, user: u1}\n"
                              "clusters:\n- name: c\n  cluster: {server: https://h:1}\ncurrent-context: x\n");
  Overrides o;
  o.kubeconfig = p;
  auto r = LoadRestConfig(o, env_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->server, "https://h:1");
}

TEST_F(KubeconfigTest, NoServerAnywhere) {
  env_.vars["HOME"] = dir_ + "/home";
  auto c = LoadRestConfig({}, env_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "no server to connect to: no current context in no kubeconfig file, and no --server (set KUBECONFIG, "
            "or use --kubeconfig or --server)");
}

TEST_F(KubeconfigTest, HomeKubeConfig) {
  Write("home/.kube/config", kSecond);
  env_.vars["HOME"] = dir_ + "/home";
  auto c = LoadRestConfig({}, env_);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server, "https://10.0.0.2:6443");
}

TEST_F(KubeconfigTest, InClusterConfig) {
  Write("sa/token", "sa-token\n");
  Write("sa/ca.crt", "SA-CA");
  Write("sa/namespace", "kube-system");
  env_.vars["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
  env_.vars["KUBERNETES_SERVICE_PORT"] = "443";
  env_.vars["HOME"] = dir_ + "/home";
  auto c = LoadRestConfig({}, env_);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->in_cluster);
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token, "sa-token");
  EXPECT_EQ(c->ca_pem, "SA-CA");
  EXPECT_EQ(c->namespace_, "kube-system");
}

// Found by tests/fuzz/kube_fuzz: "." reached std::stod, whose std::invalid_argument ended
// the process (std::terminate); a long digit string threw std::out_of_range from
// std::stoll, and values past int64 milliseconds overflowed. Durations are limited like Go's
// (int64 nanoseconds: 2562047h47m16.854775807s).
TEST(ParseTimeout, RefusesNumbersWithoutDigitsAndOutOfRange) {
  for (const char* bad : {".", ".s", "1..5s", "5s.m", "99999999999999999999", "9223372036854775807",
                          "99999999999999999999h", "2562048h"}) {
    auto t = ParseTimeout(bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_THAT(t.error().message(), HasSubstr("Invalid timeout value")) << bad;
  }
  EXPECT_EQ(ParseTimeout("9223372036854775")->count(), 9223372036854775000);
  EXPECT_EQ(ParseTimeout("2562047h")->count(), 2562047LL * 3600 * 1000);
  EXPECT_EQ(ParseTimeout(".5s")->count(), 500);
  EXPECT_EQ(ParseTimeout("1.5m")->count(), 90000);
}

TEST(ParseTimeout, Forms) {
  EXPECT_EQ(ParseTimeout("0")->count(), 0);
  EXPECT_EQ(ParseTimeout("30")->count(), 30000);
  EXPECT_EQ(ParseTimeout("5s")->count(), 5000);
  EXPECT_EQ(ParseTimeout("2m")->count(), 120000);
  EXPECT_EQ(ParseTimeout("1h")->count(), 3600000);
  EXPECT_EQ(ParseTimeout("250ms")->count(), 250);
  EXPECT_FALSE(ParseTimeout("abc"));
  EXPECT_FALSE(ParseTimeout(""));
  EXPECT_FALSE(ParseTimeout("5d"));
}

TEST(Base64Decode, Padding) {
  EXPECT_EQ(*Base64Decode("YWJj"), "abc");
  EXPECT_EQ(*Base64Decode("YWI="), "ab");
  EXPECT_EQ(*Base64Decode("YQ==\n"), "a");
  EXPECT_FALSE(Base64Decode("YWJ"));
}

TEST(ApiError, ForbiddenNamesVerbAndResource) {
  const std::string body =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\"","reason":"Forbidden","details":{"kind":"pods"},"code":403})";
  Error e = ApiError(403, body, {"list", "pods", "kube-system", ""}, "bob");
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(e.message(),
            "list pods in namespace kube-system: forbidden: User \"bob\" cannot list resource \"pods\" in API group "
            "\"\" in the namespace \"kube-system\" (check: kubectl auth can-i list pods -n kube-system)");
  Error u = ApiError(401, R"({"kind":"Status","message":"Unauthorized","code":401})", {"get", "version", "", ""},
                     "bob");
  EXPECT_EQ(u.message(), "get version: Unauthorized: the server rejected the credentials of user \"bob\"");
  Error n = ApiError(404, R"({"kind":"Status","message":"configmaps \"kubeadm-config\" not found","code":404})",
                     {"get", "configmaps", "kube-system", "kubeadm-config"}, "");
  EXPECT_EQ(n.code(), ErrorCode::kNotFound);
  EXPECT_EQ(n.message(),
            "get configmaps kubeadm-config in namespace kube-system: configmaps \"kubeadm-config\" not found");
  Error s = ApiError(503, "upstream down\n", {"get", "version", "", ""}, "");
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(s.message(), "get version: server answered HTTP 503: upstream down");
}

TEST(QueryEscape, Reserved) {
  EXPECT_EQ(QueryEscape("component=etcd"), "component%3Detcd");
  EXPECT_EQ(QueryEscape("--cacert=/a b"), "--cacert%3D%2Fa%20b");
}

class ExecPluginTest : public KubeconfigTest {};

TEST_F(ExecPluginTest, TokenFromV1PluginAndClusterInfo) {
  const std::string info = dir_ + "/info.json";
  const std::string script = Write("plugin.sh",
                                   "#!/bin/sh\necho \"$KUBERNETES_EXEC_INFO\" > " + info +
                                       "\necho \"$1 $MYVAR\" >> " + info +
                                       "\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                                       "\"ExecCredential\",\"status\":{\"token\":\"t0k\"}}'\n",
                                   0755);
  ExecConfig e{"client.authentication.k8s.io/v1", script, {"arg1"}, {{"MYVAR", "v"}}, true, ""};
  RestConfig cluster;
  cluster.server = "https://1.2.3.4:6443";
  cluster.ca_pem = "abc";
  auto cred = RunExecPlugin(e, cluster);
  ASSERT_TRUE(cred) << cred.error().message();
  EXPECT_EQ(cred->token, "t0k");
  std::ifstream in(info);
  std::string line1, line2;
  std::getline(in, line1);
  std::getline(in, line2);
  EXPECT_EQ(
      line1,
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"cluster":{"certificate-authority-data":"YWJj","insecure-skip-tls-verify":false,"server":"https://1.2.3.4:6443"},"interactive":false}})");
  EXPECT_EQ(line2, "arg1 v");
}

TEST_F(ExecPluginTest, Failures) {
  ExecConfig missing{"client.authentication.k8s.io/v1beta1", dir_ + "/no-such-plugin", {}, {}, false,
                     "install it with: apt install x"};
  auto r = RunExecPlugin(missing, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "getting credentials: exec: executable " + dir_ +
                                     "/no-such-plugin not found\n\ninstall it with: apt install x");
  const std::string leaky = Write("leaky.sh", "#!/bin/sh\necho 'secret-token-value not json'\n", 0755);
  r = RunExecPlugin({"client.authentication.k8s.io/v1", leaky, {}, {}, false, ""}, {});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(r.error().message(), Not(HasSubstr("secret-token-value")));
  const std::string empty = Write("empty.sh",
                                  "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                                  "\"ExecCredential\",\"status\":{}}'\n",
                                  0755);
  r = RunExecPlugin({"client.authentication.k8s.io/v1", empty, {}, {}, false, ""}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "getting credentials: exec plugin didn't return a token or cert/key pair");
}

}  // namespace
}  // namespace etcdrestore::kube
