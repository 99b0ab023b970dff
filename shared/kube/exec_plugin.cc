#include "shared/kube/exec_plugin.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

extern char** environ;

namespace etcdrestore::kube {
namespace {

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

Result<ExecCredential> RunExecPlugin(const ExecConfig& exec, const RestConfig& cluster) {
  using nlohmann::json;
  json spec = {{"interactive", false}};
  if (exec.provide_cluster_info) {
    json c = {{"server", cluster.server}, {"insecure-skip-tls-verify", cluster.insecure_skip_tls_verify}};
    if (!cluster.tls_server_name.empty()) c["tls-server-name"] = cluster.tls_server_name;
    if (!cluster.ca_pem.empty()) c["certificate-authority-data"] = Base64Encode(cluster.ca_pem);
    spec["cluster"] = c;
  }
  const std::string info =
      json{{"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}.dump();

  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) == 0) continue;
    bool overridden = false;
    for (const auto& [k, v] : exec.env) {
      if (std::strncmp(*e, (k + "=").c_str(), k.size() + 1) == 0) overridden = true;
    }
    if (!overridden) env_strings.emplace_back(*e);
  }
  for (const auto& [k, v] : exec.env) env_strings.push_back(k + "=" + v);
  env_strings.push_back("KUBERNETES_EXEC_INFO=" + info);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {exec.command};
  argv_strings.insert(argv_strings.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Fail(ErrnoError("exec plugin: pipe", errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    std::string msg = "exec: executable " + exec.command + " not found";
    if (rc != ENOENT) msg = "exec: executable " + exec.command + ": " + std::strerror(rc);
    if (!exec.install_hint.empty()) msg += "\n\n" + exec.install_hint;
    return Fail(ErrorCode::kPermissionDenied, "getting credentials: " + msg);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(out_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return Fail(ErrorCode::kPermissionDenied, "getting credentials: exec: executable " + exec.command +
                                                  " failed with exit code " + std::to_string(code));
  }
  const json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kInvalidArgument,
                "getting credentials: decoding stdout of " + exec.command + ": not a JSON object (" +
                    std::to_string(out.size()) + " bytes)");
  }
  const std::string api_version = j.value("apiVersion", "");
  if (api_version != exec.api_version) {
    return Fail(ErrorCode::kInvalidArgument,
                "getting credentials: exec plugin is configured to use API version " + exec.api_version +
                    ", plugin returned version " + api_version);
  }
  if (j.value("kind", "") != "ExecCredential") {
    return Fail(ErrorCode::kInvalidArgument, "getting credentials: exec plugin output is not an ExecCredential");
  }
  ExecCredential cred;
  const auto status_it = j.find("status");
  if (status_it != j.end() && status_it->is_object()) {
    const json& s = *status_it;
    if (s.contains("token") && s["token"].is_string()) cred.token = s["token"];
    if (s.contains("clientCertificateData") && s["clientCertificateData"].is_string()) {
      cred.cert_pem = s["clientCertificateData"];
    }
    if (s.contains("clientKeyData") && s["clientKeyData"].is_string()) cred.key_pem = s["clientKeyData"];
    if (s.contains("expirationTimestamp") && s["expirationTimestamp"].is_string()) {
      cred.expiration = s["expirationTimestamp"];
    }
  }
  if (cred.cert_pem.empty() != cred.key_pem.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "getting credentials: exec plugin returned only one of clientCertificateData and clientKeyData");
  }
  if (cred.token.empty() && cred.cert_pem.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "getting credentials: exec plugin didn't return a token or cert/key pair");
  }
  return cred;
}

}  // namespace etcdrestore::kube
