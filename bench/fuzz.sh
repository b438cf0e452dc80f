#!/usr/bin/env bash
# Fuzzing: N mutated inputs through the library in-process (examples/fuzz.rs: load in both
# schema-check modes and split, audit, billing, rendering, with their invariants), in
# batches on every core, and a share of the same cases through the real binary (validate,
# audit and invoice, each run under `timeout`). Fails on a panic, a broken invariant, a hang,
# an exit status other than 0, 1 or 2, or JSON output that does not parse; prints the cases
# run and the failures, and exits 1 on any failure. Failing inputs are kept in target/fuzz/.
#
#   bench/fuzz.sh 3000                  # a few seconds (CI)
#   bench/fuzz.sh 1000000               # ~N / (2,000 x cores) seconds, and ~1 minute for the binary
#   FUZZ_SEED=7 bench/fuzz.sh 200000    # other cases (the default seed is 1; cases are
#                                       # the same for a seed whatever the number of cores)
#
# Settings: FUZZ_SEED, FUZZ_JOBS (processes; default: the cores), FUZZ_BATCH (cases per
# process, default 20000), FUZZ_BINARY_FILES (at most this many cases, one in 20 or fewer,
# also go through the binary; default 400), FUZZ_OUT (default target/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: bench/fuzz.sh CASES}
export SEED=${FUZZ_SEED:-1}
JOBS=${FUZZ_JOBS:-$(nproc)}
BATCH=${FUZZ_BATCH:-20000}
# At least one batch per process.
per_job=$(( (N + JOBS - 1) / JOBS ))
[ "$per_job" -ge 1 ] || per_job=1
[ "$BATCH" -le "$per_job" ] || BATCH=$per_job
export BATCH
BINARY_FILES=${FUZZ_BINARY_FILES:-400}
export OUT=${FUZZ_OUT:-target/fuzz}
TARGET=${CARGO_TARGET_DIR:-target}
# Without the PDF engine: the fuzzer renders no PDF, and a release build of typst (with the
# features the example's dev-dependencies unify) would add half an hour on two cores.
cargo build --release --quiet --no-default-features --bin vspc-billing --example fuzz
export BIN=$TARGET/release/vspc-billing FUZZ=$TARGET/release/examples/fuzz
export WORK
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vspc-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/cases" "$WORK/batches" "$WORK/binary"
export N
# Every EVERY-th case is also written out for the binary.
EVERY=$(( (N + BINARY_FILES - 1) / BINARY_FILES ))
[ "$EVERY" -ge 20 ] || EVERY=20
export EVERY
start=$(date +%s.%N)

# --- in-process ------------------------------------------------------------------------
# One process per batch of cases, JOBS at a time; a batch gets ten times the time it needs
# at 1,000 cases a second (and a minute more): beyond, it hangs.
batch() {
  local i=$1 first count limit rc=0
  first=$(( i * BATCH ))
  count=$(( N - first < BATCH ? N - first : BATCH ))
  limit=$(( 60 + count / 100 ))
  timeout -k 5 "$limit" "$FUZZ" --seed "$SEED" --first "$first" --cases "$count" --quiet \
    --out "$OUT" --emit "$WORK/cases" --emit-every "$EVERY" \
    > "$WORK/batches/$i.out" 2> "$WORK/batches/$i.err" || rc=$?
  echo "$rc $first $count" > "$WORK/batches/$i.rc"
}
export -f batch
seq 0 $(( (N + BATCH - 1) / BATCH - 1 )) | xargs -P "$JOBS" -I{} bash -c 'batch {}'
mid=$(date +%s.%N)

cases=0
failures=0
for rc_file in "$WORK"/batches/*.rc; do
  i=$(basename "$rc_file" .rc)
  read -r rc first count < "$rc_file"
  done_cases=$(sed -n 's/^fuzz: seed [0-9]*: \([0-9]*\) cases.*/\1/p' "$WORK/batches/$i.out")
  cases=$(( cases + ${done_cases:-0} ))
  failed=$(sed -n 's/.*; \([0-9]*\) failures$/\1/p' "$WORK/batches/$i.out")
  case $rc in
    0) ;;
    1) failures=$(( failures + ${failed:-1} ))
       cat "$WORK/batches/$i.err" "$WORK/batches/$i.out" >&2 ;;
    *) failures=$(( failures + 1 ))
       if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then what="hung (timeout)"; else what="died (exit $rc)"; fi
       echo "FAIL the batch of cases $first to $(( first + count - 1 )) $what; again: $FUZZ --seed $SEED --first $first --cases $count" >&2
       tail -n 30 "$WORK/batches/$i.err" >&2 ;;
  esac
done

# --- through the binary ----------------------------------------------------------------
# Each written case through validate (both modes), audit (JSON, SARIF, from standard input)
# and invoice; every JSON output must parse.
through_binary() {
  local f=$1 name dir rc bad=0
  name=$(basename "$f" .json)
  dir=$WORK/binary/$name
  mkdir -p "$dir"
  run() {
    local label=$1; shift
    rc=0
    timeout -k 2 20 "$@" > "$dir/$label.out" 2> "$dir/$label.err" || rc=$?
    if [ "$rc" -gt 2 ]; then
      echo "FAIL $name: exit $rc$( [ "$rc" = 124 ] && echo ' (hang)')$( [ "$rc" = 101 ] && echo ' (panic)'): ${*/#$BIN/vspc-billing}" >> "$dir/failures"
      head -c 2000 "$dir/$label.err" >> "$dir/failures"
    fi
  }
  run validate "$BIN" validate --format json "$f"
  run validate-fast "$BIN" validate --schema-check on-failure --format json "$f"
  run audit "$BIN" audit --format json "$f"
  run sarif "$BIN" audit --format sarif "$f"
  run stdin "$BIN" audit --format json - < "$f"
  run invoice "$BIN" invoice "$f" --rates samples/rates.toml --out "$dir/inv" --force \
    --allow-unapproved --allow-findings --allow unknown-tenant --context "$dir/context.json"
  local json=("$dir"/validate.out "$dir"/validate-fast.out "$dir"/audit.out "$dir"/sarif.out "$dir"/stdin.out)
  [ -f "$dir/context.json" ] && json+=("$dir/context.json")
  local checked
  if ! checked=$("$FUZZ" --check-json "${json[@]}"); then
    echo "FAIL $name: JSON output does not parse: $checked" >> "$dir/failures"
  fi
  if [ -f "$dir/failures" ]; then
    cp "$f" "$OUT/binary-fail-$name.json"
    cat "$dir/failures"
    echo "  input: $OUT/binary-fail-$name.json"
  fi
  rm -rf "$dir/inv"
}
export -f through_binary
find "$WORK/cases" -name '*.json' -print0 | sort -z |
  xargs -0 -P "$JOBS" -I{} bash -c 'through_binary "$1"' _ {} > "$WORK/binary.log" 2>&1 || true
files=$(find "$WORK/cases" -name '*.json' | wc -l)
binary_failures=$(grep -c '^FAIL' "$WORK/binary.log" || true)
if [ "$binary_failures" -gt 0 ]; then
  cat "$WORK/binary.log" >&2
fi
failures=$(( failures + binary_failures ))
end=$(date +%s.%N)

rate=$(awk -v n="$cases" -v a="$start" -v b="$mid" 'BEGIN { printf "%.0f", n / (b - a) }')
secs=$(awk -v a="$mid" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "fuzz.sh: seed $SEED: $cases cases in-process ($rate/s on $JOBS processes); $files of them through the binary (6 runs each, $secs s); $failures failures"
if [ "$cases" -lt "$N" ]; then
  echo "fuzz.sh: only $cases of $N cases ran" >&2
  exit 1
fi
[ "$failures" -eq 0 ]
