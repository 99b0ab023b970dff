#!/usr/bin/env bash
# Builds etcdrestore and runs every test (unit + e2e against real etcd 3.4.23 and 3.5).
#   scripts/test.sh              install deps (apt, idempotent), configure, build, ctest
#   BUILD_DIR=... JOBS=...       override the build dir (default ./build) and parallelism
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash scripts/install-deps.sh; fi
B=${BUILD_DIR:-build}
J=${JOBS:-$(nproc)}
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DETCDRESTORE_WERROR=ON >/dev/null
cmake --build "$B" -j "$J"
cd "$B" && ctest --output-on-failure -j "$J" --timeout 600
