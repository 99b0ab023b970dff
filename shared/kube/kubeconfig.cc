#include "shared/kube/kubeconfig.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "shared/base/file.h"

extern char** environ;

namespace etcdrestore::kube {
namespace {

std::string Str(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return "";
  const YAML::Node c = n[key];
  if (!c || !c.IsScalar()) return "";
  return c.Scalar();
}

bool Bool(const YAML::Node& n, const char* key) { return Str(n, key) == "true"; }

// Read errors as Go's os.ReadFile words them ("open F: no such file or directory").
Result<std::string> ReadWholeFile(const std::string& path) { return ReadFile(path, PathStyle::kGo); }

// A named entry (cluster, user or context) with the directory of the file it came from.
struct Entry {
  YAML::Node body;
  std::string dir;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::vector<std::string> files;
};

Status MergeFile(const std::string& path, Merged* m) {
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument, "kubeconfig " + Quote(path) + ": " + e.what());
  }
  m->files.push_back(path);
  if (!doc || doc.IsNull()) return {};
  if (!doc.IsMap()) {
    return Fail(ErrorCode::kInvalidArgument, "kubeconfig " + Quote(path) + ": not a YAML mapping");
  }
  const std::string dir = DirName(AbsolutePath(path));
  // A body that is not a mapping (or empty) is refused here, as client-go's decoder does:
  // later lookups in it (yaml-cpp operator[] on a scalar) would throw.
  std::string bad;
  auto add = [&](const char* list, const char* field, std::map<std::string, Entry>* into) {
    const YAML::Node items = doc[list];
    if (!items || !items.IsSequence()) return;
    for (const auto& item : items) {
      const std::string name = Str(item, "name");
      if (name.empty() || into->count(name)) continue;  // the first file wins
      YAML::Node body = item[field];
      if (body && !body.IsNull() && !body.IsMap()) {
        if (bad.empty()) bad = std::string(list) + " entry " + Quote(name) + ": " + field + " is not a mapping";
        continue;
      }
      (*into)[name] = Entry{body && body.IsMap() ? body : YAML::Node(YAML::NodeType::Map), dir};
    }
  };
  add("clusters", "cluster", &m->clusters);
  add("users", "user", &m->users);
  add("contexts", "context", &m->contexts);
  if (!bad.empty()) return Fail(ErrorCode::kInvalidArgument, "kubeconfig " + Quote(path) + ": " + bad);
  if (m->current_context.empty()) m->current_context = Str(doc, "current-context");
  return {};
}

std::string Resolve(const std::string& path, const std::string& dir) {
  if (path.empty() || path[0] == '/' || dir.empty()) return path;
  return JoinPath(dir, path);
}

// `data` (base64) wins over `file`, as in client-go.
Result<std::string> DataOrFile(const YAML::Node& n, const char* data_key, const char* file_key,
                               const std::string& dir, std::string_view what) {
  const std::string data = Str(n, data_key);
  if (!data.empty()) {
    auto decoded = Base64Decode(data);
    if (!decoded)
      return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": " + data_key + " is not valid base64");
    return *decoded;
  }
  const std::string file = Str(n, file_key);
  if (file.empty()) return std::string();
  auto text = ReadWholeFile(Resolve(file, dir));
  if (!text) return Fail(std::move(text).error().Wrap(std::string(what) + ": read " + file_key));
  return *text;
}

std::string Env(const Environment& env, const std::string& key) {
  auto it = env.vars.find(key);
  return it == env.vars.end() ? "" : it->second;
}

Result<RestConfig> InClusterConfig(const Environment& env) {
  RestConfig c;
  const std::string host = Env(env, "KUBERNETES_SERVICE_HOST");
  const std::string port = Env(env, "KUBERNETES_SERVICE_PORT");
  const std::string hostport = host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
  c.server = "https://" + hostport;
  ASSIGN_OR_RETURN(std::string token, ReadWholeFile(env.service_account_dir + "/token"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  c.token = token;
  if (auto ca = ReadWholeFile(env.service_account_dir + "/ca.crt")) c.ca_pem = *ca;
  if (auto ns = ReadWholeFile(env.service_account_dir + "/namespace")) {
    std::string n = *ns;
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    if (!n.empty()) c.namespace_ = n;
  }
  c.in_cluster = true;
  c.context_name = "(in-cluster)";
  return c;
}

}  // namespace

Environment Environment::Current() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env.vars.emplace(std::string(static_cast<const char*>(*e), eq), std::string(eq + 1));
  }
  return env;
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string in;
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') in += c;
  }
  if (in.size() % 4 != 0) return Fail(ErrorCode::kInvalidArgument, "bad base64 length");
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return Fail(ErrorCode::kInvalidArgument, "bad base64");
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

Result<std::chrono::milliseconds> ParseTimeout(const std::string& text) {
  const auto bad = [] {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid timeout value. Timeout must be a single integer in seconds, or an integer "
                "followed by a corresponding time unit (e.g. 1s | 2m | 3h)");
  };
  if (text.empty()) return bad();
  // Values that do not fit in int64 milliseconds are refused (Go's Atoi and ParseDuration
  // fail on them too), and so is a number without digits (".").
  constexpr int64_t kMaxMs = INT64_MAX;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    int64_t secs = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    if (ec != std::errc() || end != text.data() + text.size() || secs > kMaxMs / 1000) return bad();
    return std::chrono::milliseconds(secs * 1000);
  }
  // Go duration: sequence of <number><unit>.
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
    const std::string number = text.substr(i, j - i);
    if (number.find_first_of("0123456789") == std::string::npos || std::count(number.begin(), number.end(), '.') > 1)
      return bad();
    const double v = std::strtod(number.c_str(), nullptr);
    size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
    const std::string unit = text.substr(j, k - j);
    double mult;
    if (unit == "h") mult = 3600e3;
    else if (unit == "m") mult = 60e3;
    else if (unit == "s") mult = 1e3;
    else if (unit == "ms") mult = 1;
    else return bad();
    total_ms += v * mult;
    if (!(total_ms < 0x1p63 / 1e6)) return bad();  // Go's time.Duration (int64 ns) limit
    i = k;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

Result<RestConfig> LoadRestConfig(const Overrides& o, const Environment& env) {
  Merged m;
  if (o.kubeconfig) {
    struct stat st{};
    if (::stat(o.kubeconfig->c_str(), &st) != 0) {
      return Fail(ErrnoError("stat " + *o.kubeconfig, errno));
    }
    RETURN_IF_ERROR(MergeFile(*o.kubeconfig, &m));
  } else if (const std::string list = Env(env, "KUBECONFIG"); !list.empty()) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      const std::string f = list.substr(start, end - start);
      if (!f.empty() && PathExists(f)) RETURN_IF_ERROR(MergeFile(f, &m));
      start = end + 1;
    }
  } else if (const std::string home = Env(env, "HOME"); !home.empty()) {
    const std::string f = home + "/.kube/config";
    if (PathExists(f)) RETURN_IF_ERROR(MergeFile(f, &m));
  }

  const std::string files = m.files.empty() ? std::string("no kubeconfig file") : [&] {
    std::string s;
    for (const auto& f : m.files) s += (s.empty() ? "" : ", ") + f;
    return s;
  }();

  const std::string context_name = o.context.value_or(m.current_context);
  const bool have_anything = !context_name.empty() || o.server || o.cluster;
  if (!have_anything && !Env(env, "KUBERNETES_SERVICE_HOST").empty() &&
      !Env(env, "KUBERNETES_SERVICE_PORT").empty() &&
      PathExists(env.service_account_dir + "/token")) {
    ASSIGN_OR_RETURN(RestConfig c, InClusterConfig(env));
    if (o.namespace_) c.namespace_ = *o.namespace_;
    if (o.request_timeout) { ASSIGN_OR_RETURN(c.timeout, ParseTimeout(*o.request_timeout)); }
    return c;
  }

  RestConfig c;
  c.files = m.files;
  c.context_name = context_name;
  YAML::Node context(YAML::NodeType::Map);
  if (!context_name.empty()) {
    auto it = m.contexts.find(context_name);
    if (it == m.contexts.end()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "context was not found for specified context: " + context_name + " (kubeconfig: " + files + ")");
    }
    context.reset(it->second.body);
  }
  c.cluster_name = o.cluster.value_or(Str(context, "cluster"));
  c.user_name = o.user.value_or(Str(context, "user"));
  c.namespace_ = o.namespace_.value_or(Str(context, "namespace"));
  if (c.namespace_.empty()) c.namespace_ = "default";

  if (!c.cluster_name.empty()) {
    auto it = m.clusters.find(c.cluster_name);
    if (it == m.clusters.end()) {
      if (!o.server) return Fail(ErrorCode::kInvalidArgument, "no server found for cluster " + Quote(c.cluster_name));
    } else {
      const YAML::Node& cl = it->second.body;
      c.server = Str(cl, "server");
      c.tls_server_name = Str(cl, "tls-server-name");
      c.insecure_skip_tls_verify = Bool(cl, "insecure-skip-tls-verify");
      ASSIGN_OR_RETURN(c.ca_pem, DataOrFile(cl, "certificate-authority-data", "certificate-authority",
                                            it->second.dir, "cluster " + Quote(c.cluster_name)));
      if (!Str(cl, "proxy-url").empty()) {
        return Fail(ErrorCode::kUnsupported,
                    "cluster " + Quote(c.cluster_name) + ": proxy-url is not supported");
      }
    }
  }
  if (!c.user_name.empty()) {
    auto it = m.users.find(c.user_name);
    if (it == m.users.end()) {
      return Fail(ErrorCode::kInvalidArgument, "auth info " + Quote(c.user_name) + " does not exist");
    }
    const YAML::Node& u = it->second.body;
    const std::string& dir = it->second.dir;
    const std::string what = "user " + Quote(c.user_name);
    ASSIGN_OR_RETURN(c.cert_pem, DataOrFile(u, "client-certificate-data", "client-certificate", dir, what));
    ASSIGN_OR_RETURN(c.key_pem, DataOrFile(u, "client-key-data", "client-key", dir, what));
    c.token = Str(u, "token");
    if (c.token.empty() && !Str(u, "tokenFile").empty()) {
      auto t = ReadWholeFile(Resolve(Str(u, "tokenFile"), dir));
      if (!t) return Fail(std::move(t).error().Wrap(what + ": read tokenFile"));
      c.token = *t;
      while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
    }
    c.username = Str(u, "username");
    c.password = Str(u, "password");
    if (const YAML::Node ap = u["auth-provider"]; ap && ap.IsMap()) {
      return Fail(ErrorCode::kUnsupported,
                  what + ": auth-provider " + Quote(Str(ap, "name")) +
                      " is not supported (use an exec credential plugin)");
    }
    if (const YAML::Node ex = u["exec"]; ex && ex.IsMap()) {
      ExecConfig e;
      e.api_version = Str(ex, "apiVersion");
      e.command = Str(ex, "command");
      if (e.command.find('/') != std::string::npos) e.command = Resolve(e.command, dir);
      if (const YAML::Node args = ex["args"]; args && args.IsSequence()) {
        for (const auto& a : args) e.args.push_back(a.IsScalar() ? a.Scalar() : "");
      }
      if (const YAML::Node vars = ex["env"]; vars && vars.IsSequence()) {
        for (const auto& v : vars) e.env.emplace_back(Str(v, "name"), Str(v, "value"));
      }
      e.provide_cluster_info = Bool(ex, "provideClusterInfo");
      e.install_hint = Str(ex, "installHint");
      if (e.command.empty()) return Fail(ErrorCode::kInvalidArgument, what + ": exec plugin has no command");
      if (e.api_version != "client.authentication.k8s.io/v1" &&
          e.api_version != "client.authentication.k8s.io/v1beta1") {
        return Fail(ErrorCode::kUnsupported,
                    what + ": exec plugin apiVersion " + Quote(e.api_version) +
                        " is not supported (client.authentication.k8s.io/v1 or v1beta1)");
      }
      c.exec = std::move(e);
    }
  }

  // Flag overrides.
  if (o.server) c.server = *o.server;
  if (o.tls_server_name) c.tls_server_name = *o.tls_server_name;
  if (o.insecure_skip_tls_verify) c.insecure_skip_tls_verify = *o.insecure_skip_tls_verify;
  if (o.certificate_authority) {
    auto ca = ReadWholeFile(*o.certificate_authority);
    if (!ca) return Fail(std::move(ca).error().Wrap("--certificate-authority"));
    c.ca_pem = *ca;
  }
  if (o.client_certificate) {
    auto cert = ReadWholeFile(*o.client_certificate);
    if (!cert) return Fail(std::move(cert).error().Wrap("--client-certificate"));
    c.cert_pem = *cert;
  }
  if (o.client_key) {
    auto key = ReadWholeFile(*o.client_key);
    if (!key) return Fail(std::move(key).error().Wrap("--client-key"));
    c.key_pem = *key;
  }
  if (o.token) {
    c.token = *o.token;
    c.exec.reset();  // an explicit token replaces the user's other credentials
    c.cert_pem.clear();
    c.key_pem.clear();
  }
  if (o.request_timeout) { ASSIGN_OR_RETURN(c.timeout, ParseTimeout(*o.request_timeout)); }

  if (c.server.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "no server to connect to: " +
                    (context_name.empty() ? std::string("no current context")
                                          : "context " + Quote(context_name) + " names no cluster with a server") +
                    " in " + files + ", and no --server (set KUBECONFIG, or use --kubeconfig or --server)");
  }
  if (c.server.find("://") == std::string::npos) c.server = "https://" + c.server;
  if (c.cert_pem.empty() != c.key_pem.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "user " + Quote(c.user_name) + ": client certificate and key must both be given");
  }
  return c;
}

}  // namespace etcdrestore::kube
