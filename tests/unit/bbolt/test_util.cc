#include "tests/unit/bbolt/test_util.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "shared/base/coding.h"
#include "shared/bbolt/format.h"

namespace etcdrestore::bbolt_test {

std::string Fixture(const std::string& name) {
  return std::string(ETCDRESTORE_REFERENCE_DIR) + "/fixtures/etcd-3.4.23/" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void CopyFile(const std::string& from, const std::string& to) { WriteAll(to, ReadAll(from)); }

TempDir::TempDir() {
  char tmpl[] = "/tmp/etcdrestore-bbolt-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() { Run("rm -rf '" + path_ + "'"); }

void WriteEmptyDb(const std::string& path, uint32_t ps, bool no_freelist) {
  using namespace bbolt;
  std::string buf(4 * ps, '\0');
  auto* p = reinterpret_cast<uint8_t*>(buf.data());
  for (int i = 0; i < 2; ++i) {
    EncodePageHeader(PageHeader{static_cast<Pgid>(i), kMetaPageFlag, 0, 0}, p + i * ps);
    Meta m;
    m.magic = kMagic;
    m.version = kVersion;
    m.page_size = ps;
    m.root = 3;
    m.freelist = no_freelist ? kPgidNoFreelist : 2;
    m.pgid = 4;
    m.txid = static_cast<Txid>(i);
    EncodeMeta(m, p + i * ps + kPageHeaderSize);
  }
  EncodePageHeader(PageHeader{2, kFreelistPageFlag, 0, 0}, p + 2 * ps);
  EncodePageHeader(PageHeader{3, kLeafPageFlag, 0, 0}, p + 3 * ps);
  WriteAll(path, buf);
}

int Run(const std::string& cmd, std::string* out, std::string* err) {
  std::string full = cmd;
  std::string err_file;
  if (err) {
    char tmpl[] = "/tmp/etcdrestore-stderr-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    err_file = tmpl;
    full = "( " + cmd + " ) 2>" + err_file;
  }
  FILE* f = popen(full.c_str(), "r");
  if (!f) return -1;
  std::array<char, 65536> b;
  size_t n;
  std::string o;
  while ((n = fread(b.data(), 1, b.size(), f)) > 0) o.append(b.data(), n);
  int rc = pclose(f);
  if (out) *out = o;
  if (err) {
    *err = ReadAll(err_file);
    unlink(err_file.c_str());
  }
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::optional<std::string> RealBinary(const std::string& name) {
  std::vector<std::string> candidates;
  if (name == "etcdutl") {
    const char* home = std::getenv("HOME");
    std::string h = home ? home : "/root";
    candidates = {h + "/.cache/etcdrestore/etcd-3.5/trixie/usr/bin/etcdutl",
                  h + "/.cache/etcdrestore/etcd-3.5/sid/usr/bin/etcdutl"};
  } else {
    candidates = {"/usr/bin/" + name};
  }
  for (const auto& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return std::nullopt;
}

int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(s);
  return port;
}

RealEtcd::RealEtcd(const std::string& data_dir, const std::string& log, int peer_port) {
  auto etcd = RealBinary("etcd");
  if (!etcd) return;
  int client = FreePort(), peer = peer_port ? peer_port : FreePort();
  endpoint_ = "http://127.0.0.1:" + std::to_string(client);
  std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), "w", stderr);
    (void)f;
    execl(etcd->c_str(), etcd->c_str(), "--data-dir", data_dir.c_str(), "--listen-client-urls",
          endpoint_.c_str(), "--advertise-client-urls", endpoint_.c_str(), "--listen-peer-urls", peer_url.c_str(),
          "--initial-advertise-peer-urls", peer_url.c_str(), "--initial-cluster", ("default=" + peer_url).c_str(),
          "--logger", "zap", "--log-outputs", "stderr", static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  for (int i = 0; i < 200; ++i) {
    if (Ctl("endpoint health") == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

RealEtcd::~RealEtcd() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

int RealEtcd::Ctl(const std::string& args, std::string* out) {
  std::string err;
  int rc = Run("ETCDCTL_API=3 /usr/bin/etcdctl --endpoints=" + endpoint_ + " " + args, out, &err);
  if (rc != 0 && out) *out += err;
  return rc;
}

bool RealEtcd::PutMany(const std::string& prefix, int n, int value_size) {
  // etcdctl txn from a file: no compares, 100 puts (etcd's --max-txn-ops is 128), no else;
  // ten txns per shell run.
  const int per_txn = 100;
  std::string value(static_cast<size_t>(value_size), 'v');
  for (int start = 0; start < n;) {
    int batch = 0;
    std::string cmds;
    for (int t = 0; t < 10 && start < n; ++t) {
      std::string body = "\n";
      for (int i = 0; i < per_txn && start < n; ++i, ++start) {
        char key[64];
        std::snprintf(key, sizeof key, "%s%08d", prefix.c_str(), start);
        body += std::string("put ") + key + " " + value + "\n";
      }
      body += "\n\n";  // ends the success block, then the (empty) failure block
      std::string file = "/tmp/etcdrestore-txn-" + std::to_string(getpid()) + "-" + std::to_string(batch++);
      WriteAll(file, body);
      cmds += "ETCDCTL_API=3 /usr/bin/etcdctl --endpoints=" + endpoint_ + " txn < " + file + " >/dev/null && rm -f " +
              file + " && ";
    }
    cmds += "true";
    if (Run(cmds) != 0) return false;
  }
  return true;
}

}  // namespace etcdrestore::bbolt_test
