// etcdctl-ext/defrag_offline.h
//
// Offline defragmentation of a data dir's member/snap/db, shared by etcdctl's
// `defrag --data-dir DIR` (3.4: prints nothing on success) and etcdutl's `defrag --data-dir
// DIR` (3.5: logs a "defragmenting" and a "finished defragmenting directory" line on
// stderr). The work is shared/bbolt/defrag.h.
//
// Where etcd's tools differ from us, on purpose:
//   - they wait, without end, for a running etcd to release the db; we refuse at once with
//     an Error naming the lock (etcd's WAL lock, or the db's own bbolt lock) and exit 1, so
//     a script does not hang and nothing is changed;
//   - a db that cannot be opened (missing dir, not a bbolt file) makes them panic with exit
//     code 2; we print one "Error: cannot open database at PATH (reason)" line and exit 2.
// Prints its own Error line; returns the exit code.
#ifndef ETCDRESTORE_ETCDCTL_EXT_DEFRAG_OFFLINE_H_
#define ETCDRESTORE_ETCDCTL_EXT_DEFRAG_OFFLINE_H_

#include <string>

namespace etcdrestore::etcdctl_ext {

enum class DefragTool { kEtcdctl, kEtcdutl };

int DefragDataDir(const std::string& data_dir, DefragTool tool);

}  // namespace etcdrestore::etcdctl_ext

#endif  // ETCDRESTORE_ETCDCTL_EXT_DEFRAG_OFFLINE_H_
