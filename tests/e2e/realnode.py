"""Real Kubernetes control-plane nodes on this machine for the e2e tests and the demo.

A node is a real kubelet v1.20.2 (built from Debian's `kubernetes` source and cached by
scripts/kube-apiserver.sh) with containerd 1.6 and runc (Debian packages), in a private mount
namespace, running kubeadm-1.20-shaped static pods from /etc/kubernetes/manifests: etcd 3.4.23 and
kube-apiserver v1.20.2 (images built without a registry: realnode/images.py; the etcd image is
distroless). One node or three, cp-1..cp-3, on loopback IPs 127.0.1.1..3, and nodes that join later
(add_node: e.g. cp-4 on 127.0.1.4, replacing a lost one). Every node has the same ports on its own
IP (etcd client 52379, peer 52380, metrics 52381; apiserver 56443; kubelet 50250), so only one
cluster at a time: ctest's RESOURCE_LOCK realnode. The nodes use the host's network and PID
namespace, their own mounts: /etc, /var and /root are overlays of the host's, /etc/kubernetes and
/run the node's own dirs (realnode/node-init.sh). No systemd runs here as PID 1: `systemctl
stop|start|restart|is-active kubelet` on a node is a stand-in (realnode/sbin/systemctl) driving the
supervisor's kubelet restart loop (realnode/node-supervisor.sh), which restarts the kubelet as
systemd does.

API:
  with Cluster(workdir, nodes=1) as cluster:      # or nodes=3; `up` on enter, `down` on exit
      cluster.kubeconfig                          # admin kubeconfig (host path), cp-1's apiserver
      cluster.kubectl("get", "nodes")             # -> Result(rc, stdout, stderr); check=True raises
      cluster.etcdctl("endpoint", "health")       # etcdctl 3.4 from the host, every member, TLS
      cluster.endpoints                           # "https://127.0.1.1:52379,..."
      cluster.pki(name)                           # host path of a cluster PKI file ("etcd/ca.crt")
      cluster.timings                             # seconds to: etcd healthy, apiservers ready, ...
      cluster.wait_ready()                        # again after a restore (same checks as up)
      n = cluster.nodes[0]                        # .name "cp-1", .ip "127.0.1.1"
      n.run("ls /var/lib/etcd")                   # a shell line INSIDE the node (nsenter into its
      n.run(["sh", "plan/x.sh", "stop"], cwd="/root", env={...}, check=True, timeout=300)
                                                  # mount namespace) with the clean environment of
                                                  # root logged into the node (PATH, HOME=/root);
                                                  # a list is an argv. Result; check=True raises
                                                  # NodeCommandFailed on a non-zero exit
      n.host_path("/var/lib/etcd")                # the same file seen from the host (/proc/PID/root)
      n.write_file("/root/x", data, mode)         # a file on the node (atomic rename)
      n.restart_kubelet()                         # `systemctl restart kubelet` on the node
      n.etcd_manifest()                           # the node's etcd.yaml text
      cluster.add_node("cp-4", "127.0.1.4", initial_cluster, data_dir=None)
                                                  # a node JOINING the running cluster, as kubeadm
                                                  # join --control-plane would lay it out (a stand-in:
                                                  # no kubeadm here): certs for its address, etcd with
                                                  # --initial-cluster-state=existing, kube-apiserver on
                                                  # its own etcd; started, not waited for; in .nodes
  Cluster(workdir, nodes=1, data_dir="/var/lib/etcd", wal_dir=None, node_setup=None,
          kubelet_config=True, sync_frequency="10s", etcd="3.4", log=None)
      etcd: "3.4" (3.4.23, Debian bookworm) or "3.5" (3.5.30 from Debian sid, with etcdutl in the image)
      data_dir, wal_dir: etcd's --data-dir (and --wal-dir) in the manifests; the data dir is a hostPath
                  volume as kubeadm mounts it, the WAL dir is in one (its parent: etcd renames onto it)
      node_setup: shell run inside each new node's namespace before containerd and the kubelet
                  start (e.g. "mount -t tmpfs etcd-disk /var/lib/etcd": a data dir on its own mount)
      kubelet_config: upload the kubelet-config-1.20 ConfigMap as kubeadm init does (False: a
                  cluster where it cannot be read); kubeadm-config is always uploaded
  `down` (also on a failed `up`, an exception or Ctrl-C/SIGTERM in the with-block) stops every
  process the nodes, added ones too, started (kubelet, containers, containerd and its shims: by
  pid, found in the node's mount namespace and cgroups), then removes the kubelets' cgroups. A
  cluster left by a killed run is stopped by the next Cluster's `up` (its nodes are recorded in
  /run/etcdrestore-realnode).
  One cluster at a time on this machine: `up` waits for the lock /run/etcdrestore-realnode/.lock, held
  until `down` (ctest's RESOURCE_LOCK realnode does the same within one ctest run).
  requirements() -> None, or why real nodes cannot run here (for unittest.skip): not root, no
  containerd/runc/nsenter/unshare/openssl/kubectl, or no kubelet (scripts/kube-apiserver.sh
  builds it, ~7 min on 2 cores, unless cached; KUBELET= and KUBE_APISERVER= override).
"""

import atexit
import base64
import fcntl
import json
import os
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PIECES = os.path.join(HERE, "realnode")
sys.path.insert(0, PIECES)
sys.path.insert(0, HERE)

import images  # noqa: E402  (realnode/images.py)
import pki  # noqa: E402
from harness import Result, find_etcd  # noqa: E402

KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
ETCDCTL = "/usr/bin/etcdctl"
CLIENT_PORT, PEER_PORT, METRICS_PORT, API_PORT, KUBELET_PORT, HEALTHZ_PORT = 52379, 52380, 52381, 56443, 50250, 50248
STATE_DIR = "/run/etcdrestore-realnode"  # one file per running node: its dir (for reaping a killed run)
NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class NodeCommandFailed(AssertionError):
    pass


_BINARIES = {}


def _tool_binary(command, env):
    explicit = os.environ.get(env)
    if explicit:
        return explicit
    if command in _BINARIES:
        return _BINARIES[command]
    r = subprocess.run(["bash", os.path.join(REPO, "scripts", "kube-apiserver.sh"), command],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError("scripts/kube-apiserver.sh %s failed:\n%s" % (command, r.stderr.decode(errors="replace")[-3000:]))
    _BINARIES[command] = r.stdout.decode().strip()
    return _BINARIES[command]


def kubelet_binary():
    """The cached kubelet (built with kube-apiserver's build when missing: minutes)."""
    return _tool_binary("kubelet-path", "KUBELET")


def apiserver_binary():
    return _tool_binary("path", "KUBE_APISERVER")


def requirements():
    """None when real nodes can run here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "real nodes need root (mount namespaces, cgroups, containerd)"
    for tool in ("containerd", "runc", "ctr", "nsenter", "unshare", "openssl", "gcc"):
        if not shutil.which(tool, path=NODE_PATH):
            return "%s not found (scripts/install-deps.sh installs containerd and runc)" % tool
    if not os.access(KUBECTL, os.X_OK) or not os.access(ETCDCTL, os.X_OK):
        return "kubectl or etcdctl not found"
    if not os.path.isdir("/sys/fs/cgroup"):
        return "no /sys/fs/cgroup"
    try:
        kubelet_binary()
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return "no kubelet: %s" % e
    return None


class _Pki:
    """kubeadm's /etc/kubernetes/pki for the cluster (EC P-256 keys, pki.py, valid 30 days), plus
    per node its etcd server/peer certs, kubelet client (system:node:NAME) and serving certs under
    nodes/NAME; a node added later (Cluster.add_node) also gets its own apiserver cert there."""

    DAYS = 30
    API_SANS = ("IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
                "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local")

    def __init__(self, d, nodes):
        self.dir = d
        os.makedirs(os.path.join(d, "etcd"))
        pki.ca(d, "ca", "kubernetes", days=self.DAYS)
        pki.ca(d, "etcd/ca", "etcd-ca", days=self.DAYS)
        sans = "".join(",DNS:%s,IP:%s" % (n, ip) for n, ip in nodes)
        self.leaf("apiserver", "ca", "/CN=kube-apiserver", "serverAuth", self.API_SANS + sans)
        self.leaf("apiserver-kubelet-client", "ca", "/O=system:masters/CN=kube-apiserver-kubelet-client", "clientAuth")
        self.leaf("admin", "ca", "/O=system:masters/CN=kubernetes-admin", "clientAuth")
        self.leaf("etcd/healthcheck-client", "etcd/ca", "/CN=kube-etcd-healthcheck-client", "clientAuth")
        self.leaf("apiserver-etcd-client", "etcd/ca", "/O=system:masters/CN=kube-apiserver-etcd-client", "clientAuth")
        pki.service_account_keys(d)
        for name, ip in nodes:
            self.node_certs(name, ip)
        pki.restrict_keys(d)

    def node_certs(self, name, ip, apiserver=False):
        """nodes/NAME: etcd server and peer certs for the node's own address, its kubelet's client
        and serving certs; with apiserver, a kube-apiserver cert for its address too (what kubeadm
        join --control-plane makes on a joining node: the cluster-wide one names only the others)."""
        os.makedirs(os.path.join(self.dir, "nodes", name, "etcd"))
        san = "DNS:%s,DNS:localhost,IP:%s,IP:127.0.0.1" % (name, ip)
        for kind in ("server", "peer"):
            self.leaf("nodes/%s/etcd/%s" % (name, kind), "etcd/ca", "/CN=" + name, "serverAuth,clientAuth", san)
        self.leaf("nodes/%s/kubelet-client" % name, "ca", "/O=system:nodes/CN=system:node:" + name, "clientAuth")
        self.leaf("nodes/%s/kubelet" % name, "ca", "/CN=" + name, "serverAuth", san)
        if apiserver:
            self.leaf("nodes/%s/apiserver" % name, "ca", "/CN=kube-apiserver", "serverAuth",
                      self.API_SANS + ",DNS:%s,IP:%s" % (name, ip))
        pki.restrict_keys(os.path.join(self.dir, "nodes", name))

    def path(self, name):
        return os.path.join(self.dir, name)

    def leaf(self, name, ca, subj, eku, san=None):
        pki.leaf(self.dir, name, ca, subj, eku, san, days=self.DAYS)


def _b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def kubeconfig_text(server, ca, user, cert, key):
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "%s@kubernetes" % user,
        "clusters": [{"name": "kubernetes", "cluster": {"server": server, "certificate-authority-data": _b64(ca)}}],
        "users": [{"name": user, "user": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}}],
        "contexts": [{"name": "%s@kubernetes" % user, "context": {"cluster": "kubernetes", "user": user}}],
    }, indent=1) + "\n"


def etcd_manifest(name, ip, initial_cluster, listen_localhost, data_dir="/var/lib/etcd", wal_dir=None,
                  image=images.ETCD_REF, initial_cluster_state=None):
    """kubeadm v1.20's etcd.yaml (stacked etcd), on the node's loopback IP and ports +50000;
    initial_cluster_state "existing" as kubeadm join --control-plane writes it for a joining member."""
    client = "https://%s:%d" % (ip, CLIENT_PORT)
    listen = ("https://127.0.0.1:%d," % CLIENT_PORT if listen_localhost else "") + client
    flags = ["--advertise-client-urls=" + client,
             "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
             "--client-cert-auth=true",
             "--data-dir=" + data_dir,
             "--initial-advertise-peer-urls=https://%s:%d" % (ip, PEER_PORT),
             "--initial-cluster=" + initial_cluster,
             *(["--initial-cluster-state=" + initial_cluster_state] if initial_cluster_state else []),
             "--key-file=/etc/kubernetes/pki/etcd/server.key",
             "--listen-client-urls=" + listen,
             "--listen-metrics-urls=http://%s:%d" % (ip, METRICS_PORT),
             "--listen-peer-urls=https://%s:%d" % (ip, PEER_PORT),
             "--name=" + name,
             "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
             "--peer-client-cert-auth=true",
             "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
             "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
             "--snapshot-count=10000",
             "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt"]
    if wal_dir:
        flags.append("--wal-dir=" + wal_dir)
    probe = ("      failureThreshold: %d\n      httpGet:\n        host: %s\n        path: /health\n"
             "        port: %d\n        scheme: HTTP\n      initialDelaySeconds: 10\n      periodSeconds: 10\n"
             "      timeoutSeconds: 15\n")
    mounts = [(data_dir, "etcd-data"), ("/etc/kubernetes/pki/etcd", "etcd-certs")]
    if wal_dir:
        # etcd replaces its WAL dir by a rename when it creates it: a mount point cannot be one
        # (EBUSY), so the volume is the WAL dir's parent, as on nodes with a WAL disk.
        mounts.append((os.path.dirname(wal_dir), "etcd-wal"))
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n"
            "    kubeadm.kubernetes.io/etcd.advertise-client-urls: %s\n" % client +
            "  creationTimestamp: null\n  labels:\n    component: etcd\n    tier: control-plane\n"
            "  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n    - etcd\n" +
            "".join("    - %s\n" % f for f in flags) +
            "    image: %s\n    imagePullPolicy: IfNotPresent\n" % image +
            "    livenessProbe:\n" + probe % (8, ip, METRICS_PORT) + "    name: etcd\n"
            "    resources:\n      requests:\n        cpu: 100m\n        ephemeral-storage: 100Mi\n        memory: 100Mi\n"
            "    startupProbe:\n" + probe % (24, ip, METRICS_PORT) + "    volumeMounts:\n" +
            "".join("    - mountPath: %s\n      name: %s\n" % m for m in mounts) +
            "  hostNetwork: true\n  priorityClassName: system-node-critical\n  volumes:\n" +
            "".join("  - hostPath:\n      path: %s\n      type: DirectoryOrCreate\n    name: %s\n" % m
                    for m in sorted(mounts, key=lambda m: m[1])) +
            "status: {}\n")


def apiserver_manifest(ip, etcd_servers):
    """kubeadm v1.20's kube-apiserver.yaml on the node's loopback IP (kubelets are reached by node
    name: their serving certs name the node, and they refuse loopback node IPs)."""
    p = "/etc/kubernetes/pki"
    flags = ["--advertise-address=" + ip, "--allow-privileged=true", "--authorization-mode=Node,RBAC",
             "--bind-address=" + ip, "--client-ca-file=%s/ca.crt" % p, "--enable-admission-plugins=NodeRestriction",
             "--enable-bootstrap-token-auth=true", "--endpoint-reconciler-type=none",
             "--etcd-cafile=%s/etcd/ca.crt" % p, "--etcd-certfile=%s/apiserver-etcd-client.crt" % p,
             "--etcd-keyfile=%s/apiserver-etcd-client.key" % p, "--etcd-servers=" + etcd_servers,
             "--insecure-port=0", "--kubelet-client-certificate=%s/apiserver-kubelet-client.crt" % p,
             "--kubelet-client-key=%s/apiserver-kubelet-client.key" % p,
             "--kubelet-preferred-address-types=Hostname,InternalIP,ExternalIP", "--secure-port=%d" % API_PORT,
             "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
             "--service-account-key-file=%s/sa.pub" % p, "--service-account-signing-key-file=%s/sa.key" % p,
             "--service-cluster-ip-range=10.96.0.0/12", "--tls-cert-file=%s/apiserver.crt" % p,
             "--tls-private-key-file=%s/apiserver.key" % p]
    probe = ("      failureThreshold: %d\n      httpGet:\n        host: %s\n        path: %s\n        port: %d\n"
             "        scheme: HTTPS\n%s      periodSeconds: %d\n      timeoutSeconds: 15\n")
    delay = "      initialDelaySeconds: 10\n"
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n"
            "    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: %s:%d\n" % (ip, API_PORT) +
            "  creationTimestamp: null\n  labels:\n    component: kube-apiserver\n    tier: control-plane\n"
            "  name: kube-apiserver\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n"
            "    - kube-apiserver\n" + "".join("    - %s\n" % f for f in flags) +
            "    image: registry.k8s.io/kube-apiserver:v1.20.2\n    imagePullPolicy: IfNotPresent\n"
            "    livenessProbe:\n" + probe % (8, ip, "/livez", API_PORT, delay, 10) + "    name: kube-apiserver\n"
            "    readinessProbe:\n" + probe % (3, ip, "/readyz", API_PORT, "", 1) +
            "    resources:\n      requests:\n        cpu: 250m\n"
            "    startupProbe:\n" + probe % (24, ip, "/livez", API_PORT, delay, 10) +
            "    volumeMounts:\n    - mountPath: /etc/ssl/certs\n      name: ca-certs\n      readOnly: true\n"
            "    - mountPath: /etc/kubernetes/pki\n      name: k8s-certs\n      readOnly: true\n"
            "  hostNetwork: true\n  priorityClassName: system-node-critical\n  volumes:\n"
            "  - hostPath:\n      path: /etc/ssl/certs\n      type: DirectoryOrCreate\n    name: ca-certs\n"
            "  - hostPath:\n      path: /etc/kubernetes/pki\n      type: DirectoryOrCreate\n    name: k8s-certs\n"
            "status: {}\n")


def kubelet_config(ip, name, sync_frequency):
    return """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %(ip)s
port: %(port)d
readOnlyPort: 0
healthzBindAddress: %(ip)s
healthzPort: %(healthz)d
staticPodPath: /etc/kubernetes/manifests
cgroupDriver: cgroupfs
# one cgroup root per kubelet: kubelets sharing /kubepods delete each other's pod cgroups as orphans
cgroupRoot: /realnode-%(name)s
failSwapOn: false
makeIPTablesUtilChains: false
protectKernelDefaults: false
tlsCertFile: /etc/kubernetes/pki/kubelet/kubelet.crt
tlsPrivateKeyFile: /etc/kubernetes/pki/kubelet/kubelet.key
rotateCertificates: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true, cacheTTL: 0s}
  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
authorization:
  mode: Webhook
clusterDomain: cluster.local
clusterDNS: [10.96.0.10]
resolvConf: /etc/resolv.conf
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 50Mi, nodefs.available: 1%%, imagefs.available: 1%%}
syncFrequency: %(sync)s
""" % {"ip": ip, "port": KUBELET_PORT, "healthz": HEALTHZ_PORT, "name": name, "sync": sync_frequency}


def _cgroup_hierarchies():
    return [os.path.join("/sys/fs/cgroup", h) for h in sorted(os.listdir("/sys/fs/cgroup"))
            if os.path.isfile(os.path.join("/sys/fs/cgroup", h, "cgroup.procs"))] or \
        (["/sys/fs/cgroup"] if os.path.isfile("/sys/fs/cgroup/cgroup.procs") else [])


def _pids_in_mount_ns(ns):
    """pids in the mount namespace ns ("mnt:[4026532...]", as readlink /proc/PID/ns/mnt prints)."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                if os.readlink("/proc/%s/ns/mnt" % pid) == ns:
                    out.append(int(pid))
            except OSError:
                pass
    return out


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


class Node:
    def __init__(self, cluster, name, ip):
        self.cluster = cluster
        self.name = name
        self.ip = ip
        self.dir = os.path.join(cluster.workdir, "nodes", self.name)
        self.proc = None  # the namespace's first process (node-init.sh, then node-supervisor.sh)

    # -- on the node ------------------------------------------------------------------------

    @property
    def pid(self):
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("node %s is not running (log: %s/logs/node.log)" % (self.name, self.dir))
        return self.proc.pid

    def run(self, cmd, check=True, env=None, cwd="/root", timeout=300, input=None):
        """cmd (a shell line, or an argv list) inside the node as root logged into it would run it."""
        full = {"PATH": NODE_PATH, "HOME": "/root", "USER": "root", "LOGNAME": "root", "SHELL": "/bin/sh",
                "LANG": "C.UTF-8"}
        full.update(env or {})
        if isinstance(cmd, str):
            inner = ["sh", "-c", "cd %s && %s" % (shlex.quote(cwd), cmd)]
        else:
            inner = ["sh", "-c", 'cd "$0" && exec "$@"', cwd, *cmd]
        argv = ["nsenter", "-t", str(self.pid), "-m", "--", "env", "-i"] + \
               ["%s=%s" % kv for kv in sorted(full.items())] + inner
        start = time.monotonic()
        p = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        r = Result(p.returncode, p.stdout, p.stderr, time.monotonic() - start)
        if check and r.rc != 0:
            raise NodeCommandFailed("on %s: %r: %r" % (self.name, cmd, r))
        return r

    def host_path(self, path):
        """The host-side path of `path` on the node (through the node's root: its own mounts)."""
        return "/proc/%d/root%s" % (self.pid, os.path.normpath(path))

    def write_file(self, path, data, mode=0o644):
        """Writes path on the node atomically (a temp file beside it, then rename)."""
        target = self.host_path(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".realnode-")
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)

    def restart_kubelet(self):
        self.run("systemctl restart kubelet")

    def etcd_manifest(self):
        with open(os.path.join(self.dir, "etc-kubernetes", "manifests", "etcd.yaml")) as f:
            return f.read()

    # -- life cycle (Cluster drives these) ---------------------------------------------------

    def layout(self, pki, initial_cluster, etcd_servers, kubelet_image_tars, kubelet, setup, data_dir=None,
               initial_cluster_state=None):
        c = self.cluster
        k = os.path.join(self.dir, "etc-kubernetes")
        for d in ("logs", "cni/bin", "cni/net.d", "run", "etc-kubernetes/manifests", "etc-kubernetes/pki/etcd",
                  "etc-kubernetes/pki/kubelet"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        for f in ("ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "apiserver-kubelet-client.crt",
                  "apiserver-kubelet-client.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key", "sa.key",
                  "sa.pub", "etcd/ca.crt", "etcd/ca.key", "etcd/healthcheck-client.crt",
                  "etcd/healthcheck-client.key"):
            shutil.copy2(pki.path(f), os.path.join(k, "pki", f))
        for f in ("server.crt", "server.key", "peer.crt", "peer.key"):
            shutil.copy2(pki.path("nodes/%s/etcd/%s" % (self.name, f)), os.path.join(k, "pki", "etcd", f))
        for f in ("kubelet.crt", "kubelet.key"):
            shutil.copy2(pki.path("nodes/%s/%s" % (self.name, f)), os.path.join(k, "pki", "kubelet", f))
        for f in ("apiserver.crt", "apiserver.key"):  # a node added later has its own (Cluster.add_node)
            if os.path.exists(pki.path("nodes/%s/%s" % (self.name, f))):
                shutil.copy2(pki.path("nodes/%s/%s" % (self.name, f)), os.path.join(k, "pki", f))
        nodes = pki.path("nodes/" + self.name)
        with open(os.path.join(k, "kubelet.conf"), "w") as f:
            f.write(kubeconfig_text("https://%s:%d" % (self.ip, API_PORT), pki.path("ca.crt"), "system:node:" + self.name,
                                    nodes + "/kubelet-client.crt", nodes + "/kubelet-client.key"))
        with open(os.path.join(k, "admin.conf"), "w") as f:
            f.write(kubeconfig_text("https://%s:%d" % (self.ip, API_PORT), pki.path("ca.crt"), "kubernetes-admin",
                                    pki.path("admin.crt"), pki.path("admin.key")))
        for f in ("kubelet.conf", "admin.conf"):
            os.chmod(os.path.join(k, f), 0o600)
        with open(os.path.join(k, "kubelet-config.yaml"), "w") as f:
            f.write(kubelet_config(self.ip, self.name, c.sync_frequency))
        with open(os.path.join(self.dir, "hosts"), "w") as f:
            f.write(_read("/etc/hosts") + "\n" + "".join("%s %s\n" % (n.ip, n.name) for n in c.nodes))
        with open(os.path.join(self.dir, "cni", "net.d", "10-loopback.conflist"), "w") as f:
            f.write('{"cniVersion": "0.4.0", "name": "host-network-only", "plugins": [{"type": "loopback"}]}\n')
        with open(os.path.join(PIECES, "containerd.toml.in")) as f:
            toml = f.read().replace("@DIR@", self.dir)
        with open(os.path.join(self.dir, "containerd.toml"), "w") as f:
            f.write(toml)
        with open(os.path.join(self.dir, "node.env"), "w") as f:
            f.write("NODE=%s\nKUBELET=%s\nIMAGES=%s\n" % (self.name, shlex.quote(kubelet),
                                                           shlex.quote(" ".join(kubelet_image_tars))))
        if setup:
            with open(os.path.join(self.dir, "setup.sh"), "w") as f:
                f.write(setup + "\n")
        m = os.path.join(k, "manifests")
        with open(os.path.join(m, "etcd.yaml"), "w") as f:
            f.write(etcd_manifest(self.name, self.ip, initial_cluster, len(c.nodes) == 1, data_dir or c.data_dir,
                                  c.wal_dir, images.ETCD35_REF if c.etcd == "3.5" else images.ETCD_REF,
                                  initial_cluster_state))
        with open(os.path.join(m, "kube-apiserver.yaml"), "w") as f:
            f.write(apiserver_manifest(self.ip, etcd_servers))

    def start(self):
        for h in _cgroup_hierarchies():
            root = os.path.join(h, "realnode-" + self.name)
            os.makedirs(root, exist_ok=True)
            for f in ("cpuset.cpus", "cpuset.mems"):
                if os.path.isfile(os.path.join(h, f)):
                    with open(os.path.join(root, f), "w") as out:
                        out.write(_read(os.path.join(h, f)) + "\n")
        os.makedirs(STATE_DIR, exist_ok=True)
        with open(os.path.join(STATE_DIR, self.name), "w") as f:
            f.write("%s\n%d\n" % (self.dir, os.getpid()))
        log = open(os.path.join(self.dir, "logs", "node.log"), "ab")
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--",
                                      os.path.join(PIECES, "node-init.sh"), self.dir],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()

    def stop(self):
        stop_node_dir(self.dir, self.name, self.proc)
        self.proc = None


def stop_node_dir(d, name, proc=None):
    """Stops everything a node started: the kubelet loop, the containers (ctr), containerd,
    leftover shims and container processes (by pid, found by the node dir in their command lines
    and in the node's cgroups), then removes the node's cgroups."""
    with open(os.path.join(d, "node.stop"), "w"):
        pass
    kubelet = _read(os.path.join(d, "kubelet.pid"))
    if kubelet.isdigit() and _alive(int(kubelet)):
        os.kill(int(kubelet), signal.SIGTERM)
    ns = proc.pid if proc is not None and proc.poll() is None else None
    if ns is not None and os.path.exists(os.path.join(d, "run", "containerd", "containerd.sock")):
        ctr = ["nsenter", "-t", str(ns), "-m", "--", "ctr", "-n", "k8s.io"]
        tasks = subprocess.run(ctr + ["tasks", "ls", "-q"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               timeout=30).stdout.decode().split()
        for t in tasks:
            subprocess.run(ctr + ["tasks", "kill", "-s", "SIGKILL", t], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + 10
        while tasks and time.monotonic() < deadline:
            for t in tasks:
                subprocess.run(ctr + ["tasks", "delete", t], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=30)
            tasks = subprocess.run(ctr + ["tasks", "ls", "-q"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   timeout=30).stdout.decode().split()
            if tasks:
                time.sleep(0.2)
    containerd = _read(os.path.join(d, "containerd.pid"))
    if containerd.isdigit() and _alive(int(containerd)) and d in _read("/proc/%s/cmdline" % containerd):
        os.kill(int(containerd), signal.SIGTERM)
    # What is left: processes in the node's mount namespace (supervisor, kubelet, containerd, its
    # shims, commands run on the node) and in the node's cgroups (containers whose task delete
    # failed). TERM, then KILL.
    ns_mnt = _read(os.path.join(d, "ns.mnt"))
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        pids = set()
        if ns_mnt.startswith("mnt:["):
            pids.update(_pids_in_mount_ns(ns_mnt))
        for h in _cgroup_hierarchies():
            for root, _, files in os.walk(os.path.join(h, "realnode-" + name)):
                pids.update(int(p) for p in _read(os.path.join(root, "cgroup.procs")).split() if p.isdigit())
        if proc is not None and proc.poll() is None:
            pids.add(proc.pid)
        pids.discard(os.getpid())
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            if proc is not None:
                proc.poll()
            time.sleep(0.1)
        if not any(_alive(p) for p in pids):
            break
    if proc is not None:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
    for h in _cgroup_hierarchies():
        top = os.path.join(h, "realnode-" + name)
        for root, dirs, _ in os.walk(top, topdown=False):
            try:
                os.rmdir(root)
            except OSError:
                pass
    for f in ("kubelet.pid", "containerd.pid", "ns.mnt"):
        try:
            os.remove(os.path.join(d, f))
        except FileNotFoundError:
            pass
    try:
        os.remove(os.path.join(STATE_DIR, name))
    except FileNotFoundError:
        pass


def reap_stale(under=None, wait=1800):
    """Stops the nodes a killed run left (recorded in STATE_DIR; only those under `under` when
    given). Nodes whose owner process still runs belong to another cluster on this machine: the
    ports are fixed, so this waits up to `wait` seconds for it to finish instead."""
    if not os.path.isdir(STATE_DIR):
        return
    deadline = time.monotonic() + wait
    for name in sorted(n for n in os.listdir(STATE_DIR) if not n.startswith(".")):  # .lock: Cluster.up's
        lines = _read(os.path.join(STATE_DIR, name)).splitlines()
        d = lines[0] if lines else ""
        owner = int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else 0
        if under and not d.startswith(os.path.abspath(under) + "/"):
            continue
        while owner and owner != os.getpid() and _alive(owner) and os.path.exists(os.path.join(STATE_DIR, name)):
            if time.monotonic() > deadline:
                raise RuntimeError("node %s of another cluster (%s, run by pid %d) still runs" % (name, d, owner))
            time.sleep(2)
        if d and os.path.isdir(d) and os.path.exists(os.path.join(STATE_DIR, name)):
            stop_node_dir(d, name)
        else:
            try:
                os.remove(os.path.join(STATE_DIR, name))
            except FileNotFoundError:
                pass


class Cluster:
    def __init__(self, workdir, nodes=1, data_dir="/var/lib/etcd", wal_dir=None, node_setup=None,
                 kubelet_config=True, sync_frequency="10s", etcd="3.4", log=None):
        if nodes not in (1, 3):
            raise ValueError("nodes must be 1 or 3")
        if etcd not in ("3.4", "3.5"):
            raise ValueError("etcd must be 3.4 (3.4.23) or 3.5 (3.5.30)")
        self.etcd = etcd
        self.workdir = os.path.abspath(workdir)
        for shadowed in ("/etc", "/var", "/root", "/run", "/usr/local/sbin", "/proc"):
            if self.workdir == shadowed or self.workdir.startswith(shadowed + "/"):
                raise ValueError("workdir %s is under %s, which the nodes overlay" % (self.workdir, shadowed))
        self.data_dir, self.wal_dir, self.node_setup = data_dir, wal_dir, node_setup
        self.kubelet_config, self.sync_frequency = kubelet_config, sync_frequency
        self.log = log or (lambda text: print("realnode: " + text, file=sys.stderr, flush=True))
        self.nodes = [Node(self, "cp-%d" % i, "127.0.1.%d" % i) for i in range(1, nodes + 1)]
        self.kubeconfig = os.path.join(self.workdir, "admin.conf")
        self.endpoints = ",".join("https://%s:%d" % (n.ip, CLIENT_PORT) for n in self.nodes)
        self.timings = {}
        self._pki = None
        self._node_images = None  # (kubelet, image tars) for add_node
        self._old_handlers = None
        self._lock = None

    def __enter__(self):
        self._old_handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}

        def on_signal(sig, _):
            raise KeyboardInterrupt("signal %d" % sig)
        for s in self._old_handlers:
            signal.signal(s, on_signal)
        atexit.register(self.down)  # also when an interrupt ends the process outside the with-block
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()
        for s, h in (self._old_handlers or {}).items():
            signal.signal(s, h)
        return False

    def pki(self, name):
        return self._pki.path(name)

    def up(self):
        # One cluster at a time on this machine (fixed IPs and ports): an exclusive lock held until
        # down (the kernel drops it if this process dies); then whatever a killed run left is stopped.
        t0 = time.monotonic()
        os.makedirs(STATE_DIR, exist_ok=True)
        self._lock = open(os.path.join(STATE_DIR, ".lock"), "w")
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - t0 > 1800:
                    raise RuntimeError("another real-node cluster has held %s/.lock for 30 min" % STATE_DIR)
                time.sleep(1)
        reap_stale()
        self.timings["waiting for other clusters"] = time.monotonic() - t0
        t0 = time.monotonic()
        kubelet = kubelet_binary()
        etcd35 = None
        if self.etcd == "3.5":
            etcd35 = os.path.dirname(find_etcd("3.5.30") or "")
            if not etcd35:
                raise RuntimeError("etcd 3.5.30 is not unpacked (scripts/install-deps.sh)")
        tars = images.ensure(apiserver_binary(), etcd35=etcd35)
        self._node_images = (kubelet, [tars["pause"], tars["etcd-3.5" if etcd35 else "etcd"], tars["kube-apiserver"]])
        self.timings["binaries and images"] = time.monotonic() - t0
        os.makedirs(self.workdir, exist_ok=True)
        self._pki = _Pki(os.path.join(self.workdir, "pki"), [(n.name, n.ip) for n in self.nodes])
        with open(self.kubeconfig, "w") as f:
            f.write(kubeconfig_text("https://%s:%d" % (self.nodes[0].ip, API_PORT), self.pki("ca.crt"),
                                    "kubernetes-admin", self.pki("admin.crt"), self.pki("admin.key")))
        os.chmod(self.kubeconfig, 0o600)
        initial = ",".join("%s=https://%s:%d" % (n.name, n.ip, PEER_PORT) for n in self.nodes)
        for n in self.nodes:
            servers = "https://127.0.0.1:%d" % CLIENT_PORT if len(self.nodes) == 1 else \
                "https://%s:%d" % (n.ip, CLIENT_PORT)
            n.layout(self._pki, initial, servers, self._node_images[1], kubelet, self.node_setup)
        t0 = time.monotonic()
        for n in self.nodes:
            n.start()
        self.wait_ready(timeout=300, t0=t0, after_api=self._upload_kubeadm_config)
        self.log("%d node(s) up: %s" % (len(self.nodes), ", ".join(
            "%s +%.1fs" % (k, v) for k, v in self.timings.items())))

    def add_node(self, name, ip, initial_cluster, data_dir=None):
        """A new control-plane node joining the running cluster, laid out as kubeadm join
        --control-plane leaves a machine (a stand-in: there is no kubeadm in Debian, so this writes
        what it would): certs for the node's own address signed by the cluster's CAs (etcd server
        and peer, kube-apiserver, the kubelet's), the shared CA and service-account keys, the
        kubeconfigs, the etcd static pod with --initial-cluster=initial_cluster and
        --initial-cluster-state=existing on an empty data_dir (default: the cluster's), and the
        kube-apiserver static pod against its own etcd member. No `etcdctl member add`: the caller
        says which --initial-cluster the member starts with (the member must be in the cluster
        already, or be added first). Starts the node (same ports as the others, on ip) and returns
        it without waiting; `down` stops it with the others."""
        if any(n.name == name or n.ip == ip for n in self.nodes):
            raise ValueError("a node named %s or on %s exists" % (name, ip))
        node = Node(self, name, ip)
        self.nodes.append(node)  # before anything runs: down covers it
        self.endpoints = ",".join("https://%s:%d" % (n.ip, CLIENT_PORT) for n in self.nodes)
        self._pki.node_certs(name, ip, apiserver=True)
        kubelet, tars = self._node_images
        node.layout(self._pki, initial_cluster, "https://%s:%d" % (ip, CLIENT_PORT), tars, kubelet, self.node_setup,
                    data_dir=data_dir, initial_cluster_state="existing")
        node.start()
        return node

    def down(self):
        for n in self.nodes:
            recorded = _read(os.path.join(STATE_DIR, n.name)).split("\n")[0]
            if n.proc is not None or recorded == n.dir:
                n.stop()
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    # -- clients from the host ------------------------------------------------------------------

    def kubectl(self, *args, check=True, input=None, timeout=60):
        p = subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig, *args], input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        r = Result(p.returncode, p.stdout, p.stderr, 0)
        if check and r.rc != 0:
            raise AssertionError("kubectl %s: %r" % (" ".join(args), r))
        return r

    def etcdctl(self, *args, endpoints=None, timeout=30):
        p = subprocess.run([ETCDCTL, "--endpoints", endpoints or self.endpoints, "--cacert", self.pki("etcd/ca.crt"),
                            "--cert", self.pki("apiserver-etcd-client.crt"), "--key",
                            self.pki("apiserver-etcd-client.key"), "--dial-timeout=2s", "--command-timeout=5s", *args],
                           env={"PATH": NODE_PATH, "ETCDCTL_API": "3"}, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return Result(p.returncode, p.stdout, p.stderr, 0)

    def _readyz(self, node):
        ctx = ssl.create_default_context(cafile=self.pki("ca.crt"))
        ctx.load_cert_chain(self.pki("admin.crt"), self.pki("admin.key"))
        try:
            with urllib.request.urlopen("https://%s:%d/readyz" % (node.ip, API_PORT), context=ctx, timeout=3) as r:
                return r.read() == b"ok"
        except OSError:
            return False

    def _upload_kubeadm_config(self):
        """The ConfigMaps kubeadm init uploads (v1.20 names): kubeadm-config, kubelet-config-1.20."""
        status = "apiEndpoints:\n" + "".join("  %s:\n    advertiseAddress: %s\n    bindPort: %d\n" % (n.name, n.ip, API_PORT)
                                             for n in self.nodes) + \
            "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterStatus\n"
        cfg = ("apiServer:\n  extraArgs:\n    authorization-mode: Node,RBAC\napiVersion: kubeadm.k8s.io/v1beta2\n"
               "certificatesDir: /etc/kubernetes/pki\nclusterName: kubernetes\ncontrolPlaneEndpoint: %s:%d\n"
               "etcd:\n  local:\n    dataDir: %s\nimageRepository: registry.k8s.io\nkind: ClusterConfiguration\n"
               "kubernetesVersion: v1.20.2\nnetworking:\n  dnsDomain: cluster.local\n  serviceSubnet: 10.96.0.0/12\n"
               % (self.nodes[0].ip, API_PORT, self.data_dir))
        objs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                 "data": {"ClusterConfiguration": cfg, "ClusterStatus": status}}]
        if self.kubelet_config:
            with open(os.path.join(self.nodes[0].dir, "etc-kubernetes", "kubelet-config.yaml")) as f:
                kc = f.read()
            objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "kubelet-config-1.20", "namespace": "kube-system"}, "data": {"kubelet": kc}})
        for o in objs:
            self.kubectl("apply", "-f", "-", input=json.dumps(o).encode())

    def wait_ready(self, timeout=300, t0=None, after_api=None):
        """Waits until every etcd member is healthy, every apiserver's /readyz is ok, every node
        Ready and every mirror pod Running and ready; records the times in self.timings."""
        t0 = time.monotonic() if t0 is None else t0
        deadline = t0 + timeout
        want_pods = 2 * len(self.nodes)
        stage, last = "etcd", None
        while True:
            for n in self.nodes:
                if n.proc is None or n.proc.poll() is not None:
                    raise RuntimeError("node %s exited (logs: %s/logs)" % (n.name, n.dir))
            if stage == "etcd":
                last = self.etcdctl("endpoint", "health", timeout=15)
                if last.rc == 0:
                    self.timings["etcd healthy"] = time.monotonic() - t0
                    stage = "apiservers"
            if stage == "apiservers":
                last = [n.name for n in self.nodes if not self._readyz(n)]
                if not last:
                    self.timings["apiservers ready"] = time.monotonic() - t0
                    if after_api:
                        after_api()
                    stage = "nodes"
            if stage == "nodes":
                r = self.kubectl("get", "nodes", "-o", "json", check=False)
                if r.rc == 0:
                    ready = [i["metadata"]["name"] for i in json.loads(r.stdout)["items"]
                             if any(c["type"] == "Ready" and c["status"] == "True" for c in i["status"]["conditions"])]
                    last = ready
                    if len(ready) == len(self.nodes):
                        self.timings["nodes Ready"] = time.monotonic() - t0
                        stage = "pods"
            if stage == "pods":
                r = self.kubectl("-n", "kube-system", "get", "pods", "-o", "json", check=False)
                if r.rc == 0:
                    running = [p["metadata"]["name"] for p in json.loads(r.stdout)["items"]
                               if p["status"].get("phase") == "Running" and
                               all(c.get("ready") for c in p["status"].get("containerStatuses") or [{}])]
                    last = running
                    if len(running) == want_pods:
                        self.timings["mirror pods Running"] = time.monotonic() - t0
                        return
            if time.monotonic() > deadline:
                raise AssertionError("cluster not ready after %d s, waiting for %s: %r (logs: %s/nodes/*/logs)"
                                     % (timeout, stage, last, self.workdir))
            time.sleep(0.5)
