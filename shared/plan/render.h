// shared/plan/render.h
//
// Renderers of a Plan (plan.h). All output is deterministic for a given Plan (goldens).
//
// RenderRunbook: text for a person: the facts (snapshot, sha256, members, token, bump and
// why), the order of phases, one section per node in run order with its steps and the
// exact commands, then the cluster-wide steps.
//
// RenderScripts: one POSIX sh script per node plus README.md. A script runs one phase per
// call (`check`, `stop`, `restore`, `start`, `verify`, `finish`; `all` on a one-node plan);
// every phase checks its preconditions and refuses (exit 1, "REFUSED: ...") when one does
// not hold, and is idempotent: a phase already done says so and does nothing. Host paths
// are prefixed with $HOST_ROOT; the kubelet restart ($KUBELET_RESTART_CMD), crictl
// ($CRICTL), the tools ($ETCDCTL_EXT or $ETCDUTL/$ETCDCTL), the snapshot ($SNAPSHOT) and
// the wait limit ($WAIT_SECONDS) are settable from the environment, so a test can run a
// script in a sandbox. `check` touches nothing on the node. The script text is the template
// shared/plan/templates/node.sh (template.h), filled with the plan's values.
//
// RenderJson: the plan as data (pretty JSON, trailing newline).
#ifndef ETCDRESTORE_SHARED_PLAN_RENDER_H_
#define ETCDRESTORE_SHARED_PLAN_RENDER_H_

#include <string>
#include <utility>
#include <vector>

#include "shared/base/error.h"
#include "shared/base/strings.h"  // ShellQuote, used with what is rendered here
#include "shared/plan/plan.h"

namespace etcdrestore::plan {

std::string RenderRunbook(const Plan& p);

struct File {
  std::string name;  // base name in the output dir
  std::string content;
  bool executable = false;
};
// README.md, plan.json (RenderJson), then "etcdrestore-<node>.sh" per node in run order
// (the node name with characters outside [A-Za-z0-9._-] replaced by '_').
// Fails only when a template and this code disagree (template.h): a bug.
Result<std::vector<File>> RenderScripts(const Plan& p);

// The manifest edit of the node scripts on its own, for tests: a script that runs as
// `sh SCRIPT SRC DST` and writes SRC with `edits` to DST the way the node scripts do (the
// same template function, the same edit description that ApplyEdits applies in C++).
Result<std::string> RenderEditScript(const std::vector<ManifestEdit>& edits);

std::string RenderJson(const Plan& p);

}  // namespace etcdrestore::plan

#endif  // ETCDRESTORE_SHARED_PLAN_RENDER_H_
