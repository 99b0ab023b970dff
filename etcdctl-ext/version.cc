// version: etcdctl 3.4.23's exact text (scripts parse it); -w is ignored, as etcdctl does.
#include "etcdctl-ext/command.h"

namespace etcdrestore::etcdctl_ext {
namespace {

const bool kVersion = RegisterCommand({
    .name = "version",
    .usage = "etcdctl version [flags]",
    .summary = "Prints the version of etcdctl",
    .uses_client = false,
    .validates_output_format = false,
    .run = [](CommandContext&) -> Result<int> {
      WriteStdout("etcdctl version: 3.4.23\nAPI version: 3.4\n");
      return 0;
    },
});

}  // namespace
}  // namespace etcdrestore::etcdctl_ext
