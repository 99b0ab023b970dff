// The sidecar JSON that `kubectl etcdrestore save` writes and plan/restore read back
// (shared/topology/sidecar.h): SidecarFromJson and ReadSidecar on arbitrary text, and
// ParseHexId. Oracle: what parses writes back to JSON that parses to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "shared/topology/sidecar.h"
#include "tests/fuzz/fuzz_util.h"

using namespace etcdrestore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)topology::ParseHexId(in);
  if (auto s = topology::SidecarFromJson(in)) {
    const std::string j = topology::SidecarToJson(*s);
    auto back = topology::SidecarFromJson(j);
    if (!back || topology::SidecarToJson(*back) != j) std::abort();
  }
  if (size & 1) {
    fuzz::MemFile f(in);
    (void)topology::ReadSidecar(f.path());
  }
  return 0;
}
