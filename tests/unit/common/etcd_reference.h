// tests/unit/common/etcd_reference.h
//
// Test helpers shared by the wal and snap golden tests: paths of the fixtures made by
// the real etcdctl 3.4.23, and running the real etcdutl 3.5 `snapshot restore` into a
// temporary directory to get reference bytes at test time.
#ifndef ETCDRESTORE_TESTS_UNIT_COMMON_ETCD_REFERENCE_H_
#define ETCDRESTORE_TESTS_UNIT_COMMON_ETCD_REFERENCE_H_

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace etcdrestore::testing {

inline std::string FixturePath(const std::string& name) {
  return std::string(ETCDRESTORE_REFERENCE_DIR) + "/fixtures/etcd-3.4.23/" + name;
}

inline std::string ReadFileBytes(const std::string& path, size_t max = static_cast<size_t>(-1)) {
  std::ifstream in(path, std::ios::binary);
  std::string s;
  char buf[65536];
  while (in && s.size() < max) {
    in.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, max - s.size())));
    s.append(buf, static_cast<size_t>(in.gcount()));
  }
  return s;
}

// A fresh directory under $TMPDIR (or /tmp); removed by the destructor.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/etcdrestore-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The real etcdutl 3.5.30 (scripts/install-deps.sh); $ETCDRESTORE_ETCDUTL35 overrides.
inline std::optional<std::string> Etcdutl35() {
  if (const char* p = std::getenv("ETCDRESTORE_ETCDUTL35"); p && *p) return std::string(p);
  const char* home = std::getenv("HOME");
  if (home == nullptr) return std::nullopt;
  std::string p = std::string(home) + "/.cache/etcdrestore/etcd-3.5/sid/usr/bin/etcdutl";
  if (access(p.c_str(), X_OK) != 0) return std::nullopt;
  return p;
}

// Debian's etcdctl 3.4.23; $ETCDRESTORE_ETCDCTL34 overrides.
inline std::optional<std::string> Etcdctl34() {
  if (const char* p = std::getenv("ETCDRESTORE_ETCDCTL34"); p && *p) return std::string(p);
  if (access("/usr/bin/etcdctl", X_OK) != 0) return std::nullopt;
  return std::string("/usr/bin/etcdctl");
}

// Runs `<tool> snapshot restore <fixture snap1.db> --data-dir <out_dir> <args...>`
// (tool = etcdutl 3.5 or etcdctl 3.4) without a shell, so args may hold any byte.
// Returns the exit status (-1 if it could not run).
inline int RunRealRestore(const std::string& tool, const std::string& out_dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv_s = {tool, "snapshot", "restore", FixturePath("snap1.db"), "--data-dir", out_dir};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    freopen("/dev/null", "w", stdout);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace etcdrestore::testing

#endif  // ETCDRESTORE_TESTS_UNIT_COMMON_ETCD_REFERENCE_H_
