#include "shared/cli/printers.h"

#include <fmt/format.h>

#include "shared/base/strings.h"
#include "shared/cli/format.h"
#include "shared/etcdclient/marshal.h"

namespace etcdrestore::cli {
namespace {

using etcdclient::KeyValue;
using etcdclient::ResponseHeader;

Error Unsupported(OutputFormat f) {
  const char* name = f == OutputFormat::kTable ? "table" : f == OutputFormat::kProtobuf ? "protobuf" : "this";
  return Error(ErrorCode::kUnsupported, fmt::format("{} not supported as output format", name));
}

// printer_simple.go printKV.
void SimpleKv(const PrintOptions& o, const KeyValue& kv, std::string* out) {
  std::string k = o.hex ? HexWithPrefix(kv.key) : kv.key;
  std::string v = o.hex ? HexWithPrefix(kv.value) : kv.value;
  if (!o.value_only) *out += k + "\n";
  *out += v + "\n";
}

// Go's encoding/json of a ResponseHeader (all fields omitempty).
void JsonHeader(JsonWriter& w, const ResponseHeader& h) {
  w.Key("header").BeginObject();
  if (h.cluster_id) w.Key("cluster_id").Uint(h.cluster_id);
  if (h.member_id) w.Key("member_id").Uint(h.member_id);
  if (h.revision) w.Key("revision").Int(h.revision);
  if (h.raft_term) w.Key("raft_term").Uint(h.raft_term);
  w.EndObject();
}

void JsonKv(JsonWriter& w, const KeyValue& kv) {
  w.BeginObject();
  if (!kv.key.empty()) w.Key("key").Bytes(kv.key);
  if (kv.create_revision) w.Key("create_revision").Int(kv.create_revision);
  if (kv.mod_revision) w.Key("mod_revision").Int(kv.mod_revision);
  if (kv.version) w.Key("version").Int(kv.version);
  if (!kv.value.empty()) w.Key("value").Bytes(kv.value);
  if (kv.lease) w.Key("lease").Int(kv.lease);
  w.EndObject();
}

void JsonStrings(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}

// printer_fields.go hdr.
void FieldsHeader(const ResponseHeader& h, std::string* out) {
  *out += fmt::format("\"ClusterID\" : {}\n\"MemberID\" : {}\n\"Revision\" : {}\n\"RaftTerm\" : {}\n",
                      h.cluster_id, h.member_id, h.revision, h.raft_term);
}

void FieldsKv(const KeyValue& kv, std::string* out) {
  *out += fmt::format(
      "\"Key\" : {}\n\"CreateRevision\" : {}\n\"ModRevision\" : {}\n\"Version\" : {}\n"
      "\"Value\" : {}\n\"Lease\" : {}\n",
      GoQuote(kv.key), kv.create_revision, kv.mod_revision, kv.version, GoQuote(kv.value), kv.lease);
}

// Go's fmt.Println of a []string: "[a b]".
std::string GoSlice(const std::vector<std::string>& v) { return "[" + Join(v, " ") + "]"; }

std::vector<std::string> MemberRow(const etcdclient::Member& m) {
  return {fmt::format("{:x}", m.id),
          m.name.empty() ? "unstarted" : "started",
          m.name,
          Join(m.peer_urls, ","),
          Join(m.client_urls, ","),
          m.is_learner ? "true" : "false"};
}

std::vector<std::string> StatusRow(const EndpointStatus& s) {
  const auto& st = s.status;
  return {s.endpoint,
          fmt::format("{:x}", st.header.member_id),
          st.version,
          HumanizeBytes(static_cast<uint64_t>(st.db_size)),
          st.leader == st.header.member_id ? "true" : "false",
          st.is_learner ? "true" : "false",
          std::to_string(st.raft_term),
          std::to_string(st.raft_index),
          std::to_string(st.raft_applied_index),
          Join(st.errors, ", ")};
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(std::string_view s) {
  if (s == "simple") return OutputFormat::kSimple;
  if (s == "json") return OutputFormat::kJson;
  if (s == "table") return OutputFormat::kTable;
  if (s == "fields") return OutputFormat::kFields;
  if (s == "protobuf") return OutputFormat::kProtobuf;
  return Fail(ErrorCode::kUnsupported, "unsupported output format");
}

Result<std::string> PrintGet(const PrintOptions& o, const etcdclient::RangeResponse& r) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      for (const auto& kv : r.kvs) SimpleKv(o, kv, &out);
      return out;
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonHeader(w, r.header);
      if (!r.kvs.empty()) {
        w.Key("kvs").BeginArray();
        for (const auto& kv : r.kvs) JsonKv(w, kv);
        w.EndArray();
      }
      if (r.more) w.Key("more").Bool(true);
      if (r.count) w.Key("count").Int(r.count);
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      for (const auto& kv : r.kvs) FieldsKv(kv, &out);
      out += fmt::format("\"More\" : {}\n\"Count\" : {}\n", r.more, r.count);
      return out;
    case OutputFormat::kProtobuf:
      return etcdclient::MarshalResponse(r);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintPut(const PrintOptions& o, const etcdclient::PutResponse& r) {
  switch (o.format) {
    case OutputFormat::kSimple:
      return std::string("OK\n");
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonHeader(w, r.header);
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields: {
      std::string out;
      FieldsHeader(r.header, &out);
      return out;
    }
    case OutputFormat::kProtobuf:
      return etcdclient::MarshalResponse(r);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintDel(const PrintOptions& o, const etcdclient::DeleteRangeResponse& r) {
  switch (o.format) {
    case OutputFormat::kSimple:
      return fmt::format("{}\n", r.deleted);
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonHeader(w, r.header);
      if (r.deleted) w.Key("deleted").Int(r.deleted);
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields: {
      std::string out;
      FieldsHeader(r.header, &out);
      out += fmt::format("\"Deleted\" : {}\n", r.deleted);
      return out;
    }
    case OutputFormat::kProtobuf:
      return etcdclient::MarshalResponse(r);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintMemberList(const PrintOptions& o, const etcdclient::MemberListResponse& r) {
  static const std::vector<std::string> kHeader = {"ID",         "Status",       "Name",
                                                   "Peer Addrs", "Client Addrs", "Is Learner"};
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      for (const auto& m : r.members) out += Join(MemberRow(m), ", ") + "\n";
      return out;
    case OutputFormat::kTable: {
      std::vector<std::vector<std::string>> rows;
      for (const auto& m : r.members) rows.push_back(MemberRow(m));
      return RenderTable(kHeader, rows);
    }
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonHeader(w, r.header);
      if (!r.members.empty()) {
        w.Key("members").BeginArray();
        for (const auto& m : r.members) {
          w.BeginObject();
          if (m.id) w.Key("ID").Uint(m.id);
          if (!m.name.empty()) w.Key("name").String(m.name);
          if (!m.peer_urls.empty()) JsonStrings(w.Key("peerURLs"), m.peer_urls);
          if (!m.client_urls.empty()) JsonStrings(w.Key("clientURLs"), m.client_urls);
          if (m.is_learner) w.Key("isLearner").Bool(true);
          w.EndObject();
        }
        w.EndArray();
      }
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      for (const auto& m : r.members) {
        out += fmt::format("\"ID\" : {}\n\"Name\" : {}\n", m.id, GoQuote(m.name));
        for (const auto& u : m.peer_urls) out += fmt::format("\"PeerURL\" : {}\n", GoQuote(u));
        for (const auto& u : m.client_urls) out += fmt::format("\"ClientURL\" : {}\n", GoQuote(u));
        out += fmt::format("\"IsLearner\" : {}\n\n", m.is_learner);
      }
      return out;
    case OutputFormat::kProtobuf:
      return etcdclient::MarshalResponse(r);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintEndpointStatus(const PrintOptions& o, const std::vector<EndpointStatus>& s) {
  static const std::vector<std::string> kHeader = {
      "endpoint",  "ID",        "version",    "db size",            "is leader",
      "is learner", "raft term", "raft index", "raft applied index", "errors"};
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      for (const auto& e : s) out += Join(StatusRow(e), ", ") + "\n";
      return out;
    case OutputFormat::kTable: {
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : s) rows.push_back(StatusRow(e));
      return RenderTable(kHeader, rows);
    }
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginArray();
      for (const auto& e : s) {
        const auto& st = e.status;
        w.BeginObject().Key("Endpoint").String(e.endpoint).Key("Status").BeginObject();
        JsonHeader(w, st.header);
        if (!st.version.empty()) w.Key("version").String(st.version);
        if (st.db_size) w.Key("dbSize").Int(st.db_size);
        if (st.leader) w.Key("leader").Uint(st.leader);
        if (st.raft_index) w.Key("raftIndex").Uint(st.raft_index);
        if (st.raft_term) w.Key("raftTerm").Uint(st.raft_term);
        if (st.raft_applied_index) w.Key("raftAppliedIndex").Uint(st.raft_applied_index);
        if (!st.errors.empty()) JsonStrings(w.Key("errors"), st.errors);
        if (st.db_size_in_use) w.Key("dbSizeInUse").Int(st.db_size_in_use);
        if (st.is_learner) w.Key("isLearner").Bool(true);
        w.EndObject().EndObject();
      }
      w.EndArray();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      for (const auto& e : s) {
        const auto& st = e.status;
        FieldsHeader(st.header, &out);
        out += fmt::format(
            "\"Version\" : {}\n\"DBSize\" : {}\n\"Leader\" : {}\n\"IsLearner\" : {}\n"
            "\"RaftIndex\" : {}\n\"RaftTerm\" : {}\n\"RaftAppliedIndex\" : {}\n\"Errors\" : {}\n"
            "\"Endpoint\" : {}\n\n",
            GoQuote(st.version), st.db_size, st.leader, st.is_learner, st.raft_index, st.raft_term,
            st.raft_applied_index, GoSlice(st.errors), GoQuote(e.endpoint));
      }
      return out;
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<Printed> PrintEndpointHealth(const PrintOptions& o, const std::vector<EndpointHealth>& h) {
  Printed p;
  switch (o.format) {
    case OutputFormat::kSimple:
      for (const auto& e : h) {
        if (e.error.empty()) {
          p.err += fmt::format("{} is healthy: successfully committed proposal: took = {}\n", e.endpoint, e.took);
        } else {
          p.err += fmt::format("{} is unhealthy: failed to commit proposal: {}\n", e.endpoint, e.error);
        }
      }
      return p;
    case OutputFormat::kTable: {
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : h) rows.push_back({e.endpoint, e.health ? "true" : "false", e.took, e.error});
      p.out = RenderTable({"endpoint", "health", "took", "error"}, rows);
      return p;
    }
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginArray();
      for (const auto& e : h) {
        w.BeginObject().Key("endpoint").String(e.endpoint).Key("health").Bool(e.health);
        w.Key("took").String(e.took);
        if (!e.error.empty()) w.Key("error").String(e.error);
        w.EndObject();
      }
      w.EndArray();
      p.out = w.str() + "\n";
      return p;
    }
    case OutputFormat::kFields:
      for (const auto& e : h) {
        // etcdctl prints Took and Error unquoted (fmt.Println), Endpoint with %q.
        p.out += fmt::format("\"Endpoint\" : {}\n\"Health\" : {}\n\"Took\" : {}\n\"Error\" : {}\n\n",
                             GoQuote(e.endpoint), e.health, e.took, e.error);
      }
      return p;
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintDbStatus(const PrintOptions& o, const DbStatus& s) {
  switch (o.format) {
    case OutputFormat::kSimple:
      return fmt::format("{:x}, {}, {}, {}\n", s.hash, s.revision, s.total_key,
                         HumanizeBytes(static_cast<uint64_t>(s.total_size)));
    case OutputFormat::kTable:
      return RenderTable({"hash", "revision", "total keys", "total size"},
                         {{fmt::format("{:x}", s.hash), std::to_string(s.revision),
                           std::to_string(s.total_key), HumanizeBytes(static_cast<uint64_t>(s.total_size))}});
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject().Key("hash").Uint(s.hash).Key("revision").Int(s.revision);
      w.Key("totalKey").Int(s.total_key).Key("totalSize").Int(s.total_size).EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      return fmt::format("\"Hash\" : {}\n\"Revision\" : {}\n\"Keys\" : {}\n\"Size\" : {}\n", s.hash,
                         s.revision, s.total_key, s.total_size);
    default:
      return Fail(Unsupported(o.format));
  }
}

}  // namespace etcdrestore::cli
