// bbolt reader, check and walk on arbitrary files: Reader::OpenFd/Open, Check (with an
// entry callback), Walk with and without a problem reporter, ForEachBucket, ForEach, Get,
// Last, ReadNode/ReadPage and etcddb::ComputeStatus; and the defrag path (Compact through
// the Writer): a damaged source must give an error and an output with no valid meta (never
// a partial file that opens), an accepted one a copy that checks clean and holds exactly
// the entries of the source. Input: a whole file (the corpus holds
// small real etcd 3.4 snapshots, 4096-byte pages) or a recipe of page edits applied to one
// of the seeds (fuzz_util.h ApplyBboltRecipe). Any error is fine; a crash, a sanitizer
// report or a hang is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "shared/bbolt/check.h"
#include "shared/bbolt/reader.h"
#include "shared/bbolt/writer.h"
#include "shared/etcddb/status.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

namespace {
std::vector<std::string>* g_seeds;

void Exercise(bbolt::Reader& r) {
  uint64_t n = 0;
  (void)bbolt::Check(r, [&](const std::string&) { ++n; },
                     [&](const bbolt::Entry& e, int) -> Status {
                       n += e.key.size() + e.value.size();
                       return {};
                     });
  bbolt::WalkHooks lenient;
  lenient.descend = true;
  lenient.on_entry = [&](const bbolt::Entry& e, int) -> Status {
    n += e.key.size();
    return {};
  };
  lenient.on_problem = [&](std::string p) { n += p.size(); };
  (void)r.Walk(r.Root(), lenient);
  bbolt::WalkHooks strict;
  strict.descend = true;
  strict.on_entry = lenient.on_entry;
  std::vector<bool> reached(static_cast<size_t>(std::min<uint64_t>(r.meta().pgid, 1 << 20)));
  (void)r.Walk(r.Root(), strict, &reached);

  std::vector<std::pair<std::string, bbolt::BucketRef>> buckets;
  (void)r.ForEachBucket([&](std::string_view name, const bbolt::BucketRef& b) -> Status {
    if (buckets.size() < 16) buckets.emplace_back(std::string(name), b);
    return {};
  });
  for (const auto& [name, b] : buckets) {
    std::string first, mid;
    int i = 0;
    (void)r.ForEach(b, [&](const bbolt::Entry& e) -> Status {
      if (i == 0) first = e.key;
      if (i == 3) mid = e.key;
      ++i;
      if (e.is_bucket()) (void)bbolt::DecodeBucketValue(e.value);
      return {};
    });
    (void)r.Get(b, first);
    (void)r.Get(b, mid);
    (void)r.Get(b, "zzzz");
    (void)r.Last(b);
    (void)r.FindBucket(name);
  }
  (void)r.FindBucket("key");
  for (bbolt::Pgid id = 2; id < std::min<bbolt::Pgid>(r.meta().pgid, 8); ++id) {
    (void)r.ReadNode(id);
    std::vector<uint8_t> page;
    (void)r.ReadPage(id, &page);
  }
  (void)etcddb::ComputeStatus(r);
  static volatile uint64_t sink;
  sink = n;
}
// FNV-1a over (depth, key, bucket or not, value) of every entry; of a bucket only its
// sequence (its page ids differ in a copy). Other flag bits are not kept by a copy, as
// bbolt's own Put does not keep them.
struct EntryHash {
  uint64_t h = 1469598103934665603ULL;
  void Add(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  }
  Status operator()(const bbolt::Entry& e, int depth) {
    Add(std::to_string(depth));
    Add(e.key);
    Add(e.is_bucket() ? "b" : "k");
    if (!e.is_bucket()) {
      Add(e.value);
    } else if (auto b = bbolt::DecodeBucketValue(e.value)) {
      Add(std::to_string(b->sequence));
    }
    return {};
  }
};

void ExerciseCompact(bbolt::Reader& r) {
  fuzz::MemFile out("");
  auto st = bbolt::Compact(r, out.fd(), out.path());
  auto copy = bbolt::Reader::OpenFd(out.fd(), out.path());
  if (!st) {
    if (copy) std::abort();  // a failed defrag left a file that looks like a database
    return;
  }
  if (!copy) std::abort();
  EntryHash src, dst;
  bbolt::WalkHooks hooks;
  hooks.descend = true;
  hooks.on_entry = std::ref(src);
  if (!r.Walk(r.Root(), hooks)) std::abort();  // Compact walked it without error
  uint64_t problems = 0;
  auto n = bbolt::Check(**copy, [&](const std::string&) { ++problems; }, std::ref(dst));
  if (!n || problems != 0 || src.h != dst.h) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_seeds = new std::vector<std::string>(fuzz::LoadFiles(ETCDRESTORE_FUZZ_SEEDS "/bbolt"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string file;
  if (!fuzz::ApplyBboltRecipe(in, *g_seeds, &file)) file.assign(in);
  fuzz::MemFile mf(file);
  if (auto r = bbolt::Reader::OpenFd(mf.fd(), mf.path())) {
    Exercise(**r);
    ExerciseCompact(**r);
  }
  if (size & 1) {  // the path-taking entry points too, on every other input
    if (auto r = bbolt::Reader::Open(mf.path())) (void)etcddb::ComputeStatus(**r);
  }
  return 0;
}
