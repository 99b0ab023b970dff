#include "shared/etcdclient/snapshot_save.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shared/base/file.h"

namespace etcdrestore::etcdclient {
namespace {

constexpr size_t kTrailerSize = 32;
// Writeback of the received bytes is started every this many bytes (see StartWriteback).
constexpr uint64_t kWritebackStep = 8 << 20;

}  // namespace

void TrailerVerifier::Update(std::string_view data) {
  size_ += data.size();
  if (data.size() >= kTrailerSize) {
    sha_.Update(tail_.data(), tail_.size());
    sha_.Update(data.data(), data.size() - kTrailerSize);
    tail_.assign(data.substr(data.size() - kTrailerSize));
    return;
  }
  tail_.append(data);
  if (tail_.size() > kTrailerSize) {
    size_t extra = tail_.size() - kTrailerSize;
    sha_.Update(tail_.data(), extra);
    tail_.erase(0, extra);
  }
}

Result<Sha256Digest> TrailerVerifier::Finish() {
  if (size_ % 512 != kTrailerSize) {
    // etcdctl's text (clientv3/snapshot/v3_snapshot.go).
    return Fail(ErrorCode::kCorruption,
                "sha256 checksum not found [bytes: " + std::to_string(size_) + "]");
  }
  Sha256Digest got = sha_.Final();
  Sha256Digest want;
  std::memcpy(want.data(), tail_.data(), kTrailerSize);
  if (got != want) {
    return Fail(ErrorCode::kCorruption, "sha256 mismatch: trailer says " + HexDigest(want) +
                                            ", the " + std::to_string(size_ - kTrailerSize) +
                                            " received bytes hash to " + HexDigest(got));
  }
  return got;
}

Result<SaveResult> SaveSnapshot(Client& client, const SaveOptions& options) {
  RETURN_IF_ERROR(client.WaitConnected(options.connect_timeout));

  // A fresh "<path>.part" of our own (shared/base/file.h AtomicFile): a stale .part is
  // removed only when it is a regular file we own; a planted link, fifo or another user's
  // file there is an error, and nothing is written.
  const std::string part = options.path + ".part";
  auto created = AtomicFile::Create(options.path, ".part", 0600);
  if (!created) {
    Error e = std::move(created).error();
    // etcdctl: "could not open X.part (open X.part: no such file or directory)".
    const std::string quoted_open = "open " + Quote(part) + ": ";
    if (e.message().starts_with(quoted_open))
      return Fail(e.code(), "could not open " + part + " (open " + part + ": " +
                                e.message().substr(quoted_open.size()) + ")");
    return Fail(std::move(e).Wrap("snapshot save"));
  }
  AtomicFile file = std::move(*created);
  const int fd = file.fd();

  TrailerVerifier verifier;
  uint64_t written = 0, writeback_from = 0;
  RETURN_IF_ERROR(client.Snapshot(
      [&](std::string_view blob, uint64_t /*remaining*/) -> Status {
        RETURN_IF_ERROR(WriteAll(fd, part, blob.data(), blob.size()));
        verifier.Update(blob);
        written += blob.size();
        if (written - writeback_from >= kWritebackStep) {
          StartWriteback(fd, writeback_from, written - writeback_from);
          writeback_from = written;
        }
        if (options.progress) options.progress(written);
        return {};
      },
      options.deadline));

  ASSIGN_OR_RETURN(Sha256Digest digest, verifier.Finish());
  RETURN_IF_ERROR(Fsync(fd, part));
  if (options.verify) RETURN_IF_ERROR(options.verify(part));
  RETURN_IF_ERROR(file.Commit());
  return SaveResult{written, digest};
}

}  // namespace etcdrestore::etcdclient
