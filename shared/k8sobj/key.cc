#include "shared/k8sobj/key.h"


namespace etcdrestore::k8sobj {
namespace {

bool TwoPartBuiltin(std::string_view a) { return a == "services"; }

}  // namespace

std::optional<ObjectKeyView> ParseKeyView(std::string_view key) {
  if (!key.starts_with(kRegistryPrefix)) return std::nullopt;
  key.remove_prefix(kRegistryPrefix.size());
  std::string_view seg[5];
  size_t n = 0;
  while (true) {
    const size_t slash = key.find('/');
    const std::string_view s = key.substr(0, slash);
    if (s.empty() || n == 5) return std::nullopt;
    seg[n++] = s;
    if (slash == std::string_view::npos) break;
    key.remove_prefix(slash + 1);
  }
  ObjectKeyView k;
  size_t rest = 1;
  if (n >= 3 && seg[0].find('.') != std::string_view::npos) {
    k.group = seg[0];
    k.resource = seg[1];
    rest = 2;
  } else if (n >= 3 && TwoPartBuiltin(seg[0])) {
    // "services/specs": one view over both segments (they are adjacent in the key).
    k.resource = std::string_view(seg[0].data(), seg[1].data() + seg[1].size() - seg[0].data());
    rest = 2;
  } else if (n >= 2) {
    k.resource = seg[0];
  } else {
    return std::nullopt;
  }
  if (n - rest == 1) {
    k.name = seg[rest];
  } else if (n - rest == 2) {
    k.namespace_ = seg[rest];
    k.name = seg[rest + 1];
  } else {
    return std::nullopt;
  }
  return k;
}

std::optional<ObjectKey> ParseKey(std::string_view key) {
  auto v = ParseKeyView(key);
  if (!v) return std::nullopt;
  return ObjectKey{std::string(v->resource), std::string(v->group), std::string(v->namespace_), std::string(v->name)};
}

std::string QualifiedResource(const ObjectKey& k) {
  return k.group.empty() ? k.resource : k.resource + "." + k.group;
}

}  // namespace etcdrestore::k8sobj
