// tests/unit/common/fake_etcd_client.h
//
// A stand-in etcdclient::Client for unit tests of the code that drives one (SaveSnapshot,
// shared/backup's member choice): WaitConnected, Status, MemberList and the Snapshot stream
// return what the test sets; everything else is kUnsupported. The e2e tests use real etcd.
#ifndef ETCDRESTORE_TESTS_UNIT_COMMON_FAKE_ETCD_CLIENT_H_
#define ETCDRESTORE_TESTS_UNIT_COMMON_FAKE_ETCD_CLIENT_H_

#include <algorithm>
#include <string>
#include <vector>

#include "shared/base/sha256.h"
#include "shared/etcdclient/client.h"

namespace etcdrestore::etcdclient::testing {

// A snapshot stream: `db_size` pseudo-random bytes + their sha256 (what etcd sends).
inline std::string MakeStream(size_t db_size) {
  std::string db(db_size, '\0');
  uint32_t x = 12345;
  for (auto& c : db) c = static_cast<char>((x = x * 1103515245 + 12345) >> 16);
  Sha256 sha;
  sha.Update(db.data(), db.size());
  Sha256Digest d = sha.Final();
  return db + std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

class FakeEtcdClient : public Client {
 public:
  std::string stream;
  std::vector<size_t> chunk_sizes{4096};
  etcdrestore::Status connect_status;
  etcdrestore::Status stream_end_status;
  bool snapshot_called = false;
  Result<StatusResponse> status = StatusResponse{};
  Result<MemberListResponse> member_list = MemberListResponse{};

  Result<RangeResponse> Range(const RangeRequest&, Deadline) override { return RangeResponse{}; }
  Result<PutResponse> Put(const std::string&, const std::string&, const PutOptions&,
                          Deadline) override {
    return PutResponse{};
  }
  Result<DeleteRangeResponse> DeleteRange(const std::string&, const std::string&, bool,
                                          Deadline) override {
    return DeleteRangeResponse{};
  }
  Result<TxnResponse> Txn(const std::vector<TxnCompare>&, const std::vector<TxnOp>&,
                          const std::vector<TxnOp>&, Deadline) override {
    return No();
  }
  etcdrestore::Status Watch(const WatchRequest&, const WatchSink&) override { return No(); }
  Result<MemberListResponse> MemberList(Deadline) override { return member_list; }
  Result<StatusResponse> Status(Deadline) override { return status; }
  // Not used by SaveSnapshot or shared/backup.
  Result<MemberAddResponse> MemberAdd(const std::vector<std::string>&, bool, Deadline) override {
    return No();
  }
  Result<MembersResponse> MemberRemove(uint64_t, Deadline) override { return No(); }
  Result<MembersResponse> MemberUpdate(uint64_t, const std::vector<std::string>&,
                                       Deadline) override {
    return No();
  }
  Result<MembersResponse> MemberPromote(uint64_t, Deadline) override { return No(); }
  Result<HashKVResponse> HashKV(int64_t, Deadline) override { return No(); }
  Result<AlarmResponse> AlarmList(Deadline) override { return No(); }
  Result<AlarmResponse> AlarmDisarmAll(Deadline) override { return No(); }
  Result<OpResponse> Compact(int64_t, bool, Deadline) override { return No(); }
  Result<OpResponse> Defragment(Deadline) override { return No(); }
  Result<OpResponse> MoveLeader(uint64_t, Deadline) override { return No(); }
  Result<LeaseGrantResponse> LeaseGrant(int64_t, Deadline) override { return No(); }
  Result<OpResponse> LeaseRevoke(int64_t, Deadline) override { return No(); }
  Result<LeaseTimeToLiveResponse> LeaseTimeToLive(int64_t, bool, Deadline) override { return No(); }
  Result<LeaseLeasesResponse> LeaseLeases(Deadline) override { return No(); }
  Result<LeaseKeepAliveResponse> LeaseKeepAliveOnce(int64_t, Deadline) override { return No(); }
  Result<OpResponse> AuthEnable(Deadline) override { return No(); }
  Result<OpResponse> AuthDisable(Deadline) override { return No(); }
  Result<OpResponse> UserAdd(const std::string&, const std::string&, bool, Deadline) override {
    return No();
  }
  Result<OpResponse> UserDelete(const std::string&, Deadline) override { return No(); }
  Result<NamesResponse> UserGet(const std::string&, Deadline) override { return No(); }
  Result<NamesResponse> UserList(Deadline) override { return No(); }
  Result<OpResponse> UserChangePassword(const std::string&, const std::string&, Deadline) override {
    return No();
  }
  Result<OpResponse> UserGrantRole(const std::string&, const std::string&, Deadline) override {
    return No();
  }
  Result<OpResponse> UserRevokeRole(const std::string&, const std::string&, Deadline) override {
    return No();
  }
  Result<OpResponse> RoleAdd(const std::string&, Deadline) override { return No(); }
  Result<OpResponse> RoleDelete(const std::string&, Deadline) override { return No(); }
  Result<AuthRoleGetResponse> RoleGet(const std::string&, Deadline) override { return No(); }
  Result<NamesResponse> RoleList(Deadline) override { return No(); }
  Result<OpResponse> RoleGrantPermission(const std::string&, const Permission&, Deadline) override {
    return No();
  }
  Result<OpResponse> RoleRevokePermission(const std::string&, const std::string&,
                                          const std::string&, Deadline) override {
    return No();
  }
  etcdrestore::Status WaitConnected(std::chrono::nanoseconds) override { return connect_status; }
  etcdrestore::Status Authenticate(Deadline) override { return {}; }
  etcdrestore::Status Snapshot(const SnapshotSink& sink, Deadline) override {
    snapshot_called = true;
    size_t off = 0, k = 0;
    while (off < stream.size()) {
      size_t n = std::min(chunk_sizes[k++ % chunk_sizes.size()], stream.size() - off);
      RETURN_IF_ERROR(sink(std::string_view(stream).substr(off, n), stream.size() - off - n));
      off += n;
    }
    return stream_end_status;
  }
  const std::string& endpoint() const override { return endpoint_; }
  std::string endpoint_ = "127.0.0.1:2379";

 private:
  static std::unexpected<Error> No() { return Fail(ErrorCode::kUnsupported, "not in this fake"); }
};

}  // namespace etcdrestore::etcdclient::testing

#endif  // ETCDRESTORE_TESTS_UNIT_COMMON_FAKE_ETCD_CLIENT_H_
