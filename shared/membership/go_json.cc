#include "shared/membership/go_json.h"

#include <cstdint>

namespace etcdrestore::membership {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU(uint32_t code, std::string* out) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(code >> shift) & 0xF]);
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is invalid (Go's
// utf8.DecodeRuneInString rules: no overlongs, no surrogates, max U+10FFFF).
size_t ValidUtf8Length(std::string_view s, size_t i, uint32_t* rune) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  size_t n;
  uint32_t r;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    r = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    r = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    r = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    r = (r << 6) | (b & 0x3F);
  }
  *rune = r;
  return n;
}

}  // namespace

void AppendGoJsonString(std::string_view s, GoJsonEscaping esc, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b':
        case '\f':
          if (esc == GoJsonEscaping::kGo122) {
            out->append(c == '\b' ? "\\b" : "\\f");
          } else {
            AppendU(c, out);
          }
          break;
        case '<':
        case '>':
        case '&': AppendU(c, out); break;
        default:
          if (c < 0x20) {
            AppendU(c, out);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    const size_t n = ValidUtf8Length(s, i, &rune);
    if (n == 0) {
      out->append("\\ufffd");
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      AppendU(rune, out);
      i += n;
    } else {
      out->append(s.substr(i, n));
      i += n;
    }
  }
  out->push_back('"');
}

std::string GoJsonString(std::string_view s, GoJsonEscaping esc) {
  std::string out;
  AppendGoJsonString(s, esc, &out);
  return out;
}

void AppendGoJsonStringArray(std::span<const std::string> items, GoJsonEscaping esc, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->push_back(',');
    AppendGoJsonString(items[i], esc, out);
  }
  out->push_back(']');
}

}  // namespace etcdrestore::membership
