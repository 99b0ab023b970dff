#include "shared/etcdclient/snapshot_file.h"

#include <cstring>

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

Result<SnapshotFile> SnapshotFile::Create(const std::string& path) {
  ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path, ".part", 0600));
  return SnapshotFile(std::move(file));
}

Status SnapshotFile::Write(std::string_view bytes) {
  RETURN_IF_ERROR(WriteAll(file_.fd(), part_path(), bytes.data(), bytes.size()));
  verifier_.Update(bytes);
  const uint64_t written = verifier_.size();
  if (written - writeback_from_ >= kWritebackStep) {
    StartWriteback(file_.fd(), writeback_from_, written - writeback_from_);
    writeback_from_ = written;
  }
  return {};
}

Result<SaveResult> SnapshotFile::Commit(const VerifyPart& verify, std::string_view source) {
  auto digest = verifier_.Finish();
  if (!digest) {
    if (source.empty()) return Fail(std::move(digest).error());
    return Fail(std::move(digest).error().Wrap(Quote(source)));
  }
  RETURN_IF_ERROR(Fsync(file_.fd(), part_path()));
  if (verify) RETURN_IF_ERROR(verify(part_path()));
  RETURN_IF_ERROR(file_.Commit());
  return SaveResult{verifier_.size(), *digest};
}

}  // namespace etcdrestore::etcdclient
