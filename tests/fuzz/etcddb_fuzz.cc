// etcd's schema over bbolt: the revision key and u64 value decoders on raw bytes, then on
// a whole file (raw, or a bbolt recipe over the seed snapshots, fuzz_util.h) the reads a
// restore makes (LatestRevision, ReadConsistentIndex, ComputeStatus) and, when the file
// passes the structural check as a restore requires, the restore's edits on a copy
// (TrimMembership, AddMember, SetConsistentIndex, BumpRevision, Commit). Oracles: a
// decoded revision re-encodes to the same bytes, and an edited file that passed the check
// before still passes it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "shared/bbolt/check.h"
#include "shared/bbolt/editor.h"
#include "shared/bbolt/reader.h"
#include "shared/etcddb/edits.h"
#include "shared/etcddb/query.h"
#include "shared/etcddb/schema.h"
#include "shared/etcddb/status.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

namespace {
std::vector<std::string>* g_seeds;

uint64_t U64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && at + i < s.size(); ++i) v |= uint64_t(uint8_t(s[at + i])) << (8 * i);
  return v;
}

void Decoders(std::string_view in) {
  if (auto rev = etcddb::DecodeRevision(in)) {
    const bool tomb = in.size() == etcddb::kRevisionKeySize + 1;
    if (etcddb::EncodeRevision(*rev, tomb) != in) std::abort();
  }
  (void)etcddb::DecodeU64Value("consistent_index", in);
}

void Db(std::string_view in) {
  std::string file;
  if (!fuzz::ApplyBboltRecipe(in, *g_seeds, &file)) file.assign(in);
  fuzz::MemFile mf(file);
  uint64_t problems = 1;
  {
    auto r = bbolt::Reader::OpenFd(mf.fd(), mf.path());
    if (!r) return;
    (void)etcddb::LatestRevision(**r);
    (void)etcddb::ReadConsistentIndex(**r);
    (void)etcddb::ComputeStatus(**r);
    auto n = bbolt::Check(**r, nullptr);
    if (n) problems = *n;
  }
  if (problems != 0) return;  // a restore refuses such a file before editing it
  // The edit parameters come from the end of the input (recipes are short, files long).
  const std::string_view tail = in.size() >= 24 ? in.substr(in.size() - 24) : in;
  auto editor = bbolt::Editor::Open(mf.path());
  if (!editor) return;
  if (!etcddb::TrimMembership(**editor)) return;
  if (!etcddb::AddMember(**editor, U64(tail, 0) | 1, R"({"id":1,"peerURLs":["http://a:2380"],"name":"a"})")) return;
  if (!etcddb::SetConsistentIndex(**editor, U64(tail, 8), 1)) return;
  const uint64_t bump = U64(tail, 16) & 0xffffffffff;
  if (bump != 0 && !etcddb::BumpRevision(**editor, bump)) return;
  if (!(*editor)->Commit()) return;
  editor->reset();
  auto r = bbolt::Reader::OpenFd(mf.fd(), mf.path());
  if (!r) std::abort();  // the editor broke a file that opened and checked clean
  // The problems are printed before the abort, so a crash log says what the edits broke.
  auto n = bbolt::Check(**r, [](const std::string& p) { std::fprintf(stderr, "after the edits: %s\n", p.c_str()); });
  if (!n || *n != 0) std::abort();
  (void)etcddb::LatestRevision(**r);
  (void)etcddb::ReadConsistentIndex(**r);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_seeds = new std::vector<std::string>(fuzz::LoadFiles(ETCDRESTORE_FUZZ_SEEDS "/bbolt"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (size <= 32) {
    Decoders(in);
    return 0;
  }
  Db(in);
  return 0;
}
