#include "etcdctl-ext/defrag_offline.h"

#include <chrono>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "etcdctl-ext/command.h"
#include "shared/base/file.h"
#include "shared/bbolt/defrag.h"
#include "shared/cli/exit_code.h"
#include "shared/cli/format.h"
#include "shared/restore/target.h"

namespace etcdrestore::etcdctl_ext {
namespace {

// Go's filepath.Join(dir, "member", "snap", "db"): the path as etcd's tools name it.
std::string DbPath(const std::string& data_dir) {
  std::string d = data_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return (d.empty() ? std::string(".") : d) + "/member/snap/db";
}

// A zap console line as etcdutl logs it: time, level, where, message, JSON fields.
void Log(const std::string& msg, const std::string& fields) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  WriteStderr(fmt::format("{}\tinfo\tetcdutl/defrag\t{}\t{{{}}}\n", ts, msg, fields));
}

int Report(DefragTool tool, const std::string& data_dir, const std::string& message, int code) {
  if (tool == DefragTool::kEtcdutl) {
    WriteStderr("Error: Failed to defragment etcd data[" + data_dir + "] (" + message + ")\n");
  } else {
    WriteStderr("Error: " + message + "\n");
  }
  return code;
}

}  // namespace

int DefragDataDir(const std::string& data_dir, DefragTool tool) {
  const std::string db = DbPath(data_dir);
  if (restore::WalLockedByRunningEtcd(data_dir)) {
    return Report(tool, data_dir,
                  fmt::format("etcd is running on {}: a WAL file under it is locked; stop etcd first, or "
                              "defragment the running member with `etcdctl defrag` (no --data-dir); nothing was "
                              "changed",
                              data_dir),
                  cli::kExitError);
  }
  auto src = bbolt::OpenDefragSource(db, /*create_if_missing=*/true);
  if (!src) {
    if (src.error().code() == ErrorCode::kFailedPrecondition) {
      return Report(tool, data_dir, src.error().message(), cli::kExitError);
    }
    // etcd's tools panic here (exit code 2): "cannot open database at PATH (reason)".
    return Report(tool, data_dir, "cannot open database at " + db + " (" + src.error().message() + ")", 2);
  }
  const auto start = std::chrono::steady_clock::now();
  if (tool == DefragTool::kEtcdutl && src->reader) {
    const uint64_t size = src->st.st_size;
    Log("defragmenting", fmt::format("\"path\": {}, \"current-db-size-bytes\": {}, \"current-db-size\": \"{}\"",
                                     GoQuote(db), size, HumanizeBytes(size)));
  }
  auto r = bbolt::Defrag(*src);
  if (!r) return Report(tool, data_dir, r.error().message(), cli::kExitError);
  if (tool == DefragTool::kEtcdutl) {
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto diff = static_cast<int64_t>(r->size_after) - static_cast<int64_t>(r->file_size_before);
    Log("finished defragmenting directory",
        fmt::format("\"path\": {}, \"current-db-size-bytes-diff\": {}, \"current-db-size-bytes\": {}, "
                    "\"current-db-size\": \"{}\", \"took\": \"{:.3f}s\"",
                    GoQuote(db), diff, r->size_after, HumanizeBytes(r->size_after), took));
  }
  return cli::kExitSuccess;
}

}  // namespace etcdrestore::etcdctl_ext
