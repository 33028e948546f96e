#!/usr/bin/env bash
# Runs the native CLI under Valgrind memcheck on a short real session (init, train on a task and on a
# prepared data set from the hand-made fixtures, eval, grad, predict, a bad file): zero errors and zero
# leaks, or the script fails. usage: tests/valgrind.sh [path/to/rnnlab]
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build/rnnlab}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vg() {
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
    --error-exitcode=99 --quiet "$cli" "$@"
}
expect_fail() {  # a bad input must fail cleanly (exit 1 or 2), never with a memcheck error (99)
  set +e
  vg "$@" > /dev/null 2>&1
  rc=$?
  set -e
  if [ "$rc" != 1 ] && [ "$rc" != 2 ]; then echo "valgrind: 'rnnlab $*' exited $rc"; exit 1; fi
}
vg init --cell lstm --task adding --hidden 8 --seed 1 --out "$work/add.rnl" > /dev/null
vg train --model "$work/add.rnl" --task adding --length 12 --steps 20 --batch 8 --json > /dev/null
vg eval --model "$work/add.rnl" --task adding --length 12 --batches 2 > /dev/null
vg data --source tests/fixtures/aclImdb_mini/aclImdb --out "$work/mini.rnld" --train 4 --val 2 --test 4 --vocab 50 --max-len 24 > /dev/null 2>&1
vg init --cell gru --data "$work/mini.rnld" --embed 8 --hidden 8 --bidirectional --out "$work/imdb.rnl" > /dev/null
vg train --model "$work/imdb.rnl" --data "$work/mini.rnld" --epochs 2 --batch 2 --json > /dev/null
vg eval --model "$work/imdb.rnl" --data "$work/mini.rnld" > /dev/null
vg init --cell rnn --data "$work/mini.rnld" --embed 4 --hidden 4 --out "$work/uni.rnl" > /dev/null
vg predict --model "$work/uni.rnl" --text "A wonderful film<br />but too long!" > /dev/null
vg baseline --data "$work/mini.rnld" > /dev/null
echo '{"tokens": [[1, 2, 3], [4]], "targets": [1, 0]}' > "$work/batch.json"
vg grad --model "$work/uni.rnl" --batch "$work/batch.json" > /dev/null
printf 'garbage' > "$work/garbage.rnl"
expect_fail info --model "$work/garbage.rnl"
expect_fail train --model "$work/add.rnl" --task copy
expect_fail grad --model "$work/uni.rnl" --batch tests/fixtures/series/good.csv
expect_fail data --source tests/fixtures/series/no_numbers.csv --out "$work/x.rnld"
echo "valgrind: the CLI session ran with no memory errors and no leaks"
