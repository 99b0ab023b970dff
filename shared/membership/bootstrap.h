// shared/membership/bootstrap.h
//
// etcd's ServerConfig.VerifyBootstrap as run by `snapshot restore` (3.4.23 and 3.5
// agree), with etcd's error texts:
//   couldn't find local name "foo" in the initial cluster configuration
//   --initial-cluster has default=http://localhost:2380 but missing from
//     --initial-advertise-peer-urls=http://127.0.0.1:2380 (resolved urls:
//     "http://127.0.0.1:2380" != "http://localhost:2380")
//   --initial-advertise-peer-urls has <u> but missing from --initial-cluster=<n>=<u>
//   failed to resolve <urls> to match --initial-cluster=<n>=<u> (<reason>)
//   initial cluster a=...,b=... has duplicate url
// Advertise URLs and the member's URLs are compared like netutil.URLStringsEqual:
// first as strings; if they differ, hostnames other than "localhost" and IP literals
// are resolved (first address getaddrinfo returns, "ip:port") and compared again.
// Differences from etcd: one resolution attempt instead of retrying for 30 s; lists
// built from Go map iteration are sorted here (Go's order is random).
#ifndef ETCDRESTORE_SHARED_MEMBERSHIP_BOOTSTRAP_H_
#define ETCDRESTORE_SHARED_MEMBERSHIP_BOOTSTRAP_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"
#include "shared/membership/urls.h"

namespace etcdrestore::membership {

// Resolves "host:port" to "ip:port" ("[v6]:port"), or fails with Go-like text
// ("lookup <host>: no such host").
using HostResolver = std::function<Result<std::string>(std::string_view host_port)>;

// The system resolver (getaddrinfo, AF_UNSPEC, first result).
Result<std::string> ResolveTcpAddr(std::string_view host_port);

// peer_urls: parsed --initial-advertise-peer-urls (sorted). cluster: parsed
// --initial-cluster. resolver is only called when the strings differ.
Status VerifyBootstrap(std::string_view name, const std::vector<std::string>& peer_urls,
                       const UrlsMap& cluster, const HostResolver& resolver = ResolveTcpAddr);

}  // namespace etcdrestore::membership

#endif  // ETCDRESTORE_SHARED_MEMBERSHIP_BOOTSTRAP_H_
