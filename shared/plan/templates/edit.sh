#!/bin/sh
# Usage: sh edit.sh SRC DST: the manifest edit of the node scripts on its own, with the
# plan's edits (tests/unit/plan runs it and compares with plan::ApplyEdits).
set -eu

# @INCLUDE edit_manifest.sh@

edit_manifest "$1" "$2" @MANIFEST_EDITS@
