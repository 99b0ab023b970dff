// shared/membership/go_json.h
//
// The few pieces of Go's encoding/json output that etcd writes to disk (member JSON in
// WAL entries, the v2 store JSON in .snap files). Output must be byte-identical to
// json.Marshal, so this is a tiny writer rather than a general JSON library
// (nlohmann/json does not HTML-escape and uses other escapes).
#ifndef ETCDRESTORE_SHARED_MEMBERSHIP_GO_JSON_H_
#define ETCDRESTORE_SHARED_MEMBERSHIP_GO_JSON_H_

#include <span>
#include <string>
#include <string_view>

namespace etcdrestore::membership {

// Go 1.22 changed how encoding/json escapes backspace and form feed. Which one a file
// shows depends on the Go that built the etcd binary: Debian's etcdctl 3.4.23 (Go
// 1.19) writes \u0008 \u000c, etcdutl 3.5.16 (Go 1.24) and 3.5.30 (Go 1.26) write \b \f
// (observed with a member named "x\b").
enum class GoJsonEscaping { kGo119, kGo122 };

// Appends s as a JSON string literal exactly like Go's json.Marshal (escapeHTML on):
//   '"' and '\\' backslash-escaped; \n \r \t short forms (and \b \f for kGo122);
//   other bytes < 0x20 as \u00xx (lower-case hex); '<' '>' '&' as \u003c \u003e \u0026;
//   U+2028/U+2029 as \u2028/\u2029; each byte of invalid UTF-8 as \ufffd.
void AppendGoJsonString(std::string_view s, GoJsonEscaping esc, std::string* out);
std::string GoJsonString(std::string_view s, GoJsonEscaping esc);

// ["a","b"] with Go escaping; an empty list is [] (etcd never writes null here).
void AppendGoJsonStringArray(std::span<const std::string> items, GoJsonEscaping esc, std::string* out);

}  // namespace etcdrestore::membership

#endif  // ETCDRESTORE_SHARED_MEMBERSHIP_GO_JSON_H_
