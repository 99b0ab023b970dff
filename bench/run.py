#!/usr/bin/env python3
"""Benchmarks etcdctl-ext against the reference tools, in one run, on one real snapshot.

Reports the median wall time and the peak RSS (from wait4's rusage: this process's
children only, one command at a time) of each command over --runs runs, and the
ratio against the reference measured in the same run. Warm page cache: every command
runs once untimed first. The commands of one comparison take turns, run by run, so a
change in the machine's state during the benchmark hits them all alike.

  bench/run.py --snapshot /tmp/bench/snap-1g.db --etcdctl-ext build/etcdctl-ext/etcdctl-ext [--runs 5]
               [--only status,save,restore]

Make the snapshot with bench/make_snapshot.py. etcd 3.5 binaries: $ETCD35_DIR
(default ~/.cache/etcdrestore/etcd-3.5/sid/usr/bin, installed by scripts/install-deps.sh).
"""
import argparse, os, shutil, socket, statistics, subprocess, sys, tempfile, time

ETCD35 = os.environ.get("ETCD35_DIR", os.path.expanduser("~/.cache/etcdrestore/etcd-3.5/sid/usr/bin"))


def run_once(argv, env=None):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(argv)}\n{err[-2000:]}")
    return wall, ru.ru_maxrss * 1024


class Case:
    """One command line to time. make_argv(i) -> argv lists run one after the other (their
    times add up, RSS is the max); cleanup(i) runs untimed after each run."""

    def __init__(self, name, make_argv, env=None, cleanup=None):
        self.name, self.make_argv, self.env, self.cleanup = name, make_argv, env, cleanup
        self.walls, self.rss = [], 0


def drop_caches():
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError as e:
        sys.exit(f"--cold needs root to drop the page cache: {e}")


def measure(cases, runs, cold=False):
    """Runs the cases round-robin (run 0 of each first, untimed: it warms the page cache),
    so that drift in the machine's state (other tenants, memory handed back to the
    hypervisor, writeback) affects every tool alike. After each run the outputs are removed
    and the file system synced, untimed, so no run pays for its predecessor's writeback.
    Prints and returns the median wall time of each case, by name."""
    for i in range(runs + 1):
        for c in cases:
            if cold:
                drop_caches()
            total = 0.0
            for argv in c.make_argv(i):
                w, r = run_once(argv, env=c.env)
                total += w
                c.rss = max(c.rss, r)
            if c.cleanup:
                c.cleanup(i)
            os.sync()
            if i > 0:
                c.walls.append(total)
    medians = {}
    for c in cases:
        med = statistics.median(c.walls)
        medians[c.name] = med
        print(f"  {c.name:<34} median {med:7.3f} s   peak RSS {c.rss / 2**20:8.1f} MiB   "
              f"(runs: {', '.join(f'{w:.2f}' for w in c.walls)})", flush=True)
    return medians


def ratio(a, b, what):
    print(f"  -> {what}: {a / b:.2f}x", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--etcdctl-ext", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="status,save,restore",
                    help="comma list of status, restore, save, objects (kubectl etcdrestore inspect / get -A pods), "
                    "defrag (offline defrag --data-dir of a data dir restored from the snapshot)")
    ap.add_argument("--plugin", default=None, help="kubectl-etcdrestore binary (for --only objects; default: beside "
                    "etcdctl-ext's build dir)")
    ap.add_argument("--cold", action="store_true",
                    help="drop the page cache before every run (root): restore and status read the snapshot from disk")
    a = ap.parse_args()
    ext = os.path.abspath(a.etcdctl_ext)
    snap = os.path.abspath(a.snapshot)
    only = set(a.only.split(","))
    work = tempfile.mkdtemp(prefix="etcdrestore-bench-run-", dir=os.path.dirname(snap))
    env = dict(os.environ, ETCDCTL_API="3")
    print(f"snapshot {snap}: {os.path.getsize(snap) / 1e9:.2f} GB; {a.runs} runs each, {'cold (page cache dropped before each run)' if a.cold else 'warm page cache'}")
    try:
        if "status" in only:
            print("snapshot status")
            m = measure([Case("etcdctl 3.4 snapshot status", lambda i: [["etcdctl", "snapshot", "status", snap]], env=env),
                         Case("etcdutl 3.5 snapshot status", lambda i: [[f"{ETCD35}/etcdutl", "snapshot", "status", snap]]),
                         Case("etcdctl-ext snapshot status", lambda i: [[ext, "snapshot", "status", snap]], env=env)], a.runs, a.cold)
            r34, r35, rx = m["etcdctl 3.4 snapshot status"], m["etcdutl 3.5 snapshot status"], m["etcdctl-ext snapshot status"]
            ratio(rx, r35, "etcdctl-ext / etcdutl 3.5 (goal <= 0.4)")
            ratio(rx, r34, "etcdctl-ext / etcdctl 3.4")
        if "objects" in only:
            plugin = os.path.abspath(a.plugin or os.path.join(os.path.dirname(ext), "..", "kubectl-etcdrestore",
                                                              "kubectl-etcdrestore"))
            print("objects in the snapshot (offline), against one walk of the tree")
            m = measure([Case("etcdctl-ext snapshot status", lambda i: [[ext, "snapshot", "status", snap]], env=env),
                         Case("kubectl etcdrestore inspect", lambda i: [[plugin, "inspect", snap]]),
                         Case("kubectl etcdrestore get -A pods", lambda i: [[plugin, "get", snap, "pods", "-A"]])],
                        a.runs, a.cold)
            st = m["etcdctl-ext snapshot status"]
            ratio(m["kubectl etcdrestore inspect"], st, "inspect / status (goal <= 1.5)")
            ratio(m["kubectl etcdrestore get -A pods"], st, "get -A pods / status")
        if "restore" in only:
            print("snapshot restore")
            out = os.path.join(work, "out")

            def clean(i):
                shutil.rmtree(out, ignore_errors=True)
                for f in ("copy.db",):
                    try:
                        os.remove(os.path.join(work, f))
                    except FileNotFoundError:
                        pass

            m = measure([Case("floor: cp + openssl sha256", lambda i: [["cp", snap, os.path.join(work, "copy.db")],
                                                                       ["openssl", "dgst", "-sha256", os.path.join(work, "copy.db")]],
                              cleanup=clean),
                         Case("etcdctl 3.4 snapshot restore", lambda i: [["etcdctl", "snapshot", "restore", snap, "--data-dir", out]],
                              env=env, cleanup=clean),
                         Case("etcdutl 3.5 snapshot restore",
                              lambda i: [[f"{ETCD35}/etcdutl", "snapshot", "restore", snap, "--data-dir", out]], cleanup=clean),
                         Case("etcdctl-ext snapshot restore", lambda i: [[ext, "snapshot", "restore", snap, "--data-dir", out]],
                              env=env, cleanup=clean)], a.runs, a.cold)
            floor, r34 = m["floor: cp + openssl sha256"], m["etcdctl 3.4 snapshot restore"]
            r35, rx = m["etcdutl 3.5 snapshot restore"], m["etcdctl-ext snapshot restore"]
            ratio(rx, floor, "etcdctl-ext / floor (goal < 1)")
            ratio(rx, r35, "etcdctl-ext / etcdutl 3.5 (goal <= 0.5)")
            ratio(r34, rx, "etcdctl 3.4 / etcdctl-ext (goal >= 3)")
        if "defrag" in only:
            print("defrag --data-dir (a data dir restored from the snapshot by etcdutl 3.5; each run on a fresh copy)")
            base = os.path.join(work, "defrag-base")
            subprocess.run([f"{ETCD35}/etcdutl", "snapshot", "restore", snap, "--data-dir", base],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            utl = os.path.join(work, "etcdutl")  # etcdctl-ext's etcdutl personality
            os.symlink(ext, utl)

            def fresh(tag):
                d = os.path.join(work, "defrag-" + tag)
                shutil.rmtree(d, ignore_errors=True)
                subprocess.run(["cp", "-a", base, d], check=True)
                return d

            dirs = {t: fresh(t) for t in ("floor", "utl", "ctl", "ext")}
            after = {}

            def again(t):  # untimed, after each run: note the result's size, then a fresh copy
                after[t] = os.path.getsize(os.path.join(dirs[t], "member", "snap", "db"))
                fresh(t)

            db = lambda t: os.path.join(dirs[t], "member", "snap", "db")
            m = measure([Case("floor: cp db", lambda i: [["cp", db("floor"), db("floor") + ".copy"]],
                              cleanup=lambda i: os.remove(db("floor") + ".copy")),
                         Case("etcdctl 3.4 defrag --data-dir", lambda i: [["etcdctl", "defrag", "--data-dir", dirs["ctl"]]],
                              env=env, cleanup=lambda i: again("ctl")),
                         Case("etcdutl 3.5 defrag", lambda i: [[f"{ETCD35}/etcdutl", "defrag", "--data-dir", dirs["utl"]]],
                              cleanup=lambda i: again("utl")),
                         Case("etcdctl-ext (as etcdutl) defrag", lambda i: [[utl, "defrag", "--data-dir", dirs["ext"]]],
                              cleanup=lambda i: again("ext"))], a.runs, a.cold)
            rx = m["etcdctl-ext (as etcdutl) defrag"]
            ratio(rx, m["etcdutl 3.5 defrag"], "etcdctl-ext / etcdutl 3.5")
            ratio(rx, m["etcdctl 3.4 defrag --data-dir"], "etcdctl-ext / etcdctl 3.4")
            ratio(rx, m["floor: cp db"], "etcdctl-ext / floor")
            print(f"  db file before: {os.path.getsize(os.path.join(base, 'member', 'snap', 'db'))} bytes; after: "
                  f"etcdctl 3.4 {after['ctl']}, etcdutl 3.5 {after['utl']}, etcdctl-ext {after['ext']}")
        if "save" in only:
            print("snapshot save (from a local etcd 3.4.23 serving this snapshot)")
            data = os.path.join(work, "served")
            subprocess.run([f"{ETCD35}/etcdutl", "snapshot", "restore", snap, "--data-dir", data],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cport, pport = free_port(), free_port()
            curl = f"http://127.0.0.1:{cport}"
            log = open(os.path.join(work, "etcd.log"), "w")
            etcd = subprocess.Popen(["etcd", "--name", "default", "--data-dir", data, "--listen-client-urls", curl,
                                     "--advertise-client-urls", curl, "--listen-peer-urls", f"http://127.0.0.1:{pport}",
                                     "--quota-backend-bytes", str(16 << 30)], stdout=log, stderr=log)
            try:
                for _ in range(300):
                    if subprocess.run(["etcdctl", f"--endpoints={curl}", "endpoint", "health"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
                        break
                    time.sleep(0.2)
                out = os.path.join(work, "saved.db")

                def rm(i):
                    try:
                        os.remove(out)
                    except FileNotFoundError:
                        pass

                m = measure([Case("etcdctl 3.4 snapshot save", lambda i: [["etcdctl", f"--endpoints={curl}", "--command-timeout=600s",
                                                                           "snapshot", "save", out]], env=env, cleanup=rm),
                             Case("etcdctl-ext snapshot save", lambda i: [[ext, f"--endpoints={curl}", "snapshot", "save", out]],
                                  env=env, cleanup=rm)], a.runs)
                r34, rx = m["etcdctl 3.4 snapshot save"], m["etcdctl-ext snapshot save"]
                ratio(rx, r34, "etcdctl-ext / etcdctl 3.4 (goal <= 1.1)")
            finally:
                etcd.terminate()
                etcd.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
