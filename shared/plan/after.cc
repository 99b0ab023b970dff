#include "shared/plan/after.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "shared/plan/plan.h"
#include "shared/plan/render.h"

namespace etcdrestore::plan {
namespace {

using nlohmann::json;

Result<json> ParseObject(const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Fail(ErrorCode::kInvalidArgument, what + " is not a JSON object");
  return j;
}

// j[key] as a string, "" when missing or not a string.
std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// The items of a List body; kInvalidArgument when it has none (not a list).
Result<std::vector<json>> Items(const std::string& text, const std::string& what) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  const json& items = Field(j, "items");
  if (!items.is_array() && !items.is_null()) return Fail(ErrorCode::kInvalidArgument, what + ": items is not a list");
  std::vector<json> out;
  if (items.is_array())
    for (const auto& i : items)
      if (i.is_object()) out.push_back(i);
  return out;
}

// Seconds from an RFC 3339 time to now; -1 when the time is missing or unreadable.
int64_t Age(const std::string& time, const std::string& now) {
  if (time.empty()) return -1;
  auto s = SecondsBetween(time, now);
  return s ? *s : -1;
}

}  // namespace

uint64_t MinRevision(const AfterPlan& plan) {
  return static_cast<uint64_t>(std::max<int64_t>(plan.snapshot_revision, 0)) + plan.bump;
}

Result<AfterPlan> ParsePlanJson(const std::string& text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "plan.json"));
  AfterPlan p;
  p.id = Str(j, "id");
  if (p.id.empty()) return Fail(ErrorCode::kInvalidArgument, "plan.json: no \"id\" (not a plan written by plan)");
  const json& nodes = Field(j, "nodes");
  if (!nodes.is_array() || nodes.empty())
    return Fail(ErrorCode::kInvalidArgument, "plan.json: \"nodes\" is not a list of nodes");
  for (const auto& n : nodes) {
    const std::string name = Str(n, "node");
    if (name.empty()) return Fail(ErrorCode::kInvalidArgument, "plan.json: a node without \"node\"");
    p.nodes.push_back(name);
  }
  const json& joins = Field(j, "joins");
  if (joins.is_array()) {
    for (const auto& jn : joins) {
      const json& in_cluster = Field(jn, "inCluster");
      if (in_cluster.is_boolean() && in_cluster.get<bool>() && !Str(jn, "name").empty())
        p.joining.push_back(Str(jn, "name"));
      std::string lost = Str(jn, "oldNode");
      if (lost.empty()) lost = !Str(jn, "replaces").empty() ? Str(jn, "replaces") : Str(jn, "name");
      if (!lost.empty() && std::find(p.nodes.begin(), p.nodes.end(), lost) == p.nodes.end())
        p.lost_nodes.push_back(lost);
    }
  }
  const json& rev = Field(Field(j, "snapshot"), "revision");
  if (rev.is_number_integer()) p.snapshot_revision = rev.get<int64_t>();
  const json& bump = Field(j, "bumpRevision");
  if (bump.is_number_unsigned()) p.bump = bump.get<uint64_t>();
  return p;
}

Result<uint64_t> ListRevision(const std::string& list) {
  ASSIGN_OR_RETURN(json j, ParseObject(list, "the list"));
  const std::string rv = Str(Field(j, "metadata"), "resourceVersion");
  if (rv.empty() || rv.size() > 19 || rv.find_first_not_of("0123456789") != std::string::npos)
    return Fail(ErrorCode::kInvalidArgument, "the list has no numeric metadata.resourceVersion (\"" + rv + "\")");
  return std::stoull(rv);
}

Result<PlannedApiServers> ApiServerUrls(const AfterPlan& plan, const std::string& pods) {
  ASSIGN_OR_RETURN(std::vector<json> items, Items(pods, "the kube-apiserver PodList"));
  std::set<std::string> current(plan.nodes.begin(), plan.nodes.end());
  current.insert(plan.joining.begin(), plan.joining.end());
  std::set<std::string> with_pod;
  PlannedApiServers out;
  std::vector<std::string>& urls = out.urls;
  for (const auto& pod : items) {
    const json& spec = Field(pod, "spec");
    if (!current.contains(Str(spec, "nodeName"))) continue;
    with_pod.insert(Str(spec, "nodeName"));
    std::string address, port = "6443";
    const json& containers = Field(spec, "containers");
    if (!containers.is_array()) continue;
    for (const auto& c : containers)
      for (const char* key : {"command", "args"}) {
        const json& words = Field(c, key);
        if (!words.is_array()) continue;
        for (const auto& w : words) {
          if (!w.is_string()) continue;
          const std::string word = w.get<std::string>();
          if (word.rfind("--advertise-address=", 0) == 0) address = word.substr(20);
          if (word.rfind("--secure-port=", 0) == 0) port = word.substr(14);
        }
      }
    if (address.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
    urls.push_back("https://" + host + ":" + port);
  }
  std::sort(urls.begin(), urls.end());
  urls.erase(std::unique(urls.begin(), urls.end()), urls.end());
  for (const auto& j : plan.joining)
    if (!with_pod.contains(j)) out.not_joined.push_back(j);
  return out;
}

Result<Findings> FindLeftovers(const AfterPlan& plan, const Observed& o) {
  if (!SecondsBetween(o.now, o.now)) return Fail(ErrorCode::kInvalidArgument, "bad time \"" + o.now + "\"");
  Findings f;
  std::set<std::string> current(plan.nodes.begin(), plan.nodes.end());
  current.insert(plan.joining.begin(), plan.joining.end());
  const std::set<std::string> lost(plan.lost_nodes.begin(), plan.lost_nodes.end());

  // Nodes.
  ASSIGN_OR_RETURN(std::vector<json> nodes, Items(o.nodes, "the NodeList"));
  std::set<std::string> current_ips;
  for (const auto& n : nodes) {
    const json& meta = Field(n, "metadata");
    const std::string name = Str(meta, "name");
    if (name.empty()) continue;
    const json& labels = Field(meta, "labels");
    const bool control_plane = labels.is_object() && (labels.contains("node-role.kubernetes.io/control-plane") ||
                                                      labels.contains("node-role.kubernetes.io/master"));
    if (current.contains(name)) {
      const json& addresses = Field(Field(n, "status"), "addresses");
      if (addresses.is_array())
        for (const auto& a : addresses)
          if (Str(a, "type") == "InternalIP" && !Str(a, "address").empty()) current_ips.insert(Str(a, "address"));
      continue;
    }
    std::string why;
    if (lost.contains(name)) {
      why = "the node of a lost member (the plan replaces it or leaves it out)";
    } else if (control_plane) {
      why = "a control-plane node the restored cluster does not have (not in the plan)";
    } else {
      std::string ready_status, heartbeat;
      const json& conditions = Field(Field(n, "status"), "conditions");
      if (conditions.is_array())
        for (const auto& c : conditions)
          if (Str(c, "type") == "Ready") {
            ready_status = Str(c, "status");
            heartbeat = Str(c, "lastHeartbeatTime");
          }
      const int64_t age = Age(heartbeat, o.now);
      if (ready_status == "True" || (age >= 0 && age <= kStaleAfterSeconds)) continue;
      why = "its kubelet has not reported " +
            (age < 0 ? std::string("at all") : "for " + std::to_string(age) + " s (since " + heartbeat + ")") +
            ": a machine that no longer exists? (a worker that is only down comes back by itself)";
    }
    f.leftovers.push_back({"Node", name, why, "kubectl delete node " + ShellQuote(name), "/api/v1/nodes/" + name});
  }

  // Leases in kube-system.
  ASSIGN_OR_RETURN(std::vector<json> leases, Items(o.leases, "the LeaseList"));
  for (const auto& l : leases) {
    const std::string name = Str(Field(l, "metadata"), "name");
    if (name.empty()) continue;
    const json& spec = Field(l, "spec");
    const std::string holder = Str(spec, "holderIdentity");
    std::string renewed = Str(spec, "renewTime");
    if (renewed.empty()) renewed = Str(spec, "acquireTime");
    const json& d = Field(spec, "leaseDurationSeconds");
    const int64_t duration = d.is_number_integer() ? d.get<int64_t>() : 0;
    const int64_t age = Age(renewed, o.now);
    const bool expired = age < 0 || age > duration + kStaleAfterSeconds;
    std::string why;
    if (name.rfind("kube-apiserver-", 0) == 0) {
      if (!expired) continue;
      why = "the identity lease of a kube-apiserver that no longer runs (" +
            (age < 0 ? std::string("never renewed") : "last renewed " + std::to_string(age) + " s ago") + ")";
    } else {
      if (holder.empty()) continue;
      const std::string host = holder.substr(0, holder.find('_'));
      const bool component = name == "kube-controller-manager" || name == "kube-scheduler" ||
                             name == "cloud-controller-manager";
      if (current.contains(host) || (!component && !expired)) continue;
      if (!component && current.empty()) continue;
      why = "leader-election lease held by " + holder + ": " + host +
            " is not a control-plane node of the restored cluster; its component cannot lead until the lease "
            "expires" + (expired ? "" : " (" + std::to_string(duration) + " s after its last renewal)");
    }
    f.leftovers.push_back({"Lease", name, why, "kubectl -n kube-system delete lease " + ShellQuote(name),
                           "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/" + name});
  }

  // The kubernetes Endpoints: one address per kube-apiserver.
  if (!o.endpoints.empty()) {
    ASSIGN_OR_RETURN(json ep, ParseObject(o.endpoints, "the kubernetes Endpoints"));
    if (current_ips.empty()) {
      f.notes.push_back("no Node object of the plan's control-plane nodes has an InternalIP, so the addresses of "
                        "the kubernetes Endpoints were not judged");
    } else {
      const json& subsets = Field(ep, "subsets");
      if (subsets.is_array())
        for (const auto& s : subsets) {
          const json& addresses = Field(s, "addresses");
          if (!addresses.is_array()) continue;
          for (const auto& a : addresses) {
            const std::string ip = Str(a, "ip");
            if (ip.empty() || current_ips.contains(ip)) continue;
            f.leftovers.push_back(
                {"Endpoints address", ip,
                 "the kubernetes Endpoints lists " + ip +
                     ", which is no control-plane node of the plan: clients are sent to a kube-apiserver that is "
                     "gone. The address comes from its master lease in etcd, which kube-apiserver drops once it "
                     "expires; to drop it now, on a control-plane node",
                 "etcdctl-ext --endpoints ... del /registry/masterleases/" + ip +
                     "    # with the etcd client flags of the runbook; the prefix is kube-apiserver's --etcd-prefix",
                 ""});
          }
        }
    }
  }
  return f;
}

}  // namespace etcdrestore::plan
