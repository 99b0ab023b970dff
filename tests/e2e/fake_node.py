"""Test doubles for one control-plane node of the plan e2e tests (python, not a real kubelet).

A "node" is a directory tree (its host root) holding etc/kubernetes/manifests, the PKI and
the data dirs. Two doubles work on it:

  kubelet: python3 fake_node.py kubelet --root R --manifests DIR --etcd BIN --state FILE
      Watches the static pod dir every 0.1 s like the kubelet does. Every file in it (hidden
      ones excepted) is a pod; a pod whose container is etcd runs the real etcd binary BIN
      with the manifest's command, every flag value under a volumeMount mapped to
      R + the hostPath behind it (the container's view of the host), and hostPath dirs of
      type DirectoryOrCreate created first, as the kubelet does. Other pods are recorded as
      running containers without a process. A removed or changed file stops its
      container (SIGTERM); a changed file starts the new one; an etcd that exits is started
      again after 1 s (restartPolicy Always). The containers are written to FILE (JSON)
      after each change. SIGTERM stops everything and exits.

  crictl:  python3 fake_node.py crictl --state FILE ps -q --name REGEX
      Prints the ids of the running containers whose name matches REGEX (what the plan's
      scripts ask crictl).
"""

import argparse
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time


def _load_yaml(text):
    import yaml  # PyYAML; the e2e test skips when it is missing
    return yaml.safe_load(text)


def map_value(value, mounts, root):
    """Maps a container path inside a flag value to the node's host path under root."""
    best = None
    for mount_path, host_path in mounts:
        if value == mount_path or value.startswith(mount_path.rstrip("/") + "/"):
            if best is None or len(mount_path) > len(best[0]):
                best = (mount_path, host_path)
    if best is None:
        return value
    return root + best[1] + value[len(best[0]):]


def container_argv(pod, root, etcd_bin):
    """The etcd argv to run for a pod, or None when it has no etcd container."""
    spec = pod.get("spec") or {}
    volumes = {v["name"]: v["hostPath"] for v in spec.get("volumes") or [] if "hostPath" in v}
    for c in spec.get("containers") or []:
        argv = list(c.get("command") or []) + list(c.get("args") or [])
        if c.get("name") != "etcd" and not (argv and argv[0].endswith("etcd")):
            continue
        mounts = []
        for m in c.get("volumeMounts") or []:
            hp = volumes.get(m["name"])
            if hp is None:
                continue
            if hp.get("type") == "DirectoryOrCreate":
                os.makedirs(root + hp["path"], exist_ok=True)
            mounts.append((m["mountPath"], hp["path"]))
        out = [etcd_bin]
        for word in argv[1:]:
            if word.startswith("-") and "=" in word:
                flag, value = word.split("=", 1)
                out.append(flag + "=" + map_value(value, mounts, root))
            else:
                out.append(map_value(word, mounts, root))
        return c.get("name", "etcd"), out
    return None


class Kubelet:
    def __init__(self, root, manifests, etcd_bin, state):
        self.root, self.manifests, self.etcd_bin, self.state = root, manifests, etcd_bin, state
        self.pods = {}  # file name -> dict(hash, name, proc, argv, id, next_start)
        self.serial = 0
        self.stopping = False
        self.log_dir = os.path.join(root, "var", "log", "fake-kubelet")
        os.makedirs(self.log_dir, exist_ok=True)

    def write_state(self):
        containers = []
        for f, p in sorted(self.pods.items()):
            running = p["proc"] is None or p["proc"].poll() is None
            if running and not p.get("waiting"):
                containers.append({"id": p["id"], "name": p["name"], "file": f,
                                   "pid": p["proc"].pid if p["proc"] else None, "argv": p["argv"]})
        tmp = self.state + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(containers, fh, indent=1)
        os.replace(tmp, self.state)

    def start(self, f, text, digest):
        self.serial += 1
        cid = "%012x" % (self.serial * 7919 + int(digest[:6], 16))
        pod = _load_yaml(text) or {}
        got = container_argv(pod, self.root, self.etcd_bin)
        entry = {"hash": digest, "id": cid, "proc": None, "argv": None, "name": None, "waiting": False}
        if got is None:
            containers = (pod.get("spec") or {}).get("containers") or [{}]
            entry["name"] = containers[0].get("name", f)
        else:
            entry["name"], entry["argv"] = got
            self.spawn(entry)
        self.pods[f] = entry

    def spawn(self, entry):
        log = open(os.path.join(self.log_dir, "%s-%s.log" % (entry["name"], entry["id"])), "a")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}
        entry["proc"] = subprocess.Popen(entry["argv"], stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        entry["waiting"] = False
        log.close()

    def stop(self, f):
        entry = self.pods.pop(f)
        proc = entry["proc"]
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def sync(self):
        seen = {}
        try:
            names = sorted(os.listdir(self.manifests))
        except FileNotFoundError:
            names = []
        for f in names:
            path = os.path.join(self.manifests, f)
            if f.startswith(".") or not os.path.isfile(path):
                continue
            with open(path) as fh:
                text = fh.read()
            seen[f] = (text, hashlib.sha256(text.encode()).hexdigest())
        changed = False
        for f in list(self.pods):
            if f not in seen or seen[f][1] != self.pods[f]["hash"]:
                self.stop(f)
                changed = True
        for f, (text, digest) in seen.items():
            if f not in self.pods:
                self.start(f, text, digest)
                changed = True
        now = time.monotonic()
        for entry in self.pods.values():
            proc = entry["proc"]
            if proc is not None and proc.poll() is not None:
                if not entry["waiting"]:
                    entry["waiting"], entry["next_start"], changed = True, now + 1.0, True
                elif now >= entry["next_start"]:
                    self.spawn(entry)
                    changed = True
        if changed or not os.path.exists(self.state):
            self.write_state()

    def run(self):
        def on_term(*_):
            self.stopping = True
        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, on_term)
        while not self.stopping:
            self.sync()
            time.sleep(0.1)
        for f in list(self.pods):
            self.stop(f)
        self.write_state()


def crictl(args):
    p = argparse.ArgumentParser(prog="crictl (fake)")
    p.add_argument("--state", required=True)
    p.add_argument("cmd", choices=["ps"])
    p.add_argument("-q", action="store_true")
    p.add_argument("--name", default="")
    a = p.parse_args(args)
    try:
        with open(a.state) as fh:
            containers = json.load(fh)
    except FileNotFoundError:
        print("crictl (fake): no runtime state at %s" % a.state, file=sys.stderr)
        return 1
    for c in containers:
        if re.search(a.name, c["name"]):
            print(c["id"] if a.q else "%s  %s  Running" % (c["id"], c["name"]))
    return 0


def main(argv):
    if argv and argv[0] == "crictl":
        return crictl(argv[1:])
    p = argparse.ArgumentParser(prog="fake_node.py kubelet")
    p.add_argument("mode", choices=["kubelet"])
    p.add_argument("--root", required=True)
    p.add_argument("--manifests", required=True)
    p.add_argument("--etcd", required=True)
    p.add_argument("--state", required=True)
    a = p.parse_args(argv)
    Kubelet(a.root, a.manifests, a.etcd, a.state).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
