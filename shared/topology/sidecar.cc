#include "shared/topology/sidecar.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "shared/base/file.h"

namespace etcdrestore::topology {
namespace {

using nlohmann::json;

template <typename T>
void Get(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) *out = it->get<T>();
}

Result<uint64_t> GetHex(const json& j, const char* key) {
  std::string s;
  Get(j, key, &s);
  if (s.empty()) return uint64_t{0};
  auto id = ParseHexId(s);
  if (!id) return Fail(std::move(id).error().Wrap(key));
  return *id;
}

}  // namespace

std::string HexId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

Result<uint64_t> ParseHexId(std::string_view text) {
  if (text.empty() || text.size() > 16) {
    return Fail(ErrorCode::kInvalidArgument, "bad hex id \"" + std::string(text) + "\"");
  }
  uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return Fail(ErrorCode::kInvalidArgument, "bad hex id \"" + std::string(text) + "\"");
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

std::string SidecarToJson(const Sidecar& s) {
  json members = json::array();
  for (const auto& m : s.members) members.push_back(ToJson(m));
  json apis = json::array();
  for (const auto& a : s.apiservers) apis.push_back(ToJson(a));
  const SnapshotFacts& f = s.snapshot;
  const SnapshotSource& src = s.source;
  json j = {
      {"format", s.format},
      {"tool", s.tool},
      {"created", s.created},
      {"clusterID", HexId(s.cluster_id)},
      {"kubernetesVersion", s.kubernetes_version},
      {"externalEtcd", s.external_etcd},
      {"snapshot",
       {{"file", f.file},
        {"size", f.size},
        {"sha256", f.sha256},
        {"dbSha256", f.db_sha256},
        {"hash", f.hash},
        {"revision", f.revision},
        {"totalKeys", f.total_keys},
        {"totalSize", f.total_size}}},
      {"source",
       {{"method", src.method},
        {"member", src.member},
        {"memberID", HexId(src.member_id)},
        {"endpoint", src.endpoint},
        {"node", src.node},
        {"pod", src.pod},
        {"nodePath", src.node_path},
        {"etcdVersion", src.etcd_version},
        {"raftIndex", src.raft_index},
        {"raftTerm", src.raft_term},
        {"caFile", src.ca_file},
        {"certFile", src.cert_file},
        {"keyFile", src.key_file}}},
      {"members", members},
      {"apiservers", apis},
      {"clusterConfiguration", s.cluster_config ? ToJson(*s.cluster_config) : json(nullptr)},
  };
  return j.dump(2) + "\n";
}

Result<Sidecar> SidecarFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "sidecar: not a JSON object");
  }
  try {
    Sidecar s;
    if (!j.contains("format")) return Fail(ErrorCode::kInvalidArgument, "sidecar: no \"format\"");
    Get(j, "format", &s.format);
    if (s.format > kSidecarFormat) {
      return Fail(ErrorCode::kUnsupported, "sidecar: format " + std::to_string(s.format) +
                                               " is newer than this tool's " +
                                               std::to_string(kSidecarFormat));
    }
    Get(j, "tool", &s.tool);
    Get(j, "created", &s.created);
    ASSIGN_OR_RETURN(s.cluster_id, GetHex(j, "clusterID"));
    Get(j, "kubernetesVersion", &s.kubernetes_version);
    Get(j, "externalEtcd", &s.external_etcd);
    if (auto it = j.find("snapshot"); it != j.end() && it->is_object()) {
      SnapshotFacts& f = s.snapshot;
      Get(*it, "file", &f.file);
      Get(*it, "size", &f.size);
      Get(*it, "sha256", &f.sha256);
      Get(*it, "dbSha256", &f.db_sha256);
      Get(*it, "hash", &f.hash);
      Get(*it, "revision", &f.revision);
      Get(*it, "totalKeys", &f.total_keys);
      Get(*it, "totalSize", &f.total_size);
    }
    if (auto it = j.find("source"); it != j.end() && it->is_object()) {
      SnapshotSource& src = s.source;
      Get(*it, "method", &src.method);
      Get(*it, "member", &src.member);
      ASSIGN_OR_RETURN(src.member_id, GetHex(*it, "memberID"));
      Get(*it, "endpoint", &src.endpoint);
      Get(*it, "node", &src.node);
      Get(*it, "pod", &src.pod);
      Get(*it, "nodePath", &src.node_path);
      Get(*it, "etcdVersion", &src.etcd_version);
      Get(*it, "raftIndex", &src.raft_index);
      Get(*it, "raftTerm", &src.raft_term);
      Get(*it, "caFile", &src.ca_file);
      Get(*it, "certFile", &src.cert_file);
      Get(*it, "keyFile", &src.key_file);
    }
    if (auto it = j.find("members"); it != j.end() && it->is_array()) {
      for (const auto& m : *it) {
        auto member = EtcdMemberFromJson(m);
        if (!member) return Fail(std::move(member).error().Wrap("sidecar"));
        s.members.push_back(std::move(*member));
      }
    }
    if (auto it = j.find("apiservers"); it != j.end() && it->is_array()) {
      for (const auto& a : *it) {
        auto api = ApiServerFromJson(a);
        if (!api) return Fail(std::move(api).error().Wrap("sidecar"));
        s.apiservers.push_back(std::move(*api));
      }
    }
    if (auto it = j.find("clusterConfiguration"); it != j.end() && it->is_object()) {
      auto c = ClusterConfigurationFromJson(*it);
      if (!c) return Fail(std::move(c).error().Wrap("sidecar"));
      s.cluster_config = std::move(*c);
    }
    return s;
  } catch (const json::exception& e) {
    return Fail(ErrorCode::kInvalidArgument, std::string("sidecar: ") + e.what());
  }
}

std::string SidecarPath(std::string_view snapshot_path) {
  return std::string(snapshot_path) + ".json";
}

Status WriteSidecar(const std::string& path, const Sidecar& s) {
  return WriteFileAtomic(path, SidecarToJson(s), 0600);
}

Result<Sidecar> ReadSidecar(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto s = SidecarFromJson(text);
  if (!s) return Fail(std::move(s).error().Wrap(Quote(path)));
  return s;
}

}  // namespace etcdrestore::topology
