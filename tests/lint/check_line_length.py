#!/usr/bin/env python3
"""Line length: every line of the files clang-format is applied to (tests/lint/formatted.txt,
one path or directory per line, relative to the repository root) is at most .clang-format's
ColumnLimit characters, except lines that open a raw string literal (R"(...)). Files
outside that list are not checked.

  check_line_length.py [--root DIR]   exit 1 listing each long line as FILE:LINE: N > LIMIT
  check_line_length.py --self-test    plants a long line in a scratch tree; exit 0 if caught
"""
import os
import re
import sys
import tempfile

import lint_main

SOURCES = (".h", ".cc")


def column_limit(root):
    with open(os.path.join(root, ".clang-format")) as f:
        m = re.search(r"^ColumnLimit:\s*(\d+)", f.read(), re.M)
    if not m:
        raise SystemExit(".clang-format has no ColumnLimit")
    return int(m.group(1))


def listed_files(root):
    out = []
    with open(os.path.join(root, "tests", "lint", "formatted.txt")) as f:
        for line in f:
            rel = line.split("#", 1)[0].strip()
            if not rel:
                continue
            path = os.path.join(root, rel)
            if os.path.isdir(path):
                for dirpath, _, files in os.walk(path):
                    out += [os.path.join(dirpath, n) for n in sorted(files) if n.endswith(SOURCES)]
            elif os.path.isfile(path):
                out.append(path)
            else:
                raise SystemExit("tests/lint/formatted.txt names %s, which does not exist" % rel)
    return out


def long_lines(root):
    limit = column_limit(root)
    out = []
    for path in listed_files(root):
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                width = len(line.rstrip("\n"))
                if width > limit and 'R"(' not in line:  # a raw string literal: kept verbatim
                    out.append("%s:%d: %d > %d columns" % (os.path.relpath(path, root), n, width, limit))
    return out


def self_test():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "tests", "lint"))
        os.makedirs(os.path.join(root, "shared", "m"))
        with open(os.path.join(root, ".clang-format"), "w") as f:
            f.write("BasedOnStyle: Google\nColumnLimit: 20\n")
        with open(os.path.join(root, "tests", "lint", "formatted.txt"), "w") as f:
            f.write("# formatted\nshared/m\n")
        with open(os.path.join(root, "shared", "m", "a.cc"), "w") as f:
            f.write("int a;\n" + "x" * 20 + "\n")
        with open(os.path.join(root, "unlisted.cc"), "w") as f:
            f.write("y" * 50 + "\n")
        if long_lines(root):
            print("self-test: a tree within the limit was reported: %s" % long_lines(root))
            return 1
        with open(os.path.join(root, "shared", "m", "b.h"), "w") as f:
            f.write("\n" + "z" * 21 + "\n")
        found = long_lines(root)
        if found != ["shared/m/b.h:2: 21 > 20 columns"]:
            print("self-test: the planted long line was not reported as expected: %s" % found)
            return 1
    print("self-test: within the limit passes, the planted long line is reported")
    return 0


def passed(root):
    return "line length: %d formatted files within %d columns" % (len(listed_files(root)), column_limit(root))


if __name__ == "__main__":
    sys.exit(lint_main.run(sys.argv[1:], long_lines, self_test, passed,
                           "%d line(s) over the limit: run clang-format on them (see tests/lint/formatted.txt)"))
