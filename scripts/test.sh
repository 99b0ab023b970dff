#!/usr/bin/env bash
# Builds etcdrestore and runs every test (unit + e2e against real etcd 3.4.23 and 3.5).
#   scripts/test.sh              install deps (apt, idempotent), configure, build, ctest
#   BUILD_DIR=... JOBS=...       override the build dir (default ./build) and parallelism
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash scripts/install-deps.sh; fi
B=${BUILD_DIR:-build}
J=${JOBS:-$(nproc)}
# -O1 without debug info: a cheaper build than -O2 -g on 2 cores (CI time), and it keeps
# asserts on; the shipped binaries are built by scripts/release.sh (-O2, static).
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DETCDRESTORE_WERROR=ON >/dev/null
# The e2e tests of the Kubernetes side need a real kube-apiserver, built once from Debian's
# source package and cached outside the checkout (~4 min of CPU on a fresh machine). Start
# that build now, so it overlaps the C++ build and the tests that wait on etcd rather than
# on the CPU; the kube tests wait on its lock (scripts/kube-apiserver.sh) and fail with its
# log if it fails.
mkdir -p "$B"
if [ "$(id -u)" = 0 ]; then
  (bash scripts/kube-apiserver.sh path >"$B/kube-apiserver-build.log" 2>&1 || true) &
fi
cmake --build "$B" -j "$J"
start=$(date +%s)
cd "$B" && ctest --output-on-failure -j "$J" --timeout 900
echo "test.sh: ctest took $(( $(date +%s) - start )) s"
