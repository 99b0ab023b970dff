"""scripts/kube-apiserver.sh's cache and lock, without building: a caller that finds a binary
missing waits on the cache lock while another process builds it; once the lock is free and
the binaries are there, the waiting caller prints their paths and builds nothing.

(Regression: the waiting caller re-listed what was missing as one empty line, took it for a
component named "", and ran `make WHAT=cmd/`, failing e2e.kube and e2e.objects in CI.)
The "build" here is the test itself writing the two executables under the lock."""

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(REPO, "scripts", "kube-apiserver.sh")


def waits_in_flock(pid):
    """Whether a descendant of pid is a `flock` process (kubelet-path runs ensure in a pipeline)."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
                parents[int(d)] = (int(stat.rsplit(")", 1)[1].split()[1]), stat.split("(", 1)[1].rsplit(")", 1)[0])
            except (OSError, ValueError, IndexError):
                continue
    for child, (ppid, comm) in parents.items():
        if comm != "flock":
            continue
        while ppid > 1:
            if ppid == pid:
                return True
            ppid = parents.get(ppid, (0, ""))[0]
    return False


class WaitingCaller(unittest.TestCase):
    def setUp(self):
        self.cache = tempfile.mkdtemp(prefix="kas-cache-")
        self.addCleanup(shutil.rmtree, self.cache, True)
        r = subprocess.run(["bash", SCRIPT, "version"], capture_output=True, env=dict(os.environ))
        if r.returncode != 0:
            self.skipTest("no Debian kubernetes version known here: %s" % r.stderr.decode(errors="replace"))
        self.key = r.stdout.decode().strip()

    def test_waiting_caller_uses_what_the_builder_made(self):
        env = dict(os.environ, ETCDRESTORE_CACHE=self.cache)
        root = os.path.join(self.cache, "kube-apiserver")
        os.makedirs(root)
        with open(os.path.join(root, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # "another process is building"
            callers = [subprocess.Popen(["bash", SCRIPT, cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
                       for cmd in ("path", "kubelet-path")]
            for p in callers:  # each has found a binary missing and waits in `flock 9`
                deadline = time.monotonic() + 60
                while not waits_in_flock(p.pid):
                    self.assertIsNone(p.poll(), "a caller ended without waiting for the lock")
                    self.assertLess(time.monotonic(), deadline, "a caller never waited for the lock")
                    time.sleep(0.05)
            dest = os.path.join(root, self.key)
            os.makedirs(dest)
            for name in ("kube-apiserver", "kubelet"):
                with open(os.path.join(dest, name), "w") as f:
                    f.write("#!/bin/sh\necho %s\n" % name)
                os.chmod(os.path.join(dest, name), 0o755)
            fcntl.flock(lock, fcntl.LOCK_UN)
        for p, name in zip(callers, ("kube-apiserver", "kubelet")):
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            self.assertEqual(out.decode(), os.path.join(root, self.key, name) + "\n")
            self.assertNotIn(b"building", err)


if __name__ == "__main__":
    unittest.main()
