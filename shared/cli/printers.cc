#include "shared/cli/printers.h"

#include <fmt/format.h>

#include "shared/base/strings.h"
#include "shared/cli/format.h"
#include "shared/etcdclient/go_json.h"
#include "shared/etcdclient/marshal.h"

namespace etcdrestore::cli {
namespace {

using etcdclient::KeyValue;
using etcdclient::ResponseHeader;

const char* FormatName(OutputFormat f) {
  switch (f) {
    case OutputFormat::kSimple: return "simple";
    case OutputFormat::kJson: return "json";
    case OutputFormat::kTable: return "table";
    case OutputFormat::kFields: return "fields";
    case OutputFormat::kProtobuf: return "protobuf";
  }
  return "this";
}

Error Unsupported(OutputFormat f) {
  return Error(ErrorCode::kUnsupported, fmt::format("{} not supported as output format", FormatName(f)));
}

// Renders WalkGoJson's events with JsonWriter.
class JsonWriterSink final : public etcdclient::JsonSink {
 public:
  explicit JsonWriterSink(JsonWriter& w) : w_(w) {}
  void BeginObject() override { w_.BeginObject(); }
  void EndObject() override { w_.EndObject(); }
  void BeginArray() override { w_.BeginArray(); }
  void EndArray() override { w_.EndArray(); }
  void Key(std::string_view k) override { w_.Key(k); }
  void String(std::string_view s) override { w_.String(s); }
  void Bytes(std::string_view b) override { w_.Bytes(b); }
  void Int(int64_t v) override { w_.Int(v); }
  void Uint(uint64_t v) override { w_.Uint(v); }
  void Bool(bool v) override { w_.Bool(v); }

 private:
  JsonWriter& w_;
};

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

// prefix: "" or "Prev" (put/del --prev-kv).
void FieldsKv(const KeyValue& kv, std::string* out, std::string_view prefix = "") {
  *out += fmt::format(
      "\"{0}Key\" : {1}\n\"{0}CreateRevision\" : {2}\n\"{0}ModRevision\" : {3}\n\"{0}Version\" : {4}\n"
      "\"{0}Value\" : {5}\n\"{0}Lease\" : {6}\n",
      prefix, GoQuote(kv.key), kv.create_revision, kv.mod_revision, kv.version, GoQuote(kv.value), kv.lease);
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
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      out = "OK\n";
      if (r.prev_kv) SimpleKv(o, *r.prev_kv, &out);
      return out;
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonHeader(w, r.header);
      if (r.prev_kv) JsonKv(w.Key("prev_kv"), *r.prev_kv);
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      if (r.prev_kv) FieldsKv(*r.prev_kv, &out, "Prev");
      return out;
    case OutputFormat::kProtobuf:
      return etcdclient::MarshalResponse(r);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintDel(const PrintOptions& o, const etcdclient::DeleteRangeResponse& r) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      out = fmt::format("{}\n", r.deleted);
      for (const auto& kv : r.prev_kvs) SimpleKv(o, kv, &out);
      return out;
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonHeader(w, r.header);
      if (r.deleted) w.Key("deleted").Int(r.deleted);
      if (!r.prev_kvs.empty()) {
        w.Key("prev_kvs").BeginArray();
        for (const auto& kv : r.prev_kvs) JsonKv(w, kv);
        w.EndArray();
      }
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      out += fmt::format("\"Deleted\" : {}\n", r.deleted);
      for (const auto& kv : r.prev_kvs) FieldsKv(kv, &out, "Prev");
      return out;
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
  const bool v = !s.version.empty();
  switch (o.format) {
    case OutputFormat::kSimple:
      return fmt::format("{:x}, {}, {}, {}{}\n", s.hash, s.revision, s.total_key,
                         HumanizeBytes(static_cast<uint64_t>(s.total_size)), v ? ", " + s.version : "");
    case OutputFormat::kTable: {
      std::vector<std::string> header{"hash", "revision", "total keys", "total size"};
      std::vector<std::string> row{fmt::format("{:x}", s.hash), std::to_string(s.revision),
                                   std::to_string(s.total_key), HumanizeBytes(static_cast<uint64_t>(s.total_size))};
      if (v) header.push_back("version"), row.push_back(s.version);
      return RenderTable(header, {row});
    }
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject().Key("hash").Uint(s.hash).Key("revision").Int(s.revision);
      w.Key("totalKey").Int(s.total_key).Key("totalSize").Int(s.total_size);
      if (v) w.Key("version").String(s.version);
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      return fmt::format("\"Hash\" : {}\n\"Revision\" : {}\n\"Keys\" : {}\n\"Size\" : {}\n{}", s.hash,
                         s.revision, s.total_key, s.total_size, v ? "\"Version\" : " + s.version + "\n" : "");
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintDbHashKV(const PrintOptions& o, const DbHashKV& h) {
  switch (o.format) {
    case OutputFormat::kSimple:
      return fmt::format("{}, {}, {}\n", h.hash, h.hash_revision, h.compact_revision);
    case OutputFormat::kTable:
      return RenderTable(
          {"hash", "hash revision", "compact revision"},
          {{std::to_string(h.hash), std::to_string(h.hash_revision), std::to_string(h.compact_revision)}});
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject().Key("hash").Uint(h.hash).Key("hashRevision").Int(h.hash_revision);
      w.Key("compactRevision").Int(h.compact_revision).EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      return fmt::format("\"Hash\" : {}\n\"Hash revision\" : {}\n\"Compact revision\" : {}\n", h.hash,
                         h.hash_revision, h.compact_revision);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> GoJson(const etcdclient::OpResponse& r) {
  JsonWriter w;
  JsonWriterSink sink(w);
  RETURN_IF_ERROR(etcdclient::WalkGoJson(r.type, r.wire, sink));
  return w.str() + "\n";
}

Result<std::string> PrintOp(const PrintOptions& o, const etcdclient::OpResponse& r, const std::string& simple,
                            bool fields_header) {
  switch (o.format) {
    case OutputFormat::kSimple:
      return simple;
    case OutputFormat::kFields: {
      if (!fields_header) return Fail(Unsupported(o.format));
      std::string out;
      FieldsHeader(r.header, &out);
      return out;
    }
    case OutputFormat::kJson:
      return GoJson(r);
    case OutputFormat::kProtobuf:
      return r.wire;
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintMemberAdd(const PrintOptions& o, const etcdclient::MemberAddResponse& r,
                                   const std::string& name, const std::string& peer_urls) {
  std::string simple = fmt::format("Member {:16x} added to cluster {:16x}\n", r.member.id, r.header.cluster_id);
  if (o.format == OutputFormat::kSimple) {
    std::vector<std::string> conf;
    for (const auto& m : r.members) {
      for (const auto& u : m.peer_urls) conf.push_back((m.id == r.member.id ? name : m.name) + "=" + u);
    }
    simple += "\nETCD_NAME=" + GoQuote(name) + "\nETCD_INITIAL_CLUSTER=" + GoQuote(Join(conf, ",")) +
              "\nETCD_INITIAL_ADVERTISE_PEER_URLS=" + GoQuote(peer_urls) +
              "\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n";
  }
  return PrintOp(o, r, simple);
}

Result<std::string> PrintMemberChange(const PrintOptions& o, const etcdclient::MembersResponse& r,
                                      uint64_t id, const std::string& verb) {
  return PrintOp(o, r, fmt::format("Member {:16x} {} cluster {:16x}\n", id, verb, r.header.cluster_id));
}

namespace {

// golang/protobuf's CompactTextString of a ResponseHeader: "name:value " per non-zero field.
std::string CompactHeader(const ResponseHeader& h) {
  std::string out;
  if (h.cluster_id) out += fmt::format("cluster_id:{} ", h.cluster_id);
  if (h.member_id) out += fmt::format("member_id:{} ", h.member_id);
  if (h.revision) out += fmt::format("revision:{} ", h.revision);
  if (h.raft_term) out += fmt::format("raft_term:{} ", h.raft_term);
  return out;
}

// clientv3's lease responses embed *pb.ResponseHeader: encoding/json inlines its fields.
void JsonInlineHeader(JsonWriter& w, const ResponseHeader& h) {
  if (h.cluster_id) w.Key("cluster_id").Uint(h.cluster_id);
  if (h.member_id) w.Key("member_id").Uint(h.member_id);
  if (h.revision) w.Key("revision").Int(h.revision);
  if (h.raft_term) w.Key("raft_term").Uint(h.raft_term);
}

// ... and `-w protobuf` marshals that embedded header alone.
std::string HeaderWire(const ResponseHeader& h) { return etcdclient::MarshalHeader(h); }

const char* AlarmName(int a) {
  switch (a) {
    case 0: return "NONE";
    case 1: return "NOSPACE";
    case 2: return "CORRUPT";
  }
  return "UNKNOWN";
}

const char* PermName(int t) {
  switch (t) {
    case 0: return "READ";
    case 1: return "WRITE";
    case 2: return "READWRITE";
  }
  return "UNKNOWN";
}

}  // namespace

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  for (size_t i = end.size(); i-- > 0;) {
    if (static_cast<unsigned char>(end[i]) < 0xff) {
      end[i] = static_cast<char>(static_cast<unsigned char>(end[i]) + 1);
      return end.substr(0, i + 1);
    }
  }
  return std::string(1, '\0');
}

Result<std::string> PrintEndpointHashKV(const PrintOptions& o, const std::vector<EndpointHashKV>& h) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      for (const auto& e : h) out += fmt::format("{}, {}\n", e.endpoint, e.hash.hash);
      return out;
    case OutputFormat::kTable: {
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : h) rows.push_back({e.endpoint, std::to_string(e.hash.hash)});
      return RenderTable({"endpoint", "hash"}, rows);
    }
    case OutputFormat::kJson: {
      JsonWriter w;
      JsonWriterSink sink(w);
      w.BeginArray();
      for (const auto& e : h) {
        w.BeginObject().Key("Endpoint").String(e.endpoint).Key("HashKV");
        RETURN_IF_ERROR(etcdclient::WalkGoJson(e.hash.type, e.hash.wire, sink));
        w.EndObject();
      }
      w.EndArray();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      for (const auto& e : h) {
        FieldsHeader(e.hash.header, &out);
        out += fmt::format("\"Endpoint\" : {}\n\"Hash\" : {}\n\n", GoQuote(e.endpoint), e.hash.hash);
      }
      return out;
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintAlarm(const PrintOptions& o, const etcdclient::AlarmResponse& r) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      // fmt's %+v of *pb.AlarmMember: its CompactTextString.
      for (const auto& a : r.alarms) {
        if (a.member_id) out += fmt::format("memberID:{} ", a.member_id);
        if (a.alarm) out += fmt::format("alarm:{} ", AlarmName(a.alarm));
        out += "\n";
      }
      return out;
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      for (const auto& a : r.alarms) {
        out += fmt::format("\"MemberID\" : {}\n\"AlarmType\" : {}\n\n", a.member_id, AlarmName(a.alarm));
      }
      return out;
    default:
      return PrintOp(o, r, "");
  }
}

Result<std::string> PrintMoveLeader(const PrintOptions& o, const etcdclient::OpResponse& r, uint64_t leader,
                                    uint64_t target) {
  return PrintOp(o, r, fmt::format("Leadership transferred from {:x} to {:x}\n", leader, target));
}

Result<std::string> PrintLeaseGrant(const PrintOptions& o, const etcdclient::LeaseGrantResponse& r) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      return fmt::format("lease {:016x} granted with TTL({}s)\n", r.id, r.ttl);
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonInlineHeader(w, r.header);
      w.Key("ID").Int(r.id).Key("TTL").Int(r.ttl).Key("Error").String(r.error).EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      return out + fmt::format("\"ID\" : {}\n\"TTL\" : {}\n", r.id, r.ttl);
    case OutputFormat::kProtobuf:
      return HeaderWire(r.header);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintLeaseRevoke(const PrintOptions& o, const etcdclient::OpResponse& r, int64_t id) {
  if (o.format == OutputFormat::kProtobuf) {
    return Fail(ErrorCode::kUnsupported, "marshal unsupported for type clientv3.LeaseRevokeResponse ({" +
                                             CompactHeader(r.header) + "})");
  }
  return PrintOp(o, r, fmt::format("lease {:016x} revoked\n", id), /*fields_header=*/true);
}

Result<std::string> PrintLeaseKeepAlive(const PrintOptions& o, const etcdclient::LeaseKeepAliveResponse& r) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      return fmt::format("lease {:016x} keepalived with TTL({})\n", r.id, r.ttl);
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonInlineHeader(w, r.header);
      w.Key("ID").Int(r.id).Key("TTL").Int(r.ttl).EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      return out + fmt::format("\"ID\" : {}\n\"TTL\" : {}\n", r.id, r.ttl);
    case OutputFormat::kProtobuf:
      return HeaderWire(r.header);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintLeaseTimeToLive(const PrintOptions& o, const etcdclient::LeaseTimeToLiveResponse& r,
                                         bool keys) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      if (r.granted_ttl == 0 && r.ttl == -1) return fmt::format("lease {:016x} already expired\n", r.id);
      out = fmt::format("lease {:016x} granted with TTL({}s), remaining({}s)", r.id, r.granted_ttl, r.ttl);
      if (keys) out += ", attached keys([" + Join(r.keys, " ") + "])";
      return out + "\n";
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonInlineHeader(w, r.header);
      w.Key("id").Int(r.id).Key("ttl").Int(r.ttl).Key("granted-ttl").Int(r.granted_ttl).Key("keys");
      if (r.keys.empty()) {
        w.Null();
      } else {
        w.BeginArray();
        for (const auto& k : r.keys) w.Bytes(k);
        w.EndArray();
      }
      w.EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      out += fmt::format("\"ID\" : {}\n\"TTL\" : {}\n\"GrantedTTL\" : {}\n", r.id, r.ttl, r.granted_ttl);
      for (const auto& k : r.keys) out += "\"Key\" : " + GoQuote(k) + "\n";
      return out;
    case OutputFormat::kProtobuf:
      return HeaderWire(r.header);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintLeaseLeases(const PrintOptions& o, const etcdclient::LeaseLeasesResponse& r) {
  std::string out;
  switch (o.format) {
    case OutputFormat::kSimple:
      out = fmt::format("found {} leases\n", r.ids.size());
      for (int64_t id : r.ids) out += fmt::format("{:016x}\n", id);
      return out;
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject();
      JsonInlineHeader(w, r.header);
      w.Key("leases").BeginArray();
      for (int64_t id : r.ids) w.BeginObject().Key("id").Int(id).EndObject();
      w.EndArray().EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      for (int64_t id : r.ids) out += fmt::format("\"ID\" : {}\n", id);
      return out;
    case OutputFormat::kProtobuf:
      return HeaderWire(r.header);
    default:
      return Fail(Unsupported(o.format));
  }
}

Result<std::string> PrintUserGet(const PrintOptions& o, const etcdclient::NamesResponse& r, const std::string& user) {
  std::string simple = "User: " + user + "\nRoles:";
  for (const auto& role : r.names) simple += " " + role;
  return PrintOp(o, r, simple + "\n");
}

Result<std::string> PrintUserList(const PrintOptions& o, const etcdclient::NamesResponse& r) {
  std::string simple;
  for (const auto& u : r.names) simple += u + "\n";
  return PrintOp(o, r, simple);
}

Result<std::string> PrintRoleGet(const PrintOptions& o, const etcdclient::AuthRoleGetResponse& r,
                                 const std::string& role) {
  std::string out;
  if (o.format == OutputFormat::kFields) {
    FieldsHeader(r.header, &out);
    for (const auto& p : r.perms) {
      out += fmt::format("\"PermType\" :  {}\n\"Key\" : {}\n\"RangeEnd\" : {}\n", PermName(p.type), GoQuote(p.key),
                         GoQuote(p.range_end));
    }
    return out;
  }
  // printer_simple.go RoleGet.
  auto perm_line = [](const etcdclient::Permission& p) {
    if (p.range_end.empty()) return "\t" + p.key + "\n";
    std::string line = p.range_end != std::string(1, '\0') ? "\t[" + p.key + ", " + p.range_end + ")"
                                                           : "\t[" + p.key + ", <open ended>";
    if (PrefixRangeEnd(p.key) == p.range_end) line += " (prefix " + p.key + ")";
    return line + "\n";
  };
  std::string simple = "Role " + role + "\nKV Read:\n";
  for (const auto& p : r.perms) {
    if (p.type == 0 || p.type == 2) simple += perm_line(p);
  }
  simple += "KV Write:\n";
  for (const auto& p : r.perms) {
    if (p.type == 1 || p.type == 2) simple += perm_line(p);
  }
  return PrintOp(o, r, simple);
}

Result<std::string> PrintRoleList(const PrintOptions& o, const etcdclient::NamesResponse& r) {
  std::string out;
  if (o.format == OutputFormat::kFields) {
    FieldsHeader(r.header, &out);
    out += "\"Roles\" :";
    for (const auto& role : r.names) out += " " + GoQuote(role);
    return out + "\n";
  }
  for (const auto& role : r.names) out += role + "\n";
  return PrintOp(o, r, out);
}

Result<std::string> PrintRoleRevokePermission(const PrintOptions& o, const etcdclient::OpResponse& r,
                                              const std::string& role, const std::string& key,
                                              const std::string& range_end) {
  std::string simple;
  if (range_end.empty()) {
    simple = "Permission of key " + key + " is revoked from role " + role + "\n";
  } else if (range_end != std::string(1, '\0')) {
    simple = "Permission of range [" + key + ", " + range_end + ") is revoked from role " + role + "\n";
  } else {
    simple = "Permission of range [" + key + ", <open ended> is revoked from role " + role + "\n";
  }
  return PrintOp(o, r, simple, /*fields_header=*/true);
}

Result<std::string> PrintTxn(const PrintOptions& o, const etcdclient::TxnResponse& r) {
  if (o.format != OutputFormat::kSimple && o.format != OutputFormat::kFields) return PrintOp(o, r, "");
  std::string out;
  PrintOptions sub = o;
  sub.value_only = false;
  if (o.format == OutputFormat::kSimple) {
    out = r.succeeded ? "SUCCESS\n" : "FAILURE\n";
  } else {
    FieldsHeader(r.header, &out);
    out += fmt::format("\"Succeeded\" : {}\n", r.succeeded);
  }
  for (const auto& resp : r.responses) {
    if (o.format == OutputFormat::kSimple) out += "\n";
    Result<std::string> part = resp.kind == etcdclient::TxnOp::Kind::kRange ? PrintGet(sub, resp.range)
                               : resp.kind == etcdclient::TxnOp::Kind::kPut ? PrintPut(sub, resp.put)
                                                                            : PrintDel(sub, resp.del);
    if (!part) return Fail(std::move(part).error());
    out += *part;
  }
  return out;
}

Result<std::string> PrintWatch(const PrintOptions& o, const etcdclient::WatchResponse& r) {
  std::string out;
  const auto type_name = [](int t) { return t == 1 ? "DELETE" : "PUT"; };
  switch (o.format) {
    case OutputFormat::kSimple:
      for (const auto& e : r.events) {
        out += std::string(type_name(e.type)) + "\n";
        if (e.prev_kv) SimpleKv(o, *e.prev_kv, &out);
        SimpleKv(o, e.kv, &out);
      }
      return out;
    case OutputFormat::kJson: {
      JsonWriter w;
      w.BeginObject().Key("Header").BeginObject();
      JsonInlineHeader(w, r.header);
      w.EndObject().Key("Events").BeginArray();  // clientv3 makes the slice: [] when empty
      for (const auto& e : r.events) {
        w.BeginObject();
        if (e.type) w.Key("type").Int(e.type);
        JsonKv(w.Key("kv"), e.kv);
        if (e.prev_kv) JsonKv(w.Key("prev_kv"), *e.prev_kv);
        w.EndObject();
      }
      w.EndArray();
      w.Key("CompactRevision").Int(r.compact_revision).Key("Canceled").Bool(r.canceled);
      w.Key("Created").Bool(r.created).EndObject();
      return w.str() + "\n";
    }
    case OutputFormat::kFields:
      FieldsHeader(r.header, &out);
      for (const auto& e : r.events) {
        out += std::string("\"Type\" : ") + type_name(e.type) + "\n";
        if (e.prev_kv) FieldsKv(*e.prev_kv, &out, "Prev");
        FieldsKv(e.kv, &out);
      }
      return out;
    case OutputFormat::kProtobuf:
      return r.wire;
    default:
      return Fail(Unsupported(o.format));
  }
}

}  // namespace etcdrestore::cli
