#include "shared/etcdclient/snapshot_save.h"

#include "shared/base/file.h"

namespace etcdrestore::etcdclient {

Result<SaveResult> SaveSnapshot(Client& client, const SaveOptions& options) {
  RETURN_IF_ERROR(client.WaitConnected(options.connect_timeout));

  auto created = SnapshotFile::Create(options.path);
  if (!created) {
    Error e = std::move(created).error();
    // etcdctl: "could not open X.part (open X.part: no such file or directory)".
    const std::string part = options.path + ".part";
    const std::string quoted_open = "open " + Quote(part) + ": ";
    if (e.message().starts_with(quoted_open))
      return Fail(e.code(), "could not open " + part + " (open " + part + ": " +
                                e.message().substr(quoted_open.size()) + ")");
    return Fail(std::move(e).Wrap("snapshot save"));
  }
  SnapshotFile file = std::move(*created);
  RETURN_IF_ERROR(client.Snapshot(
      [&](std::string_view blob, uint64_t /*remaining*/) -> Status {
        RETURN_IF_ERROR(file.Write(blob));
        if (options.progress) options.progress(file.size());
        return {};
      },
      options.deadline));
  return file.Commit(options.verify);
}

}  // namespace etcdrestore::etcdclient
