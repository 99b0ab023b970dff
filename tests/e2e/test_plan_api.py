"""e2e: `kubectl etcdrestore plan` from the live API (a real kube-apiserver, kube_harness.py)
and from the sidecar written by the real `kubectl etcdrestore save`.

Three real etcd 3.5 members are described by kubeadm mirror pods (non-default static pod dir
/srv/kubelet/static through the kubelet-config ConfigMap; cp3 with a non-default data dir),
plus kube-apiserver pods carrying the etcd client cert paths. Checks: the plan read from the
API has every member with its own name and peer URLs, one --initial-cluster, the static pod
dir and data dirs of the cluster (not kubeadm's defaults), the apiserver's etcd client cert
for the checks; the plan made from save's sidecar has the same per-node facts and sizes the
bump from the recorded revision; with the API unreachable, plan says to use --from.

Env: KUBECTL_ETCDRESTORE (set by ctest); the kube-apiserver is built once per machine by
scripts/kube-apiserver.sh (cached).
"""

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


if __name__ == "__main__":
    unittest.main()
