"""e2e: `kubectl etcdrestore plan` from the live API (a real kube-apiserver, kube_harness.py)
and from the sidecar written by the real `kubectl etcdrestore save`.

Three real etcd 3.5 members are described by kubeadm mirror pods (non-default static pod dir
/srv/kubelet/static through the kubelet-config ConfigMap; cp3 with a non-default data dir),
plus kube-apiserver pods carrying the etcd client cert paths. Checks: the plan read from the
API has every member with its own name and peer URLs, one --initial-cluster, the static pod
dir and data dirs of the cluster (not kubeadm's defaults), the apiserver's etcd client cert
for the checks; the plan made from save's sidecar has the same per-node facts and sizes the
bump from the recorded revision; with the API unreachable, plan says to use --from.

AfterRestore: `kubectl etcdrestore verify` and `finish` against the same real kube-apiserver,
with the leftovers of a lost node created through the API as a restore brings them back: the
lost node's Node, a control-plane Node the plan does not have, a worker gone for weeks, the
identity Lease of a kube-apiserver that no longer runs, the controller-manager's leader Lease
held by the lost node, and a stale address in the kubernetes Endpoints (the harness runs
kube-apiserver with --endpoint-reconciler-type=none, so it stays as written). verify checks
/readyz of the kube-apiserver mirror pod's address and the revision, and names exactly those;
finish prints the commands and deletes nothing; finish --delete deletes the Nodes and Leases
through the API (the Endpoints address is an etcd master lease: printed only).

Env: KUBECTL_ETCDRESTORE (set by ctest); the kube-apiserver is built once per machine by
scripts/kube-apiserver.sh (cached).
"""

import datetime
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import find_etcd, free_port, run  # noqa: E402
from kube_harness import KUBECTL, KubeApiServer  # noqa: E402

PLUGIN = os.environ.get("KUBECTL_ETCDRESTORE", "")
VERSION = "3.5.30"
STATIC = "/srv/kubelet/static"


class PlanFromApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not PLUGIN or not os.access(PLUGIN, os.X_OK):
            raise unittest.SkipTest("KUBECTL_ETCDRESTORE is not set to the built kubectl-etcdrestore binary")
        if not os.access(KUBECTL, os.X_OK):
            raise unittest.SkipTest("kubectl not found at %s" % KUBECTL)
        if find_etcd(VERSION) is None:
            raise unittest.SkipTest("etcd %s not installed" % VERSION)
        cls.api = KubeApiServer()
        cls.api.__enter__()
        api = cls.api
        ports = {n: (free_port(), free_port()) for n in ("cp1", "cp2", "cp3")}
        cls.ic = ",".join("%s=http://127.0.0.1:%d" % (n, p[1]) for n, p in ports.items())
        cls.members = {}
        for n, (cport, pport) in ports.items():
            cls.members[n] = api.cluster.start_etcd(VERSION, name=n, client_port=cport, peer_port=pport,
                                                    initial_cluster=cls.ic, tls=api.etcd_tls, wait=False,
                                                    initial_cluster_token="plan-api-e2e")
        for m in cls.members.values():
            m.wait_ready()
        for i in range(20):
            cls.members["cp1"].put("/registry/configmaps/default/cm%02d" % i, "x" * 100)
        for n, m in cls.members.items():
            api.add_node(n)
            api.add_etcd_pod(n, m, certs_host_dir=api.pki.path("etcd"), initial_cluster=cls.ic,
                             data_dir="/data/etcd-custom" if n == "cp3" else "/var/lib/etcd",
                             image="registry.k8s.io/etcd:3.5.30-0")
            api.add_apiserver_pod(n, [m.client_url], pki_host_dir=api.pki.dir)
        api.add_kubeadm_config()
        api.apply({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "kubelet-config", "namespace": "kube-system"},
                   "data": {"kubelet": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                                       "staticPodPath: %s\n" % STATIC}})

    @classmethod
    def tearDownClass(cls):
        for m in getattr(cls, "members", {}).values():
            m.stop()
        if getattr(cls, "api", None):
            cls.api.close()

    def plugin(self, *args, kubeconfig=None):
        env = {"KUBECONFIG": kubeconfig or self.api.kubeconfig, "HOME": self.api.dir}
        return run([PLUGIN, *args], env=env, timeout=120)

    def check_nodes(self, plan):
        self.assertEqual([n["node"] for n in plan["nodes"]], ["cp1", "cp2", "cp3"])
        ic = ",".join("%s=%s" % (n, m.peer_url) for n, m in sorted(self.members.items()))
        self.assertEqual(plan["initialCluster"], ic)
        for n in plan["nodes"]:
            m = self.members[n["member"]]
            self.assertEqual(n["peerURLs"], [m.peer_url])
            self.assertEqual(n["clientURLs"], [m.client_url])
            self.assertEqual(n["manifestsDir"], STATIC)
            self.assertEqual(n["dataDir"], m.data_dir)  # the hostPath behind --data-dir
            args = n["restoreArgs"]
            self.assertEqual(args[args.index("--name") + 1], n["member"])
            self.assertEqual(args[args.index("--initial-cluster") + 1], ic)
            self.assertEqual(args[args.index("--initial-advertise-peer-urls") + 1], m.peer_url)
        cp3 = plan["nodes"][2]
        # kubeadm-shaped mounts (mountPath /data/etcd-custom != hostPath): only the hostPath moves.
        self.assertEqual([e["field"] for e in cp3["manifestEdits"]], ["hostPath"])

    def test_plan_from_live_api(self):
        snap = os.path.join(self.api.dir, "any.db")
        with open(snap, "wb") as f:
            f.write(b"not read by plan beyond its sha256")
        r = self.plugin("plan", "--snapshot", snap, "-o", "json")
        self.assertEqual(r.rc, 0, r)
        plan = json.loads(r.stdout)
        self.assertEqual(plan["input"], "api")
        self.check_nodes(plan)
        self.assertEqual(plan["bumpRevision"], 1000000000)  # no revision known from the API
        for n in plan["nodes"]:  # the apiserver's etcd client cert, as a host path
            self.assertEqual(n["tls"]["certFile"], self.api.pki.dir + "/apiserver-etcd-client.crt")
        # The runbook for a person names every node in order.
        r = self.plugin("plan", "--snapshot", snap)
        self.assertEqual(r.rc, 0, r)
        for n in ("cp1", "cp2", "cp3"):
            self.assertIn(("Node %s (etcd member %s)" % (n, n)).encode(), r.stdout)

    def test_plan_from_sidecar_written_by_save(self):
        snap = os.path.join(self.api.dir, "saved.db")
        r = self.plugin("save", snap)
        self.assertEqual(r.rc, 0, r)
        with open(snap + ".json") as f:
            side = json.load(f)
        r = self.plugin("plan", "--from", snap + ".json", "-o", "json")
        self.assertEqual(r.rc, 0, r)
        plan = json.loads(r.stdout)
        self.assertEqual(plan["input"], "sidecar")
        self.assertEqual(plan["snapshot"]["sha256"], side["snapshot"]["sha256"])
        self.assertEqual(plan["snapshot"]["revision"], side["snapshot"]["revision"])
        self.check_nodes(plan)

    def test_api_down_says_use_the_sidecar(self):
        kc = self.api.write_kubeconfig("dead.conf", user={"token": "unused"},
                                       server="https://127.0.0.1:%d" % free_port())
        snap = os.path.join(self.api.dir, "any2.db")
        with open(snap, "wb") as f:
            f.write(b"x")
        r = self.plugin("plan", "--snapshot", snap, kubeconfig=kc)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"use --from SNAPSHOT.json or --manifest NODE=FILE", r.stderr)


def _manifest(name, ip, initial_cluster):
    """A kubeadm etcd manifest as copied from node `name` (for plan --manifest)."""
    return """apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=https://%(ip)s:2379
    - --data-dir=/var/lib/etcd
    - --initial-advertise-peer-urls=https://%(ip)s:2380
    - --initial-cluster=%(ic)s
    - --listen-client-urls=https://%(ip)s:2379
    - --name=%(name)s
    image: registry.k8s.io/etcd:3.5.30-0
    name: etcd
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
  volumes:
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
""" % {"name": name, "ip": ip, "ic": initial_cluster}


class AfterRestore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not PLUGIN or not os.access(PLUGIN, os.X_OK):
            raise unittest.SkipTest("KUBECTL_ETCDRESTORE is not set to the built kubectl-etcdrestore binary")
        if not os.access(KUBECTL, os.X_OK):
            raise unittest.SkipTest("kubectl not found at %s" % KUBECTL)
        cls.api = KubeApiServer()
        cls.api.__enter__()
        api = cls.api
        now = datetime.datetime.now(datetime.timezone.utc)
        fresh = now.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        old = (now - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        # The restored control plane: cp1 and cp2; cp3 was lost and is replaced by cp4.
        # (Endpoints addresses may not be loopback: the nodes' InternalIPs are 10.9.x; cp1's
        # kube-apiserver pod advertises the loopback address this real server listens on.)
        api.add_node("cp1", address="10.9.0.1")
        api.add_node("cp2", address="10.9.0.2")
        api.add_node("cp3", address="10.9.9.3")  # the lost machine, back from the snapshot
        api.add_node("cp9", address="10.9.9.9")  # a control-plane node the plan never knew
        for name, heartbeat in (("w-live", fresh), ("w-gone", old)):
            api.apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
            api.patch_status("node", name, {
                "addresses": [{"type": "InternalIP", "address": "10.0.1.1"}],
                "conditions": [{"type": "Ready", "status": "True" if heartbeat == fresh else "Unknown",
                                "reason": "e2e", "message": "e2e", "lastHeartbeatTime": heartbeat,
                                "lastTransitionTime": heartbeat}]})
        # kube-apiserver mirror pods: cp1's is this real server (its /readyz is checked); the
        # lost node's is not checked.
        for node, addr, port in (("cp1", "127.0.0.1", api.port), ("cp3", "10.9.9.3", 6443)):
            api.add_mirror_pod("kube-apiserver-" + node, node, "kube-apiserver", "k8s.gcr.io/kube-apiserver:v1.20.2",
                               ["kube-apiserver", "--advertise-address=" + addr, "--secure-port=%d" % port], [], [])
        for name, holder, renew, duration in (
                ("kube-apiserver-live0001", "kube-apiserver-live0001_a", fresh, 3600),
                ("kube-apiserver-dead0002", "kube-apiserver-dead0002_b", old, 3600),
                ("kube-controller-manager", "cp3_5c7e0d5e-e2e", old, 15),
                ("kube-scheduler", "cp1_1b2c3d4e-e2e", fresh, 15)):
            api.apply({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                       "metadata": {"name": name, "namespace": "kube-system"},
                       "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                                "acquireTime": renew, "renewTime": renew}})
        api.apply({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "kubernetes", "namespace": "default"},
                   "subsets": [{"addresses": [{"ip": "10.9.0.1"}, {"ip": "10.9.9.3"}],
                                "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]})
        # The plan: cp1 and cp2 restored, cp3 replaced by cp4 (the real plan command).
        ic = "cp1=https://127.0.0.1:2380,cp2=https://127.0.0.2:2380,cp3=https://10.9.9.3:2380"
        args = []
        for name, ip in (("cp1", "127.0.0.1"), ("cp2", "127.0.0.2")):
            path = os.path.join(api.dir, name + "-etcd.yaml")
            with open(path, "w") as f:
                f.write(_manifest(name, ip, ic))
            args += ["--manifest", "%s=%s" % (name, path)]
        snap = os.path.join(api.dir, "after.db")
        with open(snap, "wb") as f:
            f.write(b"only hashed by plan")
        cls.plans = {}
        for kind, extra in (("nobump", ["--no-bump"]), ("bump", [])):
            r = cls.plugin_run("plan", "--snapshot", snap, *args, "--replace", "cp3=cp4=https://127.0.0.4:2380",
                               "-o", "json", *extra)
            if r.rc != 0:
                raise RuntimeError("plan failed: %s" % r)
            cls.plans[kind] = os.path.join(api.dir, "plan-%s.json" % kind)
            with open(cls.plans[kind], "wb") as f:
                f.write(r.stdout)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "api", None):
            cls.api.close()

    @classmethod
    def plugin_run(cls, *args):
        return run([PLUGIN, *args], env={"KUBECONFIG": cls.api.kubeconfig, "HOME": cls.api.dir}, timeout=120)

    def leftovers(self, out):
        return sorted(line.split(":")[1].strip() for line in out.decode().splitlines() if line.startswith("leftover:"))

    def test_1_verify_names_the_leftovers(self):
        r = self.plugin_run("verify", "--plan", self.plans["nobump"])
        self.assertEqual(r.rc, 0, r)
        out = r.stdout.decode()
        self.assertIn("ok: kube-apiserver https://127.0.0.1:%d /readyz: ok" % self.api.port, out)
        self.assertNotIn("10.9.9.3:6443", out)  # the lost node's apiserver is not asked
        self.assertRegex(out, r"ok: revision \d+ >= 0")
        self.assertEqual(self.leftovers(r.stdout), sorted([
            "Endpoints address 10.9.9.3", "Lease kube-apiserver-dead0002", "Lease kube-controller-manager",
            "Node cp3", "Node cp9", "Node w-gone"]))
        self.assertIn("$ kubectl delete node 'cp3'", out)
        self.assertIn("$ kubectl -n kube-system delete lease 'kube-controller-manager'", out)
        self.assertIn("del /registry/masterleases/10.9.9.3", out)
        self.assertIn("verify: the API is ready on the restored data; 6 leftovers", out)

    def test_2_verify_fails_below_the_planned_revision(self):
        # The plan bumps by 1e9; this API never got the restored data.
        r = self.plugin_run("verify", "--plan", self.plans["bump"])
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.stdout.decode(), r"FAILED: the API serves revision \d+; plan \S+ restores at least "
                                            r"1000000000 \(the snapshot's 0 \+ the bump 1000000000\)")
        self.assertIn(b"verify: FAILED", r.stdout)

    def test_3_finish_prints_then_deletes_with_the_flag(self):
        r = self.plugin_run("finish", "--plan", self.plans["nobump"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"finish: nothing was deleted", r.stdout)
        self.api.kubectl("get", "node", "cp3")  # still there
        r = self.plugin_run("finish", "--plan", self.plans["nobump"], "--delete")
        self.assertEqual(r.rc, 0, r)
        out = r.stdout.decode()
        for what in ("Node cp3", "Node cp9", "Node w-gone", "Lease kube-apiserver-dead0002",
                     "Lease kube-controller-manager"):
            self.assertIn("finish: deleted " + what, out)
        self.assertIn("finish: Endpoints address 10.9.9.3 is not an API object: run the command above by hand", out)
        self.assertNotEqual(self.api.kubectl("get", "node", "cp3", check=False).rc, 0)
        self.assertNotEqual(self.api.kubectl("-n", "kube-system", "get", "lease", "kube-controller-manager",
                                             check=False).rc, 0)
        self.api.kubectl("get", "node", "cp1")
        self.api.kubectl("get", "node", "w-live")
        self.api.kubectl("-n", "kube-system", "get", "lease", "kube-scheduler")
        r = self.plugin_run("verify", "--plan", self.plans["nobump"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.leftovers(r.stdout), ["Endpoints address 10.9.9.3"])


if __name__ == "__main__":
    unittest.main()
