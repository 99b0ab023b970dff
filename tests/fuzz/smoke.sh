#!/usr/bin/env bash
# Runs every fuzz harness of a -DETCDRESTORE_FUZZ=ON build over its committed corpus, then
# mutates for a few seconds more (CI: scripts/test.sh). New inputs go to a scratch dir, never
# into the committed corpus; a crash fails the run and leaves its input in <build>/fuzz-smoke/.
#   tests/fuzz/smoke.sh BUILD_DIR [SECONDS_PER_HARNESS (default 5)]
set -euo pipefail
B=$(cd "$1" && pwd)
cd "$(dirname "$0")"
T=${2:-5}
out="$B/fuzz-smoke"
rm -rf "$out"
mkdir -p "$out"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
status=0
for bin in "$B"/tests/fuzz/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  mkdir -p "$out/$name/new"
  start=$(date +%s)
  # -seed=1: the mutations are the same sequence on every run, so a CI result can be
  # reproduced (how far it gets still depends on the machine's speed); finding new inputs is
  # the job of the long sessions (tests/fuzz/README.md), not of this smoke run.
  if "$bin" -seed=1 -max_total_time="$T" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$out/$name/" "$out/$name/new" "corpus/$name" >"$out/$name/log" 2>&1; then
    echo "fuzz smoke: $name ok, $(grep -m1 -o 'number_of_executed_units: *[0-9]*' "$out/$name/log" | grep -o '[0-9]*$') execs in $(( $(date +%s) - start )) s"
  else
    echo "fuzz smoke: $name FAILED (log and input in $out/$name/):"
    grep -E -m5 'ERROR|runtime error|SUMMARY|what\(\)' "$out/$name/log" || tail -n 20 "$out/$name/log"
    status=1
  fi
done
exit $status
