// shared/membership/urls.h
//
// Peer URL parsing and validation as etcd's pkg/types (NewURLs, NewURLsMap) does it,
// with the same error texts, because etcdctl-ext must fail like etcdctl 3.4:
//   URL scheme must be http, https, unix, or unixs: <u>
//   URL address does not have the form "host:port": <u>
//   URL must not contain a path: <u>
// URLs are kept as strings in the form Go's url.URL.String() gives for them (scheme
// lower-cased, the rest as written) and sorted bytewise, like types.URLs.Sort.
// Not reproduced: Go's re-escaping of unusual characters in String() (only matters
// for URLs with percent-escapes or non-ASCII hosts, which etcd peers do not use).
#ifndef ETCDRESTORE_SHARED_MEMBERSHIP_URLS_H_
#define ETCDRESTORE_SHARED_MEMBERSHIP_URLS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/error.h"

namespace etcdrestore::membership {

// The parts of a parsed URL that etcd looks at.
struct Url {
  std::string scheme;  // lower-cased
  std::string host;    // "host:port" (userinfo removed); empty for opaque URLs
  std::string path;    // must be empty for etcd
  std::string text;    // the URL.String() form
};

// Parses one URL like Go's url.Parse (subset: scheme, opaque, //authority, path,
// ?query, #fragment; rejects control characters and bad ports the way Go does).
// Errors read like Go's: parse "<u>": <reason>.
Result<Url> ParseUrl(std::string_view raw);

// net.SplitHostPort: "host:port", "[v6]:port". Errors like Go's ("missing port in
// address", "too many colons in address", ...), prefixed "address <a>: ".
Result<std::pair<std::string, std::string>> SplitHostPort(std::string_view hostport);

// types.NewURLs: trims each item, validates it, returns the String() forms sorted.
// An empty list is an error ("no valid URLs given").
Result<std::vector<std::string>> NewUrls(const std::vector<std::string>& items);

// The --initial-advertise-peer-urls flag: split on ',' (empty items are kept and then
// rejected, as etcdctl does), then NewUrls.
Result<std::vector<std::string>> ParsePeerUrls(std::string_view flag);

// name -> sorted URLs. std::map keeps names sorted, which makes every message that Go
// builds from map iteration deterministic (Go's order is random).
using UrlsMap = std::map<std::string, std::vector<std::string>>;

// types.NewURLsMap for --initial-cluster: split on ',', skip empty items, split each at
// the first '=' (no '=' means an empty URL, which then fails validation); repeated
// names accumulate URLs. With several bad names the first in name order is reported.
Result<UrlsMap> NewUrlsMap(std::string_view flag);

// URLsMap.String(): all "name=url" pairs sorted, joined by ','.
std::string UrlsMapString(const UrlsMap& m);

}  // namespace etcdrestore::membership

#endif  // ETCDRESTORE_SHARED_MEMBERSHIP_URLS_H_
