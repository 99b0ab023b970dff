#include "shared/membership/member.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>

#include "shared/base/coding.h"

namespace etcdrestore::membership {
namespace {

uint64_t Sha1Prefix64(std::string_view data) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr) != 1 || len != 20) {
    std::abort();  // SHA-1 is always available in OpenSSL's default provider
  }
  return LoadBE64(md.data());
}

// Go's %v of *membership.Member: &{<hex id> {[<urls>] false} {<name> []}}
std::string GoMemberValue(const Member& m) {
  std::string urls;
  for (size_t i = 0; i < m.peer_urls.size(); ++i) {
    if (i) urls.push_back(' ');
    urls += m.peer_urls[i];
  }
  return "&{" + IdString(m.id) + " {[" + urls + "] false} {" + m.name + " []}}";
}

}  // namespace

const Member* Cluster::MemberByName(std::string_view name) const {
  for (const Member& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<uint64_t> Cluster::MemberIds() const {
  std::vector<uint64_t> ids;
  for (const Member& m : members) ids.push_back(m.id);
  return ids;
}

uint64_t ComputeMemberId(std::vector<std::string> peer_urls, std::string_view token) {
  std::sort(peer_urls.begin(), peer_urls.end());
  std::string b;
  for (const std::string& u : peer_urls) b += u;
  b += token;
  return Sha1Prefix64(b);
}

uint64_t ComputeClusterId(std::vector<uint64_t> member_ids) {
  std::sort(member_ids.begin(), member_ids.end());
  std::string b;
  for (uint64_t id : member_ids) b += EncodeBE64(id);
  return Sha1Prefix64(b);
}

Result<Cluster> NewClusterFromUrlsMap(std::string_view token, const UrlsMap& urls) {
  Cluster c;
  c.token = std::string(token);
  std::map<uint64_t, Member> by_id;
  for (const auto& [name, peer_urls] : urls) {
    Member m{ComputeMemberId(peer_urls, token), name, peer_urls};
    std::sort(m.peer_urls.begin(), m.peer_urls.end());
    if (by_id.contains(m.id)) {
      return Fail(ErrorCode::kInvalidArgument, "member exists with identical ID " + GoMemberValue(m));
    }
    if (m.id == 0) return Fail(ErrorCode::kInvalidArgument, "cannot use 0 as member id");
    by_id.emplace(m.id, std::move(m));
  }
  for (auto& [id, m] : by_id) c.members.push_back(std::move(m));
  c.id = ComputeClusterId(c.MemberIds());
  return c;
}

std::string IdString(uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kHex[id & 0xF]);
    id >>= 4;
  } while (id != 0);
  return s;
}

std::string MemberJson(const Member& m, GoJsonEscaping esc) {
  std::string out = "{\"id\":" + std::to_string(m.id) + ",\"peerURLs\":";
  AppendGoJsonStringArray(m.peer_urls, esc, &out);
  if (!m.name.empty()) {
    out += ",\"name\":";
    AppendGoJsonString(m.name, esc, &out);
  }
  out.push_back('}');
  return out;
}

std::string RaftAttributesJson(const Member& m, GoJsonEscaping esc) {
  std::string out = "{\"peerURLs\":";
  AppendGoJsonStringArray(m.peer_urls, esc, &out);
  out.push_back('}');
  return out;
}

}  // namespace etcdrestore::membership
