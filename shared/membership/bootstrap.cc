#include "shared/membership/bootstrap.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "shared/base/strings.h"

namespace etcdrestore::membership {
namespace {

bool IsIpLiteral(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// Replaces the host of a URL text (scheme://[userinfo@]host...) with resolved.
std::string WithHost(const std::string& text, const std::string& host, const std::string& resolved) {
  size_t at = text.find("//");
  if (at == std::string::npos) return text;
  size_t pos = text.find(host, at + 2);
  if (pos == std::string::npos) return text;
  return text.substr(0, pos) + resolved + text.substr(pos + host.size());
}

// netutil.resolveURL: returns the URL text with its host resolved, or unchanged.
Result<std::string> ResolveUrl(const std::string& text, const HostResolver& resolver) {
  ASSIGN_OR_RETURN(Url u, ParseUrl(text));
  if (u.scheme == "unix" || u.scheme == "unixs") return text;
  ASSIGN_OR_RETURN(auto host_port, SplitHostPort(u.host));
  if (host_port.first == "localhost" || IsIpLiteral(host_port.first)) return text;
  Result<std::string> resolved = resolver(u.host);
  if (!resolved) {
    return Fail(ErrorCode::kInvalidArgument,
                "failed to resolve \"" + text + "\" (" + resolved.error().message() + ")");
  }
  return WithHost(text, u.host, *resolved);
}

// netutil.URLStringsEqual; on false the error explains why (it may be a resolve error).
bool UrlStringsEqual(std::vector<std::string> a, std::vector<std::string> b, const HostResolver& resolver,
                     std::string* why) {
  if (a.size() != b.size()) {
    *why = "len(" + GoQuoteList(a) + ") != len(" + GoQuoteList(b) + ")";
    return false;
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a == b) return true;
  for (auto* list : {&a, &b}) {
    for (std::string& u : *list) {
      Result<std::string> r = ResolveUrl(u, resolver);
      if (!r) {
        *why = r.error().message();
        return false;
      }
      u = *r;
    }
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      *why = "resolved urls: \"" + a[i] + "\" != \"" + b[i] + "\"";
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::string> ResolveTcpAddr(std::string_view host_port) {
  ASSIGN_OR_RETURN(auto hp, SplitHostPort(host_port));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(hp.first.c_str(), hp.second.empty() ? "0" : hp.second.c_str(), &hints, &res);
  if (rc != 0) {
    std::string reason = rc == EAI_NONAME ? "no such host" : gai_strerror(rc);
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    return Fail(ErrorCode::kUnavailable, "lookup " + hp.first + ": " + reason);
  }
  char ip[INET6_ADDRSTRLEN] = {};
  std::string out;
  if (res->ai_family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(res->ai_addr);
    inet_ntop(AF_INET6, &sa->sin6_addr, ip, sizeof ip);
    out = "[" + std::string(ip) + "]:" + std::to_string(ntohs(sa->sin6_port));
  } else {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(res->ai_addr);
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
    out = std::string(ip) + ":" + std::to_string(ntohs(sa->sin_port));
  }
  freeaddrinfo(res);
  return out;
}

Status VerifyBootstrap(std::string_view name, const std::vector<std::string>& peer_urls,
                       const UrlsMap& cluster, const HostResolver& resolver) {
  auto it = cluster.find(std::string(name));
  if (it == cluster.end()) {
    return Fail(ErrorCode::kInvalidArgument,
                "couldn't find local name \"" + std::string(name) + "\" in the initial cluster configuration");
  }
  // advertiseMatchesCluster
  std::vector<std::string> urls = it->second;
  std::vector<std::string> apurls = peer_urls;
  std::sort(urls.begin(), urls.end());
  std::sort(apurls.begin(), apurls.end());
  std::string why;
  if (!UrlStringsEqual(apurls, urls, resolver, &why)) {
    const std::set<std::string> init_set(urls.begin(), urls.end());
    const std::set<std::string> ap_set(apurls.begin(), apurls.end());
    std::vector<std::string> missing;
    for (const std::string& u : init_set) {
      if (!ap_set.contains(u)) missing.push_back(std::string(name) + "=" + u);
    }
    if (!missing.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "--initial-cluster has " + Join(missing, ",") +
                                                   " but missing from --initial-advertise-peer-urls=" +
                                                   Join(apurls, ",") + " (" + why + ")");
    }
    UrlsMap own{{std::string(name), peer_urls}};
    for (const std::string& u : ap_set) {
      if (!init_set.contains(u)) missing.push_back(u);
    }
    if (!missing.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "--initial-advertise-peer-urls has " + Join(missing, ",") +
                                                   " but missing from --initial-cluster=" + UrlsMapString(own));
    }
    return Fail(ErrorCode::kInvalidArgument, "failed to resolve " + Join(apurls, ",") +
                                                 " to match --initial-cluster=" + UrlsMapString(own) + " (" +
                                                 why + ")");
  }
  std::set<std::string> seen;
  for (const auto& [n, us] : cluster) {
    for (const std::string& u : us) {
      if (!seen.insert(u).second) {
        return Fail(ErrorCode::kInvalidArgument, "initial cluster " + UrlsMapString(cluster) + " has duplicate url");
      }
    }
  }
  return {};
}

}  // namespace etcdrestore::membership
