// What `kubectl etcdrestore plan`, `verify` and `finish` read from outside (shared/plan):
// --replace specs (ParseReplacement), a --manifest copy re-pointed by ApplyEdits, plan.json
// (ParsePlanJson), and the API's NodeList, LeaseList, Endpoints, PodList and list metadata
// (FindLeftovers, ApiServerUrls, ListRevision).
// Input: its first byte picks the parser; the rest is the text (for FindLeftovers: the three
// bodies separated by NUL bytes).
// Oracles: a parsed --replace spec written back parses to the same; ApplyEdits keeps the line
// count, and when the reverse edits apply they give back the input (unless the input held a
// target value already).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shared/base/strings.h"
#include "shared/plan/after.h"
#include "shared/plan/plan.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

namespace {

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      if (auto r = plan::ParseReplacement(in)) {
        auto again = plan::ParseReplacement(r->old_name + "=" + r->name + "=" + r->peer_url);
        if (!again || again->old_name != r->old_name || again->name != r->name || again->peer_url != r->peer_url)
          std::abort();
      }
      break;
    }
    case 1: {
      // kubeadm's edits of a default plan, and a --wal-dir one.
      const std::vector<plan::ManifestEdit> edits = {
          {"hostPath", "etcd-data", "/var/lib/etcd", "/var/lib/etcd-restore-1"},
          {"mountPath", "etcd-data", "/var/lib/etcd", "/var/lib/etcd-restore-1"},
          {"--data-dir", "", "/var/lib/etcd", "/var/lib/etcd-restore-1"},
          {"--wal-dir", "", "/w", "/w-restore-1"}};
      for (size_t n = 1; n <= edits.size(); ++n) {
        std::vector<plan::ManifestEdit> some(edits.begin(), edits.begin() + static_cast<long>(n));
        auto out = plan::ApplyEdits(in, some);
        if (!out) continue;
        if (Lines(*out) != Lines(in)) std::abort();
        // The reverse edits undo the forward ones only when no target value was in the input
        // already: a line holding both `--wal-dir /w` and `--wal-dir /w-restore-1` has both
        // turned back (found by this harness; the forward edit itself was right).
        bool targets_in_input = false;
        for (const auto& e : some) targets_in_input = targets_in_input || in.find(e.to) != std::string::npos;
        if (targets_in_input) continue;
        std::vector<plan::ManifestEdit> back;
        for (const auto& e : some) back.push_back({e.field, e.volume, e.to, e.from});
        if (auto again = plan::ApplyEdits(*out, back); again && *again != in) std::abort();
      }
      break;
    }
    case 2: {
      if (auto p = plan::ParsePlanJson(in)) (void)plan::MinRevision(*p);
      (void)plan::ListRevision(in);
      plan::AfterPlan p;
      p.nodes = {"cp1", "cp2"};
      p.joining = {"cp4"};
      p.lost_nodes = {"cp3"};
      (void)plan::ApiServerUrls(p, in);
      break;
    }
    case 3: {
      std::vector<std::string> parts = fuzz::Split(in, '\0');
      parts.resize(std::max<size_t>(parts.size(), 3));
      plan::AfterPlan p;
      p.nodes = {"cp1", "cp2"};
      p.joining = {"cp4"};
      p.lost_nodes = {"cp3"};
      plan::Observed o{parts[0], parts[1], parts[2], "2024-05-01T12:00:00Z"};
      (void)plan::FindLeftovers(p, o);
      break;
    }
  }
  return 0;
}
