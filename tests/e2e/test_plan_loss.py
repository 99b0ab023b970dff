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
verify --plan` finds both kube-apiservers ready, the revision bumped, cp-4 not joined yet, and
names the lost node's Node object; `finish --delete` deletes it.
Then cp-4 joins as the runbook's join step says (plan.json's clusterSteps, the lines of README.md):
kubeadm-config's dataDir re-pointed (step 6), `kubectl delete node cp-3 --ignore-not-found`, and
a NEW real node cp-4 on 127.0.1.4 whose etcd starts with the runbook's by-hand flags
(--initial-cluster-state existing, the plan's --initial-cluster). There is no kubeadm here (not in
Debian), so what `kubeadm join --control-plane` writes on the machine (certs for its address from
the cluster's CAs, the etcd and kube-apiserver static pods) is the harness's stand-in
(realnode.Cluster.add_node); the real kubelet, etcd and kube-apiserver do the rest. cp-4 takes the
planned slot (the placeholder's member ID, now named and with its client URL), three started
voters, all healthy (the runbook's `endpoint health --cluster` on cp-1, the scripts' verify), the
Deployment read through cp-4's kube-apiserver, and `verify` checks cp-4's kube-apiserver too.

Env: KUBECTL_ETCDRESTORE, ETCDCTL_EXT (set by ctest); REALNODE_KEEP=1 keeps the work dir.
"""

import json
import os
import shlex
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realnode  # noqa: E402
from harness import run  # noqa: E402
# One cluster per class, the node helpers; setUpModule skips without the binaries or real nodes.
from test_plan import RealNodeCase, setUpModule, timed  # noqa: E402,F401

KUBECTL_ETCDRESTORE = os.environ.get("KUBECTL_ETCDRESTORE", "")
NEW_NAME, NEW_IP = "cp-4", "127.0.1.4"
NEW_PEER = "https://%s:%d" % (NEW_IP, realnode.PEER_PORT)


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

        placeholder = next(m["ID"] for m in members if m["peerURLs"] == [NEW_PEER])

        # After the restore, before cp-4's machine is ready, from this machine: both
        # kube-apiservers ready, the revision, cp-4 named as not joined yet, and the lost node's
        # Node object named; finish deletes it only with --delete.
        plan_json = os.path.join(self.tmp, "plan.json")
        shutil.copy(cp1.host_path(plan_dir + "/plan.json"), plan_json)
        out = self.verify(plan_json, lambda r: r.rc == 0)
        for ip in ("127.0.1.1", "127.0.1.2"):
            self.assertIn("ok: kube-apiserver https://%s:%d /readyz: ok" % (ip, realnode.API_PORT), out)
        self.assertNotIn("127.0.1.3:%d" % realnode.API_PORT, out)
        self.assertRegex(out, r"ok: revision \d+ >= %d" % (revision + plan["bumpRevision"]))
        self.assertIn("note: replacement cp-4 has not joined yet (no kube-apiserver pod on it)", out)
        self.assertIn("leftover: Node cp-3: the node of a lost member", out)
        r = self.plugin("finish", "--plan", plan_json)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(c.kubectl("get", "node", "cp-3", check=False).rc, 0)  # printed, not deleted
        r = self.plugin("finish", "--plan", plan_json, "--delete")
        self.assertEqual(r.rc, 0, r)
        self.assertIn(b"finish: deleted Node cp-3", r.stdout)
        self.assertNotEqual(c.kubectl("get", "node", "cp-3", check=False).rc, 0)
        self.assertEqual(c.kubectl("get", "node", "cp-1", check=False).rc, 0)

        self.join_replacement(plan, plan_dir, placeholder, plan_json)

    def verify(self, plan_json, done, timeout=180):
        """`kubectl etcdrestore verify --plan` from this machine until done(result) (the
        kube-apiservers take a while to be ready), then its output; fails on a non-zero exit."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.plugin("verify", "--plan", plan_json)
            if done(r) or time.monotonic() > deadline:
                break
            time.sleep(3)
        self.assertEqual(r.rc, 0, r)
        return r.stdout.decode()

    def join_replacement(self, plan, plan_dir, placeholder, plan_json):
        """The runbook's join step for cp-4 (plan.json's clusterSteps, the same lines as README.md),
        run as written where it runs on a node of the cluster; kubeadm's part is the harness's."""
        c = self.cluster
        cp1 = c.nodes[0]
        t = time.monotonic()
        steps = {s["phase"]: s["commands"] for s in plan["clusterSteps"]}
        # Step 6's last part, once, as the runbook says: kubeadm-config's etcd.local.dataDir names
        # the restored dir (kubeadm join and upgrade write the etcd manifest from it).
        kubeadm_config = [x for x in steps["finish"] if x.startswith("kubectl -n kube-system get configmap kubeadm-config")]
        self.assertEqual(len(kubeadm_config), 2, steps["finish"])
        self.sh(cp1, kubeadm_config[0], cwd=plan_dir)
        r = self.sh(cp1, kubeadm_config[1].split("    # must print ")[0], cwd=plan_dir)
        data_dir = kubeadm_config[1].split("    # must print ")[1]
        self.assertEqual(r.stdout.decode().split(), ["dataDir:", data_dir])

        join = steps["join"]
        self.assertEqual(join[0], "# cp-4 (%s) replaces the lost member cp-3: the restored cluster already lists it, "
                                  "as unstarted (no name, no client URLs) until it starts" % NEW_PEER)
        # The lost node's Node object: finish --delete took it already; the line says so and passes.
        self.assertEqual(join[1].split("    # ")[0], "kubectl delete node cp-3 --ignore-not-found")
        self.sh(cp1, join[1], cwd=plan_dir)
        by_hand = [x for x in join if x.startswith("# or by hand")]
        self.assertEqual(len(by_hand), 1, join)
        flags = shlex.split(by_hand[0].split("with an empty data dir and ", 1)[1])
        flags = dict(zip(flags[::2], flags[1::2]))
        self.assertEqual(flags, {"--name": NEW_NAME, "--initial-advertise-peer-urls": NEW_PEER,
                                 "--initial-cluster": plan["initialCluster"], "--initial-cluster-state": "existing"})
        health = [x for x in join if " endpoint health --cluster" in x]
        self.assertEqual(len(health), 1, join)

        # STAND-IN for `kubeadm join --control-plane` on the new machine (kubeadm is not in Debian:
        # no package builds it, so nothing here can run the real one). The harness writes what it
        # would: etcd server/peer, kube-apiserver and kubelet certs for 127.0.1.4 signed by the
        # cluster's CAs (the runbook's "certs for its own address"), the kubeconfigs, the etcd static
        # pod with the runbook's by-hand flags (--name, --initial-advertise-peer-urls, the plan's
        # --initial-cluster, --initial-cluster-state=existing; an empty data dir at kubeadm-config's
        # dataDir, as kubeadm takes it), and the kube-apiserver static pod on its own etcd member.
        # No member add and no member remove: cp-4 is in the restored cluster already (the runbook's
        # by-hand path). Everything after that, the real kubelet, etcd and kube-apiserver do.
        cp4 = c.add_node(NEW_NAME, NEW_IP, flags["--initial-cluster"], data_dir=data_dir)
        self.assertIn("--initial-cluster-state=existing", cp4.etcd_manifest())
        self.assertIn("--initial-cluster=" + plan["initialCluster"], cp4.etcd_manifest())

        # cp-4's etcd starts and publishes its name and client URL into the planned slot: the
        # member ID the restored cluster listed for NEW_PEER, now started.
        eps = ",".join("https://%s:%d" % (ip, realnode.CLIENT_PORT) for ip in ("127.0.1.1", "127.0.1.2", NEW_IP))
        new_client = "https://%s:%d" % (NEW_IP, realnode.CLIENT_PORT)
        deadline = time.monotonic() + 240
        while True:
            r = c.etcdctl("member", "list", "-w", "json", endpoints=eps)
            members = json.loads(r.stdout)["members"] if r.rc == 0 else []
            if any(m.get("name") == NEW_NAME and m.get("clientURLs") for m in members):
                break
            self.assertLess(time.monotonic(), deadline, "cp-4's etcd did not start: %r (logs: %s/logs)" % (r, cp4.dir))
            time.sleep(1)
        etcd_joined = time.monotonic() - t
        new = next(m for m in members if m["peerURLs"] == [NEW_PEER])
        self.assertEqual((new["ID"], new["name"], new["clientURLs"]), (placeholder, NEW_NAME, [new_client]))
        # Three started voters (a started member has a name and client URLs).
        self.assertEqual(sorted((m["name"], bool(m["clientURLs"]), bool(m.get("isLearner"))) for m in members),
                         [("cp-1", True, False), ("cp-2", True, False), (NEW_NAME, True, False)])
        deadline = time.monotonic() + 60
        while c.etcdctl("endpoint", "health", endpoints=eps).rc != 0:
            self.assertLess(time.monotonic(), deadline, "not every member is healthy")
            time.sleep(1)
        # The runbook's own check, as written, on cp-1 (its --cluster finds cp-4's client URL).
        r = self.sh(cp1, health[0], cwd=plan_dir)
        for ip in ("127.0.1.1", "127.0.1.2", NEW_IP):
            self.assertIn(("https://%s:%d is healthy" % (ip, realnode.CLIENT_PORT)).encode(), r.stdout + r.stderr)
        # The node scripts' verify phase agrees now that cp-4 has started.
        self.sh(cp1, ["sh", "%s/etcdrestore-cp-1.sh" % plan_dir, "verify"], env={"WAIT_SECONDS": "60"})

        # The Deployment through cp-4's kube-apiserver (which reads cp-4's etcd member).
        self.assertIn("--etcd-servers=" + new_client, cp4.run(["cat", "/etc/kubernetes/manifests/kube-apiserver.yaml"])
                      .stdout.decode())
        server = "https://%s:%d" % (NEW_IP, realnode.API_PORT)
        deadline = time.monotonic() + 180
        while True:
            r = c.kubectl("--server", server, "get", "deployment", "nginx-deployment", "-o", "json", check=False)
            if r.rc == 0:
                break
            self.assertLess(time.monotonic(), deadline, "cp-4's kube-apiserver: %r (logs: %s/logs)" % (r, cp4.dir))
            time.sleep(2)
        self.assertEqual(json.loads(r.stdout)["metadata"]["name"], "nginx-deployment")
        api_ready = time.monotonic() - t

        # verify after the join: cp-4's kube-apiserver (its mirror pod says where) is checked like
        # the restored nodes', nothing says it has not joined, no leftover is left.
        out = self.verify(plan_json, lambda r: ("kube-apiserver %s /readyz: ok" % server).encode() in r.stdout)
        for ip in ("127.0.1.1", "127.0.1.2", NEW_IP):
            self.assertIn("ok: kube-apiserver https://%s:%d /readyz: ok" % (ip, realnode.API_PORT), out)
        self.assertNotIn("has not joined", out)
        self.assertIn("verify: the API is ready on the restored data; 0 leftovers\n", out)
        print("\n[time] cp-4 joined: etcd member started %.1f s, its kube-apiserver serving %.1f s, verified %.1f s"
              % (etcd_joined, api_ready, time.monotonic() - t), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
