#!/usr/bin/env python3
"""The layering, checked: a file of shared/<mod>/ (or of a binary's directory) may include
"shared/<other>/..." only when shared_<other> is among the libraries its CMakeLists.txt
names for it: the DEPS of etcdrestore_module(<mod> ...) (cmake/Module.cmake), or the
libraries of target_link_libraries(<binary> ...). Linking is transitive, so without this
check an upward or sideways #include would still compile.

  check_layering.py [--root DIR]   exit 1 listing each violation as FILE:LINE: ...
  check_layering.py --self-test    plants a violation in a scratch tree; exit 0 if caught

Only the DEPS lines say what may be included: a transitive dependency a file includes
must be listed too, so the CMakeLists stays the truth about what each module uses.
"""
import os
import re
import sys
import tempfile

import lint_main

INCLUDE = re.compile(r'^\s*#\s*include\s+"shared/([A-Za-z0-9_]+)/')
MODULE = re.compile(r'etcdrestore_module\(\s*([A-Za-z0-9_]+)(.*?)\)', re.S)
LINK = re.compile(r'target_link_libraries\(\s*([A-Za-z0-9_-]+)(.*?)\)', re.S)
SOURCES = (".h", ".cc")


def words(text):
    return re.findall(r"[A-Za-z0-9_:.-]+", re.sub(r"#[^\n]*", "", text))


def allowed_by_dir(root):
    """{directory relative to root: set of module names it may include}."""
    allowed = {}
    shared = os.path.join(root, "shared")
    for mod in sorted(os.listdir(shared)) if os.path.isdir(shared) else []:
        cml = os.path.join(shared, mod, "CMakeLists.txt")
        if not os.path.isfile(cml):
            continue
        text = open(cml).read()
        deps = set()
        for m in MODULE.finditer(text):
            if m.group(1) != mod:
                continue
            body = words(m.group(2))
            if "DEPS" in body:
                deps |= {w[len("shared_"):] for w in body[body.index("DEPS") + 1:] if w.startswith("shared_")}
        for m in LINK.finditer(text):
            if m.group(1) == "shared_" + mod:
                deps |= {w[len("shared_"):] for w in words(m.group(2)) if w.startswith("shared_")}
        allowed[os.path.join("shared", mod)] = deps | {mod}
    for binary in ("kubectl-etcdrestore", "etcdctl-ext"):
        cml = os.path.join(root, binary, "CMakeLists.txt")
        if not os.path.isfile(cml):
            continue
        deps = set()
        for m in LINK.finditer(open(cml).read()):
            if m.group(1) == binary:
                deps |= {w[len("shared_"):] for w in words(m.group(2)) if w.startswith("shared_")}
        allowed[binary] = deps
    return allowed


def violations(root):
    out = []
    for rel_dir, deps in sorted(allowed_by_dir(root).items()):
        for dirpath, _, files in os.walk(os.path.join(root, rel_dir)):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, errors="replace") as f:
                    for n, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m and m.group(1) not in deps:
                            out.append("%s:%d: includes shared/%s/, but shared_%s is not among the libraries "
                                       "%s/CMakeLists.txt names for it (%s)"
                                       % (os.path.relpath(path, root), n, m.group(1), m.group(1), rel_dir,
                                          ", ".join(sorted(deps)) or "none"))
    return out


def self_test():
    with tempfile.TemporaryDirectory() as root:
        def write(rel, text):
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        write("shared/base/CMakeLists.txt", "etcdrestore_module(base\n  SOURCES a.cc\n  DEPS fmt::fmt)\n")
        write("shared/base/a.h", "#include <string>\n")
        write("shared/low/CMakeLists.txt", "etcdrestore_module(low\n  SOURCES l.cc\n  DEPS shared_base)\n")
        write("shared/low/l.cc", '#include "shared/low/l.h"\n#include "shared/base/a.h"\n')
        write("shared/high/CMakeLists.txt",
              "# shared_base in a comment does not count\netcdrestore_module(high\n  SOURCES h.cc\n"
              "  DEPS shared_low)\ntarget_link_libraries(shared_high PRIVATE shared_base)\n")
        write("shared/high/h.cc", '#include "shared/low/l.h"\n#include "shared/base/a.h"\n')
        write("kubectl-etcdrestore/CMakeLists.txt",
              "add_executable(kubectl-etcdrestore main.cc)\n"
              "target_link_libraries(kubectl-etcdrestore PRIVATE shared_high shared_low)\n")
        write("kubectl-etcdrestore/main.cc", '#include "shared/high/h.h"\n')
        clean = violations(root)
        if clean:
            print("self-test: a clean tree was reported:\n" + "\n".join(clean))
            return 1
        # Planted: an upward include in the lower module, and one the binary does not link.
        write("shared/low/l.h", '#pragma once\n#include "shared/high/h.h"\n')
        write("kubectl-etcdrestore/main.cc", '#include "shared/high/h.h"\n#include "shared/base/a.h"\n')
        found = violations(root)
        want = ["shared/low/l.h:2: includes shared/high/", "kubectl-etcdrestore/main.cc:2: includes shared/base/"]
        missing = [w for w in want if not any(v.startswith(w) for v in found)]
        if missing or len(found) != len(want):
            print("self-test: planted violations not reported as expected:\n  want %s\n  got %s" % (want, found))
            return 1
    print("self-test: clean tree passes, both planted violations are reported")
    return 0


if __name__ == "__main__":
    sys.exit(lint_main.run(sys.argv[1:], violations, self_test,
                           lambda root: "layering: every shared/ include is a declared dependency",
                           "%d include(s) outside the declared DEPS (see cmake/Module.cmake)"))
