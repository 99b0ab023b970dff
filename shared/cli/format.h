// shared/cli/format.h
//
// Byte-exact re-implementations of the Go formatting etcdctl 3.4's output depends on:
// encoding/json (field order is the caller's; strings and []byte encoded as Go does), and
// olekukonko/tablewriter's ASCII tables as etcdctl configures them (header upper-cased and
// centred, cells right-aligned). go-humanize's sizes and Go's %q are shared/base/strings.h's
// HumanizeBytes and GoQuote.
#ifndef ETCDRESTORE_SHARED_CLI_FORMAT_H_
#define ETCDRESTORE_SHARED_CLI_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/strings.h"

namespace etcdrestore::cli {

// Standard base64 with padding (Go's []byte in JSON).
std::string Base64(std::string_view data);

// etcdctl's --hex rendering: every byte as "\xhh".
std::string HexWithPrefix(std::string_view data);

// Builds JSON as Go's encoding/json writes it: no spaces; strings escape ", \, control
// characters (\n \r \t, others \u00XX), <, >, & (\u003c ...), U+2028/U+2029 and invalid
// UTF-8 (\ufffd). Commas are inserted automatically.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view s);
  JsonWriter& Bytes(std::string_view b);  // base64
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Go encoding/json's string encoding (with quotes).
std::string JsonString(std::string_view s);

// An ASCII table like etcdctl 3.4's (tablewriter, ALIGN_RIGHT):
//   +----------+----------+
//   |   HASH   | REVISION |
//   +----------+----------+
//   | 11de1f8b |       11 |
//   +----------+----------+
// Headers are upper-cased ('_' -> ' '); cells wider than 30 columns wrap at spaces.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace etcdrestore::cli

#endif  // ETCDRESTORE_SHARED_CLI_FORMAT_H_
