#include "shared/snap/db_copy.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "shared/base/file.h"
#include "tests/unit/common/etcd_reference.h"

namespace etcdrestore::snap {
namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  auto fd = OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(WriteAll(fd->get(), path, bytes.data(), bytes.size()));
}

Sha256Digest Sha(const std::string& s) {
  Sha256 h;
  h.Update(s.data(), s.size());
  return h.Final();
}

struct Copied {
  Result<DbCopyResult> result;
  std::string dst_bytes;
};

Copied Copy(const std::string& src_bytes, DbCopyOptions opts = {}) {
  testing::TempDir tmp;
  const std::string src = tmp.path() + "/src.db", dst = tmp.path() + "/db";
  WriteFile(src, src_bytes);
  auto in = OpenFile(src, O_RDONLY);
  auto out = OpenFile(dst, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (!in || !out) return {Fail(ErrorCode::kInternal, "test setup"), ""};
  Copied c{CopySnapshotDb(in->get(), src, out->get(), dst, opts), ""};
  c.dst_bytes = testing::ReadFileBytes(dst);
  return c;
}

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string s(n, '\0');
  for (char& ch : s) ch = static_cast<char>(rng());
  return s;
}

TEST(Sha256Trailer, DetectionRule) {
  EXPECT_TRUE(HasSha256Trailer(20512));  // the fixture: 5 pages of 4096 + 32
  EXPECT_FALSE(HasSha256Trailer(20480));
  EXPECT_TRUE(HasSha256Trailer(32));
  EXPECT_FALSE(HasSha256Trailer(31));
  EXPECT_FALSE(HasSha256Trailer(0));
}

// snap1.db was written by the real `etcdctl snapshot save` 3.4.23.
TEST(CopySnapshotDb, StripsAndVerifiesRealTrailer) {
  const std::string snap = testing::ReadFileBytes(testing::FixturePath("snap1.db"));
  ASSERT_EQ(snap.size(), 20512u);
  Copied c = Copy(snap);
  ASSERT_TRUE(c.result) << c.result.error().message();
  EXPECT_EQ(c.result->source_size, 20512u);
  EXPECT_EQ(c.result->db_size, 20480u);
  EXPECT_TRUE(c.result->has_trailer);
  EXPECT_TRUE(c.result->hashed);
  EXPECT_EQ(c.dst_bytes, snap.substr(0, 20480));
  EXPECT_TRUE(CheckSnapshotHash(*c.result, false));
}

TEST(CopySnapshotDb, ShaMismatchIsCorruption) {
  std::string snap = testing::ReadFileBytes(testing::FixturePath("snap1.db"));
  snap[5000] ^= 0x40;
  Copied c = Copy(snap);
  ASSERT_TRUE(c.result) << c.result.error().message();
  Status s = CheckSnapshotHash(*c.result, false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption);
  Sha256Digest trailer;
  std::copy(snap.end() - 32, snap.end(), trailer.begin());
  EXPECT_EQ(s.error().message(),
            "expected sha256 " + GoByteSlice(trailer) + ", got " + GoByteSlice(Sha(snap.substr(0, 20480))));
  EXPECT_TRUE(CheckSnapshotHash(*c.result, true));  // --skip-hash-check
}

TEST(CopySnapshotDb, MissingHash) {
  const std::string db = testing::ReadFileBytes(testing::FixturePath("restored-default.db"));
  Copied c = Copy(db);
  ASSERT_TRUE(c.result) << c.result.error().message();
  EXPECT_FALSE(c.result->has_trailer);
  EXPECT_EQ(c.dst_bytes, db);
  Status s = CheckSnapshotHash(*c.result, false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "snapshot missing hash but --skip-hash-check=false");
  EXPECT_TRUE(CheckSnapshotHash(*c.result, true));
}

TEST(CopySnapshotDb, SkipHashStillStripsTrailer) {
  const std::string snap = testing::ReadFileBytes(testing::FixturePath("snap1.db"));
  Copied c = Copy(snap, DbCopyOptions{.hash = false});
  ASSERT_TRUE(c.result) << c.result.error().message();
  EXPECT_FALSE(c.result->hashed);
  EXPECT_EQ(c.dst_bytes.size(), 20480u);
}

// Many chunks with a small buffer, a final partial chunk, and a trailer.
TEST(CopySnapshotDb, MultiChunkHashMatchesOneShot) {
  std::string db = RandomBytes((3 << 20) + 4096 * 7);
  const Sha256Digest want = Sha(db);
  db.append(reinterpret_cast<const char*>(want.data()), want.size());
  // Copy steps of two hash blocks, the last one partial.
  Copied c = Copy(db, DbCopyOptions{.hash = true, .buffer_size = 64 << 10, .copy_chunk = 128 << 10});
  ASSERT_TRUE(c.result) << c.result.error().message();
  EXPECT_EQ(c.result->computed, want);
  EXPECT_TRUE(CheckSnapshotHash(*c.result, false));
  EXPECT_EQ(c.dst_bytes, db.substr(0, db.size() - 32));
}

// The read/write loop used where the kernel cannot copy (another file system): same
// bytes, same hash, a flipped byte still caught.
TEST(CopySnapshotDb, UserSpaceFallbackSameResult) {
  std::string db = RandomBytes((1 << 20) + 4096 * 3);
  const Sha256Digest want = Sha(db);
  db.append(reinterpret_cast<const char*>(want.data()), want.size());
  const DbCopyOptions user_space{.buffer_size = 64 << 10, .copy_chunk = 256 << 10, .start_writeback = false,
                                 .kernel_copy = false};
  Copied c = Copy(db, user_space);
  ASSERT_TRUE(c.result) << c.result.error().message();
  EXPECT_EQ(c.result->computed, want);
  EXPECT_TRUE(CheckSnapshotHash(*c.result, false));
  EXPECT_EQ(c.dst_bytes, db.substr(0, db.size() - 32));
  db[777777] ^= 0x10;
  Copied bad = Copy(db, user_space);
  ASSERT_TRUE(bad.result) << bad.result.error().message();
  EXPECT_EQ(CheckSnapshotHash(*bad.result, false).error().code(), ErrorCode::kCorruption);
}

// The hash is of what dst holds, read back behind the copy: a destination that cannot be
// read back is an error, not an unverified restore.
TEST(CopySnapshotDb, DestinationMustBeReadable) {
  testing::TempDir tmp;
  const std::string src = testing::FixturePath("snap1.db"), dst = tmp.path() + "/db";
  auto in = OpenFile(src, O_RDONLY);
  auto out = OpenFile(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_TRUE(in && out);
  auto r = CopySnapshotDb(in->get(), src, out->get(), dst);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("read \"" + dst + "\""), std::string::npos) << r.error().message();
}

// The dry-run pass: same result as a copy, nothing written anywhere.
TEST(HashSnapshotDb, VerifiesWithoutWriting) {
  testing::TempDir tmp;
  std::string db = RandomBytes((2 << 20) + 4096 * 5);
  const Sha256Digest want = Sha(db);
  db.append(reinterpret_cast<const char*>(want.data()), want.size());
  const std::string src = tmp.path() + "/src.db";
  WriteFile(src, db);
  auto in = OpenFile(src, O_RDONLY);
  ASSERT_TRUE(in);
  auto r = HashSnapshotDb(in->get(), src, DbCopyOptions{.buffer_size = 64 << 10});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->has_trailer);
  EXPECT_TRUE(r->hashed);
  EXPECT_EQ(r->db_size, db.size() - 32);
  EXPECT_EQ(r->computed, want);
  EXPECT_TRUE(CheckSnapshotHash(*r, false));
  EXPECT_EQ(testing::ReadFileBytes(src), db);  // the source is untouched

  db[12345] ^= 1;  // one flipped byte: mismatch
  WriteFile(src, db);
  auto in2 = OpenFile(src, O_RDONLY);
  ASSERT_TRUE(in2);
  auto bad = HashSnapshotDb(in2->get(), src);
  ASSERT_TRUE(bad) << bad.error().message();
  EXPECT_EQ(CheckSnapshotHash(*bad, false).error().code(), ErrorCode::kCorruption);
}

TEST(CopySnapshotDb, RefusesMissingDestination) {
  const std::string src = testing::FixturePath("snap1.db");
  auto in = OpenFile(src, O_RDONLY);
  ASSERT_TRUE(in);
  auto r = CopySnapshotDb(in->get(), src, -1, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

// A write error stops the copy and the hasher thread; the error names the path.
TEST(CopySnapshotDb, WriteErrorIsReported) {
  testing::TempDir tmp;
  const std::string src = testing::FixturePath("snap1.db");
  auto in = OpenFile(src, O_RDONLY);
  auto ro = OpenFile(src, O_RDONLY);  // not writable: pwrite fails with EBADF
  ASSERT_TRUE(in && ro);
  auto r = CopySnapshotDb(in->get(), src, ro->get(), "dst.db", DbCopyOptions{.hash = true, .buffer_size = 4096});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("\"dst.db\""), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace etcdrestore::snap
