#include "shared/bbolt/defrag.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "shared/base/file.h"
#include "shared/base/strings.h"
#include "shared/bbolt/reader.h"

namespace etcdrestore::bbolt {

Result<DefragSource> OpenDefragSource(const std::string& path, bool create_if_missing) {
  DefragSource src;
  src.path = path;
  auto fd = OpenFile(path, O_RDONLY | O_CLOEXEC);
  if (!fd) {
    if (create_if_missing && fd.error().code() == ErrorCode::kNotFound && PathExists(DirName(path))) return src;
    return Fail(fd.error());
  }
  src.fd = std::move(*fd);
  if (::flock(src.fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("{} is locked by another process (etcd or another bbolt user has it open); stop it "
                              "first, nothing was changed",
                              Quote(path)));
    }
    return Fail(ErrnoError("lock " + Quote(path), errno));
  }
  if (::fstat(src.fd.get(), &src.st) != 0) return Fail(ErrnoError("stat " + Quote(path), errno));
  if (!S_ISREG(src.st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} is not a regular file", Quote(path)));
  }
  ASSIGN_OR_RETURN(src.reader, Reader::OpenFd(src.fd.get(), path));
  return src;
}

namespace {

// An empty db, as bbolt's Open creates one and a defrag then compacts it.
Result<DefragResult> CreateEmpty(const std::string& path) {
  ASSIGN_OR_RETURN(AtomicFile tmp, AtomicFile::Create(path, kDefragSuffix, 0600, O_RDWR));
  WriterOptions o;
  o.page_size = static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));
  ASSIGN_OR_RETURN(auto w, Writer::Create(tmp.fd(), tmp.temp_path(), o));
  RETURN_IF_ERROR(w->FinishPages());
  RETURN_IF_ERROR(Fsync(tmp.fd(), tmp.temp_path()));
  RETURN_IF_ERROR(w->WriteMetas());
  RETURN_IF_ERROR(tmp.Commit());
  DefragResult r;
  r.stats = w->stats();
  r.size_after = r.stats.pgid * o.page_size;
  return r;
}

}  // namespace

Result<DefragResult> Defrag(DefragSource& src) {
  if (!src.reader) return CreateEmpty(src.path);
  const std::string& path = src.path;
  const struct stat& st = src.st;
  Reader& reader = *src.reader;
  DefragResult r;
  r.file_size_before = static_cast<uint64_t>(st.st_size);
  r.in_use_before = reader.Size();
  const std::string dir = DirName(path);
  struct statvfs vfs{};
  if (::statvfs(dir.c_str(), &vfs) != 0) return Fail(ErrnoError("statvfs " + Quote(dir), errno));
  const uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (avail < r.in_use_before) {
    return Fail(ErrorCode::kIO, fmt::format("not enough free space in {} to defragment {}: the copy needs up to {} "
                                            "bytes (the db's size), {} are free; nothing was changed",
                                            Quote(dir), Quote(path), r.in_use_before, avail));
  }

  ASSIGN_OR_RETURN(AtomicFile tmp, AtomicFile::Create(path, kDefragSuffix, 0600, O_RDWR));
  if (::geteuid() == 0 && (st.st_uid != 0 || st.st_gid != 0) && ::fchown(tmp.fd(), st.st_uid, st.st_gid) != 0) {
    return Fail(ErrnoError("chown " + Quote(tmp.temp_path()), errno));
  }
  auto stats = Compact(reader, tmp.fd(), tmp.temp_path());
  if (!stats) {
    return Fail(stats.error().code(), fmt::format("defragment {}: {} (the db is unchanged)", Quote(path),
                                                  stats.error().message()));
  }
  r.stats = *stats;
  r.size_after = stats->pgid * reader.page_size();
  // The path must still name the file that was copied (and locked).
  struct stat now{};
  if (::stat(path.c_str(), &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("{} was replaced while it was being defragmented; nothing was changed", Quote(path)));
  }
  RETURN_IF_ERROR(tmp.Commit());
  return r;
}

Result<DefragResult> DefragFile(const std::string& path) {
  ASSIGN_OR_RETURN(DefragSource src, OpenDefragSource(path));
  return Defrag(src);
}

}  // namespace etcdrestore::bbolt
