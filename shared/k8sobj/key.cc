#include "shared/k8sobj/key.h"

#include <vector>

namespace etcdrestore::k8sobj {
namespace {

bool TwoPartBuiltin(std::string_view a) { return a == "services"; }

}  // namespace

std::optional<ObjectKey> ParseKey(std::string_view key) {
  if (!key.starts_with(kRegistryPrefix)) return std::nullopt;
  key.remove_prefix(kRegistryPrefix.size());
  std::vector<std::string_view> seg;
  while (!key.empty()) {
    size_t slash = key.find('/');
    std::string_view s = key.substr(0, slash);
    if (s.empty()) return std::nullopt;
    seg.push_back(s);
    if (slash == std::string_view::npos) break;
    key.remove_prefix(slash + 1);
    if (key.empty()) return std::nullopt;  // trailing slash
  }
  ObjectKey k;
  size_t rest = 1;
  if (seg.size() >= 3 && seg[0].find('.') != std::string_view::npos) {
    k.group = std::string(seg[0]);
    k.resource = std::string(seg[1]);
    rest = 2;
  } else if (seg.size() >= 3 && TwoPartBuiltin(seg[0])) {
    k.resource = std::string(seg[0]) + "/" + std::string(seg[1]);
    rest = 2;
  } else if (seg.size() >= 2) {
    k.resource = std::string(seg[0]);
  } else {
    return std::nullopt;
  }
  const size_t left = seg.size() - rest;
  if (left == 1) {
    k.name = std::string(seg[rest]);
  } else if (left == 2) {
    k.namespace_ = std::string(seg[rest]);
    k.name = std::string(seg[rest + 1]);
  } else {
    return std::nullopt;
  }
  return k;
}

std::string QualifiedResource(const ObjectKey& k) {
  return k.group.empty() ? k.resource : k.resource + "." + k.group;
}

}  // namespace etcdrestore::k8sobj
