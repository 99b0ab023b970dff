#include "shared/k8sobj/diff.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace etcdrestore::k8sobj {

const char* ChangeName(Change c) {
  switch (c) {
    case Change::kDeleted: return "deleted";
    case Change::kCreated: return "created";
    case Change::kChanged: return "changed";
    case Change::kReplaced: return "replaced";
  }
  return "?";
}

std::vector<Difference> Compare(const std::vector<Ident>& snapshot, const std::vector<Ident>& live) {
  using Name = std::tuple<std::string, std::string, std::string>;
  std::map<Name, const Ident*> live_by_name;
  for (const Ident& l : live) live_by_name[{l.type, l.namespace_, l.name}] = &l;
  std::vector<Difference> out;
  for (const Ident& s : snapshot) {
    auto it = live_by_name.find({s.type, s.namespace_, s.name});
    if (it == live_by_name.end()) {
      out.push_back({Change::kDeleted, s, {}});
      continue;
    }
    const Ident& l = *it->second;
    if (!s.uid.empty() && l.uid != s.uid) {  // (an encrypted value's uid is unknown: compared by version)
      out.push_back({Change::kReplaced, s, l});
    } else if (l.resource_version != s.resource_version) {
      out.push_back({Change::kChanged, s, l});
    }
    live_by_name.erase(it);
  }
  for (const auto& [name, l] : live_by_name) out.push_back({Change::kCreated, {}, *l});
  auto key = [](const Difference& d) {
    const Ident& i = d.change == Change::kCreated ? d.live : d.snapshot;
    return std::tie(i.type, i.namespace_, i.name);
  };
  std::sort(out.begin(), out.end(), [&](const Difference& a, const Difference& b) { return key(a) < key(b); });
  return out;
}

}  // namespace etcdrestore::k8sobj
