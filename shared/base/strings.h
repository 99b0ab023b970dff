// shared/base/strings.h
//
// The one home of the string helpers the modules share: quoting (for messages, for Go's
// texts, for shells), joining, UTF-8 decoding and byte sizes for people.
#ifndef ETCDRESTORE_SHARED_BASE_STRINGS_H_
#define ETCDRESTORE_SHARED_BASE_STRINGS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace etcdrestore {

// The items with sep between them, as Go's strings.Join: {"a", "b"}, "," -> "a,b"; {} -> "".
std::string Join(const std::vector<std::string>& items, std::string_view sep);

// True if s begins with prefix / ends with suffix.
inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.starts_with(prefix);
}
inline bool EndsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

// "\"s\"", nothing escaped: how this project's own messages show a path or a name (it may
// contain spaces).
std::string Quote(std::string_view s);

// Go's strconv.Quote / fmt %q, byte for byte: \" \\ \a \b \f \n \r \t \v, other control
// bytes and invalid UTF-8 as \xhh, the non-printable runes Go escapes as \uhhhh; printable
// UTF-8 as it is. For texts that must match a Go tool's.
std::string GoQuote(std::string_view s);
// Go's %q of a []string: ["a" "b"] (each item GoQuote'd).
std::string GoQuoteList(const std::vector<std::string>& items);

// A POSIX shell word: s in single quotes, each ' written as '\'' ("it's" -> 'it'\''s').
std::string ShellQuote(std::string_view s);
// As ShellQuote, but a word of only letters, digits and /._-=:,+@% stays bare (commands
// shown to a person); "" is ''.
std::string ShellQuoteIfNeeded(std::string_view s);

// Decodes one UTF-8 sequence at s[i] (i < s.size()) into *rune; returns its length, or 0 if
// it is invalid (overlong, surrogate, beyond U+10FFFF, cut short), where Go's
// utf8.DecodeRuneInString yields RuneError of width 1.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* rune);

// Byte sizes for people, decimal (SI) units B kB MB GB ...:
//   HumanizeBytes: go-humanize's Bytes, as etcdctl prints them: "9 B", "20 kB", "1.5 MB"
//     (one decimal below 10 of a unit, none from 10 on);
//   HumanBytes: always one decimal from 1 kB on, up to TB: "999 B", "2.1 MB", "20.0 kB".
std::string HumanizeBytes(uint64_t n);
std::string HumanBytes(uint64_t n);

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_STRINGS_H_
