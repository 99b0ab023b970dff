"""A real kube-apiserver (v1.20 built from Debian's source by scripts/kube-apiserver.sh) over
a real TLS etcd, with a kubeadm-shaped PKI, for the kubectl-etcdrestore e2e tests.

Without kubelets (a kube-apiserver starts in seconds; real nodes with kubelets are
realnode.py, for the tests that need a node), tests create what a kubelet would: Node objects
(status with InternalIP and the kubelet port) and mirror pods of kubeadm's static pods (Node owner,
config.mirror/config.source annotations, kubeadm's etcd command line, etcd-data/etcd-certs
hostPath volumes), with their status patched to Running.

Python 3 stdlib + openssl CLI + kubectl (/usr/bin/kubectl).
"""

import base64
import json
import os
import ssl
import subprocess
import time
import urllib.request

import pki
from harness import Cluster, free_port, run

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")


def kube_apiserver_binary():
    """Path of the cached kube-apiserver; builds it (about 4 minutes) when missing."""
    explicit = os.environ.get("KUBE_APISERVER")
    if explicit:
        return explicit
    r = subprocess.run(["bash", os.path.join(REPO, "scripts", "kube-apiserver.sh"), "path"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError("scripts/kube-apiserver.sh path failed:\n" + r.stderr.decode(errors="replace")[-3000:])
    return r.stdout.decode().strip()


class Pki:
    """kubeadm's file names under dir (dir plays /etc/kubernetes/pki). EC P-256 keys, valid 2 days
    (pki.py makes them)."""

    DAYS = 2

    def __init__(self, d):
        self.dir = d
        os.makedirs(os.path.join(d, "etcd"), exist_ok=True)
        for name, cn in (("ca", "kubernetes"), ("etcd/ca", "etcd-ca"), ("other-ca", "unrelated-ca")):
            pki.ca(d, name, cn, days=self.DAYS)
        local = "IP:127.0.0.1,DNS:localhost"
        for name, ca, subj, eku, san in (
                ("apiserver", "ca", "/CN=kube-apiserver", "serverAuth", local + ",DNS:kubernetes"),
                ("admin", "ca", "/O=system:masters/CN=kubernetes-admin", "clientAuth", None),
                ("nobody", "ca", "/CN=nobody", "clientAuth", None),
                ("apiserver-kubelet-client", "ca", "/O=system:masters/CN=kube-apiserver-kubelet-client", "clientAuth",
                 None),
                ("kubelet", "ca", "/CN=kubelet", "serverAuth", local),
                ("etcd/server", "etcd/ca", "/CN=cp1", "serverAuth,clientAuth", local),
                ("etcd/peer", "etcd/ca", "/CN=cp1", "serverAuth,clientAuth", local),
                ("etcd/healthcheck-client", "etcd/ca", "/CN=kube-etcd-healthcheck-client", "clientAuth", None),
                ("apiserver-etcd-client", "etcd/ca", "/O=system:masters/CN=kube-apiserver-etcd-client", "clientAuth",
                 None)):
            pki.leaf(d, name, ca, subj, eku, san, days=self.DAYS)
        pki.service_account_keys(d)
        pki.restrict_keys(d)

    def path(self, name):
        return os.path.join(self.dir, name)


class EtcdTls:
    """The harness.Etcd TLS interface over a Pki: etcd's server cert, the apiserver's client cert."""

    def __init__(self, pki):
        self.ca = pki.path("etcd/ca.crt")
        self.server_cert = pki.path("etcd/server.crt")
        self.server_key = pki.path("etcd/server.key")
        self.client_cert = pki.path("apiserver-etcd-client.crt")
        self.client_key = pki.path("apiserver-etcd-client.key")


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


class KubeApiServer:
    """kube-apiserver + its etcd (name cp1, etcd 3.4) on loopback. Use as a context manager."""

    STATIC_TOKEN = "e2e-static-token-0123456789abcdef"  # for --token and exec plugin tests

    def __init__(self, extra_args=()):
        self.cluster = Cluster()
        self.dir = self.cluster.dir
        self.proc = None
        self.extra_args = list(extra_args)  # more kube-apiserver flags; "{dir}" is the server's dir

    def __enter__(self):
        try:
            self.start()
        except Exception:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        binary = kube_apiserver_binary()
        self.pki = Pki(os.path.join(self.dir, "pki"))
        self.etcd_tls = EtcdTls(self.pki)
        self.etcd = self.cluster.start_etcd("3.4", name="cp1", tls=self.etcd_tls,
                                            data_dir=os.path.join(self.dir, "var-lib-etcd"))
        self.port = free_port()
        self.server = "https://127.0.0.1:%d" % self.port
        tokens = os.path.join(self.dir, "tokens.csv")
        with open(tokens, "w") as f:
            f.write('%s,plugin-user,uid-plugin,"system:masters"\n' % self.STATIC_TOKEN)
        p = self.pki.path
        self.args = [
            binary, "--advertise-address=127.0.0.1", "--bind-address=127.0.0.1",
            "--secure-port=%d" % self.port, "--insecure-port=0",
            "--etcd-servers=" + self.etcd.client_url, "--etcd-cafile=" + p("etcd/ca.crt"),
            "--etcd-certfile=" + p("apiserver-etcd-client.crt"), "--etcd-keyfile=" + p("apiserver-etcd-client.key"),
            "--client-ca-file=" + p("ca.crt"), "--tls-cert-file=" + p("apiserver.crt"),
            "--tls-private-key-file=" + p("apiserver.key"),
            "--kubelet-client-certificate=" + p("apiserver-kubelet-client.crt"),
            "--kubelet-client-key=" + p("apiserver-kubelet-client.key"),
            "--kubelet-certificate-authority=" + p("ca.crt"),
            "--kubelet-preferred-address-types=InternalIP",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=" + p("sa.pub"), "--service-account-signing-key-file=" + p("sa.key"),
            "--service-cluster-ip-range=10.96.0.0/12", "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true", "--endpoint-reconciler-type=none", "--token-auth-file=" + tokens,
            "--cert-dir=" + os.path.join(self.dir, "apiserver-certs")]
        self.args += [a.replace("{dir}", self.dir) for a in self.extra_args]
        self.log_path = os.path.join(self.dir, "kube-apiserver.log")
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.kubeconfig = self.write_kubeconfig("admin.conf", user={
            "client-certificate-data": b64file(p("admin.crt")), "client-key-data": b64file(p("admin.key"))})
        self._wait_ready()

    def _wait_ready(self, timeout=90):
        ctx = ssl.create_default_context(cafile=self.pki.path("ca.crt"))
        ctx.load_cert_chain(self.pki.path("admin.crt"), self.pki.path("admin.key"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kube-apiserver exited; log %s:\n%s" % (self.log_path, open(self.log_path).read()[-3000:]))
            try:
                with urllib.request.urlopen(self.server + "/readyz", context=ctx, timeout=2) as r:
                    if r.read() == b"ok":
                        return
            except Exception:
                pass
            time.sleep(0.25)
        raise RuntimeError("kube-apiserver not ready after %ss; log %s" % (timeout, self.log_path))

    def write_kubeconfig(self, name, user, server=None, ca=None, namespace=None):
        """Writes a kubeconfig (JSON is YAML) with one context "e2e"; returns its path."""
        cluster = {"server": server or self.server,
                   "certificate-authority-data": b64file(ca or self.pki.path("ca.crt"))}
        context = {"cluster": "e2e", "user": "e2e-user"}
        if namespace:
            context["namespace"] = namespace
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "e2e",
               "clusters": [{"name": "e2e", "cluster": cluster}],
               "users": [{"name": "e2e-user", "user": user}],
               "contexts": [{"name": "e2e", "context": context}]}
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        os.chmod(path, 0o600)
        return path

    def kubectl(self, *args, input=None, check=True):
        r = run([KUBECTL, "--kubeconfig", self.kubeconfig, *args],
                input=input.encode() if isinstance(input, str) else input, timeout=60)
        if check and r.rc != 0:
            raise RuntimeError("kubectl %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
        return r

    def apply(self, obj):
        self.kubectl("apply", "-f", "-", input=json.dumps(obj))

    def patch_status(self, kind, name, status, namespace=None):
        ns = ["-n", namespace] if namespace else []
        self.kubectl(*ns, "patch", kind, name, "--subresource=status", "--type=merge",
                     "-p", json.dumps({"status": status}))

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.cluster.close()

    # --- what a kubelet would create -------------------------------------------------

    def add_node(self, name, kubelet_port=10250, address="127.0.0.1"):
        self.apply({"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                          "node-role.kubernetes.io/control-plane": ""}}})
        self.patch_status("node", name, {
            "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "e2e", "lastHeartbeatTime": "2024-01-01T00:00:00Z",
                            "lastTransitionTime": "2024-01-01T00:00:00Z"}]})
        return json.loads(self.kubectl("get", "node", name, "-o", "json").stdout)["metadata"]["uid"]

    def add_mirror_pod(self, name, node, component, image, command, volumes, mounts):
        """A kubeadm static pod's mirror pod, Running and Ready on node."""
        uid = json.loads(self.kubectl("get", "node", node, "-o", "json").stdout)["metadata"]["uid"]
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": name, "namespace": "kube-system",
                "labels": {"component": component, "tier": "control-plane"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node, "uid": uid,
                                     "controller": True}],
                "annotations": {"kubernetes.io/config.hash": "0123456789abcdef0123456789abcdef",
                                "kubernetes.io/config.mirror": "0123456789abcdef0123456789abcdef",
                                "kubernetes.io/config.seen": "2024-01-01T00:00:00.000000000Z",
                                "kubernetes.io/config.source": "file"}},
            "spec": {"nodeName": node, "hostNetwork": True, "priorityClassName": "system-node-critical",
                     "containers": [{"name": component, "image": image, "command": command,
                                     "volumeMounts": mounts}],
                     "volumes": volumes}}
        self.apply(pod)
        self.patch_status("pod", name, {
            "phase": "Running", "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": component, "ready": True, "restartCount": 0, "image": image,
                                   "imageID": "", "started": True,
                                   "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]},
            namespace="kube-system")

    def add_etcd_pod(self, node, etcd, certs_host_dir, data_dir="/var/lib/etcd", space_form=False,
                     image="registry.k8s.io/etcd:3.4.13-0", initial_cluster=None):
        """The kubeadm etcd mirror pod describing harness.Etcd `etcd` (a real local member).
        Container paths are kubeadm's (/etc/kubernetes/pki/etcd, data_dir); the hostPath
        volumes map them to the real files."""
        c = "/etc/kubernetes/pki/etcd"
        flags = [("advertise-client-urls", etcd.client_url), ("cert-file", c + "/server.crt"),
                 ("client-cert-auth", "true"), ("data-dir", data_dir),
                 ("initial-advertise-peer-urls", etcd.peer_url),
                 ("initial-cluster", initial_cluster or "%s=%s" % (etcd.name, etcd.peer_url)),
                 ("key-file", c + "/server.key"), ("listen-client-urls", etcd.client_url),
                 ("listen-metrics-urls", "http://127.0.0.1:%d" % free_port()),
                 ("listen-peer-urls", etcd.peer_url), ("name", etcd.name),
                 ("peer-cert-file", c + "/peer.crt"), ("peer-client-cert-auth", "true"),
                 ("peer-key-file", c + "/peer.key"), ("peer-trusted-ca-file", c + "/ca.crt"),
                 ("snapshot-count", "10000"), ("trusted-ca-file", c + "/ca.crt")]
        command = ["etcd"]
        for k, v in flags:
            if space_form and k not in ("client-cert-auth", "peer-client-cert-auth"):
                command += ["--" + k, v]
            else:
                command.append("--%s=%s" % (k, v))
        volumes = [{"name": "etcd-certs", "hostPath": {"path": certs_host_dir, "type": "DirectoryOrCreate"}},
                   {"name": "etcd-data", "hostPath": {"path": etcd.data_dir, "type": "DirectoryOrCreate"}}]
        mounts = [{"name": "etcd-data", "mountPath": data_dir}, {"name": "etcd-certs", "mountPath": c}]
        self.add_mirror_pod("etcd-" + node, node, "etcd", image, command, volumes, mounts)

    def add_apiserver_pod(self, node, etcd_servers, pki_host_dir):
        c = "/etc/kubernetes/pki"
        command = ["kube-apiserver", "--advertise-address=127.0.0.1", "--allow-privileged=true",
                   "--authorization-mode=Node,RBAC", "--client-ca-file=%s/ca.crt" % c,
                   "--etcd-cafile=%s/etcd/ca.crt" % c, "--etcd-certfile=%s/apiserver-etcd-client.crt" % c,
                   "--etcd-keyfile=%s/apiserver-etcd-client.key" % c, "--etcd-servers=" + ",".join(etcd_servers),
                   "--secure-port=6443"]
        volumes = [{"name": "k8s-certs", "hostPath": {"path": pki_host_dir, "type": "DirectoryOrCreate"}}]
        mounts = [{"name": "k8s-certs", "mountPath": c, "readOnly": True}]
        self.add_mirror_pod("kube-apiserver-" + node, node, "kube-apiserver", "k8s.gcr.io/kube-apiserver:v1.20.2",
                            command, volumes, mounts)

    def add_kubeadm_config(self, external_endpoints=None):
        etcd = ("    external:\n      endpoints:\n" + "".join("      - %s\n" % e for e in external_endpoints)
                if external_endpoints else "    local:\n      dataDir: /var/lib/etcd\n")
        cfg = ("apiServer:\n  extraArgs:\n    authorization-mode: Node,RBAC\napiVersion: kubeadm.k8s.io/v1beta2\n"
               "certificatesDir: /etc/kubernetes/pki\nclusterName: kubernetes\ncontrolPlaneEndpoint: 127.0.0.1:6443\n"
               "etcd:\n" + etcd + "imageRepository: k8s.gcr.io\nkind: ClusterConfiguration\nkubernetesVersion: v1.20.2\n")
        self.apply({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                    "data": {"ClusterConfiguration": cfg}})
        # kubeadm 1.20 names it after the minor version; it holds the kubelet's staticPodPath.
        self.apply({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "kubelet-config-1.20", "namespace": "kube-system"},
                    "data": {"kubelet": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                                        "staticPodPath: /etc/kubernetes/manifests\n"}})

    def reset_control_plane(self):
        """Removes every control-plane pod, node and the kubeadm-config (between scenarios)."""
        self.kubectl("-n", "kube-system", "delete", "pods", "-l", "component in (etcd,kube-apiserver)",
                     "--force", "--grace-period=0", "--wait=false", check=False)
        self.kubectl("delete", "nodes", "--all", "--wait=false", check=False)
        self.kubectl("-n", "kube-system", "delete", "configmap", "kubeadm-config", "kubelet-config-1.20",
                     "--ignore-not-found", check=False)
