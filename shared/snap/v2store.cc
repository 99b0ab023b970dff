#include "shared/snap/v2store.h"

#include <algorithm>
#include <cassert>
#include <string_view>
#include <vector>

#include "shared/membership/go_json.h"

namespace etcdrestore::snap {
namespace {

using membership::AppendGoJsonString;
using membership::GoJsonEscaping;

// v2store's event history capacity (store.go: newWatchHub(1000)).
constexpr size_t kEventHistoryCapacity = 1000;
// Go's zero time.Time as JSON: nodes without TTL.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";
// URLs never contain \b or \f (control characters fail URL parsing), so the escaping
// flavor does not matter here.
constexpr GoJsonEscaping kEsc = GoJsonEscaping::kGo122;

// {"Path":..,"CreatedIndex":i,"ModifiedIndex":i,"ExpireTime":..,"Value":..,"Children":
// and the caller appends the children ("null", "{}" or an object) and the closing '}'.
void OpenNode(std::string_view path, uint64_t index, std::string_view value, std::string* out) {
  out->append("{\"Path\":");
  AppendGoJsonString(path, kEsc, out);
  out->append(",\"CreatedIndex\":" + std::to_string(index) + ",\"ModifiedIndex\":" + std::to_string(index) +
              ",\"ExpireTime\":\"");
  out->append(kZeroTime);
  out->append("\",\"Value\":");
  AppendGoJsonString(value, kEsc, out);
  out->append(",\"Children\":");
}

}  // namespace

std::string V2StoreJson(const membership::Cluster& cluster) {
  const size_t n = cluster.members.size();
  assert(n < kEventHistoryCapacity);

  struct Node {
    std::string hex;
    uint64_t index;  // creation order = ascending id
    std::string raft_attributes;
  };
  std::vector<Node> nodes;
  for (size_t i = 0; i < n; ++i) {
    const membership::Member& m = cluster.members[i];
    nodes.push_back({membership::IdString(m.id), i + 1, membership::RaftAttributesJson(m, kEsc)});
  }
  // Go marshals map keys sorted bytewise; unpadded hex ids can sort differently from ids.
  std::vector<const Node*> by_key;
  for (const Node& node : nodes) by_key.push_back(&node);
  std::sort(by_key.begin(), by_key.end(), [](const Node* a, const Node* b) { return a->hex < b->hex; });

  std::string out;
  out.append("{\"Root\":");
  OpenNode("/", 0, "", &out);
  out.append("{\"0\":");
  OpenNode("/0", 0, "", &out);
  out.append("{\"members\":");
  OpenNode("/0/members", 1, "", &out);
  out.push_back('{');
  for (size_t i = 0; i < by_key.size(); ++i) {
    const Node& node = *by_key[i];
    const std::string path = "/0/members/" + node.hex;
    if (i) out.push_back(',');
    AppendGoJsonString(node.hex, kEsc, &out);
    out.push_back(':');
    OpenNode(path, node.index, "", &out);
    out.append("{\"raftAttributes\":");
    OpenNode(path + "/raftAttributes", node.index, node.raft_attributes, &out);
    out.append("null}}}");
  }
  out.append("}}}},\"1\":");  // closes members' children, members, /0's children, /0
  OpenNode("/1", 0, "", &out);
  out.append("{}}}},");  // closes /1, Root's children, Root

  out.append("\"WatcherHub\":{\"EventHistory\":{\"Queue\":{\"Events\":[");
  for (size_t i = 0; i < kEventHistoryCapacity; ++i) {
    if (i) out.push_back(',');
    if (i >= n) {
      out.append("null");
      continue;
    }
    const Node& node = nodes[i];
    out.append("{\"action\":\"create\",\"node\":{\"key\":");
    AppendGoJsonString("/0/members/" + node.hex + "/raftAttributes", kEsc, &out);
    out.append(",\"value\":");
    AppendGoJsonString(node.raft_attributes, kEsc, &out);
    out.append(",\"modifiedIndex\":" + std::to_string(node.index) + ",\"createdIndex\":" +
               std::to_string(node.index) + "}}");
  }
  const std::string ns = std::to_string(n);
  out.append("],\"Size\":" + ns + ",\"Front\":0,\"Back\":" + ns + ",\"Capacity\":" +
             std::to_string(kEventHistoryCapacity) + "},\"StartIndex\":1,\"LastIndex\":" + ns + "}},");
  out.append("\"CurrentIndex\":" + ns + ",");
  out.append(
      "\"Stats\":{\"getsSuccess\":0,\"getsFail\":0,\"setsSuccess\":0,\"setsFail\":0,\"deleteSuccess\":0,"
      "\"deleteFail\":0,\"updateSuccess\":0,\"updateFail\":0,\"createSuccess\":" +
      ns +
      ",\"createFail\":0,\"compareAndSwapSuccess\":0,\"compareAndSwapFail\":0,\"compareAndDeleteSuccess\":0,"
      "\"compareAndDeleteFail\":0,\"expireCount\":0,\"watchers\":0},");
  out.append("\"CurrentVersion\":2}");
  return out;
}

}  // namespace etcdrestore::snap
