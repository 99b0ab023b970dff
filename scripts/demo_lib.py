"""The demo behind scripts/demo.sh: seed 002 (single kubeadm node) and seed 000's HA case
(three stacked control-plane nodes) end to end on REAL nodes, each step printed as a person
types it, with the machine it is typed on as the prompt ($ for this machine, cp-1# for root on
node cp-1).

Real (tests/e2e/realnode.py): per node a kubelet v1.20.2 (built from Debian's source and
cached by scripts/kube-apiserver.sh) with containerd and runc, running etcd 3.4.23 (a distroless
image) and kube-apiserver v1.20.2 as kubeadm's static pods; /usr/bin/kubectl,
kubectl-etcdrestore and etcdctl-ext. The nodes are private mount namespaces on this machine, so
"on the node" means `nsenter` into one, as root logged into it. A stand-in: `systemctl` on the
nodes (no systemd runs here as PID 1; it drives the kubelet's restart loop). No controller-manager
or scheduler runs: a Deployment is only its object, no ReplicaSet or Pods.

Usage (scripts/demo.sh sets the paths):
  python3 demo_lib.py run --dir DIR --bin DIR [--scenario single|ha|all]
  python3 demo_lib.py reap DIR   # stops the nodes a killed demo in DIR left (realnode.reap_stale)
Exit status of run: 0 when every scenario ended with nginx-deployment back, else 1.
"""

import argparse
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
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

import realnode  # noqa: E402

KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")

# The Deployment of seed 002 (kubectl apply -f https://k8s.io/examples/application/deployment.yaml); the
# one copy: tests/e2e/test_plan.py imports it.
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

ETCD_TLS = ("--cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/apiserver-etcd-client.crt "
            "--key /etc/kubernetes/pki/apiserver-etcd-client.key")


class DemoFailed(Exception):
    pass


class Demo:
    def __init__(self, args):
        self.dir = os.path.abspath(args.dir)
        self.bin = os.path.abspath(args.bin)
        self.cluster = None
        self.cwd = None
        self.env = None

    # -- printing and running commands as typed ------------------------------------------

    def say(self, text):
        for line in text.splitlines() or [""]:
            print("# " + line if line else "#", flush=True)

    def banner(self, text):
        print("\n" + "=" * 100 + "\n== " + text + "\n" + "=" * 100, flush=True)

    def show(self, prompt, cmd, out, rc, check):
        print("%s %s" % (prompt, cmd), flush=True)
        if out:
            print(out, end="" if out.endswith("\n") else "\n", flush=True)
        if check and rc != 0:
            raise DemoFailed("`%s` exited with %d" % (cmd, rc))
        return out

    def sh(self, cmd, check=True, timeout=300):
        """`$ cmd` on this machine (bash, in the scenario dir); returns stdout and stderr merged."""
        r = subprocess.run(["bash", "-c", cmd], cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return self.show("$", cmd, r.stdout.decode(errors="replace"), r.returncode, check)

    def on(self, node, cmd, check=True, timeout=600):
        """`cp-N# cmd` as root logged into the node (in /root, kubeadm's admin.conf, the plugin's
        install dir on PATH)."""
        r = node.run("{ %s\n} 2>&1" % cmd, check=False, timeout=timeout,
                     env={"KUBECONFIG": "/etc/kubernetes/admin.conf", "PATH": "/root/bin:" + realnode.NODE_PATH})
        return self.show(node.name + "#", cmd, r.stdout.decode(errors="replace"), r.rc, check)

    # -- the nodes -------------------------------------------------------------------------

    def bring_up(self, base, nodes):
        os.makedirs(base)
        self.cwd = base
        t0 = time.monotonic()
        self.cluster = realnode.Cluster(os.path.join(base, "cluster"), nodes=nodes,
                                        log=lambda text: self.say("realnode: " + text))
        self.cluster.__enter__()
        for n in self.cluster.nodes:
            for b in ("kubectl-etcdrestore", "etcdctl-ext"):
                with open(os.path.join(self.bin, b), "rb") as f:
                    n.write_file("/root/bin/" + b, f.read(), 0o755)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ETCDCTL_", "KUBECONFIG"))}
        self.env.update({"KUBECONFIG": self.cluster.kubeconfig, "PATH": self.bin + ":" + os.environ.get("PATH", ""),
                         "HOME": base})
        with open(os.path.join(base, "nginx-deployment.yaml"), "w") as f:
            f.write(DEPLOYMENT)
        self.say("%d real node(s) up in %.0f s: containerd + kubelet each, etcd and kube-apiserver started by the\n"
                 "kubelets from /etc/kubernetes/manifests (the kubeconfig: %s)"
                 % (nodes, time.monotonic() - t0, self.cluster.kubeconfig))

    def tear_down(self):
        if self.cluster is not None:
            self.cluster.__exit__(None, None, None)
            self.cluster = None

    def etcdctl(self, node, args):
        return "etcdctl-ext --endpoints https://%s:52379 %s %s" % (node.ip, ETCD_TLS, args)

    # -- the steps shared by both scenarios ------------------------------------------------

    def create_deployment(self):
        self.sh("kubectl get nodes -o wide")
        self.sh("kubectl get pods -n kube-system -o wide")
        self.sh("kubectl apply -f nginx-deployment.yaml")
        self.say("no controller-manager runs here, so the Deployment gets no ReplicaSet or Pods: only its object\n"
                 "exists (that is what etcd holds and what the restore must bring back)")
        self.sh("kubectl get deployments")
        cp1 = self.cluster.nodes[0]
        self.on(cp1, self.etcdctl(cp1, "get /registry/ --prefix --keys-only | grep deployments/default/nginx"))

    def save_and_delete(self):
        cp1 = self.cluster.nodes[0]
        self.say("on the control-plane node: a verified snapshot plus the sidecar backup/snapshot.db.json (the\n"
                 "cluster's layout, for when the API is down); save finds the apiserver's etcd client cert\n"
                 "through the kube-apiserver pod's hostPath")
        self.on(cp1, "mkdir -p backup")
        self.on(cp1, "kubectl etcdrestore save backup/snapshot.db")
        self.on(cp1, "etcdctl-ext snapshot status backup/snapshot.db -w table")
        self.sh("kubectl delete deployment nginx-deployment")
        self.sh("kubectl get deployments")
        out = self.on(cp1, self.etcdctl(cp1, "get /registry/deployments/default/nginx-deployment --keys-only"))
        if out.strip():
            raise DemoFailed("the Deployment is still in etcd after kubectl delete")

    def run_plan(self):
        cp1 = self.cluster.nodes[0]
        self.on(cp1, "cp backup/snapshot.db plan/    # the bundle: scripts, etcdctl-ext and the snapshot")
        self.on(cp1, "sed -n '/^Snapshot:/,/7. after/p' plan/README.md")
        plan = json.loads(cp1.run(["cat", "/root/plan/plan.json"]).stdout)
        by_name = {n.name: n for n in self.cluster.nodes}
        order = [by_name[p["node"]] for p in plan["nodes"]]
        for n in self.cluster.nodes[1:]:
            self.say("copy the bundle to %s (scp -r plan %s:); here the nodes share this machine's disk:" % (n.name, n.name))
            self.sh("cp -a /proc/%d/root/root/plan /proc/%d/root/root/plan    # cp-1:/root/plan -> %s:/root/plan"
                    % (cp1.pid, n.pid, n.name))
        script = "plan/etcdrestore-%s.sh" % order[0].name
        usage = re.findall(r"[a-z]+", cp1.run(["sed", "-n", "s/^#   PHASE: //p", "/root/" + script]).stdout.decode())
        phases = usage[:usage.index("all")] if "all" in usage else usage  # "all": one member only
        for phase in phases:
            for n in order:
                self.on(n, "sh plan/etcdrestore-%s.sh %s" % (n.name, phase))
            if phase == "stop":
                self.say("every static pod manifest is out: the kubelets stop etcd and kube-apiserver (kube-apiserver\n"
                         "takes its grace period); no container task is left on the nodes:")
                for n in order:
                    self.on(n, "ls -A /etc/kubernetes/manifests; timeout 90 sh -c 'while [ -n \"$(ctr -n k8s.io tasks "
                               "ls -q)\" ]; do sleep 1; done'; ctr -n k8s.io tasks ls")
        return plan

    def after_restore(self, plan):
        cp1 = self.cluster.nodes[0]
        self.say("finish put kube-apiserver.yaml back and restarted the kubelets: wait for the control plane")
        t = time.monotonic()
        self.cluster.wait_ready(timeout=300)
        self.say("every etcd healthy, apiserver ready, node Ready, mirror pod Running (%.0f s)" % (time.monotonic() - t))
        self.sh("kubectl get pods -n kube-system -o wide")
        self.say("the etcd-data hostPath now points at the restored dir (the old one is kept, moved aside):")
        self.on(cp1, "grep -A1 -e '- hostPath:' /etc/kubernetes/manifests/etcd.yaml | grep path:")
        self.on(cp1, "ls -d /var/lib/etcd*")
        for p in plan["nodes"]:
            n = next(x for x in self.cluster.nodes if x.name == p["node"])
            if "--data-dir=" + p["restoreDir"] not in n.etcd_manifest():
                raise DemoFailed("the etcd manifest on %s does not point at %s" % (n.name, p["restoreDir"]))
        self.on(cp1, self.etcdctl(cp1, "get /registry/ --prefix --keys-only | grep deployments/default/nginx"))
        out = self.sh("kubectl get deployments")
        if not re.search(r"^nginx-deployment\s", out, re.M):
            raise DemoFailed("nginx-deployment is not back: %r" % out)

    # -- the scenarios ------------------------------------------------------------------------

    def single(self):
        self.banner("Seed 002: a single-node kubeadm control plane: save, delete the nginx Deployment, plan, restore")
        self.bring_up(os.path.join(self.dir, "single"), 1)
        cp1 = self.cluster.nodes[0]
        self.sh("export KUBECONFIG=%s" % shlex.quote(self.cluster.kubeconfig))
        self.create_deployment()
        self.sh("kubectl etcdrestore discover")
        self.save_and_delete()
        self.on(cp1, "kubectl etcdrestore plan --from backup/snapshot.db.json -o script --out-dir plan")
        plan = self.run_plan()
        self.after_restore(plan)
        self.tear_down()
        self.say("seed 002: nginx-deployment is back")

    def ha(self):
        self.banner("Seed 000, HA: three stacked control-plane nodes (cp-1, cp-2, cp-3), one snapshot restored on "
                    "every member")
        self.bring_up(os.path.join(self.dir, "ha"), 3)
        cp1 = self.cluster.nodes[0]
        self.sh("export KUBECONFIG=%s" % shlex.quote(self.cluster.kubeconfig))
        self.create_deployment()
        self.sh("kubectl etcdrestore discover")
        self.save_and_delete()
        self.say("seed 000: stop the leader last. Which member leads:")
        eps = ",".join("https://%s:52379" % n.ip for n in self.cluster.nodes)
        out = self.on(cp1, "etcdctl-ext --endpoints %s %s endpoint status -w table" % (eps, ETCD_TLS))
        leader = None
        for line in out.splitlines():
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 5 and cells[5] == "true":
                leader = next(n.name for n in self.cluster.nodes if "https://%s:52379" % n.ip == cells[1])
        if leader is None:
            raise DemoFailed("no leader in the endpoint status table")
        self.on(cp1, "kubectl etcdrestore plan --from backup/snapshot.db.json --leader %s -o script --out-dir plan"
                % leader)
        plan = self.run_plan()
        self.on(cp1, "etcdctl-ext --endpoints %s %s member list -w table" % (eps, ETCD_TLS))
        self.after_restore(plan)
        self.tear_down()
        self.say("seed 000 (HA): nginx-deployment is back; three members restored from one snapshot")


def main(argv):
    if argv and argv[0] == "reap":
        realnode.reap_stale(under=argv[1], wait=0)
        return 0
    p = argparse.ArgumentParser(prog="demo_lib.py run")
    p.add_argument("mode", choices=["run"])
    p.add_argument("--dir", required=True)
    p.add_argument("--bin", required=True, help="holds kubectl-etcdrestore and etcdctl-ext")
    p.add_argument("--scenario", choices=["single", "ha", "all"], default="all")
    a = p.parse_args(argv)
    why = realnode.requirements()
    if why:
        print("DEMO FAILED: real nodes cannot run here: %s" % why, file=sys.stderr, flush=True)
        return 1
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
        demo.tear_down()
    print("\nDEMO OK: every scenario ended with nginx-deployment back (%.0f s)" % (time.monotonic() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
