// etcdctl-ext/etcdutl.h
//
// The `etcdutl` personality: when the binary is invoked as `etcdutl` (argv[0]'s basename, a
// symlink), it is a drop-in etcdutl 3.5.30 (see etcdutl.cc) instead of etcdctl 3.4.
#ifndef ETCDRESTORE_ETCDCTL_EXT_ETCDUTL_H_
#define ETCDRESTORE_ETCDCTL_EXT_ETCDUTL_H_

#include <string_view>

#include "etcdctl-ext/command.h"

namespace etcdrestore::etcdctl_ext {

// True when argv0's basename is "etcdutl".
bool InvokedAsEtcdutl(std::string_view argv0);
// etcdutl's main: returns the exit code.
int EtcdutlMain(int argc, char** argv);

// snapshot_restore.cc: the restore command's flags and body, shared by both personalities.
void AddRestoreFlags(cli::FlagSet& f);
Result<int> RunRestore(CommandContext& ctx);

}  // namespace etcdrestore::etcdctl_ext

#endif  // ETCDRESTORE_ETCDCTL_EXT_ETCDUTL_H_
