"""e2e: losing a control-plane node (issue 11 point 4) on REAL nodes (realnode.py: three real
kubelets v1.20.2 with containerd running etcd 3.4.23 and kube-apiserver as kubeadm's static pods),
then the checks after the restore (point 5).

LostNode: a Deployment; `kubectl etcdrestore save` on cp-1 (three members in the snapshot);
the Deployment deleted; cp-3's machine dies (its static pods moved out and its kubelet stopped:
its etcd and kube-apiserver are gone); on cp-1 `plan --from` refuses without a word about cp-3,
then `plan --from ... --replace cp-3=cp-4=https://127.0.1.4:52380 -o script`: the bundle goes
to cp-2; every phase on cp-1 and cp-2 only (the real kubelets stop and start etcd). The
restored cluster is the planned one: cp-1 and cp-2 started, cp-4 listed with its peer URL
(never started), quorum 2 of 3; the Deployment is back. From this machine `kubectl etcdrestore
verify --plan` finds both kube-apiservers ready, the revision bumped, and names the lost node's
Node object; `finish --delete` deletes it.

Env: KUBECTL_ETCDRESTORE, ETCDCTL_EXT (set by ctest); REALNODE_KEEP=1 keeps the work dir.
"""

import json
import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realnode  # noqa: E402
from harness import ETCDCTL_EXT, run  # noqa: E402
from test_plan import RealNodeCase, timed  # noqa: E402  (one cluster per class, the node helpers)

KUBECTL_ETCDRESTORE = os.environ.get("KUBECTL_ETCDRESTORE", "")
NEW_PEER = "https://127.0.1.4:%d" % realnode.PEER_PORT


def setUpModule():
    if not (KUBECTL_ETCDRESTORE and ETCDCTL_EXT):
        raise unittest.SkipTest("KUBECTL_ETCDRESTORE and ETCDCTL_EXT must be set (run through ctest)")
    why = realnode.requirements()
    if why:
        raise unittest.SkipTest(why)


class LostNode(RealNodeCase):
    NODES = 3

    def plugin(self, *args):
        return run([KUBECTL_ETCDRESTORE, *args], env={"KUBECONFIG": self.cluster.kubeconfig,
                                                      "HOME": self.cluster.workdir}, timeout=120)

    @timed
    def test_replace_a_lost_node_then_verify(self):
        c = self.cluster
        cp1, cp2, cp3 = c.nodes
        self.create_deployment()
        snap = self.save_on_node(cp1)
        revision = self.snapshot_revision(cp1, snap)
        self.delete_deployment()

        # cp-3's machine dies: nothing of its control plane runs any more.
        # (The kubelet stops the static pods whose manifests go; then the kubelet itself stops.)
        self.sh(cp3, "mkdir -p /root/dead && mv /etc/kubernetes/manifests/* /root/dead/")
        deadline = time.monotonic() + 120
        while self.sh(cp3, ["etcdctl-ext", "datadir-in-use", "/var/lib/etcd"], check=False).rc == 0:
            self.assertLess(time.monotonic(), deadline, "cp-3's etcd did not stop")
            time.sleep(1)
        time.sleep(5)  # its kube-apiserver container stops beside etcd's
        self.sh(cp3, "systemctl stop kubelet")

        # Planning without saying what happened to cp-3 is refused (it has no node to restore on
        # only in the operator's head: the sidecar still lists it, so --replace must say so).
        plan_dir = "/root/plan"
        r = self.sh(cp1, ["kubectl-etcdrestore", "plan", "--from", snap + ".json", "--replace",
                          "cp-9=cp-4=" + NEW_PEER], check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b'there is no member "cp-9" to replace (the members: cp-1, cp-2, cp-3)', r.stderr)
        r = self.sh(cp1, ["kubectl-etcdrestore", "plan", "--from", snap + ".json", "--replace",
                          "cp-3=cp-4=https://127.0.1.2:%d" % realnode.PEER_PORT], check=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(b"is member cp-2's; the replacement needs its own", r.stderr)
        self.sh(cp1, ["kubectl-etcdrestore", "plan", "--from", snap + ".json", "--replace", "cp-3=cp-4=" + NEW_PEER,
                      "-o", "script", "--out-dir", plan_dir])
        self.sh(cp1, ["cp", snap, plan_dir + "/"])
        plan = json.loads(self.sh(cp1, ["cat", plan_dir + "/plan.json"]).stdout)
        self.assertEqual([p["node"] for p in plan["nodes"]], ["cp-1", "cp-2"])
        self.assertEqual(plan["initialCluster"], "cp-1=https://127.0.1.1:{0},cp-2=https://127.0.1.2:{0},cp-4={1}".format(
            realnode.PEER_PORT, NEW_PEER))
        readme = self.sh(cp1, ["cat", plan_dir + "/README.md"]).stdout.decode()
        self.assertIn("kubectl delete node cp-3", readme)
        self.assertIn("needs etcd server and peer certs for its own address", readme)
        self.assertIn("kubeadm join ENDPOINT", readme)
        shutil.copytree(cp1.host_path(plan_dir), cp2.host_path(plan_dir), symlinks=True)

        self.run_phases(plan_dir, ["cp-1", "cp-2"])

        # The restored cluster: the two survivors started, cp-4 in its slot, never started (etcd
        # lists a member without a name until the member itself starts and publishes it).
        eps = "https://127.0.1.1:%d,https://127.0.1.2:%d" % (realnode.CLIENT_PORT, realnode.CLIENT_PORT)
        members = json.loads(c.etcdctl("member", "list", "-w", "json", endpoints=eps).stdout)["members"]
        self.assertEqual(sorted((m.get("name", ""), tuple(m["peerURLs"]), bool(m.get("clientURLs"))) for m in members),
                         sorted([("cp-1", ("https://127.0.1.1:%d" % realnode.PEER_PORT,), True),
                                 ("cp-2", ("https://127.0.1.2:%d" % realnode.PEER_PORT,), True),
                                 ("", (NEW_PEER,), False)]))
        self.assertEqual(c.etcdctl("endpoint", "health", endpoints=eps).rc, 0)
        deadline = time.monotonic() + 180
        while c.kubectl("get", "deployments", check=False).stdout.find(b"nginx-deployment") < 0:
            self.assertLess(time.monotonic(), deadline, "the Deployment did not come back")
            time.sleep(2)
        header = json.loads(c.etcdctl("get", "/registry/deployments/default/nginx-deployment", "-w", "json",
                                      endpoints=eps).stdout)["header"]
        self.assertGreaterEqual(header["revision"], revision + plan["bumpRevision"])

        # After the restore, from this machine: both kube-apiservers ready, the revision, and the
        # lost node's Node object named; finish deletes it only with --delete.
        plan_json = os.path.join(self.tmp, "plan.json")
        shutil.copy(cp1.host_path(plan_dir + "/plan.json"), plan_json)
        deadline = time.monotonic() + 180
        while True:
            r = self.plugin("verify", "--plan", plan_json)
            if r.rc == 0 or time.monotonic() > deadline:
                break
            time.sleep(3)
        self.assertEqual(r.rc, 0, r)
        out = r.stdout.decode()
        for ip in ("127.0.1.1", "127.0.1.2"):
            self.assertIn("ok: kube-apiserver https://%s:%d /readyz: ok" % (ip, realnode.API_PORT), out)
        self.assertNotIn("127.0.1.3:%d" % realnode.API_PORT, out)
        self.assertRegex(out, r"ok: revision \d+ >= %d" % (revision + plan["bumpRevision"]))
        self.assertIn("leftover: Node cp-3: the node of a lost member", out)
        r = self.plugin("finish", "--plan", plan_json)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(c.kubectl("get", "node", "cp-3", check=False).rc, 0)  # printed, not deleted
        r = self.plugin("finish", "--plan", plan_json, "--delete")
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"finish: deleted Node cp-3", r.stdout)
        self.assertNotEqual(c.kubectl("get", "node", "cp-3", check=False).rc, 0)
        self.assertEqual(c.kubectl("get", "node", "cp-1", check=False).rc, 0)


if __name__ == "__main__":
    unittest.main()
