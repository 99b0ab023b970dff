// etcdctl-ext/kv.h: what `txn` borrows from get, put and del (kv.cc).
#ifndef ETCDRESTORE_ETCDCTL_EXT_KV_H_
#define ETCDRESTORE_ETCDCTL_EXT_KV_H_

#include <string>
#include <vector>

#include "shared/base/error.h"
#include "shared/etcdclient/client.h"

namespace etcdrestore::etcdctl_ext {

// One request line of `txn` split into words ("put", "k", "v", "--prev-kv"), parsed as etcdctl
// does: by the get/put/del command's own flags and checks. *syntax_error is set when the line
// is not a get/put/del command line at all (unknown command or flag: etcdctl's "invalid txn
// request"); the other errors are the commands' own (exit 128 in etcdctl). value_from_stdin:
// whether `put <key>` reads its value from stdin (in etcdctl's txn, stdin is already taken by
// its line reader, so it finds nothing there).
Result<etcdclient::TxnOp> ParseTxnRequest(const std::vector<std::string>& words, bool value_from_stdin,
                                          bool* syntax_error);

}  // namespace etcdrestore::etcdctl_ext

#endif  // ETCDRESTORE_ETCDCTL_EXT_KV_H_
