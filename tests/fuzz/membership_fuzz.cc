// Peer URL and --initial-cluster parsing (shared/membership/urls.h) and the cluster built
// from them (member.h), as etcdctl-ext snapshot restore takes them from its flags.
// Input: "<initial-cluster>\n<peer urls>\n<token>". Oracle: UrlsMapString of a parsed map
// parses back to the same map.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shared/membership/member.h"
#include "shared/membership/urls.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> p = fuzz::Split(std::string_view(reinterpret_cast<const char*>(data), size), '\n');
  p.resize(std::max<size_t>(p.size(), 3));
  (void)membership::ParseUrl(p[1]);
  (void)membership::SplitHostPort(p[1]);
  (void)membership::ParsePeerUrls(p[1]);
  if (auto m = membership::NewUrlsMap(p[0])) {
    auto again = membership::NewUrlsMap(membership::UrlsMapString(*m));
    if (!again || *again != *m) std::abort();
    if (auto c = membership::NewClusterFromUrlsMap(p[2], *m)) {
      for (const auto& mem : c->members) {
        (void)membership::MemberJson(mem, membership::GoJsonEscaping::kGo119);
        (void)membership::RaftAttributesJson(mem);
      }
    }
  }
  return 0;
}
