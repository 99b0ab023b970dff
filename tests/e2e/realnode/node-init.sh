#!/usr/bin/env bash
# node-init.sh DIR -- the first process of one real node's private mount namespace
# (tests/e2e/realnode.py starts it under `unshare --mount --propagation private`); its pid is
# the node: `nsenter -t PID -m` enters it. It gives the node kubeadm's paths without touching
# the host's, then execs node-supervisor.sh DIR:
#   /etc, /var, /root  overlays on the host's (changes land in DIR/overlay): /var/lib/etcd,
#                 /var/lib/kubelet, /var/log/pods and root's home are the node's own
#   /etc/kubernetes  DIR/etc-kubernetes (manifests, pki, kubeconfigs; written from the host side)
#   /run          DIR/run (containerd's shims use fixed /run/containerd paths; runc's state)
#   /etc/hosts    DIR/hosts: the node names on their loopback IPs (the kubelet copies it into
#                 hostNetwork pods; the apiserver reaches kubelets by node name)
#   /usr/local/sbin  the systemctl stand-in (this dir), first on root's PATH
#   /proc/sys/{vm,kernel}/...  read-only files holding the values kubelet 1.20 would otherwise
#                 WRITE host-wide (vm.overcommit_memory=1, kernel.panic=10, kernel.panic_on_oops=1,
#                 kernel.keys.*): the host's tunables stay as they are
#   DIR/setup.sh  run last when present: the test's own layout (a data dir on its own mount ...)
set -euo pipefail
DIR=$1
HERE=$(cd "$(dirname "$0")" && pwd)
mount --make-rprivate /
for d in etc var root; do
  mkdir -p "$DIR/overlay/$d/upper" "$DIR/overlay/$d/work"
  mount -t overlay "realnode-$d" -o "lowerdir=/$d,upperdir=$DIR/overlay/$d/upper,workdir=$DIR/overlay/$d/work" "/$d"
done
mkdir -p /etc/kubernetes "$DIR/run/realnode"
mount --bind "$DIR/etc-kubernetes" /etc/kubernetes
mount --bind "$DIR/run" /run
mount --bind "$DIR/hosts" /etc/hosts
mount --bind "$HERE/sbin" /usr/local/sbin
echo "$DIR" > /run/realnode/dir
readlink /proc/self/ns/mnt > "$DIR/ns.mnt"  # realnode.py stops every process of this namespace
mkdir -p "$DIR/sysctl"
for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
          kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
  k=${kv%%=*}
  f=$DIR/sysctl/${k//\//.}
  echo "${kv#*=}" > "$f"
  mount --bind "$f" "/proc/sys/$k"
  mount -o remount,bind,ro "/proc/sys/$k"
done
if [ -f "$DIR/setup.sh" ]; then sh -eu "$DIR/setup.sh"; fi
exec "$HERE/node-supervisor.sh" "$DIR"
