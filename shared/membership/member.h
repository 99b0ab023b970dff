// shared/membership/member.h
//
// Members and cluster of a freshly bootstrapped etcd cluster, computed like etcd's
// membership.NewClusterFromURLsMap (3.4 and 3.5 agree):
//   member id  = big-endian u64 of sha1(concat(sorted peer URLs) + token)[0:8]
//   cluster id = big-endian u64 of sha1(concat(BE u64 of sorted member ids))[0:8]
// IDs are printed as unpadded lower-case hex (types.ID.String(), e.g. "fc3a5f77660399b").
#ifndef ETCDRESTORE_SHARED_MEMBERSHIP_MEMBER_H_
#define ETCDRESTORE_SHARED_MEMBERSHIP_MEMBER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/membership/go_json.h"
#include "shared/membership/urls.h"

namespace etcdrestore::membership {

struct Member {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls;  // sorted
};

struct Cluster {
  uint64_t id = 0;
  std::string token;
  std::vector<Member> members;  // ascending id: the order of WAL entries and .snap nodes

  // nullptr if no member has that name.
  const Member* MemberByName(std::string_view name) const;
  std::vector<uint64_t> MemberIds() const;  // ascending
};

// sha1(concat(sorted urls) + token)[0:8] as a big-endian u64.
uint64_t ComputeMemberId(std::vector<std::string> peer_urls, std::string_view token);
// sha1 over the big-endian encodings of the ids in ascending order.
uint64_t ComputeClusterId(std::vector<uint64_t> member_ids);

// membership.NewClusterFromURLsMap: one member per name. Errors as etcd's:
//   member exists with identical ID <Go %v of the member>
//   cannot use 0 as member id
Result<Cluster> NewClusterFromUrlsMap(std::string_view token, const UrlsMap& urls);

// types.ID.String(): unpadded lower-case hex.
std::string IdString(uint64_t id);

// json.Marshal(membership.Member) as etcd writes it into the ConfChange context and
// (3.5+) the db "members" bucket: {"id":<decimal>,"peerURLs":[...],"name":"..."}
// ("name" omitted when empty; no clientURLs, no isLearner for a restored member).
std::string MemberJson(const Member& m, GoJsonEscaping esc = GoJsonEscaping::kGo122);

// json.Marshal(membership.RaftAttributes): {"peerURLs":[...]}; the v2 store value of
// /0/members/<id>/raftAttributes.
std::string RaftAttributesJson(const Member& m, GoJsonEscaping esc = GoJsonEscaping::kGo122);

}  // namespace etcdrestore::membership

#endif  // ETCDRESTORE_SHARED_MEMBERSHIP_MEMBER_H_
