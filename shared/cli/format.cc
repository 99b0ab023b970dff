#include "shared/cli/format.h"

#include "shared/base/strings.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace etcdrestore::cli {
namespace {

// Display width in terminal columns, as tablewriter measures (one per rune here).
size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    size_t n = DecodeUtf8(s, i, &r);
    i += n == 0 ? 1 : n;
    ++w;
  }
  return w;
}

std::vector<std::string> WrapCell(const std::string& cell) {
  constexpr size_t kMaxWidth = 30;  // tablewriter's MAX_ROW_WIDTH
  if (DisplayWidth(cell) <= kMaxWidth) return {cell};
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= cell.size()) {
    size_t sp = cell.find(' ', start);
    if (sp == std::string::npos) sp = cell.size();
    if (sp > start) words.push_back(cell.substr(start, sp - start));
    start = sp + 1;
  }
  size_t limit = kMaxWidth;
  for (const auto& w : words) limit = std::max(limit, DisplayWidth(w));
  std::vector<std::string> lines;
  std::string line;
  for (const auto& w : words) {
    if (!line.empty() && DisplayWidth(line) + 1 + DisplayWidth(w) > limit) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

std::string Base64(std::string_view data) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = uint8_t(data[i]) << 16;
    if (rest == 2) v |= uint8_t(data[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string HexWithPrefix(std::string_view data) {
  std::string out;
  for (char c : data) out += fmt::format("\\x{:02x}", static_cast<uint8_t>(c));
  return out;
}

std::string JsonString(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
      continue;
    }
    uint32_t r;
    size_t n = DecodeUtf8(s, i, &r);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (r == 0x2028 || r == 0x2029) {
      out += r == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out + "\"";
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::Key(std::string_view k) {
  BeforeValue();
  out_ += JsonString(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::String(std::string_view s) {
  BeforeValue();
  out_ += JsonString(s);
  return *this;
}
JsonWriter& JsonWriter::Bytes(std::string_view b) {
  BeforeValue();
  out_ += '"' + Base64(b) + '"';
  return *this;
}
JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  const size_t cols = header.size();
  std::vector<std::string> titles;
  std::vector<size_t> width(cols, 0);
  for (size_t c = 0; c < cols; ++c) {
    std::string t = header[c];
    for (char& ch : t) ch = ch == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    width[c] = DisplayWidth(t);
    titles.push_back(std::move(t));
  }
  std::vector<std::vector<std::vector<std::string>>> cells;  // row -> col -> lines
  for (const auto& row : rows) {
    std::vector<std::vector<std::string>> r;
    for (size_t c = 0; c < cols; ++c) {
      auto lines = WrapCell(c < row.size() ? row[c] : "");
      for (const auto& l : lines) width[c] = std::max(width[c], DisplayWidth(l));
      r.push_back(std::move(lines));
    }
    cells.push_back(std::move(r));
  }
  std::string border = "+";
  for (size_t c = 0; c < cols; ++c) border += std::string(width[c] + 2, '-') + "+";
  border += "\n";

  std::string out = border + "|";
  for (size_t c = 0; c < cols; ++c) {
    size_t gap = width[c] - DisplayWidth(titles[c]);
    size_t left = gap / 2;
    out += " " + std::string(left, ' ') + titles[c] + std::string(gap - left, ' ') + " |";
  }
  out += "\n" + border;
  for (const auto& r : cells) {
    size_t height = 1;
    for (const auto& lines : r) height = std::max(height, lines.size());
    for (size_t h = 0; h < height; ++h) {
      out += "|";
      for (size_t c = 0; c < cols; ++c) {
        std::string cell = h < r[c].size() ? r[c][h] : "";
        out += " " + std::string(width[c] - DisplayWidth(cell), ' ') + cell + " |";
      }
      out += "\n";
    }
  }
  out += border;
  return out;
}

}  // namespace etcdrestore::cli
