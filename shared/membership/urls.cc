#include "shared/membership/urls.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "shared/base/strings.h"

namespace etcdrestore::membership {
namespace {

Error UrlError(std::string_view raw, std::string_view reason) {
  return Error(ErrorCode::kInvalidArgument, "parse " + GoQuote(raw) + ": " + std::string(reason));
}

std::string_view TrimSpace(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool ValidOptionalPort(std::string_view port) {  // ":digits" or ""
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  return std::all_of(port.begin() + 1, port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<Url> ParseUrl(std::string_view raw) {
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Fail(UrlError(raw, "net/url: invalid control character in URL"));
  }
  Url url;
  std::string_view rest = raw;
  std::string suffix;  // ?query and #fragment, kept verbatim in String()
  if (size_t h = rest.find('#'); h != std::string_view::npos) {
    suffix = std::string(rest.substr(h));
    rest = rest.substr(0, h);
  }
  // getScheme
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (std::isalpha(static_cast<unsigned char>(c))) continue;
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return Fail(UrlError(raw, "missing protocol scheme"));
      url.scheme = std::string(rest.substr(0, i));
      std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      rest = rest.substr(i + 1);
    }
    break;
  }
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    suffix.insert(0, rest.substr(q));
    rest = rest.substr(0, q);
  }
  const std::string scheme_prefix = url.scheme.empty() ? "" : url.scheme + ":";
  if (!rest.starts_with('/')) {
    if (!url.scheme.empty()) {  // opaque URL such as "localhost:2380" (scheme "localhost")
      url.text = scheme_prefix + std::string(rest) + suffix;
      return url;
    }
    if (size_t colon = rest.find(':'); colon != std::string_view::npos &&
                                       (rest.find('/') == std::string_view::npos || colon < rest.find('/'))) {
      return Fail(UrlError(raw, "first path segment in URL cannot contain colon"));
    }
  }
  std::string authority_text;
  if ((!url.scheme.empty() || !rest.starts_with("///")) && rest.starts_with("//")) {
    std::string_view authority = rest.substr(2);
    rest = {};
    if (size_t slash = authority.find('/'); slash != std::string_view::npos) {
      rest = authority.substr(slash);
      authority = authority.substr(0, slash);
    }
    authority_text = std::string(authority);
    std::string_view host = authority;
    if (size_t at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
    if (host.starts_with('[')) {
      size_t close = host.find(']');
      if (close == std::string_view::npos) return Fail(UrlError(raw, "missing ']' in host"));
      std::string_view port = host.substr(close + 1);
      if (!ValidOptionalPort(port)) {
        return Fail(UrlError(raw, "invalid port " + GoQuote(port) + " after host"));
      }
    } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
      std::string_view port = host.substr(colon);
      if (!ValidOptionalPort(port)) {
        return Fail(UrlError(raw, "invalid port " + GoQuote(port) + " after host"));
      }
    }
    url.host = std::string(host);
    url.path = std::string(rest);
    url.text = scheme_prefix + "//" + authority_text + url.path + suffix;
    return url;
  }
  url.path = std::string(rest);
  url.text = scheme_prefix + url.path + suffix;
  return url;
}

Result<std::pair<std::string, std::string>> SplitHostPort(std::string_view hostport) {
  const auto fail = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument, "address " + std::string(hostport) + ": " + std::string(why));
  };
  size_t colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return fail("missing port in address");
  std::string_view host;
  if (hostport.starts_with('[')) {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return fail("missing ']' in address");
    if (close + 1 == hostport.size()) return fail("missing port in address");
    if (close + 1 != colon)
      return fail(hostport[close + 1] == ':' ? "too many colons in address" : "missing port in address");
    host = hostport.substr(1, close - 1);
    if (host.find_first_of("[]") != std::string_view::npos) return fail("unexpected '[' in address");
  } else {
    host = hostport.substr(0, colon);
    if (host.find(':') != std::string_view::npos) return fail("too many colons in address");
    if (host.find('[') != std::string_view::npos) return fail("unexpected '[' in address");
    if (host.find(']') != std::string_view::npos) return fail("unexpected ']' in address");
  }
  std::string_view port = hostport.substr(colon + 1);
  if (port.find_first_of("[]") != std::string_view::npos) return fail("unexpected ']' in address");
  return std::pair<std::string, std::string>(std::string(host), std::string(port));
}

Result<std::vector<std::string>> NewUrls(const std::vector<std::string>& items) {
  if (items.empty()) return Fail(ErrorCode::kInvalidArgument, "no valid URLs given");
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const std::string& item : items) {
    const std::string in(TrimSpace(item));
    ASSIGN_OR_RETURN(Url u, ParseUrl(in));
    if (u.scheme != "http" && u.scheme != "https" && u.scheme != "unix" && u.scheme != "unixs") {
      return Fail(ErrorCode::kInvalidArgument, "URL scheme must be http, https, unix, or unixs: " + in);
    }
    if (!SplitHostPort(u.host)) {
      return Fail(ErrorCode::kInvalidArgument, "URL address does not have the form \"host:port\": " + in);
    }
    if (!u.path.empty()) return Fail(ErrorCode::kInvalidArgument, "URL must not contain a path: " + in);
    out.push_back(std::move(u.text));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> ParsePeerUrls(std::string_view flag) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    size_t comma = flag.find(',', start);
    items.emplace_back(flag.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return NewUrls(items);
}

Result<UrlsMap> NewUrlsMap(std::string_view flag) {
  std::map<std::string, std::vector<std::string>> raw;
  std::string_view s = flag;
  while (!s.empty()) {
    std::string_view key = s;
    if (size_t comma = key.find(','); comma != std::string_view::npos) {
      key = s.substr(0, comma);
      s = s.substr(comma + 1);
    } else {
      s = {};
    }
    if (key.empty()) continue;
    std::string_view value;
    if (size_t eq = key.find('='); eq != std::string_view::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    }
    raw[std::string(key)].emplace_back(value);
  }
  UrlsMap out;
  for (auto& [name, urls] : raw) {
    ASSIGN_OR_RETURN(out[name], NewUrls(urls));
  }
  return out;
}

std::string UrlsMapString(const UrlsMap& m) {
  std::vector<std::string> pairs;
  for (const auto& [name, urls] : m) {
    for (const std::string& u : urls) pairs.push_back(name + "=" + u);
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) out.push_back(',');
    out += pairs[i];
  }
  return out;
}

}  // namespace etcdrestore::membership
