// YAML access and text loading for the topology module (internal.h).
#include "shared/base/strings.h"
#include "shared/topology/internal.h"

namespace etcdrestore::topology::internal {
namespace {

// The offset of the first byte of s that is not well-formed UTF-8, or npos.
size_t FirstNonUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t rune;
    const size_t n = DecodeUtf8(s, i, &rune);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace

YAML::Node Child(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node c = n[key];
  if (!c) return YAML::Node(YAML::NodeType::Undefined);
  return c;
}

YAML::Node Path(const YAML::Node& n, std::initializer_list<const char*> keys) {
  // yaml-cpp's Node::operator= writes through to the referenced node; reset() rebinds.
  YAML::Node cur;
  cur.reset(n);
  for (const char* k : keys) cur.reset(Child(cur, k));
  return cur;
}

std::string Str(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return "";
  return n.Scalar();
}

std::vector<std::string> StrList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n || !n.IsSequence()) return out;
  for (const auto& item : n) out.push_back(Str(item));
  return out;
}

std::vector<YAML::Node> Items(const YAML::Node& n) {
  std::vector<YAML::Node> out;
  const YAML::Node items = Child(n, "items");
  if (!items || !items.IsSequence()) return out;
  for (const auto& item : items) out.push_back(item);
  return out;
}

bool IsUtf8(std::string_view s) { return FirstNonUtf8(s) == std::string_view::npos; }

Result<YAML::Node> LoadText(std::string_view text, std::string_view what) {
  if (const size_t bad = FirstNonUtf8(text); bad != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(what) + ": not valid UTF-8 at byte " + std::to_string(bad));
  }
  try {
    YAML::Node n = YAML::Load(std::string(text));
    if (!n.IsMap()) {
      return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": not a YAML/JSON object");
    }
    return n;
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(what) + ": cannot parse as YAML/JSON: " + e.what());
  }
}

}  // namespace etcdrestore::topology::internal
