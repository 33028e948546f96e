#!/usr/bin/env bash
# Runs every fuzz target with libFuzzer for a bounded time on its seed corpus and prints executions and
# coverage. A crash fails the run and leaves the input in build-fuzz/crashes/: copy it into
# tests/fuzz/regressions/<target>/ with the fix, and CTest replays it from then on.
# usage: tests/fuzz/run.sh [seconds per target, default 60]
set -euo pipefail
secs=${1:-60}
cd "$(dirname "$0")/../.."
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DRNL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
targets=$(grep -o 'fuzz_[a-z_]*\.c' <(ls tests/fuzz) | sed 's/\.c$//')
cmake --build build-fuzz -j2 --target $targets > /dev/null
mkdir -p build-fuzz/crashes
status=0
for t in $targets; do
  corpus=tests/fuzz/corpus/${t#fuzz_}
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  log=build-fuzz/$t.log
  if ./build-fuzz/tests/fuzz/$t -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix=build-fuzz/crashes/$t- "$work" "$corpus" > "$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  printf '%-22s %-5s %10s executions  coverage %s edges  (%ss)\n' "$t" "$result" "$execs" "$cov" "$secs"
  [ "$result" = ok ] || tail -n 30 "$log"
done
exit $status
