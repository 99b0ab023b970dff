#!/usr/bin/env bash
# The main job on a local default, end to end with real parts: build etcdctl-ext, start a
# local etcd 3.4.23 on loopback, write some keys, take a verified snapshot with
# etcdctl-ext, check it, restore it into a new data dir, start etcd from the restore and
# show the keys came back. Stops everything it started; leaves nothing outside $WORK.
#   scripts/demo-local.sh            (as root on a fresh Debian bookworm: installs deps first)
#   WORK=/tmp/x scripts/demo-local.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] && bash scripts/install-deps.sh >/dev/null
B=${BUILD_DIR:-build}
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" -j "$(nproc)" --target etcdctl-ext >/dev/null
X=$(readlink -f "$B/etcdctl-ext/etcdctl-ext")
WORK=${WORK:-$(mktemp -d /tmp/etcdrestore-demo-XXXXXX)}
mkdir -p "$WORK"; cd "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
say() { printf '\n$ %s\n' "$*"; }
C=$(port); P=$(port)
say "etcd --name demo --data-dir $WORK/demo.etcd (client 127.0.0.1:$C)"
etcd --name demo --data-dir demo.etcd --listen-client-urls http://127.0.0.1:$C --advertise-client-urls http://127.0.0.1:$C \
  --listen-peer-urls http://127.0.0.1:$P --initial-advertise-peer-urls http://127.0.0.1:$P \
  --initial-cluster demo=http://127.0.0.1:$P >etcd.log 2>&1 &
PIDS+=($!)
E="--endpoints=127.0.0.1:$C"
for _ in $(seq 100); do "$X" $E endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
say "etcdctl-ext $E put /registry/deployments/default/nginx ..."
"$X" $E put /registry/deployments/default/nginx '{"kind":"Deployment","replicas":2}'
"$X" $E put /registry/configmaps/default/settings 'color=blue'
say "etcdctl-ext $E snapshot save $WORK/backup.db"
"$X" $E snapshot save "$WORK/backup.db"
ls -l backup.db
say "etcdctl-ext snapshot status $WORK/backup.db -w table"
"$X" snapshot status backup.db -w table
say "etcdctl-ext $E del /registry/deployments/default/nginx    # the accident"
"$X" $E del /registry/deployments/default/nginx
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()
say "etcdctl-ext snapshot restore $WORK/backup.db --name demo --initial-cluster demo=http://127.0.0.1:$P --initial-advertise-peer-urls http://127.0.0.1:$P --data-dir $WORK/restored.etcd"
"$X" snapshot restore backup.db --name demo --initial-cluster demo=http://127.0.0.1:$P \
  --initial-advertise-peer-urls http://127.0.0.1:$P --data-dir restored.etcd
say "etcd --name demo --data-dir $WORK/restored.etcd"
etcd --name demo --data-dir restored.etcd --listen-client-urls http://127.0.0.1:$C --advertise-client-urls http://127.0.0.1:$C \
  --listen-peer-urls http://127.0.0.1:$P --initial-advertise-peer-urls http://127.0.0.1:$P >etcd2.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "$X" $E endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
say "etcdctl-ext $E get /registry/deployments/default/nginx"
out=$("$X" $E get /registry/deployments/default/nginx --print-value-only)
echo "$out"
[ "$out" = '{"kind":"Deployment","replicas":2}' ] || { echo "demo: FAILED: the key did not come back" >&2; exit 1; }
say "etcdctl-ext $E member list -w table"
"$X" $E member list -w table
echo; echo "demo: ok (files in $WORK)"
