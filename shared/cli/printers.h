// shared/cli/printers.h
//
// etcdctl 3.4.23's output for the commands etcdctl-ext implements, byte for byte, in the
// formats simple, json, table and fields (etcdctl ctlv3/command/printer_*.go). Each function
// returns the bytes for stdout, except EndpointHealth whose simple form goes to stderr.
// A format etcdctl does not support for a command gives kUnsupported with etcdctl's text
// ("table not supported as output format"), exit 4.
#ifndef ETCDRESTORE_SHARED_CLI_PRINTERS_H_
#define ETCDRESTORE_SHARED_CLI_PRINTERS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/etcdclient/client.h"

namespace etcdrestore::cli {

enum class OutputFormat { kSimple, kJson, kTable, kFields, kProtobuf };

// "simple", "json", "table", "fields", "protobuf"; anything else is kUnsupported
// "unsupported output format".
Result<OutputFormat> ParseOutputFormat(std::string_view s);

struct PrintOptions {
  OutputFormat format = OutputFormat::kSimple;
  bool hex = false;         // --hex: keys/values as \xhh in simple output
  bool value_only = false;  // get --print-value-only
};

Result<std::string> PrintGet(const PrintOptions& o, const etcdclient::RangeResponse& r);
Result<std::string> PrintPut(const PrintOptions& o, const etcdclient::PutResponse& r);
Result<std::string> PrintDel(const PrintOptions& o, const etcdclient::DeleteRangeResponse& r);
Result<std::string> PrintMemberList(const PrintOptions& o, const etcdclient::MemberListResponse& r);

struct EndpointStatus {
  std::string endpoint;
  etcdclient::StatusResponse status;
};
Result<std::string> PrintEndpointStatus(const PrintOptions& o, const std::vector<EndpointStatus>& s);

struct EndpointHealth {
  std::string endpoint;
  bool health = false;
  std::string took;   // Go duration text
  std::string error;  // empty when healthy
};
struct Printed {
  std::string out;
  std::string err;
};
Result<Printed> PrintEndpointHealth(const PrintOptions& o, const std::vector<EndpointHealth>& h);

// `snapshot status` (etcdctl's snapshot.Status).
struct DbStatus {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_key = 0;
  int64_t total_size = 0;
};
Result<std::string> PrintDbStatus(const PrintOptions& o, const DbStatus& s);

}  // namespace etcdrestore::cli

#endif  // ETCDRESTORE_SHARED_CLI_PRINTERS_H_
