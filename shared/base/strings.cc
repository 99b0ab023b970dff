#include "shared/base/strings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <cmath>

namespace etcdrestore {
namespace {

constexpr const char* kSiUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};

}  // namespace

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  return fmt::format("{}", fmt::join(items, sep));
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  uint8_t c = b(0);
  if (c < 0x80) {
    *rune = c;
    return 1;
  }
  size_t n;
  uint32_t r;
  if ((c & 0xE0) == 0xC0)
    n = 2, r = c & 0x1F;
  else if ((c & 0xF0) == 0xE0)
    n = 3, r = c & 0x0F;
  else if ((c & 0xF8) == 0xF0)
    n = 4, r = c & 0x07;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b(k) & 0x3F);
  }
  // Overlong encodings, surrogates and out-of-range runes are invalid in Go too.
  if ((n == 2 && r < 0x80) || (n == 3 && r < 0x800) || (n == 4 && r < 0x10000) || r > 0x10FFFF ||
      (r >= 0xD800 && r <= 0xDFFF)) {
    return 0;
  }
  *rune = r;
  return n;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    size_t n = DecodeUtf8(s, i, &r);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", static_cast<uint8_t>(s[i]));
      ++i;
      continue;
    }
    if (n > 1) {
      // Non-ASCII: printable runes stay as they are (Go's unicode.IsPrint); the few
      // non-printable ones we know of are escaped.
      if (r == 0x00A0 || r == 0x00AD || r == 0x2028 || r == 0x2029 || r == 0xFEFF ||
          (r >= 0x80 && r < 0xA0)) {
        out += r < 0x10000 ? fmt::format("\\u{:04x}", r) : fmt::format("\\U{:08x}", r);
      } else {
        out.append(s.substr(i, n));
      }
      i += n;
      continue;
    }
    char c = s[i++];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<uint8_t>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string GoQuoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + GoQuote(items[i]);
  return out + "]";
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ShellQuoteIfNeeded(std::string_view s) {
  bool plain = !s.empty();
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("/._-=:,+@%").find(c) != std::string_view::npos)) {
      plain = false;
    }
  }
  return plain ? std::string(s) : ShellQuote(s);
}

std::string HumanizeBytes(uint64_t n) {
  if (n < 10) return fmt::format("{} B", n);
  double e = std::floor(std::log(static_cast<double>(n)) / std::log(1000.0));
  double val = std::floor(static_cast<double>(n) / std::pow(1000.0, e) * 10 + 0.5) / 10;
  const char* suffix = kSiUnits[static_cast<int>(e)];
  if (val < 10) return fmt::format("{:.1f} {}", val, suffix);
  return fmt::format("{:.0f} {}", val, suffix);
}

std::string HumanBytes(uint64_t n) {
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", n);
  return fmt::format("{:.1f} {}", v, kSiUnits[u]);
}

}  // namespace etcdrestore
