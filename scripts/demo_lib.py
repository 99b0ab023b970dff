"""The demo behind scripts/demo.sh: seed 002 (single kubeadm node) and seed 000's HA case
(three etcd members) end to end with real parts, each step printed as a person types it.

Real: kube-apiserver v1.20 (scripts/kube-apiserver.sh), etcd 3.4.23 with kubeadm's TLS
layout, /usr/bin/kubectl, kubectl-etcdrestore and etcdctl-ext. Test doubles, because no
kubelet or container runtime can run here: the kubelet (tests/e2e/fake_node.py, extended
below to run kube-apiserver pods too) starts and stops the real processes from the static
pod manifests it finds under each node's root, and crictl reads its state. No
controller-manager or scheduler runs: a Deployment is only its object, no ReplicaSet or Pods.

A "node" is a directory playing that node's / (HOST_ROOT of the plan's scripts):
  etc/kubernetes/manifests/{etcd,kube-apiserver}.yaml, etc/kubernetes/pki (kubeadm's file
  names), var/lib/etcd, run/containers.json (the kubelet double's state).

Usage (scripts/demo.sh sets the paths):
  python3 demo_lib.py run --dir DIR --bin DIR --kube-apiserver BIN [--scenario single|ha|all]
  python3 demo_lib.py kubelet --root R --manifests DIR --etcd BIN --state FILE
                              --kube-apiserver BIN --pidfile FILE
  python3 demo_lib.py reap DIR   # stops every process a demo in DIR started (by pid)
Exit status of run: 0 when every scenario ended with nginx-deployment back, else 1.
"""

import argparse
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
E2E = os.path.join(REPO, "tests", "e2e")
sys.path.insert(0, E2E)

import fake_node  # noqa: E402
from harness import free_port  # noqa: E402
from kube_harness import Pki, b64file  # noqa: E402

KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
ETCD = os.environ.get("ETCD", "/usr/bin/etcd")
PKI = "/etc/kubernetes/pki"
MANIFESTS = "/etc/kubernetes/manifests"
PIDFILE = "pids"  # under the demo dir: every process started, one pid a line

# The Deployment of seed 002 (kubectl apply -f https://k8s.io/examples/application/deployment.yaml).
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
spec:
  selector:
    matchLabels:
      app: nginx
  replicas: 2
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""


class DemoFailed(Exception):
    pass


def record_pid(pidfile, pid):
    with open(pidfile, "a") as f:
        f.write("%d\n" % pid)


# --- the kubelet double -----------------------------------------------------------------


def apiserver_argv(pod, root, binary):
    """The kube-apiserver argv for a pod whose container is kube-apiserver, else None.
    Flag values under a volumeMount are mapped to root + hostPath (fake_node.map_value)."""
    spec = pod.get("spec") or {}
    volumes = {v["name"]: v["hostPath"] for v in spec.get("volumes") or [] if "hostPath" in v}
    for c in spec.get("containers") or []:
        if c.get("name") != "kube-apiserver":
            continue
        mounts = [(m["mountPath"], volumes[m["name"]]["path"]) for m in c.get("volumeMounts") or []
                  if m["name"] in volumes]
        out = [binary]
        for word in (c.get("command") or [])[1:] + (c.get("args") or []):
            if word.startswith("--") and "=" in word:
                flag, value = word.split("=", 1)
                out.append(flag + "=" + fake_node.map_value(value, mounts, root))
            else:
                out.append(fake_node.map_value(word, mounts, root))
        return out
    return None


class Kubelet(fake_node.Kubelet):
    """fake_node's kubelet double, which runs etcd pods, also running kube-apiserver pods;
    every process it starts is recorded in pidfile."""

    def __init__(self, root, manifests, etcd_bin, state, apiserver_bin, pidfile):
        super().__init__(root, manifests, etcd_bin, state)
        self.apiserver_bin, self.pidfile = apiserver_bin, pidfile

    def start(self, f, text, digest):
        argv = apiserver_argv(fake_node._load_yaml(text) or {}, self.root, self.apiserver_bin)
        if argv is None:
            return super().start(f, text, digest)
        self.serial += 1
        entry = {"hash": digest, "id": "%012x" % (self.serial * 7919 + int(digest[:6], 16)), "proc": None,
                 "argv": argv, "name": "kube-apiserver", "waiting": False}
        self.spawn(entry)
        self.pods[f] = entry

    def spawn(self, entry):
        super().spawn(entry)
        record_pid(self.pidfile, entry["proc"].pid)


# --- one node, one cluster ---------------------------------------------------------------


def etcd_manifest(node, initial_cluster, state="new"):
    """kubeadm v1.20's etcd static pod (stacked etcd, TLS clients and peers) on loopback ports."""
    c = PKI + "/etcd"
    flags = [
        "--advertise-client-urls=" + node.client_url,
        "--cert-file=%s/server.crt" % c,
        "--client-cert-auth=true",
        "--data-dir=/var/lib/etcd",
        "--initial-advertise-peer-urls=" + node.peer_url,
        "--initial-cluster=" + initial_cluster,
        "--initial-cluster-state=" + state,
        "--key-file=%s/server.key" % c,
        "--listen-client-urls=" + node.client_url,
        "--listen-metrics-urls=http://127.0.0.1:%d" % node.metrics_port,
        "--listen-peer-urls=" + node.peer_url,
        "--name=" + node.name,
        "--peer-cert-file=%s/peer.crt" % c,
        "--peer-client-cert-auth=true",
        "--peer-key-file=%s/peer.key" % c,
        "--peer-trusted-ca-file=%s/ca.crt" % c,
        "--snapshot-count=10000",
        "--trusted-ca-file=%s/ca.crt" % c,
    ]
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n"
            "    kubeadm.kubernetes.io/etcd.advertise-client-urls: %s\n" % node.client_url +
            "  labels:\n    component: etcd\n    tier: control-plane\n  name: etcd\n  namespace: kube-system\n"
            "spec:\n  containers:\n  - command:\n    - etcd\n" + "".join("    - %s\n" % f for f in flags) +
            "    image: k8s.gcr.io/etcd:3.4.13-0\n    name: etcd\n    volumeMounts:\n"
            "    - mountPath: /var/lib/etcd\n      name: etcd-data\n"
            "    - mountPath: %s\n      name: etcd-certs\n" % c +
            "  hostNetwork: true\n  priorityClassName: system-node-critical\n  volumes:\n"
            "  - hostPath:\n      path: %s\n      type: DirectoryOrCreate\n    name: etcd-certs\n" % c +
            "  - hostPath:\n      path: /var/lib/etcd\n      type: DirectoryOrCreate\n    name: etcd-data\n"
            "status: {}\n")


def apiserver_manifest(node):
    """kubeadm v1.20's kube-apiserver static pod, bound to loopback, talking to the local etcd."""
    p = PKI
    flags = [
        "--advertise-address=127.0.0.1",
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        "--bind-address=127.0.0.1",
        "--client-ca-file=%s/ca.crt" % p,
        "--enable-admission-plugins=NodeRestriction",
        "--endpoint-reconciler-type=none",
        "--etcd-cafile=%s/etcd/ca.crt" % p,
        "--etcd-certfile=%s/apiserver-etcd-client.crt" % p,
        "--etcd-keyfile=%s/apiserver-etcd-client.key" % p,
        "--etcd-servers=" + node.client_url,
        "--insecure-port=0",
        "--kubelet-client-certificate=%s/apiserver-kubelet-client.crt" % p,
        "--kubelet-client-key=%s/apiserver-kubelet-client.key" % p,
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--secure-port=%d" % node.api_port,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=%s/sa.pub" % p,
        "--service-account-signing-key-file=%s/sa.key" % p,
        "--service-cluster-ip-range=10.96.0.0/12",
        "--tls-cert-file=%s/apiserver.crt" % p,
        "--tls-private-key-file=%s/apiserver.key" % p,
    ]
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    component: kube-apiserver\n"
            "    tier: control-plane\n  name: kube-apiserver\n  namespace: kube-system\nspec:\n  containers:\n"
            "  - command:\n    - kube-apiserver\n" + "".join("    - %s\n" % f for f in flags) +
            "    image: k8s.gcr.io/kube-apiserver:v1.20.2\n    name: kube-apiserver\n    volumeMounts:\n"
            "    - mountPath: %s\n      name: k8s-certs\n      readOnly: true\n" % p +
            "  hostNetwork: true\n  priorityClassName: system-node-critical\n  volumes:\n"
            "  - hostPath:\n      path: %s\n      type: DirectoryOrCreate\n    name: k8s-certs\n" % p +
            "status: {}\n")


class Node:
    def __init__(self, base, name):
        self.name = name
        self.root = os.path.join(base, name)
        self.client_port, self.peer_port, self.metrics_port, self.api_port = (free_port() for _ in range(4))
        self.client_url = "https://127.0.0.1:%d" % self.client_port
        self.peer_url = "https://127.0.0.1:%d" % self.peer_port
        self.state = os.path.join(self.root, "run", "containers.json")
        self.kubelet = None

    def path(self, p):
        return self.root + p

    def containers(self):
        try:
            with open(self.state) as f:
                return json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            return []

    def container(self, name):
        return next((c for c in self.containers() if c["name"] == name), None)


class Demo:
    def __init__(self, args):
        self.dir = os.path.abspath(args.dir)
        self.bin = os.path.abspath(args.bin)
        self.apiserver_bin = args.kube_apiserver
        self.pidfile = os.path.join(self.dir, PIDFILE)
        self.nodes = []
        self.cwd = None
        self.env = None

    # -- printing and running commands as typed ------------------------------------------

    def say(self, text):
        for line in text.splitlines() or [""]:
            print("# " + line if line else "#", flush=True)

    def banner(self, text):
        print("\n" + "=" * 100 + "\n== " + text + "\n" + "=" * 100, flush=True)

    def sh(self, cmd, prompt="$", env=None, check=True, quiet=False, timeout=300):
        """Prints `prompt cmd`, runs it with bash in the scenario dir, prints its output.
        Returns the output (stdout and stderr merged). check: a non-zero exit fails the demo."""
        print("%s %s" % (prompt, cmd), flush=True)
        full = dict(self.env)
        full.update(env or {})
        r = subprocess.run(["bash", "-c", cmd], cwd=self.cwd, env=full, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out = r.stdout.decode(errors="replace")
        if out and not quiet:
            print(out, end="" if out.endswith("\n") else "\n", flush=True)
        if check and r.returncode != 0:
            raise DemoFailed("`%s` exited with %d" % (cmd, r.returncode))
        return out

    # -- setting up the nodes ------------------------------------------------------------

    def make_nodes(self, base, names):
        os.makedirs(base)
        self.cwd = base
        self.nodes = [Node(base, n) for n in names]
        pki = None
        for n in self.nodes:
            for d in (MANIFESTS, PKI, "/var/lib", "/run"):
                os.makedirs(n.path(d), exist_ok=True)
            if pki is None:  # kubeadm's CAs are shared by every control-plane node
                pki = Pki(n.path(PKI))
            else:
                subprocess.run(["cp", "-a", pki.dir + "/.", n.path(PKI)], check=True)
        initial = ",".join("%s=%s" % (n.name, n.peer_url) for n in self.nodes)
        for n in self.nodes:
            with open(n.path(MANIFESTS + "/etcd.yaml"), "w") as f:
                f.write(etcd_manifest(n, initial))
            with open(n.path(MANIFESTS + "/kube-apiserver.yaml"), "w") as f:
                f.write(apiserver_manifest(n))
        first = self.nodes[0]
        self.kubeconfig = os.path.join(base, "admin.conf")
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "kubernetes-admin@kubernetes",
               "clusters": [{"name": "kubernetes", "cluster": {
                   "server": "https://127.0.0.1:%d" % first.api_port,
                   "certificate-authority-data": b64file(first.path(PKI + "/ca.crt"))}}],
               "users": [{"name": "kubernetes-admin", "user": {
                   "client-certificate-data": b64file(first.path(PKI + "/admin.crt")),
                   "client-key-data": b64file(first.path(PKI + "/admin.key"))}}],
               "contexts": [{"name": "kubernetes-admin@kubernetes",
                             "context": {"cluster": "kubernetes", "user": "kubernetes-admin"}}]}
        with open(self.kubeconfig, "w") as f:
            json.dump(cfg, f, indent=1)
        os.chmod(self.kubeconfig, 0o600)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ETCDCTL_", "KUBECONFIG"))}
        self.env.update({"KUBECONFIG": self.kubeconfig, "PATH": self.bin + ":" + os.environ.get("PATH", ""),
                         "HOME": base})
        with open(os.path.join(base, "nginx-deployment.yaml"), "w") as f:
            f.write(DEPLOYMENT)

    def start_kubelets(self):
        for n in self.nodes:
            log = open(os.path.join(self.cwd, n.name + "-kubelet.log"), "w")
            n.kubelet = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "kubelet", "--root", n.root,
                 "--manifests", n.path(MANIFESTS), "--etcd", ETCD, "--state", n.state,
                 "--kube-apiserver", self.apiserver_bin, "--pidfile", self.pidfile],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            record_pid(self.pidfile, n.kubelet.pid)

    def stop_kubelets(self):
        for n in self.nodes:
            if n.kubelet and n.kubelet.poll() is None:
                n.kubelet.terminate()
        for n in self.nodes:
            if n.kubelet:
                try:
                    n.kubelet.wait(60)
                except subprocess.TimeoutExpired:
                    n.kubelet.kill()
                    n.kubelet.wait()
                n.kubelet = None

    def kubectl(self, *args, input=None, check=True):
        r = subprocess.run([KUBECTL, *args], env=self.env, input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        if check and r.returncode != 0:
            raise DemoFailed("kubectl %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
        return r.stdout.decode()

    def wait_api(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.kubectl("get", "--raw", "/readyz", check=False) == "ok":
                return
            for n in self.nodes:
                if n.kubelet.poll() is not None:
                    raise DemoFailed("the kubelet double of %s exited; see %s-kubelet.log" % (n.name, n.name))
            time.sleep(0.5)
        raise DemoFailed("the kube-apiserver was not ready after %d s (logs: %s/*/var/log/fake-kubelet)"
                         % (timeout, self.cwd))

    def post_mirror_pods(self):
        """What each node's kubelet does once the API is up: its Node object and a mirror pod
        for every static pod (replaced when the manifest changed), Running."""
        for n in self.nodes:
            self.kubectl("apply", "-f", "-", input=json.dumps({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": n.name, "labels": {"kubernetes.io/hostname": n.name,
                                                        "node-role.kubernetes.io/control-plane": ""}}}).encode())
            self.kubectl("patch", "node", n.name, "--subresource=status", "--type=merge", "-p", json.dumps({
                "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                         {"type": "Hostname", "address": n.name}],
                           "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                           "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                           "message": "kubelet double", "lastHeartbeatTime": now(),
                                           "lastTransitionTime": now()}]}}))
            uid = json.loads(self.kubectl("get", "node", n.name, "-o", "json"))["metadata"]["uid"]
            for f in sorted(os.listdir(n.path(MANIFESTS))):
                with open(n.path(MANIFESTS + "/" + f)) as fh:
                    text = fh.read()
                pod = fake_node._load_yaml(text)
                digest = hashlib.sha256(text.encode()).hexdigest()[:32]
                name = pod["metadata"]["name"] + "-" + n.name
                current = self.kubectl("-n", "kube-system", "get", "pod", name, "-o", "json", "--ignore-not-found")
                if current and json.loads(current)["metadata"]["annotations"].get("kubernetes.io/config.hash") == digest:
                    continue
                if current:
                    self.kubectl("-n", "kube-system", "delete", "pod", name, "--grace-period=0", "--force")
                pod["metadata"]["name"] = name
                pod["metadata"]["annotations"] = dict(pod["metadata"].get("annotations") or {}, **{
                    "kubernetes.io/config.hash": digest, "kubernetes.io/config.mirror": digest,
                    "kubernetes.io/config.seen": now(), "kubernetes.io/config.source": "file"})
                pod["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": n.name,
                                                       "uid": uid, "controller": True}]
                pod["spec"]["nodeName"] = n.name
                pod.pop("status", None)
                self.kubectl("create", "-f", "-", input=json.dumps(pod).encode())
                c = pod["spec"]["containers"][0]
                self.kubectl("-n", "kube-system", "patch", "pod", name, "--subresource=status", "--type=merge",
                             "-p", json.dumps({"status": {
                                 "phase": "Running", "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
                                 "conditions": [{"type": "Ready", "status": "True"}],
                                 "containerStatuses": [{"name": c["name"], "ready": True, "restartCount": 0,
                                                        "image": c["image"], "imageID": "", "started": True,
                                                        "state": {"running": {"startedAt": now()}}}]}}))

    def post_kubeadm_config(self):
        """The ConfigMaps kubeadm init uploads: ClusterConfiguration and the kubelet's config."""
        cfg = ("apiServer:\n  extraArgs:\n    authorization-mode: Node,RBAC\napiVersion: kubeadm.k8s.io/v1beta2\n"
               "certificatesDir: /etc/kubernetes/pki\nclusterName: kubernetes\n"
               "controlPlaneEndpoint: 127.0.0.1:%d\netcd:\n  local:\n    dataDir: /var/lib/etcd\n"
               "imageRepository: k8s.gcr.io\nkind: ClusterConfiguration\nkubernetesVersion: v1.20.2\n"
               % self.nodes[0].api_port)
        self.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
            "data": {"ClusterConfiguration": cfg}}).encode())
        # kubeadm v1.20 uploads the kubelet's config under this versioned name.
        self.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kubelet-config-1.20", "namespace": "kube-system"},
            "data": {"kubelet": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                                "staticPodPath: %s\n" % MANIFESTS}}).encode())

    def bring_up(self):
        t0 = time.monotonic()
        self.start_kubelets()
        self.wait_api()
        self.post_kubeadm_config()
        self.post_mirror_pods()
        self.say("the kubelet doubles started etcd and kube-apiserver from the manifests (%.1f s) and posted the "
                 "Node objects and mirror pods" % (time.monotonic() - t0))

    # -- the steps shared by both scenarios ------------------------------------------------

    def etcd_flags(self, n):
        k = n.name + PKI
        return "--endpoints %s --cacert %s/etcd/ca.crt --cert %s/apiserver-etcd-client.crt --key " \
               "%s/apiserver-etcd-client.key" % (n.client_url, k, k, k)

    def node_env(self, n):
        crictl = "python3 %s crictl --state %s" % (os.path.join(E2E, "fake_node.py"), n.state)
        return {"HOST_ROOT": n.root, "CRICTL": crictl, "KUBELET_RESTART_CMD": "true", "WAIT_SECONDS": "120"}

    def describe_node_env(self):
        self.say("Each node runs its script as root on the node. Here a node's / is the directory named after it, so\n"
                 "every script runs with this environment (the kubelet double rescans the manifests dir every\n"
                 "0.1 s, so \"restarting the kubelet\" has nothing to do):")
        for n in self.nodes:
            e = self.node_env(n)
            self.say("  on %s: HOST_ROOT=$PWD/%s CRICTL='%s' KUBELET_RESTART_CMD=true"
                     % (n.name, n.name, e["CRICTL"].replace(n.root, "$PWD/" + n.name)))

    def create_deployment(self):
        self.sh("kubectl get nodes")
        self.sh("kubectl get pods -n kube-system")
        self.sh("kubectl apply -f nginx-deployment.yaml")
        self.say("no controller-manager runs here, so the Deployment gets no ReplicaSet or Pods: only its object\n"
                 "exists (that is what etcd holds and what the restore must bring back)")
        self.sh("kubectl get deployments")
        self.sh("etcdctl-ext %s get /registry/ --prefix --keys-only | grep deployments/default/nginx"
                % self.etcd_flags(self.nodes[0]))

    def save_and_delete(self):
        self.say("a verified snapshot plus the sidecar backup/snapshot.db.json (the cluster's layout, for when the\n"
                 "API is down). On a real control-plane node save finds the apiserver's etcd client cert through\n"
                 "the kube-apiserver pod's hostPath; here the node's / is %s/, so the files are named:" % self.nodes[0].name)
        k = self.nodes[0].name + PKI
        self.sh("mkdir -p backup")
        self.sh("kubectl etcdrestore save backup/snapshot.db --cacert %s/etcd/ca.crt --cert %s/apiserver-etcd-client.crt "
                "--key %s/apiserver-etcd-client.key" % (k, k, k))
        self.sh("etcdctl-ext snapshot status backup/snapshot.db -w table")
        self.sh("kubectl delete deployment nginx-deployment")
        self.sh("kubectl get deployments")
        out = self.sh("etcdctl-ext %s get /registry/deployments/default/nginx-deployment --keys-only"
                      % self.etcd_flags(self.nodes[0]))
        if out.strip():
            raise DemoFailed("the Deployment is still in etcd after kubectl delete")

    def run_plan(self, plan_dir):
        with open(os.path.join(self.cwd, plan_dir, "plan.json")) as f:
            plan = json.load(f)
        by_name = {n.name: n for n in self.nodes}
        order = [by_name[pn["node"]] for pn in plan["nodes"]]
        api_pid = {n.name: (n.container("kube-apiserver") or {}).get("pid") for n in self.nodes}
        for phase in ("check", "stop", "restore", "start", "verify", "finish"):
            for n in order:
                self.sh("sh %s/etcdrestore-%s.sh %s" % (plan_dir, n.name, phase), prompt=n.name + "#",
                        env=self.node_env(n))
            if phase == "stop":
                # The scripts wait for etcd only; the kubelet double stops the other pods right after.
                deadline = time.monotonic() + 30
                while True:
                    running = [(n.name, c["name"]) for n in self.nodes for c in n.containers()]
                    if not running or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                if running:
                    raise DemoFailed("after stop, containers still run: %r" % running)
                self.say("every static pod is stopped on every node (etcd and kube-apiserver: the kubelet double "
                         "stopped the processes)")
        return plan, api_pid

    def after_restore(self, plan, api_pid):
        self.say("finish put kube-apiserver.yaml back: the kubelet double starts a new kube-apiserver; wait for it:")
        self.sh("timeout 120 sh -c 'until kubectl get --raw /readyz >/dev/null 2>&1; do sleep 1; done'")
        for n in self.nodes:
            pn = next(x for x in plan["nodes"] if x["node"] == n.name)
            etcd = n.container("etcd")
            if etcd is None or "--data-dir=" + n.root + pn["restoreDir"] not in etcd["argv"]:
                raise DemoFailed("etcd on %s does not run on the restored dir %s: %r" % (n.name, pn["restoreDir"], etcd))
            api = n.container("kube-apiserver")
            if api is None or api["pid"] == api_pid[n.name]:
                raise DemoFailed("kube-apiserver on %s was not restarted (pid %r before, %r now)"
                                 % (n.name, api_pid[n.name], api))
        self.post_mirror_pods()
        self.say("the etcd-data hostPath now points at the restored dir (the old one is kept, moved aside):")
        self.sh("grep -A1 -e '- hostPath:' %s%s/etcd.yaml | grep path:" % (self.nodes[0].name, MANIFESTS))
        self.sh("etcdctl-ext %s get /registry/ --prefix --keys-only | grep deployments/default/nginx"
                % self.etcd_flags(self.nodes[0]))
        out = self.sh("kubectl get deployments")
        if not re.search(r"^nginx-deployment\s", out, re.M):
            raise DemoFailed("nginx-deployment is not back: %r" % out)

    # -- the scenarios ------------------------------------------------------------------------

    def single(self):
        self.banner("Seed 002: a single-node kubeadm control plane: save, delete the nginx Deployment, plan, restore")
        self.make_nodes(os.path.join(self.dir, "single"), ["controlplane"])
        n = self.nodes[0]
        self.say("node controlplane: %s/ with etc/kubernetes/manifests/{etcd,kube-apiserver}.yaml, etc/kubernetes/pki,\n"
                 "var/lib/etcd. Real etcd 3.4.23 and kube-apiserver v1.20.2; the kubelet is a test double\n"
                 "(no real kubelet can run here) that runs them from the manifests." % n.root)
        self.sh("cd " + self.cwd, quiet=True)
        self.sh("export KUBECONFIG=$PWD/admin.conf", quiet=True)
        self.bring_up()
        self.create_deployment()
        self.sh("kubectl etcdrestore discover")
        self.save_and_delete()
        self.sh("kubectl etcdrestore plan --from backup/snapshot.db.json -o script --out-dir plan")
        self.sh("cp backup/snapshot.db plan/    # the bundle: scripts, etcdctl-ext and the snapshot go to the nodes")
        self.sh("sed -n '/^Snapshot:/,/7. after/p' plan/README.md")
        self.describe_node_env()
        plan, pids = self.run_plan("plan")
        self.after_restore(plan, pids)
        self.stop_kubelets()
        self.say("seed 002: nginx-deployment is back")

    def ha(self):
        self.banner("Seed 000, HA: three stacked control-plane nodes (cp1, cp2, cp3), one snapshot restored on every "
                    "member")
        self.make_nodes(os.path.join(self.dir, "ha"), ["cp1", "cp2", "cp3"])
        self.say("three nodes under %s/{cp1,cp2,cp3}, each with its etcd member and kube-apiserver\n"
                 "(kubeconfig: cp1's kube-apiserver)" % self.cwd)
        self.sh("cd " + self.cwd, quiet=True)
        self.sh("export KUBECONFIG=$PWD/admin.conf", quiet=True)
        self.bring_up()
        self.create_deployment()
        self.sh("kubectl etcdrestore discover")
        self.save_and_delete()
        self.say("seed 000: stop the leader last. Which member leads:")
        eps = ",".join(n.client_url for n in self.nodes)
        k = self.nodes[0].name + PKI
        out = self.sh("etcdctl-ext --endpoints %s --cacert %s/etcd/ca.crt --cert %s/apiserver-etcd-client.crt --key "
                      "%s/apiserver-etcd-client.key endpoint status -w table" % (eps, k, k, k))
        leader = None
        for line in out.splitlines():
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 5 and cells[5] == "true":
                leader = next(n.name for n in self.nodes if n.client_url == cells[1])
        if leader is None:
            raise DemoFailed("no leader in the endpoint status table")
        self.sh("kubectl etcdrestore plan --from backup/snapshot.db.json --leader %s -o script --out-dir plan" % leader)
        self.sh("cp backup/snapshot.db plan/    # the bundle: scripts, etcdctl-ext and the snapshot go to the nodes")
        self.sh("sed -n '/^Snapshot:/,/7. after/p' plan/README.md")
        self.describe_node_env()
        plan, pids = self.run_plan("plan")
        self.sh("etcdctl-ext --endpoints %s --cacert %s/etcd/ca.crt --cert %s/apiserver-etcd-client.crt --key "
                "%s/apiserver-etcd-client.key member list -w table" % (eps, k, k, k))
        self.after_restore(plan, pids)
        self.stop_kubelets()
        self.say("seed 000 (HA): nginx-deployment is back; three members restored from one snapshot")


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def reap(demo_dir):
    """SIGTERM, then SIGKILL, every recorded pid that is alive and still one of ours (its
    command line names the demo dir)."""
    try:
        with open(os.path.join(demo_dir, PIDFILE)) as f:
            pids = [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return
    mark = os.path.abspath(demo_dir).encode()

    def ours(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return mark in f.read()
        except OSError:
            return False

    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        alive = [p for p in pids if ours(p)]
        for p in alive:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while any(ours(p) for p in alive) and time.monotonic() < deadline:
            time.sleep(0.1)


def main(argv):
    if argv and argv[0] == "kubelet":
        p = argparse.ArgumentParser(prog="demo_lib.py kubelet")
        for flag in ("--root", "--manifests", "--etcd", "--state", "--kube-apiserver", "--pidfile"):
            p.add_argument(flag, required=True)
        a = p.parse_args(argv[1:])
        Kubelet(a.root, a.manifests, a.etcd, a.state, a.kube_apiserver, a.pidfile).run()
        return 0
    if argv and argv[0] == "reap":
        reap(argv[1])
        return 0
    p = argparse.ArgumentParser(prog="demo_lib.py run")
    p.add_argument("mode", choices=["run"])
    p.add_argument("--dir", required=True)
    p.add_argument("--bin", required=True, help="holds kubectl-etcdrestore and etcdctl-ext")
    p.add_argument("--kube-apiserver", required=True)
    p.add_argument("--scenario", choices=["single", "ha", "all"], default="all")
    a = p.parse_args(argv)
    demo = Demo(a)

    def on_signal(sig, _):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t0 = time.monotonic()
    try:
        for name in (["single", "ha"] if a.scenario == "all" else [a.scenario]):
            t = time.monotonic()
            getattr(demo, name)()
            print("# (%s: %.0f s)" % (name, time.monotonic() - t), flush=True)
    except DemoFailed as e:
        print("\nDEMO FAILED: %s" % e, file=sys.stderr, flush=True)
        return 1
    finally:
        demo.stop_kubelets()
        reap(demo.dir)
    print("\nDEMO OK: every scenario ended with nginx-deployment back (%.0f s)" % (time.monotonic() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
