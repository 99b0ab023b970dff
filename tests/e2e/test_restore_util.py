"""Helpers shared by the restore e2e tests (test_restore.py, test_restore_errors.py); no tests here.

Data sets are written through etcd's grpc-gateway (harness.Etcd.gateway) in txn batches, so
a few thousand keys take a few seconds; everything is read back with the REAL etcdctl 3.4
(`get "" --prefix -w json`, `member list -w json`), so our client is not the oracle.
"""

import base64
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ETCDCTL_EXT, REAL_ETCDCTL, run  # noqa: E402

REFERENCE_DIR = os.environ.get("ETCDRESTORE_REFERENCE_DIR",
                               os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared"))
FIXTURE_SNAP = os.path.join(REFERENCE_DIR, "fixtures", "etcd-3.4.23", "snap1.db")


def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()


def ext(*args, timeout=120, cwd=None):
    """Runs etcdctl-ext; returns harness.Result (bytes stdout/stderr)."""
    return run([ETCDCTL_EXT, *args], timeout=timeout, cwd=cwd)


def restore(snapshot, data_dir, *flags, timeout=120):
    return ext("snapshot", "restore", snapshot, "--data-dir", data_dir, *flags, timeout=timeout)


def txn_put(e, items, lease=None):
    """One txn putting every (key, value) in items (a single revision, sub-revisions 0..n-1)."""
    ops = []
    for k, v in items:
        op = {"key": b64(k), "value": b64(v)}
        if lease:
            op["lease"] = lease
        ops.append({"requestPut": op})
    return e.gateway("/v3/kv/txn", {"success": ops})


def delete_range(e, key, range_end=None):
    body = {"key": b64(key)}
    if range_end is not None:
        body["range_end"] = b64(range_end)
    return e.gateway("/v3/kv/deleterange", body)


def write_dataset(e, n=3000, batch=100):
    """A few thousand keys with history: n keys in txn batches, a tenth rewritten one by
    one (version 2..4), a twentieth deleted one by one, a range deleted in one request,
    keys under a lease, binary keys and values. Returns the revision after the writes."""
    for start in range(0, n, batch):
        txn_put(e, [("/registry/pods/ns%d/p%06d" % (i % 7, i), "v%d-" % i + "x" * (i % 300))
                    for i in range(start, min(n, start + batch))])
    for i in range(0, n, 10):
        for round_ in range(1 + i % 3):
            e.put("/registry/pods/ns%d/p%06d" % (i % 7, i), "rewritten-%d-%d" % (i, round_))
    for i in range(5, n, 20):
        delete_range(e, "/registry/pods/ns%d/p%06d" % (i % 7, i))
    for i in range(50):
        e.put("/registry/events/e%03d" % i, "event %d" % i)
    delete_range(e, "/registry/events/e010", "/registry/events/e030")
    lease = e.gateway("/v3/lease/grant", {"TTL": 3600})["ID"]
    txn_put(e, [("/registry/leases/l%d" % i, "leased %d" % i) for i in range(5)], lease=lease)
    e.put(b"/bin/\x00\x01\xff", b"\x00\xfe\xff binary")
    e.put("/registry/configmaps/big", "B" * 100000)
    return int(e.put("/last", "last")["header"]["revision"])


def get_all(endpoint, timeout=60):
    """(header revision, sorted list of kv dicts) from the real etcdctl's `get "" --prefix -w json`."""
    r = run([REAL_ETCDCTL, "--endpoints=" + endpoint, "get", "", "--prefix", "-w", "json"], timeout=timeout)
    if r.rc != 0:
        raise AssertionError("get failed: %r" % r)
    d = json.loads(r.stdout)
    kvs = d.get("kvs", [])
    for kv in kvs:  # fields absent when 0/empty: make them explicit
        for f in ("create_revision", "mod_revision", "version", "lease"):
            kv.setdefault(f, 0)
        kv.setdefault("value", "")
    return int(d["header"]["revision"]), sorted(kvs, key=lambda kv: base64.b64decode(kv["key"]))


def strip_leases(kvs):
    """kvs without lease IDs (a lease's ID survives a restore, but for comparisons across
    data sets written separately only the key data matters)."""
    return [{k: v for k, v in kv.items() if k != "lease"} for kv in kvs]


def member_list(endpoint, timeout=30):
    """(cluster_id, sorted [(id, name, peerURLs)]) from the real etcdctl's `member list -w json`."""
    r = run([REAL_ETCDCTL, "--endpoints=" + endpoint, "member", "list", "-w", "json"], timeout=timeout)
    if r.rc != 0:
        raise AssertionError("member list failed: %r" % r)
    d = json.loads(r.stdout)
    members = sorted((int(m["ID"]), m.get("name", ""), tuple(m.get("peerURLs", []))) for m in d["members"])
    return int(d["header"]["cluster_id"]), members


def member_id(peer_urls, token):
    """etcd's member ID: sha1(sorted peer URLs concatenated + token)[:8], big-endian."""
    h = hashlib.sha1(("".join(sorted(peer_urls)) + token).encode()).digest()
    return struct.unpack(">Q", h[:8])[0]


def cluster_id(member_ids):
    """etcd's cluster ID: sha1 of the ascending member IDs as big-endian u64s, first 8 bytes."""
    h = hashlib.sha1(b"".join(struct.pack(">Q", i) for i in sorted(member_ids))).digest()
    return struct.unpack(">Q", h[:8])[0]


def tree(d):
    """Sorted relative paths of everything below d ([] if d does not exist)."""
    out = []
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(root, n), d))
    return sorted(out)


def snapshot_status(tool, db):
    """`snapshot status -w json` of a db file by a real tool: {hash, revision, totalKey}. The
    hash is a crc over every bucket name, key and value. totalSize (the bbolt high-water
    mark) is left out: it depends on where pages were allocated, not on the content."""
    r = run([tool, "snapshot", "status", "-w", "json", db])
    if r.rc != 0:
        raise AssertionError("snapshot status failed: %r" % r)
    st = json.loads(r.stdout)
    del st["totalSize"]
    return st
