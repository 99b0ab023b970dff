#!/usr/bin/env bash
# node-supervisor.sh DIR -- runs inside one real node's mount namespace (after node-init.sh):
# containerd, the images imported into it (no registry), then the real kubelet, started again
# whenever it exits, as systemd does with kubeadm's kubelet unit (Restart=always), unless
#   DIR/kubelet.down exists  (`systemctl stop kubelet` on the node: sbin/systemctl), or
#   DIR/node.stop exists     (realnode.py stopping the node: the loop ends).
# DIR/node.env (written by realnode.py) sets NODE, KUBELET (binary) and IMAGES (tars).
# Writes DIR/containerd.pid, DIR/kubelet.pid (while a kubelet runs) and logs in DIR/logs.
set -uo pipefail
DIR=$1
# shellcheck source=/dev/null
. "$DIR/node.env"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S.%N)" "$*"; }
containerd --config "$DIR/containerd.toml" >>"$DIR/logs/containerd.log" 2>&1 &
echo $! > "$DIR/containerd.pid"
C=(ctr -n k8s.io)
for _ in $(seq 1 200); do "${C[@]}" version >/dev/null 2>&1 && break; sleep 0.05; done
for t in $IMAGES; do
  "${C[@]}" images import "$t" >/dev/null || log "importing $t failed"
done
log "images: $("${C[@]}" images ls -q | grep -v '^sha256:' | tr '\n' ' ')"
while [ ! -f "$DIR/node.stop" ]; do
  if [ -f "$DIR/kubelet.down" ]; then sleep 0.1; continue; fi
  kubeconfig=()
  [ -f /etc/kubernetes/kubelet.conf ] && kubeconfig=(--kubeconfig=/etc/kubernetes/kubelet.conf)
  "$KUBELET" --config=/etc/kubernetes/kubelet-config.yaml "${kubeconfig[@]}" \
    --container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock \
    --runtime-request-timeout=15m --hostname-override="$NODE" \
    --pod-infra-container-image=registry.k8s.io/pause:3.2 \
    --root-dir=/var/lib/kubelet --cert-dir=/var/lib/kubelet/pki --volume-plugin-dir=/var/lib/kubelet/volumeplugins \
    --v=2 >>"$DIR/logs/kubelet.log" 2>&1 &
  pid=$!
  echo "$pid" > "$DIR/kubelet.pid"
  log "kubelet started (pid $pid)"
  wait "$pid"
  rc=$?
  rm -f "$DIR/kubelet.pid"
  log "kubelet exited ($rc)"
  if [ ! -f "$DIR/node.stop" ] && [ ! -f "$DIR/kubelet.down" ]; then sleep 1; fi  # RestartSec
done
log "node stopping"
