#include "shared/etcdclient/marshal.h"

#include "etcdclient_rpc.pb.h"

namespace etcdrestore::etcdclient {
namespace {

namespace pb = ::etcdserverpb;

void ToPb(const ResponseHeader& h, pb::ResponseHeader* out) {
  out->set_cluster_id(h.cluster_id);
  out->set_member_id(h.member_id);
  out->set_revision(h.revision);
  out->set_raft_term(h.raft_term);
}

void ToPb(const KeyValue& kv, mvccpb::KeyValue* out) {
  out->set_key(kv.key);
  out->set_create_revision(kv.create_revision);
  out->set_mod_revision(kv.mod_revision);
  out->set_version(kv.version);
  out->set_value(kv.value);
  out->set_lease(kv.lease);
}

}  // namespace

std::string MarshalResponse(const RangeResponse& r) {
  pb::RangeResponse m;
  ToPb(r.header, m.mutable_header());
  for (const auto& kv : r.kvs) ToPb(kv, m.add_kvs());
  m.set_more(r.more);
  m.set_count(r.count);
  return m.SerializeAsString();
}

std::string MarshalResponse(const PutResponse& r) {
  pb::PutResponse m;
  ToPb(r.header, m.mutable_header());
  if (r.prev_kv) ToPb(*r.prev_kv, m.mutable_prev_kv());
  return m.SerializeAsString();
}

std::string MarshalResponse(const DeleteRangeResponse& r) {
  pb::DeleteRangeResponse m;
  ToPb(r.header, m.mutable_header());
  m.set_deleted(r.deleted);
  for (const auto& kv : r.prev_kvs) ToPb(kv, m.add_prev_kvs());
  return m.SerializeAsString();
}

std::string MarshalResponse(const MemberListResponse& r) {
  pb::MemberListResponse m;
  ToPb(r.header, m.mutable_header());
  for (const auto& mem : r.members) {
    pb::Member* p = m.add_members();
    p->set_id(mem.id);
    p->set_name(mem.name);
    for (const auto& u : mem.peer_urls) p->add_peerurls(u);
    for (const auto& u : mem.client_urls) p->add_clienturls(u);
    p->set_islearner(mem.is_learner);
  }
  return m.SerializeAsString();
}

std::string MarshalHeader(const ResponseHeader& h) {
  pb::ResponseHeader m;
  ToPb(h, &m);
  return m.SerializeAsString();
}

}  // namespace etcdrestore::etcdclient
