// tests/unit/bbolt/test_util.h
//
// Helpers for the bbolt and etcddb tests: fixture paths, temp dirs, a builder for small
// bbolt files (our own writer on top of an empty db laid out like bbolt's init()), and a
// real etcd 3.4.23 on loopback to make big real snapshots.
#ifndef ETCDRESTORE_TESTS_UNIT_BBOLT_TEST_UTIL_H_
#define ETCDRESTORE_TESTS_UNIT_BBOLT_TEST_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace etcdrestore::bbolt_test {

std::string Fixture(const std::string& name);  // shared/fixtures/etcd-3.4.23/<name>
std::string ReadAll(const std::string& path);
void WriteAll(const std::string& path, const std::string& bytes);
void CopyFile(const std::string& from, const std::string& to);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes an empty bbolt db as bbolt's init() does: metas at pages 0/1 (txid 0 and 1), an
// empty freelist page 2 (or meta.freelist = 0xfff... when no_freelist), an empty root leaf
// at page 3, pgid 4.
void WriteEmptyDb(const std::string& path, uint32_t page_size = 4096, bool no_freelist = true);

// Runs a shell command; returns its exit code and stdout (stderr goes to *err if given).
int Run(const std::string& cmd, std::string* out = nullptr, std::string* err = nullptr);

// Full path of a real binary: "etcd"/"etcdctl" 3.4 from /usr/bin, "etcdutl" 3.5 from the
// cache scripts/install-deps.sh fills; nullopt if absent.
std::optional<std::string> RealBinary(const std::string& name);

// A free TCP port on 127.0.0.1 (bound then released).
int FreePort();

// A real etcd 3.4.23 (member name "default") on loopback: client port free, peer port
// given (to match a restored data dir's --initial-advertise-peer-urls) or free. ok() is
// false when the binary is absent or it did not become healthy in 20 s. Stopped
// (SIGTERM, waited for) by the destructor.
class RealEtcd {
 public:
  RealEtcd(const std::string& data_dir, const std::string& log, int peer_port = 0);
  ~RealEtcd();
  bool ok() const { return pid_ > 0; }
  const std::string& endpoint() const { return endpoint_; }
  // etcdctl with --endpoints set; returns the exit code (on failure *out ends with stderr).
  int Ctl(const std::string& args, std::string* out = nullptr);
  // Puts n keys "<prefix>%08d" with values of value_size bytes, through etcdctl txn batches.
  bool PutMany(const std::string& prefix, int n, int value_size);

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
};

}  // namespace etcdrestore::bbolt_test

#endif  // ETCDRESTORE_TESTS_UNIT_BBOLT_TEST_UTIL_H_
