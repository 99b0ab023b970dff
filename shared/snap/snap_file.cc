#include "shared/snap/snap_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "shared/base/crc32c.h"
#include "shared/base/file.h"
#include "shared/pb/raftpb/raft.pb.h"
#include "shared/pb/snappb/snap.pb.h"
#include "shared/snap/v2store.h"

namespace etcdrestore::snap {

std::string SnapFileName(uint64_t term, uint64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx-%016llx.snap", static_cast<unsigned long long>(term),
                static_cast<unsigned long long>(index));
  return buf;
}

std::string EncodeRestoreSnap(const membership::Cluster& cluster) {
  raftpb::Snapshot rs;
  rs.set_data(V2StoreJson(cluster));
  raftpb::SnapshotMetadata* md = rs.mutable_metadata();
  raftpb::ConfState* cs = md->mutable_conf_state();
  for (uint64_t id : cluster.MemberIds()) cs->add_voters(id);
  cs->set_auto_leave(false);  // gogo always emits it
  md->set_index(cluster.members.size());
  md->set_term(1);
  const std::string data = rs.SerializeAsString();

  snappb::Snapshot outer;
  outer.set_crc(crc32c::Value(data));
  outer.set_data(data);
  return outer.SerializeAsString();
}

Result<std::string> WriteRestoreSnap(const std::string& dir, const membership::Cluster& cluster) {
  const std::string bytes = EncodeRestoreSnap(cluster);
  const std::string path = JoinPath(dir, SnapFileName(1, cluster.members.size()));
  ASSIGN_OR_RETURN(UniqueFd fd, CreateExclusive(path, 0600));
  RETURN_IF_ERROR(WriteAll(fd.get(), path, bytes.data(), bytes.size()));
  RETURN_IF_ERROR(Fsync(fd.get(), path));
  RETURN_IF_ERROR(fd.Close(path));
  return path;
}

}  // namespace etcdrestore::snap
