// shared/etcdclient/marshal.h
//
// A response as etcd sends it on the wire: the protobuf encoding of etcdserverpb's
// RangeResponse, PutResponse, DeleteRangeResponse and MemberListResponse. This is what
// `etcdctl -w protobuf` prints (the marshalled message, no newline), so the bytes follow
// Go's encoder: fields in number order, zero scalars left out, the header always present.
#ifndef ETCDRESTORE_SHARED_ETCDCLIENT_MARSHAL_H_
#define ETCDRESTORE_SHARED_ETCDCLIENT_MARSHAL_H_

#include <string>

#include "shared/etcdclient/client.h"

namespace etcdrestore::etcdclient {

std::string MarshalResponse(const RangeResponse& r);
std::string MarshalResponse(const PutResponse& r);
std::string MarshalResponse(const DeleteRangeResponse& r);
std::string MarshalResponse(const MemberListResponse& r);
// A ResponseHeader alone (etcdctl's -w protobuf for clientv3's lease responses).
std::string MarshalHeader(const ResponseHeader& h);

}  // namespace etcdrestore::etcdclient

#endif  // ETCDRESTORE_SHARED_ETCDCLIENT_MARSHAL_H_
