#include "shared/wal/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>

#include "shared/base/file.h"
#include "shared/pb/etcdserverpb/etcdserver.pb.h"
#include "shared/pb/raftpb/raft.pb.h"
#include "shared/pb/walpb/record.pb.h"
#include "shared/wal/encoder.h"
#include "shared/wal/format.h"

namespace etcdrestore::wal {
namespace {

// gogoproto emits every non-nullable scalar, so each field is set explicitly, even to 0.
std::string WalSnapshot(uint64_t index, uint64_t term, const std::vector<uint64_t>* voters) {
  walpb::Snapshot s;
  s.set_index(index);
  s.set_term(term);
  if (voters != nullptr) {
    raftpb::ConfState* cs = s.mutable_conf_state();
    for (uint64_t id : *voters) cs->add_voters(id);
    cs->set_auto_leave(false);
  }
  return s.SerializeAsString();
}

}  // namespace

std::string EncodeBootstrapWal(const membership::Cluster& cluster, uint64_t local_id, Flavor flavor) {
  assert(!cluster.members.empty());
  const membership::GoJsonEscaping esc =
      flavor == Flavor::kEtcd34 ? membership::GoJsonEscaping::kGo119 : membership::GoJsonEscaping::kGo122;
  std::string out;
  Encoder enc(0);
  enc.AppendCrcRecord(&out);

  etcdserverpb::Metadata md;
  md.set_node_id(local_id);
  md.set_cluster_id(cluster.id);
  enc.Append(RecordType::kMetadata, md.SerializeAsString(), &out);
  enc.Append(RecordType::kSnapshot, WalSnapshot(0, 0, nullptr), &out);

  constexpr uint64_t kTerm = 1;
  const std::vector<uint64_t> ids = cluster.MemberIds();
  const uint64_t commit = ids.size();
  for (size_t i = 0; i < cluster.members.size(); ++i) {
    const membership::Member& m = cluster.members[i];
    raftpb::ConfChange cc;
    cc.set_id(0);
    cc.set_type(raftpb::ConfChangeAddNode);
    cc.set_node_id(m.id);
    cc.set_context(membership::MemberJson(m, esc));
    raftpb::Entry e;
    e.set_type(raftpb::EntryConfChange);
    e.set_term(kTerm);
    e.set_index(i + 1);
    e.set_data(cc.SerializeAsString());
    enc.Append(RecordType::kEntry, e.SerializeAsString(), &out);
  }

  raftpb::HardState hs;
  hs.set_term(kTerm);
  hs.set_vote(ids.front());
  hs.set_commit(commit);
  enc.Append(RecordType::kState, hs.SerializeAsString(), &out);

  enc.Append(RecordType::kSnapshot, WalSnapshot(commit, kTerm, flavor == Flavor::kEtcd35 ? &ids : nullptr), &out);
  return out;
}

Result<std::string> WriteBootstrapWal(const std::string& dir, const membership::Cluster& cluster,
                                      uint64_t local_id, Flavor flavor) {
  const std::string bytes = EncodeBootstrapWal(cluster, local_id, flavor);
  const std::string path = JoinPath(dir, WalFileName(0, 0));
  ASSIGN_OR_RETURN(UniqueFd fd, CreateExclusive(path, 0600));
  if (fallocate(fd.get(), 0, 0, static_cast<off_t>(kSegmentSizeBytes)) != 0) {
    const int err = errno;
    if (err != EOPNOTSUPP && err != ENOSYS) {
      return Fail(ErrnoError("preallocate \"" + path + "\" to " + std::to_string(kSegmentSizeBytes) + " bytes", err));
    }
    if (ftruncate(fd.get(), static_cast<off_t>(kSegmentSizeBytes)) != 0) {
      return Fail(ErrnoError("truncate \"" + path + "\" to " + std::to_string(kSegmentSizeBytes) + " bytes", errno));
    }
  }
  RETURN_IF_ERROR(WriteAllAt(fd.get(), path, bytes.data(), bytes.size(), 0));
  RETURN_IF_ERROR(Fsync(fd.get(), path));
  RETURN_IF_ERROR(fd.Close(path));
  return path;
}

}  // namespace etcdrestore::wal
