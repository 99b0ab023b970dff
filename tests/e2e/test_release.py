"""The release archive and the krew manifest, as a user and krew would see them.

setUpModule builds the archive with scripts/release.sh into $ETCDRESTORE_RELEASE_BUILD_DIR
(ctest: <build>/release; a full static build takes minutes, later runs are incremental). Then:
- krew/etcdrestore.yaml passes krew's own validation (pkg/index/validation/validate.go and
  cmd/validate-krew-manifest: apiVersion, kind, name = file name, `v` semver, platforms with
  os/arch selectors that match a supported platform and do not overlap, uri, sha256, bin,
  files, line lengths), and the validator rejects broken variants of it;
- the manifest release.sh wrote for this archive differs from the committed one only in its
  sha256, which is the archive's; `files` and `bin` name exactly the archive's members;
- the archive is reproducible (a second run gives the same bytes; no build path inside);
- the binaries are static (`ldd`: not a dynamic executable; no PT_INTERP, no DT_NEEDED,
  stripped) and run from a clean directory with an empty environment, including against a
  real TLS etcd 3.4.23 reached by the name `localhost`;
- installed the way krew installs it (file operations, relative symlink in bin/), the real
  kubectl finds the plugin, runs it, and hands it its raw flags and environment.
"""

import gzip
import hashlib
import os
import re
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import time
import unittest

from harness import Cluster, find_etcd, make_certs, run

SOURCE_DIR = os.path.abspath(os.environ.get(
    "ETCDRESTORE_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))
RELEASE_BUILD_DIR = os.path.abspath(os.environ.get(
    "ETCDRESTORE_RELEASE_BUILD_DIR", os.path.join(SOURCE_DIR, "build-release")))
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
REAL_ETCDCTL = os.environ.get("REAL_ETCDCTL", "/usr/bin/etcdctl")
MANIFEST = os.path.join(SOURCE_DIR, "krew", "etcdrestore.yaml")
ARCHIVE_NAME = "kubectl-etcdrestore_linux_amd64.tar.gz"
MEMBERS = ["LICENSE", "README.md", "etcdctl-ext", "etcdutl", "kubectl-etcdrestore"]  # byte order
BINARIES = ["etcdctl-ext", "etcdutl", "kubectl-etcdrestore"]  # etcdutl: etcdctl-ext's bytes (krew refuses symlinks)

# ---------------------------------------------------------------------------------------
# A strict parser for the YAML subset a krew manifest uses: block mappings, block
# sequences (also at the indent of their key), `|`/`|-` literal scalars, plain and quoted
# scalars, full-line comments. Anything else (flow style, anchors, tags, tabs) is an error,
# so the manifest stays in a shape every YAML parser reads the same way.


class YamlError(ValueError):
    pass


def parse_yaml(text):
    lines = text.split("\n")

    def significant(i):
        while i is not None and i < len(lines):
            s = lines[i]
            if "\t" in s[:len(s) - len(s.lstrip())]:
                raise YamlError("line %d: tab in indentation" % (i + 1))
            if s.strip() and not s.lstrip().startswith("#"):
                return i
            i += 1
        return None

    def indent_of(i):
        return len(lines[i]) - len(lines[i].lstrip(" "))

    def scalar(s, lineno):
        s = s.strip()
        if s[:1] in ("{", "[", "&", "*", "!", ">", "%", "@", "`"):
            raise YamlError("line %d: unsupported YAML %r" % (lineno, s))
        if s[:1] in ('"', "'"):
            if len(s) < 2 or s[-1] != s[0]:
                raise YamlError("line %d: unterminated quote" % lineno)
            return s[1:-1]
        if " #" in s:
            s = s[:s.index(" #")].rstrip()
        return s

    def block_scalar(start, parent_indent, chomp):
        i, body = start, []
        while i < len(lines) and (not lines[i].strip() or indent_of(i) > parent_indent):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        if not body:
            return "", i
        ind = min(len(b) - len(b.lstrip(" ")) for b in body if b.strip())
        text = "\n".join(b[ind:] for b in body)
        return (text if chomp == "-" else text + "\n"), i

    def node(i, indent):
        if lines[i].lstrip(" ").startswith("-"):
            return sequence(i, indent)
        return mapping(i, indent)

    def mapping(i, indent):
        out = {}
        while True:
            i = significant(i)
            if i is None or indent_of(i) < indent:
                return out, i
            if indent_of(i) > indent:
                raise YamlError("line %d: unexpected indentation" % (i + 1))
            content = lines[i].strip()
            if content.startswith("-"):
                return out, i
            m = re.match(r"^([A-Za-z0-9_.-]+):(?:\s+(.*))?$", content)
            if not m:
                raise YamlError("line %d: expected `key: value`, got %r" % (i + 1, content))
            key, rest = m.group(1), (m.group(2) or "").strip()
            if key in out:
                raise YamlError("line %d: duplicate key %r" % (i + 1, key))
            if rest in ("|", "|-"):
                out[key], i = block_scalar(i + 1, indent, rest[1:])
            elif rest and not rest.startswith("#"):
                out[key], i = scalar(rest, i + 1), i + 1
            else:
                j = significant(i + 1)
                if j is not None and (indent_of(j) > indent or
                                      (indent_of(j) == indent and lines[j].lstrip().startswith("-"))):
                    out[key], i = node(j, indent_of(j))
                else:
                    out[key], i = None, i + 1

    def sequence(i, indent):
        out = []
        while True:
            i = significant(i)
            if i is None or indent_of(i) != indent or not lines[i].lstrip().startswith("-"):
                if i is not None and indent_of(i) > indent:
                    raise YamlError("line %d: unexpected indentation" % (i + 1))
                return out, i
            rest = lines[i].strip()[1:]
            if rest and rest[0] != " ":
                raise YamlError("line %d: expected `- `" % (i + 1))
            rest = rest.strip()
            if not rest:
                j = significant(i + 1)
                if j is None or indent_of(j) <= indent:
                    raise YamlError("line %d: empty sequence item" % (i + 1))
                item, i = node(j, indent_of(j))
            elif re.match(r"^[A-Za-z0-9_.-]+:(\s|$)", rest):
                # `- key: ...` starts a mapping whose keys sit at indent + 2.
                saved, first = lines[i], i
                lines[i] = " " * (indent + 2) + rest
                try:
                    item, i = mapping(i, indent + 2)
                finally:
                    lines[first] = saved
            else:
                item, i = scalar(rest, i + 1), i + 1
            out.append(item)

    start = significant(0)
    if start is None:
        raise YamlError("empty document")
    if indent_of(start) != 0:
        raise YamlError("line %d: document must start at column 0" % (start + 1))
    value, end = node(start, 0)
    if end is not None:
        raise YamlError("line %d: trailing content" % (end + 1))
    return value


# ---------------------------------------------------------------------------------------
# krew's manifest rules (sigs.k8s.io/krew: pkg/index/validation/validate.go,
# internal/installation/semver, k8s.io/apimachinery util/version ParseSemantic,
# cmd/validate-krew-manifest/main.go), plus: no field krew does not know (pkg/index/types.go).

KREW_API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
SAFE_PLUGIN_NAME = re.compile(r"^[\w-]+$")
WINDOWS_FORBIDDEN = ["CON", "PRN", "AUX", "NUL"] + ["COM%d" % i for i in range(1, 10)] + \
    ["LPT%d" % i for i in range(1, 10)]
SEMVER = re.compile(r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")
SHA256 = re.compile(r"^[a-f0-9]{64}$")
KREW_PLATFORMS = [("windows", "386"), ("windows", "amd64"), ("linux", "386"), ("linux", "amd64"),
                  ("linux", "arm"), ("darwin", "386"), ("darwin", "amd64")]
KNOWN_FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "spec": {"version", "shortDescription", "description", "caveats", "homepage", "platforms"},
    "platform": {"uri", "sha256", "selector", "files", "license", "bin"},
    "selector": {"matchLabels", "matchExpressions"},
    "file": {"from", "to"},
}


def _selector_matches(sel, os_, arch):
    labels = {"os": os_, "arch": arch}
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        op, vals, have = e.get("operator"), e.get("values") or [], labels.get(e.get("key"))
        if op == "In" and have not in vals or op == "NotIn" and have in vals:
            return False
        if op == "Exists" and have is None or op == "DoesNotExist" and have is not None:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def _line_length_ok(s, max_len):
    return all(len(line) <= max_len or " " not in line.strip() for line in (s or "").split("\n"))


def krew_validate(path, p):
    """The errors krew (and its index CI) would report for manifest file `path` parsed into p."""
    errs = []
    base = os.path.basename(path)
    if not base.endswith(".yaml"):
        errs.append("manifest extension must be .yaml")
    name = base[:-len(".yaml")] if base.endswith(".yaml") else base
    if not isinstance(p, dict):
        return ["manifest is not a mapping"]
    for where, obj in [("", p), ("spec", p.get("spec") or {})] + \
            [("platform", pl) for pl in ((p.get("spec") or {}).get("platforms") or [])]:
        if isinstance(obj, dict):
            for k in set(obj) - KNOWN_FIELDS[where]:
                errs.append("unknown field %s.%s" % (where or "<root>", k))
    if p.get("apiVersion") != KREW_API_VERSION:
        errs.append("apiVersion %r is not %s" % (p.get("apiVersion"), KREW_API_VERSION))
    if p.get("kind") != "Plugin":
        errs.append("kind %r is not Plugin" % p.get("kind"))
    if not SAFE_PLUGIN_NAME.match(name) or name.upper() in WINDOWS_FORBIDDEN:
        errs.append("plugin name %r not allowed" % name)
    if (p.get("metadata") or {}).get("name") != name:
        errs.append("plugin should be named %r, not %r" % (name, (p.get("metadata") or {}).get("name")))
    spec = p.get("spec") or {}
    if not spec.get("shortDescription"):
        errs.append("should have a short description")
    platforms = spec.get("platforms") or []
    if not platforms:
        errs.append("should have a platform specified")
    version = spec.get("version")
    if not version:
        errs.append("should have a version specified")
    elif not SEMVER.match(version):
        errs.append("version %r is not a semantic version starting with v" % version)
    for i, pl in enumerate(platforms):
        if not pl.get("uri"):
            errs.append("platform %d: URI has to be set" % i)
        if not pl.get("sha256"):
            errs.append("platform %d: sha256 sum has to be set" % i)
        elif not SHA256.match(pl["sha256"]):
            errs.append("platform %d: sha256 %r is not valid" % (i, pl["sha256"]))
        if not pl.get("bin"):
            errs.append("platform %d: bin has to be set" % i)
        if not pl.get("files"):
            errs.append("platform %d: can't have a plugin without specifying file operations" % i)
        for fo in pl.get("files") or []:
            if not isinstance(fo, dict) or set(fo) - KNOWN_FIELDS["file"] or not fo.get("from"):
                errs.append("platform %d: bad file operation %r" % (i, fo))
            elif fo.get("to", ".") != os.path.normpath(fo.get("to", ".")):
                errs.append("platform %d: file operation `to` %r is not clean" % (i, fo["to"]))
        sel = pl.get("selector")
        if not isinstance(sel, dict):
            errs.append("platform %d: nil selector is not supported" % i)
            continue
        for k in set(sel) - KNOWN_FIELDS["selector"]:
            errs.append("platform %d: unknown selector field %s" % (i, k))
        ml, me = sel.get("matchLabels"), sel.get("matchExpressions")
        if not ml and not me:
            errs.append("platform %d: empty selector is not supported" % i)
        keys = list((ml or {}).keys()) + [e.get("key") for e in (me or []) if isinstance(e, dict)]
        for k in keys:
            if k not in ("os", "arch"):
                errs.append("platform %d: selector key %r not supported" % (i, k))
        if not any(_selector_matches(sel, o, a) for o, a in KREW_PLATFORMS):
            errs.append("platform %d: selector doesn't match any supported platform" % i)
    for o, a in KREW_PLATFORMS:
        hits = [i for i, pl in enumerate(platforms)
                if isinstance(pl.get("selector"), dict) and _selector_matches(pl["selector"], o, a)]
        if len(hits) > 1:
            errs.append("platforms %s overlap on %s/%s" % (hits, o, a))
    # validate-krew-manifest warns on these; we treat them as errors.
    for field, max_len in (("description", 80), ("shortDescription", 70), ("caveats", 80)):
        if not _line_length_ok(spec.get(field), max_len):
            errs.append("a line of %s is longer than %d characters" % (field, max_len))
    return errs


# ---------------------------------------------------------------------------------------

_release = {}


def release_sh(timeout):
    """Runs scripts/release.sh; both runs of this module use one SOURCE_DATE_EPOCH, so a new
    commit between them (other work in a shared checkout) does not change the member times."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=_release["epoch"])
    return subprocess.run([os.path.join(SOURCE_DIR, "scripts", "release.sh"), RELEASE_BUILD_DIR],
                          capture_output=True, text=True, timeout=timeout, env=env)


def setUpModule():
    start = time.monotonic()
    _release["epoch"] = os.environ.get("SOURCE_DATE_EPOCH") or str(int(time.time()))
    p = release_sh(3000)
    if p.returncode != 0:
        raise RuntimeError("scripts/release.sh failed (%d):\n%s\n%s" % (p.returncode, p.stdout, p.stderr[-6000:]))
    sha, path = p.stdout.strip().splitlines()[-1].split("  ", 1)
    _release.update(sha=sha, archive=path, seconds=time.monotonic() - start,
                    dist=os.path.join(RELEASE_BUILD_DIR, "dist"))
    print("\nrelease: %s built by scripts/release.sh in %.1f s, %d bytes" % (
        path, _release["seconds"], os.path.getsize(path)))


def read_manifest(path=MANIFEST):
    with open(path) as f:
        return parse_yaml(f.read())


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        return re.search(r"project\(etcdrestore VERSION ([0-9.]+)", f.read()).group(1)


def extract(archive, dest):
    with tarfile.open(archive, "r:gz") as t:
        t.extractall(dest, filter="tar") if hasattr(tarfile, "data_filter") else t.extractall(dest)


def krew_install(archive, manifest, krew_root):
    """Does what `kubectl krew install --manifest --archive` does with the files: extract,
    apply spec.platforms[0].files (krew's direct-file or glob move), put them under
    store/<name>/<version>/, link bin/kubectl-<name> relatively to `bin`. Returns the
    install dir."""
    import glob
    pl = manifest["spec"]["platforms"][0]
    staging = tempfile.mkdtemp(prefix="krew-downloads-", dir=krew_root)
    extract(archive, staging)
    install_dir = os.path.join(krew_root, "store", manifest["metadata"]["name"], manifest["spec"]["version"])
    os.makedirs(install_dir)
    for fo in pl["files"]:
        to = fo.get("to", ".")
        src = os.path.normpath(os.path.join(staging, fo["from"]))
        if os.path.exists(src):
            moves = [(src, os.path.join(install_dir, os.path.basename(src) if to == "." else to))]
        else:
            matches = glob.glob(os.path.join(staging, fo["from"]))
            if not matches:
                raise AssertionError("no files in the plugin archive matched the glob pattern=%s" % fo["from"])
            moves = [(m, os.path.join(install_dir, to, os.path.basename(m))) for m in matches]
        for a, b in moves:
            if not os.path.abspath(b).startswith(install_dir + os.sep):
                raise AssertionError("move target %s is outside %s" % (b, install_dir))
            os.makedirs(os.path.dirname(b), exist_ok=True)
            os.rename(a, b)
    binary = os.path.join(install_dir, pl["bin"])
    if not os.path.isfile(binary):
        raise AssertionError("source binary (%s) cannot be found in extracted archive" % binary)
    bin_dir = os.path.join(krew_root, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    link = os.path.join(bin_dir, "kubectl-" + manifest["metadata"]["name"].replace("-", "_"))
    os.symlink(os.path.relpath(binary, bin_dir), link)
    shutil.rmtree(staging)
    return install_dir


class YamlSubsetTest(unittest.TestCase):
    def test_parses_the_manifest_shapes(self):
        doc = parse_yaml("a: 1\nb:\n  c: x # note\n  d: |\n    l1\n\n    l2\n  e: |-\n    z\n"
                         "list:\n- k: v\n  k2: v2\n- plain\nnested:\n  - m:\n      n: o\n")
        self.assertEqual(doc, {"a": "1", "b": {"c": "x", "d": "l1\n\nl2\n", "e": "z"},
                               "list": [{"k": "v", "k2": "v2"}, "plain"], "nested": [{"m": {"n": "o"}}]})

    def test_rejects_what_it_does_not_support(self):
        for bad in ("a: {b: c}\n", "a: [1]\n", "a:\n\tb: c\n", "a: 1\na: 2\n", "a: &x 1\n", "a:\n  b: 1\n c: 2\n"):
            with self.subTest(bad=bad), self.assertRaises(YamlError):
                parse_yaml(bad)

    def test_agrees_with_pyyaml_on_the_manifest(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML not installed (only a cross-check of the stdlib parser)")
        with open(MANIFEST) as f:
            text = f.read()
        self.assertEqual(parse_yaml(text), yaml.safe_load(text))


class ManifestTest(unittest.TestCase):
    def test_committed_manifest_passes_krew_validation(self):
        self.assertEqual(krew_validate(MANIFEST, read_manifest()), [])

    def test_manifest_matches_the_project(self):
        m = read_manifest()
        v = "v" + project_version()
        self.assertEqual(m["spec"]["version"], v)
        [pl] = m["spec"]["platforms"]
        self.assertEqual(pl["selector"], {"matchLabels": {"os": "linux", "arch": "amd64"}})
        self.assertTrue(pl["uri"].startswith("https://"), pl["uri"])
        self.assertTrue(pl["uri"].endswith("/%s/%s" % (v, ARCHIVE_NAME)), pl["uri"])
        self.assertEqual(pl["bin"], "kubectl-etcdrestore")
        self.assertEqual(sorted(fo["from"] for fo in pl["files"]), MEMBERS)
        self.assertIn("LICENSE", [fo["from"] for fo in pl["files"]])
        # krew links only `bin`: the caveats must say where etcdctl-ext is.
        self.assertIn("~/.krew/store/etcdrestore/%s/etcdctl-ext" % v, m["spec"]["caveats"])

    def test_validator_rejects_broken_manifests(self):
        def broken(edit):
            m = read_manifest()
            edit(m)
            return krew_validate(MANIFEST, m)

        pl = lambda m: m["spec"]["platforms"][0]  # noqa: E731
        cases = {
            "apiVersion": lambda m: m.update(apiVersion="krew.googlecontainertools.github.com/v1alpha1"),
            "kind": lambda m: m.update(kind="Plugins"),
            "name": lambda m: m["metadata"].update(name="etcd-restore"),
            "no v": lambda m: m["spec"].update(version="0.1.0"),
            "two parts": lambda m: m["spec"].update(version="v0.1"),
            "leading zero": lambda m: m["spec"].update(version="v0.01.0"),
            "no short description": lambda m: m["spec"].pop("shortDescription"),
            "long short description": lambda m: m["spec"].update(shortDescription="word " * 15),
            "long caveat line": lambda m: m["spec"].update(caveats="word " * 17 + "\n"),
            "no platforms": lambda m: m["spec"].update(platforms=[]),
            "no uri": lambda m: pl(m).pop("uri"),
            "upper-case sha": lambda m: pl(m).update(sha256="A" * 64),
            "short sha": lambda m: pl(m).update(sha256="abc"),
            "no bin": lambda m: pl(m).update(bin=""),
            "no files": lambda m: pl(m).update(files=[]),
            "unclean to": lambda m: pl(m)["files"][0].update(to="./bin/"),
            "no selector": lambda m: pl(m).pop("selector"),
            "empty matchLabels": lambda m: pl(m).update(selector={"matchLabels": {}}),
            "selector key": lambda m: pl(m)["selector"]["matchLabels"].update(distro="debian"),
            "unsupported platform": lambda m: pl(m)["selector"]["matchLabels"].update(arch="riscv64"),
            "overlap": lambda m: m["spec"]["platforms"].append(dict(pl(m))),
            "unknown field": lambda m: m["spec"].update(shortdescription="typo"),
        }
        for what, edit in cases.items():
            with self.subTest(what):
                self.assertNotEqual(broken(edit), [])


class ArchiveTest(unittest.TestCase):
    def test_dist_manifest_is_the_committed_one_with_the_archive_sha256(self):
        with open(_release["archive"], "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(sha, _release["sha"])
        dist_manifest = os.path.join(_release["dist"], "etcdrestore.yaml")
        m = read_manifest(dist_manifest)
        self.assertEqual(m["spec"]["platforms"][0]["sha256"], sha)
        self.assertEqual(krew_validate(dist_manifest, m), [])
        committed = read_manifest()
        committed["spec"]["platforms"][0]["sha256"] = sha
        self.assertEqual(m, committed)

    def test_files_and_bin_are_the_archive_members(self):
        with tarfile.open(_release["archive"], "r:gz") as t:
            members = t.getmembers()
        self.assertEqual([x.name for x in members], MEMBERS)
        pl = read_manifest()["spec"]["platforms"][0]
        self.assertEqual(sorted(fo["from"] for fo in pl["files"]), sorted(x.name for x in members))
        self.assertIn(pl["bin"], [x.name for x in members])
        for x in members:
            with self.subTest(x.name):
                self.assertTrue(x.isreg())
                self.assertEqual((x.uid, x.gid), (0, 0))
                self.assertEqual(x.mode, 0o755 if x.name in BINARIES else 0o644)
                self.assertEqual(x.mtime, int(_release["epoch"]))

    def test_archive_holds_license_and_readme_from_the_repo(self):
        with tarfile.open(_release["archive"], "r:gz") as t:
            lic = t.extractfile("LICENSE").read()
            readme = t.extractfile("README.md").read()
        with open(os.path.join(SOURCE_DIR, "LICENSE"), "rb") as f:
            self.assertEqual(lic, f.read())
        self.assertIn(b"Apache License", lic)
        self.assertIn(b"Version 2.0, January 2004", lic)
        with open(os.path.join(SOURCE_DIR, "packaging", "README.release.md"), "rb") as f:
            self.assertEqual(readme, f.read())

    def test_gzip_header_has_no_name_and_no_time(self):
        with open(_release["archive"], "rb") as f:
            head = f.read(10)
        self.assertEqual(head[:3], b"\x1f\x8b\x08")
        self.assertEqual(head[3] & 0x08, 0, "FNAME set: not gzip -n")
        self.assertEqual(head[4:8], b"\0\0\0\0", "MTIME set: not gzip -n")
        with gzip.open(_release["archive"]) as g:
            self.assertGreater(len(g.read()), 1 << 20)

    def test_rebuild_gives_the_same_bytes_and_no_build_path(self):
        p = release_sh(600)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertEqual(p.stdout.strip().splitlines()[-1].split("  ")[0], _release["sha"])
        with tarfile.open(_release["archive"], "r:gz") as t:
            for name in BINARIES:
                data = t.extractfile(name).read()
                with self.subTest(name):
                    self.assertNotIn(RELEASE_BUILD_DIR.encode(), data)
                    self.assertNotIn(SOURCE_DIR.encode() + b"/shared", data)


class StaticBinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="etcdrestore-release-")
        extract(_release["archive"], cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_ldd_says_not_dynamic(self):
        for name in BINARIES:
            with self.subTest(name):
                p = subprocess.run(["ldd", os.path.join(self.dir, name)], capture_output=True, text=True)
                self.assertIn("not a dynamic executable", p.stdout + p.stderr)
                self.assertNotIn("libc.so", p.stdout)

    def test_elf_has_no_interpreter_no_needed_and_is_stripped(self):
        for name in BINARIES:
            path = os.path.join(self.dir, name)
            with self.subTest(name):
                with open(path, "rb") as f:
                    self.assertEqual(f.read(20)[:4], b"\x7fELF")
                headers = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True).stdout
                self.assertNotIn("INTERP", headers)
                self.assertNotIn("DYNAMIC", headers)
                self.assertIn("LOAD", headers)
                sections = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True, check=True).stdout
                self.assertNotIn(".symtab", sections)
                self.assertNotIn(".debug_info", sections)
                # The oldest kernel glibc's startup code accepts: RHEL 7's 3.10 and up must pass.
                notes = subprocess.run(["readelf", "-nW", path], capture_output=True, text=True, check=True).stdout
                abi = re.search(r"OS: Linux, ABI: (\d+)\.(\d+)\.(\d+)", notes)
                self.assertIsNotNone(abi, notes)
                self.assertLessEqual(tuple(int(x) for x in abi.groups()), (3, 10, 0))

    def run_clean(self, args, timeout=60):
        """Runs a binary of the archive from an empty directory with an empty environment."""
        cwd = tempfile.mkdtemp(prefix="clean-", dir=self.dir)
        return subprocess.run(["env", "-i"] + args, capture_output=True, timeout=timeout, cwd=cwd)

    def test_etcdctl_ext_version_in_empty_env_matches_real_etcdctl(self):
        ours = self.run_clean([os.path.join(self.dir, "etcdctl-ext"), "version"])
        self.assertEqual(ours.returncode, 0, ours.stderr)
        real = subprocess.run(["env", "-i", REAL_ETCDCTL, "version"], capture_output=True)
        self.assertEqual(ours.stdout, real.stdout)
        self.assertEqual(ours.stdout, b"etcdctl version: 3.4.23\nAPI version: 3.4\n")

    def test_kubectl_etcdrestore_help_in_empty_env(self):
        p = self.run_clean([os.path.join(self.dir, "kubectl-etcdrestore"), "--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"kubectl etcdrestore", p.stdout)

    def test_etcdctl_ext_against_real_tls_etcd_in_empty_env(self):
        """gRPC, c-ares (the name `localhost`), OpenSSL and the restore path of the static
        binary, with no environment at all: put/get, snapshot save/status, restore."""
        if find_etcd("3.4") is None:
            self.skipTest("etcd 3.4 not installed")
        ext = os.path.join(self.dir, "etcdctl-ext")
        with Cluster() as c:
            certs = make_certs(os.path.join(c.dir, "pki"))
            e = c.start_etcd("3.4", name="rel", tls=certs)
            flags = ["--endpoints=localhost:%d" % e.client_port, "--cacert=" + certs.ca,
                     "--cert=" + certs.client_cert, "--key=" + certs.client_key]
            p = self.run_clean([ext, *flags, "put", "/registry/release/k", "static"])
            self.assertEqual((p.returncode, p.stdout), (0, b"OK\n"), p.stderr)
            p = self.run_clean([ext, *flags, "get", "/registry/release/k", "--print-value-only"])
            self.assertEqual((p.returncode, p.stdout), (0, b"static\n"), p.stderr)
            snap = os.path.join(c.dir, "s.db")
            p = self.run_clean([ext, *flags, "snapshot", "save", snap])
            self.assertEqual(p.returncode, 0, p.stderr)
            ours = self.run_clean([ext, "snapshot", "status", snap, "-w", "json"])
            real = run([REAL_ETCDCTL, "snapshot", "status", snap, "-w", "json"])
            self.assertEqual((ours.returncode, ours.stdout), (real.rc, real.stdout), ours.stderr)
            data_dir = os.path.join(c.dir, "restored.etcd")
            p = self.run_clean([ext, "snapshot", "restore", snap, "--name", "rel", "--data-dir", data_dir,
                                "--initial-cluster", "rel=http://localhost:2380",
                                "--initial-advertise-peer-urls", "http://localhost:2380"])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(os.path.isdir(os.path.join(data_dir, "member", "snap")))
            self.assertTrue(os.path.isdir(os.path.join(data_dir, "member", "wal")))


class KubectlPluginTest(unittest.TestCase):
    """The plugin installed the way krew installs it, run by the real kubectl."""

    @classmethod
    def setUpClass(cls):
        if not os.access(KUBECTL, os.X_OK):
            raise unittest.SkipTest("no kubectl at %s" % KUBECTL)
        cls.root = tempfile.mkdtemp(prefix="krew-root-")
        cls.manifest = read_manifest(os.path.join(_release["dist"], "etcdrestore.yaml"))
        cls.install_dir = krew_install(_release["archive"], cls.manifest, cls.root)
        cls.home = os.path.join(cls.root, "home")
        os.makedirs(cls.home)
        # Only krew's bin dir and kubectl's: the plugin comes from the archive, nothing else.
        cls.path = os.pathsep.join([os.path.join(cls.root, "bin"), os.path.dirname(KUBECTL)])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def kubectl(self, *args, env=None):
        full = {"PATH": self.path, "HOME": self.home}
        full.update(env or {})
        return subprocess.run([KUBECTL, *args], env=full, capture_output=True, text=True, timeout=60)

    def test_install_layout(self):
        self.assertEqual(sorted(os.listdir(self.install_dir)), MEMBERS)
        link = os.path.join(self.root, "bin", "kubectl-etcdrestore")
        self.assertFalse(os.path.isabs(os.readlink(link)))
        self.assertEqual(os.path.realpath(link), os.path.join(self.install_dir, "kubectl-etcdrestore"))
        self.assertTrue(os.stat(link).st_mode & stat.S_IXUSR)

    def test_kubectl_plugin_list_finds_it(self):
        p = self.kubectl("plugin", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(os.path.join(self.root, "bin", "kubectl-etcdrestore"), p.stdout)
        self.assertNotIn("warning", p.stderr.lower())

    def test_kubectl_runs_help(self):
        p = self.kubectl("etcdrestore", "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("kubectl etcdrestore", p.stdout)
        for cmd in ("save", "discover", "plan"):
            self.assertIn(cmd, p.stdout)

    def test_help_names_the_installed_etcdctl_ext(self):
        """krew links only `bin`: --help must say where etcdctl-ext is, the file next to the
        resolved plugin binary (store/etcdrestore/<version>/etcdctl-ext)."""
        p = self.kubectl("etcdrestore", "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(os.path.join(self.install_dir, "etcdctl-ext"), p.stdout)

    def test_subcommand_help_through_kubectl(self):
        for cmd in ("discover", "save", "plan"):
            with self.subTest(cmd):
                p = self.kubectl("etcdrestore", cmd, "--help")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("kubectl etcdrestore %s" % cmd, p.stdout)

    def test_kubeconfig_flag_reaches_the_plugin(self):
        """An explicit --kubeconfig that does not exist is an error naming it (kubectl's rule)."""
        missing = os.path.join(self.root, "no-such-dir", "admin.conf")
        for args in (["discover"], ["save", os.path.join(self.root, "snap.db")]):
            with self.subTest(args[0]):
                p = self.kubectl("etcdrestore", *args, "--kubeconfig", missing, "-n", "kube-system")
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(missing, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "snap.db")))

    def write_kubeconfig(self, name, port):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                    "    server: https://127.0.0.1:%d\ncontexts:\n- name: real\n  context:\n"
                    "    cluster: c\n    user: u\ncurrent-context: real\nusers:\n- name: u\n  user: {}\n" % port)
        return path

    def test_kubeconfig_env_reaches_the_plugin(self):
        """KUBECONFIG (the environment kubectl hands over) picks the server the plugin dials:
        a port nothing listens on, named in the error."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            kubeconfig = self.write_kubeconfig("env-kubeconfig", port)
            p = self.kubectl("etcdrestore", "discover", "--request-timeout", "5s", env={"KUBECONFIG": kubeconfig})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("127.0.0.1:%d" % port, p.stderr)

    def test_context_flag_reaches_the_plugin(self):
        kubeconfig = self.write_kubeconfig("ctx-kubeconfig", 1)
        p = self.kubectl("etcdrestore", "discover", "--kubeconfig", kubeconfig, "--context", "no-such-context",
                         "-n", "kube-system")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("no-such-context", p.stderr)

    def test_unknown_flag_is_the_plugin_error_not_kubectl(self):
        """kubectl does not parse a plugin's flags: an unknown one reaches the plugin verbatim."""
        p = self.kubectl("etcdrestore", "discover", "--no-such-flag-xyz")
        self.assertEqual(p.returncode, 1)
        self.assertIn("--no-such-flag-xyz", p.stderr)
        self.assertIn("kubectl etcdrestore", p.stderr)


if __name__ == "__main__":
    unittest.main()
