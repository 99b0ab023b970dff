#!/usr/bin/env bash
# The demo: seed 002 (a single-node kubeadm control plane) and seed 000's HA case (three
# stacked control-plane nodes) end to end on this machine on REAL nodes (tests/e2e/realnode.py):
# per node a real kubelet v1.20.2 with containerd and runc running etcd 3.4.23 (a distroless
# image) and kube-apiserver v1.20.2 as kubeadm's static pods (both binaries built once from
# Debian's source by scripts/kube-apiserver.sh, cached), the real kubectl, `kubectl etcdrestore
# save` on the node, a deleted nginx Deployment, `kubectl etcdrestore plan -o script`, the plan's
# scripts run on each node as root logged into it, the real kubelets stopping and starting etcd,
# and `kubectl get deployments` showing nginx back. Each step is printed as typed, with the
# machine it is typed on as the prompt. The nodes' `systemctl` is a stand-in (no systemd runs here).
#
#   scripts/demo.sh [single|ha|all]       (default all; about 2 + 3 minutes once built; as root)
#   DEMO_DIR=/tmp/x scripts/demo.sh       keep everything in /tmp/x (kept after the run)
#   BUILD_DIR=build                       where to build kubectl-etcdrestore and etcdctl-ext
#   KUBECTL_ETCDRESTORE=.. ETCDCTL_EXT=.. use these binaries instead of building
#
# Stops every process it started (the nodes' kubelets, containerd, containers: on exit, error or
# Ctrl-C). The work dir is removed after a successful run unless DEMO_DIR was given; after a
# failure it is kept and named.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # it imports tests/e2e helpers: no __pycache__ in the checkout
REPO=$(cd "$(dirname "$0")/.." && pwd)
SCENARIO=${1:-all}
case "$SCENARIO" in single|ha|all) ;; *) echo "usage: $0 [single|ha|all]" >&2; exit 2 ;; esac

need() { command -v "$1" >/dev/null 2>&1 || { echo "demo: $1 not found ($2)" >&2; exit 1; }; }
[ "$(id -u)" = 0 ] || { echo "demo: run it as root (real nodes: mount namespaces, cgroups, containerd)" >&2; exit 1; }
need kubectl "the demo uses the real kubectl: apt-get install kubernetes-client"
need etcd "etcd 3.4.23 (the nodes' etcd image is made of it): scripts/install-deps.sh"
need containerd "the nodes' container runtime: scripts/install-deps.sh"
need openssl "for the cluster's PKI"

if [ -z "${KUBECTL_ETCDRESTORE:-}" ] || [ -z "${ETCDCTL_EXT:-}" ]; then
  B=${BUILD_DIR:-$REPO/build}
  echo "demo: building kubectl-etcdrestore and etcdctl-ext in $B" >&2
  [ -f "$B/build.ninja" ] || cmake -S "$REPO" -B "$B" -G Ninja >/dev/null
  cmake --build "$B" -j 2 --target kubectl-etcdrestore etcdctl-ext >/dev/null
  KUBECTL_ETCDRESTORE=$B/kubectl-etcdrestore/kubectl-etcdrestore
  ETCDCTL_EXT=$B/etcdctl-ext/etcdctl-ext
fi
echo "demo: kube-apiserver and kubelet (built from Debian's source the first time: ~7 min)" >&2
bash "$REPO/scripts/kube-apiserver.sh" build >/dev/null

if [ -n "${DEMO_DIR:-}" ]; then
  KEEP=1
  mkdir -p "$DEMO_DIR"
  DIR=$(cd "$DEMO_DIR" && pwd)
  [ -z "$(ls -A "$DIR")" ] || { echo "demo: DEMO_DIR $DIR is not empty" >&2; exit 1; }
else
  KEEP=0
  DIR=$(mktemp -d /tmp/etcdrestore-demo.XXXXXX)
fi
# The plugin and etcdctl-ext side by side on PATH, as krew installs them: kubectl finds
# `kubectl etcdrestore`, and plan's scripts default to the etcdctl-ext beside the plugin.
mkdir -p "$DIR/bin"
cp "$KUBECTL_ETCDRESTORE" "$DIR/bin/kubectl-etcdrestore"
cp "$ETCDCTL_EXT" "$DIR/bin/etcdctl-ext"

PY=
rc=1
cleanup() {
  if [ -n "$PY" ] && kill -0 "$PY" 2>/dev/null; then kill -TERM "$PY" 2>/dev/null || true; wait "$PY" || true; fi
  python3 "$REPO/scripts/demo_lib.py" reap "$DIR" || true
  if [ "$rc" = 0 ] && [ "$KEEP" = 0 ]; then
    rm -rf "$DIR"
  else
    echo "demo: files kept in $DIR" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
python3 "$REPO/scripts/demo_lib.py" run --dir "$DIR" --bin "$DIR/bin" --scenario "$SCENARIO" &
PY=$!
wait "$PY" && rc=0 || rc=$?
PY=
exit "$rc"
