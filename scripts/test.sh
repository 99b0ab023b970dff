#!/usr/bin/env bash
# Builds etcdrestore and runs every test (unit + e2e against real etcd 3.4.23 and 3.5).
#   scripts/test.sh              install deps (apt, idempotent), configure, build, ctest
#   BUILD_DIR=... JOBS=...       override the build dir (default ./build) and parallelism
#   SAN_BUILD_DIR=... SANITIZERS=0  the ASan/UBSan + fuzz smoke build dir (default ./build-san), or skip it
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash scripts/install-deps.sh; fi
# The Kubernetes API's .proto files (get -o json|yaml of built-in kinds), cached once per
# machine from Debian's kubernetes source package (a few seconds); CMake finds the cache.
if [ "$(id -u)" = 0 ]; then bash scripts/k8s-protos.sh >/dev/null; fi
B=${BUILD_DIR:-build}
J=${JOBS:-$(nproc)}
# -O1 without debug info: a cheaper build than -O2 -g on 2 cores (CI time), and it keeps
# asserts on; the shipped binaries are built by scripts/release.sh (-O2, static).
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DETCDRESTORE_WERROR=ON >/dev/null
# The e2e tests of the Kubernetes side need a real kube-apiserver and kubelet (the real-node
# tests, tests/e2e/realnode.py), built once from Debian's source package by one make and cached
# outside the checkout (~7 min of CPU on a fresh machine). Start that build now, niced, so it
# overlaps the C++ build and the tests that wait on etcd rather than on the CPU; the kube and
# real-node tests wait on its lock (scripts/kube-apiserver.sh) and fail with its log if it fails.
mkdir -p "$B"
if [ "$(id -u)" = 0 ]; then
  (nice -n 5 bash scripts/kube-apiserver.sh build >"$B/kube-apiserver-build.log" 2>&1 || true) &
fi
cmake --build "$B" -j "$J"

# Sanitizers (issue 10): the unit tests again under ASan + UBSan (any report fails), then a
# short run of every libFuzzer harness over its committed corpus (tests/fuzz/README.md). A
# second build dir, clang 19 at -O1, building only the unit tests and the harnesses. Its
# build (~10 min of CPU) runs niced beside ctest, whose e2e tests mostly wait on servers,
# so that it costs little wall time. SANITIZERS=0 skips this part.
S=${SAN_BUILD_DIR:-build-san}
san=0
if [ "${SANITIZERS:-1}" = 1 ]; then
  if command -v clang++-19 >/dev/null; then
    san=1
    san_start=$(date +%s)
    cmake -S . -B "$S" -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DETCDRESTORE_FUZZ=ON >/dev/null
    (nice -n 10 cmake --build "$S" -j "$J" --target unit_tests fuzzers >"$S/build.log" 2>&1; echo $? >"$S/build.rc") &
    san_build=$!
  else
    echo "test.sh: clang++-19 not found, sanitizer run skipped (scripts/install-deps.sh installs it)" >&2
  fi
fi

start=$(date +%s)
(cd "$B" && ctest --output-on-failure -j "$J" --timeout 900)
echo "test.sh: ctest took $(( $(date +%s) - start )) s"

if [ "$san" = 1 ]; then
  wait "$san_build" || true
  if [ "$(cat "$S/build.rc" 2>/dev/null)" != 0 ]; then
    tail -n 40 "$S/build.log"
    echo "test.sh: the sanitizer build failed (log: $S/build.log)" >&2
    exit 1
  fi
  (cd "$S" && ctest -E '^e2e\.' --output-on-failure -j "$J" --timeout 900)
  bash tests/fuzz/smoke.sh "$S" 5
  echo "test.sh: sanitizer build (beside ctest), unit tests and fuzz smoke took $(( $(date +%s) - san_start )) s"
fi
