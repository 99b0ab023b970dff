"""The command line both tree checks share: `--self-test`, or `[--root DIR]` (default: the
repository holding this file), printing each finding and exiting 1 if there are any."""
import os
import sys


def run(argv, find, self_test, passed, failed):
    """find(root) -> list of findings; passed(root) -> the closing line when there are none;
    failed: the closing line's format when there are some (%d: how many)."""
    if "--self-test" in argv:
        return self_test()
    root = argv[argv.index("--root") + 1] if "--root" in argv else os.path.join(os.path.dirname(__file__), "..", "..")
    root = os.path.abspath(root)
    found = find(root)
    for line in found:
        print(line)
    print(failed % len(found) if found else passed(root))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit("lint_main.py is a module of check_layering.py and check_line_length.py")
