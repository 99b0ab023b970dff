#!/usr/bin/env python3
"""The LARGE snapshot shapes of tests/e2e/shapes.py through the same differential check as the
ctest e2e.shapes, with times: issue 10's crash shape (90,000 keys of 4,096 B, a fifth rewritten:
~666 MB, made by etcd 3.4.23 and 3.5.30), the same with 120,000 keys (~850 MB), 250,000 keys,
100,000 keys of random 1-12 KiB with rewrites, deletes and compaction, 200,000 keys half deleted,
compacted and defragmented, and a snapshot over 4 GiB (4,500 x 1 MiB, etcd 3.5.30 with
--unsafe-no-fsync).

For each: `snapshot status -w json` of etcdctl-ext equals etcdctl 3.4.23's byte for byte; the
restores of etcdctl-ext and etcdutl 3.5.30 both succeed, start under etcd 3.5.30 and give equal
`endpoint hashkv`. Prints a table with the times of etcdctl-ext, etcdctl 3.4 and etcdutl 3.5
(status: the median of --timing-runs runs taking turns; restore: one run each; page cache warm
from the previous tool: not a benchmark of the cold case; bench/run.py is the benchmark).

Snapshots are built once and cached under --dir (default /work/tmp-shapes, never the repo):
~7 GB of snapshots for the default set, plus up to ~10 GB of restored data dirs during a check
(removed after each). Python stdlib only.

  bench/shapes.py [--ext build/etcdctl-ext/etcdctl-ext] [--dir /work/tmp-shapes]
                  [--shapes crash-90k@3.4,big-4g] [--small] [--json out.json]
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import shapes  # noqa: E402


def fmt_size(n):
    return "%.2f GiB" % (n / (1 << 30)) if n >= 1 << 30 else "%.1f MB" % (n / 1e6)


def yn(b):
    return "yes" if b else "NO"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ext", default=os.environ.get("ETCDCTL_EXT") or
                    os.path.join(HERE, "..", "build", "etcdctl-ext", "etcdctl-ext"))
    ap.add_argument("--dir", default="/work/tmp-shapes", help="snapshot cache and work dir (not the repo)")
    ap.add_argument("--shapes", default="", help="comma-separated name or name@version (default: every large shape)")
    ap.add_argument("--small", action="store_true", help="also the small shapes (as ctest e2e.shapes)")
    ap.add_argument("--status-runs", type=int, default=5,
                    help="etcdctl-ext status runs per shape, each must equal etcdctl 3.4's (default 5)")
    ap.add_argument("--timing-runs", type=int, default=3,
                    help="status times in the table are the median of this many runs of etcdctl-ext and "
                         "etcdutl 3.5, taking turns (default 3)")
    ap.add_argument("--json", help="write the results here too")
    a = ap.parse_args()
    ext = os.path.abspath(a.ext)
    if not os.access(ext, os.X_OK):
        sys.exit("no etcdctl-ext at %s (--ext)" % ext)
    repo = os.path.realpath(os.path.join(HERE, ".."))
    if os.path.realpath(a.dir).startswith(repo + os.sep):
        sys.exit("--dir %s is inside the repository: large snapshots never go there" % a.dir)
    cache, work = os.path.join(a.dir, "cache"), os.path.join(a.dir, "work")
    os.makedirs(cache, exist_ok=True)
    os.makedirs(work, exist_ok=True)

    pool = dict(shapes.LARGE)
    if a.small:
        pool = {**shapes.SMALL, **pool}
    todo = []
    wanted = [w for w in a.shapes.split(",") if w]
    for shape in pool.values():
        for v in shape.versions:
            if not wanted or shape.name in wanted or "%s@%s" % (shape.name, v) in wanted:
                todo.append((shape, v))
    if not todo:
        sys.exit("no shape matches %r; known: %s" % (a.shapes, ", ".join(pool)))

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    results = []
    for shape, v in todo:
        log("== %s made by etcd %s (%s)" % (shape.name, v, shape.note))
        t0 = time.monotonic()
        try:
            meta = shapes.build(shape, v, cache_dir=cache, work_dir=work, log=log)
        except Exception as e:  # noqa: BLE001 - reported in the table
            log("  build failed: %s" % e)
            results.append(dict(shape=shape.name, version=v, size=0, ok=False, problems=["build: %s" % e]))
            continue
        log("  snapshot %s, %s (%s)" % (meta["snapshot"], fmt_size(meta["size"]),
                                        "cached" if meta["cached"] else "built in %.0fs" % (time.monotonic() - t0)))
        res = shapes.check(meta, ext, work_dir=work, utl_status=True, big=shape.big, status_runs=a.status_runs, log=log)
        if a.timing_runs > 1 and res.get("status_equal"):
            times = {"ext": [], "utl": []}
            for _ in range(a.timing_runs):
                for t, cmd in (("ext", [ext]), ("utl", [shapes.tool(shapes.CHECK_VERSION, "etcdutl")])):
                    times[t].append(shapes.run(cmd + ["snapshot", "status", "-w", "json", meta["snapshot"]],
                                               timeout=3600).seconds)
            res["status_ext"] = statistics.median(times["ext"])
            res["status_utl35"] = statistics.median(times["utl"])
            log("  status times: etcdctl-ext %s, etcdutl %s" % (
                " ".join("%.2f" % x for x in times["ext"]), " ".join("%.2f" % x for x in times["utl"])))
        results.append(res)
        for p in res["problems"]:
            log("  PROBLEM: " + p.replace("\n", "\n    "))

    head = ("shape", "etcd", "size", "status=3.4", "hashkv=", "restore", "status ext", "etcdctl3.4", "etcdutl3.5",
            "ext/utl", "restore ext", "etcdutl3.5", "ext/utl")
    rows = []
    for r in results:
        t = lambda k: ("%.2fs" % r[k]) if k in r else "-"  # noqa: E731
        ratio = lambda x, y: ("%.2fx" % (r[x] / r[y])) if x in r and y in r and r[y] > 0 else "-"  # noqa: E731
        rows.append((r["shape"], r["version"], fmt_size(r["size"]) if r["size"] else "-",
                     yn(r.get("status_equal")), yn(r.get("hashkv_equal")), yn(r.get("restore_ok")),
                     t("status_ext"), t("status_ref34"), t("status_utl35"), ratio("status_ext", "status_utl35"),
                     t("restore_ext"), t("restore_utl"), ratio("restore_ext", "restore_utl")))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    print(line(head))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
    bad = [r for r in results if not r.get("ok")]
    print("\n%d shapes, %d passed, %d failed (etcdctl-ext %s)" % (len(results), len(results) - len(bad), len(bad), ext))
    for r in bad:
        print("\n%s made by etcd %s:\n  %s" % (r["shape"], r["version"], "\n  ".join(
            p.replace("\n", "\n  ") for p in r["problems"])))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
