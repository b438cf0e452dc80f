#!/usr/bin/env bash
# Benchmark of vspc-billing against its own parse baseline, `jq empty` and a Python peer.
# Prints MB/s and peak memory for validate, audit and invoice, on one thread and all threads,
# and the ratios the project targets. Results are recorded in BENCHMARKS.md.
#
#   bench/run.sh            # ~400 MB corpus + one ~100 MB file (takes several minutes)
#   BENCH_SCALE=0.1 bench/run.sh   # a tenth of the size, for a quick look
#   BENCH_BIG=1 bench/run.sh       # also one month of 630,000 tenants (~1.2 GB): invoice's peak memory
# The month is also invoiced with --outputs pdf,cii (every tenant given an address): invoices per second.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-bench/out}
# Invoices go to memory (tmpfs) so that the figures are the program's, not the disk's:
# creating tens of thousands of small files costs ~0.5 ms each on the VM disk this was
# written on, as much as the rest of the run. BENCH_INVOICE_OUT=some/dir measures a disk.
INV=${BENCH_INVOICE_OUT:-}
if [ -z "$INV" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then INV=/dev/shm/vspc-billing-bench; else INV=$OUT; fi
fi
mkdir -p "$INV"
SCALE=${BENCH_SCALE:-1}
RUNS=${BENCH_RUNS:-3}
mkdir -p "$OUT"

# --- tools -----------------------------------------------------------------------------
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
command -v jq >/dev/null || need_apt+=(jq)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} from Debian's packages" >&2
  apt-get update -qq >&2 && apt-get install -y -qq "${need_apt[@]}" >&2
fi
python3 -c 'import jsonschema, jinja2' 2>/dev/null || python3 -m pip install -q jsonschema jinja2 >&2
cargo build --release --quiet --bins --example parse_baseline
BIN=target/release/vspc-billing
BASE=target/release/examples/parse_baseline
CORES=$(nproc)

# --- data ------------------------------------------------------------------------------
tenants=$(python3 -c "print(max(10, int(4300 * $SCALE)))")
single=$(python3 -c "print(max(10, int(52000 * $SCALE)))")
stamp="$tenants-$single-v1"
if [ ! -f "$OUT/data.$stamp" ]; then
  rm -rf "$OUT/corpus" "$OUT/single" "$OUT/month" "$OUT"/data.*
  echo "generating the corpus (2 consoles x 24 months x $tenants tenants) and one file of $single tenants" >&2
  $BIN corpus --out "$OUT/corpus" --owners 2 --months 24 --tenants "$tenants" --products 3 --rows 3 --inject 2 --seed 7 >&2
  $BIN corpus --out "$OUT/single" --owners 1 --months 1 --tenants "$single" --products 3 --rows 3 --inject 2 --seed 11 >&2
  mkdir -p "$OUT/month"
  for f in "$OUT"/corpus/owner-*/2025-01.json; do cp "$f" "$OUT/month/$(basename "$(dirname "$f")").json"; done
  touch "$OUT/data.$stamp"
fi
mb() { du -cb $(find "$1" -name '*.json') | tail -1 | awk '{printf "%.1f", $1/1e6}'; }
largest_mb() { find "$1" -name '*.json' -printf '%s\n' | sort -n | tail -1 | awk '{printf "%.1f", $1/1e6}'; }

RESULTS="$OUT/results.tsv"
: > "$RESULTS"
# measure NAME DATASET THREADS COMMAND...: mean seconds over $RUNS runs (hyperfine), MB/s, peak RSS.
# Exit statuses are ignored: audit exits 1 when it finds errors, as it should on this corpus.
# PREPARE=command runs before each timed run (not timed): invoices go to an empty folder, as a
# month's run does (replacing a previous set with --force also moves the old files aside).
measure() {
  local name=$1 data=$2 threads=$3; shift 3
  local size; size=$(mb "$OUT/$data")
  local runs=$RUNS
  [ "${SLOW:-0}" = 1 ] && runs=1
  local prepare=(); [ -n "${PREPARE:-}" ] && prepare=(--prepare "$PREPARE")
  hyperfine -i --style none --runs "$runs" --warmup $([ "$runs" = 1 ] && echo 0 || echo 1) \
    "${prepare[@]}" --export-json "$OUT/h.json" -- "$*" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }
  local mean; mean=$(python3 -c "import json;print(json.load(open('$OUT/h.json'))['results'][0]['mean'])")
  [ -n "${PREPARE:-}" ] && bash -c "$PREPARE"
  local rss; rss=$( { /usr/bin/time -f '%M' bash -c "$* >/dev/null 2>&1" || true; } 2>&1 | tail -1)
  local rate; rate=$(python3 -c "print(f'{$size/$mean:.1f}')")
  printf '%s\t%s\t%s\t%.3f\t%s\t%s\t%s\n' "$name" "$data" "$threads" "$mean" "$rate" "$((rss/1024))" "$size" >> "$RESULTS"
  printf '%-26s %-7s %4s threads %8.3f s %9s MB/s %7s MB peak\n' "$name" "$data" "$threads" "$mean" "$rate" "$((rss/1024))" >&2
}

rates="samples/rates.toml"
for data in corpus single month; do
  p="$OUT/$data"
  measure parse-baseline "$data" 1 "$BASE $p"
  measure validate "$data" 1 "$BIN validate -q -j1 $p"
  measure validate "$data" "$CORES" "$BIN validate -q $p"
  measure validate-fast "$data" 1 "$BIN validate -q -j1 --schema-check on-failure $p"
  measure audit "$data" 1 "$BIN audit -q -j1 --format json $p"
  measure audit "$data" "$CORES" "$BIN audit -q --format json $p"
  measure jq-empty "$data" 1 "find $p -name '*.json' -exec jq empty {} +"
done
for data in month; do
  p="$OUT/$data"
  PREPARE="rm -rf $INV/invoices-$data" measure invoice "$data" 1 "$BIN invoice -q -j1 --allow-findings --allow unknown-tenant --rates $rates --out $INV/invoices-$data $p"
  PREPARE="rm -rf $INV/invoices-$data" measure invoice "$data" "$CORES" "$BIN invoice -q --allow-findings --allow unknown-tenant --rates $rates --out $INV/invoices-$data $p"
  PREPARE="rm -rf $INV/invoices-csv-$data" measure invoice-csv "$data" 1 "$BIN invoice -q -j1 --allow-findings --allow unknown-tenant --outputs csv,summary --rates $rates --out $INV/invoices-csv-$data $p"
  PREPARE="rm -rf $INV/invoices-html-$data" measure invoice-html "$data" "$CORES" "$BIN invoice -q --allow-findings --allow unknown-tenant --outputs html --rates $rates --out $INV/invoices-html-$data $p"
  # With a register: every invoice issued (a new register each run), then a re-run that finds
  # every invoice issued and unchanged (same numbers, same documents).
  PREPARE="rm -rf $INV/invoices-reg-$data $INV/register.sqlite $INV/register.sqlite-wal $INV/register.sqlite-shm" measure invoice-register "$data" "$CORES" "$BIN invoice -q --allow-findings --allow unknown-tenant --register $INV/register.sqlite --rates $rates --out $INV/invoices-reg-$data $p"
  $BIN invoice -q --allow-findings --allow unknown-tenant --register "$INV/register.sqlite" --rates $rates --out "$INV/invoices-reg-$data" "$p" >/dev/null 2>&1 || true
  measure invoice-register-rerun "$data" "$CORES" "$BIN invoice -q --allow-findings --allow unknown-tenant --register $INV/register.sqlite --rates $rates --out $INV/invoices-reg-$data $p"
  du -b "$INV/register.sqlite" | awk '{printf "register after one month: %.1f MB\n", $1/1e6}' >&2
  # PDF and CII (issue 15): every tenant of the month gets an address, which e-invoices need.
  python3 - "$rates" "$p" "$OUT/einvoice-rates.toml" <<'PY'
import json, pathlib, sys
card, folder, out = sys.argv[1:]
uids = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "organizationUid" and isinstance(x, str):
                uids.add(x)
            else:
                walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for f in pathlib.Path(folder).glob("*.json"):
    walk(json.loads(f.read_text()))
text = pathlib.Path(card).read_text()
for u in sorted(uids):
    if f'[tenants."{u}"]' not in text:
        text += f'\n[tenants."{u}"]\npostal_address = {{ street = "1 Main St", postcode = "10115", city = "Berlin", country = "DE" }}\n'
pathlib.Path(out).write_text(text)
PY
  PREPARE="rm -rf $INV/invoices-pdf-$data" SLOW=1 measure invoice-pdf "$data" "$CORES" "$BIN invoice -q --allow-findings --allow unknown-tenant --outputs pdf,cii --rates $OUT/einvoice-rates.toml --out $INV/invoices-pdf-$data $p"
  $BIN invoice -q --allow-findings --allow unknown-tenant --outputs csv --rates $rates --out "$INV/count-$data" "$p" >/dev/null 2>&1 || true
  month_invoices=$(( $(wc -l < "$INV/count-$data/invoices.csv") - 1 ))
  rm -rf "$INV/count-$data" "$INV/invoices-pdf-$data"
  SLOW=1 measure python-peer "$data" 1 "python3 bench/peer.py --schema schemas/license-reports.schema.json --out $INV/peer-$data $p"
  rm -rf "$INV/invoices-$data" "$INV/invoices-csv-$data" "$INV/invoices-html-$data" "$INV/invoices-reg-$data" "$INV"/register.sqlite* "$INV/peer-$data"
done
# Peak memory of invoicing the one large file (a month of one console).
PREPARE="rm -rf $INV/invoices-single" SLOW=1 measure invoice single "$CORES" "$BIN invoice -q --allow-findings --allow unknown-tenant --rates $rates --out $INV/invoices-single $OUT/single"
rm -rf "$INV/invoices-single"
# Peak memory of invoicing a ~1.2 GB month (BENCH_BIG=1; several minutes, ~3 GB of disk).
# The documents are written as they are rendered, so CSV and summary show the memory of
# every format; the invoices are not held (a chunk of 4,096 at a time).
if [ -n "${BENCH_BIG:-}" ]; then
  if [ ! -f "$OUT/big/owner-00/2025-01.json" ]; then
    $BIN corpus --out "$OUT/big" --owners 1 --months 1 --tenants 630000 --products 3 --rows 3 --inject 2 --seed 11 >&2
  fi
  big=$(find "$OUT/big" -name '*.json' -printf '%s\n' | awk '{printf "%.1f", $1/1e6}')
  rm -rf "$INV/invoices-big"
  /usr/bin/time -f '%e %M' -o "$OUT/big-rss" $BIN invoice -q --allow-findings --allow unknown-tenant --outputs csv,summary --rates $rates --out "$INV/invoices-big" "$OUT/big" >/dev/null 2>&1 || true
  rm -rf "$INV/invoices-big"
  read -r secs kb < <(tail -1 "$OUT/big-rss")
  python3 - "$big" "$secs" "$kb" > "$OUT/big-line" <<'PY'
import sys
size, secs, kb = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
mb, limit = kb // 1024, 3 * size + 200
label = f"invoice peak RSS, one month of {size:.0f} MB ({secs:.0f} s)"
print(f"  {label:<62} {str(mb) + ' MB':>9}  target {'<= ' + str(int(limit)):<8} {'ok' if mb <= limit else 'MISSED'}")
PY
fi
# The whole corpus: invoices written per second (file creation dominates).
rm -rf "$INV/invoices-corpus"
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$OUT/corpus-rss" $BIN invoice -q --allow-findings --allow unknown-tenant --force --rates $rates --out "$INV/invoices-corpus" "$OUT/corpus" >/dev/null 2>&1 || true
corpus_rss=$(tail -1 "$OUT/corpus-rss")
end=$(date +%s.%N)
written=$(find "$INV/invoices-corpus" -name '*.html' | wc -l)
rm -rf "$INV/invoices-corpus"

python3 - "$RESULTS" "$CORES" "$written" "$start" "$end" "$(largest_mb "$OUT/corpus")" "$corpus_rss" "${month_invoices:-0}" <<'PY'
import sys, collections
path, cores, written, start, end, largest, corpus_rss, month_invoices = sys.argv[1:]
cores = int(cores)
r = collections.defaultdict(dict)
for line in open(path):
    name, data, threads, mean, rate, rss, size = line.rstrip("\n").split("\t")
    r[data][(name, int(threads))] = dict(mean=float(mean), rate=float(rate), rss=int(rss), size=float(size))
def get(data, name, threads=1):
    return r[data].get((name, threads))
print()
print("Targets (ratios from this run)")
def line(label, value, target, ok):
    print(f"  {label:<62} {value:>9}  target {target:<8} {'ok' if ok else 'MISSED'}")
for data in ("corpus", "single"):
    b, a = get(data, "parse-baseline"), get(data, "audit")
    if b and a:
        x = a["rate"] / b["rate"]
        line(f"audit 1 thread / typed parse alone ({data})", f"{x:.2f}x", ">= 0.5", x >= 0.5)
m_a, m_i = get("month", "audit"), get("month", "invoice")
if m_a and m_i:
    x = m_i["mean"] / m_a["mean"]
    line("invoice time / audit time, one month, 1 thread", f"{x:.2f}x", "<= 6", x <= 6)
m_a, m_i = get("month", "audit"), get("month", "invoice-csv")
if m_a and m_i:
    x = m_i["mean"] / m_a["mean"]
    line("invoice --outputs csv,summary / audit, one month, 1 thread", f"{x:.2f}x", "(<= 6)", x <= 6)
m_a, m_i = get("month", "audit", cores), get("month", "invoice", cores)
if m_a and m_i:
    x = m_i["mean"] / m_a["mean"]
    line(f"invoice time / audit time, one month, {cores} threads", f"{x:.2f}x", "<= 6", x <= 6)
m_i, m_r, m_rr = get("month", "invoice", cores), get("month", "invoice-register", cores), get("month", "invoice-register-rerun", cores)
if m_i and m_r:
    x = m_r["mean"] / m_i["mean"]
    line(f"invoice with a new register / without, one month, {cores} threads", f"{x:.2f}x", "(none)", True)
if m_i and m_rr:
    x = m_rr["mean"] / m_i["mean"]
    line(f"invoice re-run against the register / without, one month", f"{x:.2f}x", "(none)", True)
h, p = get("month", "invoice-html", cores), get("month", "python-peer")
if h and p:
    x = p["mean"] / h["mean"]
    line(f"--outputs html ({cores} threads) / Python peer (month)", f"{x:.0f}x", ">= 30", x >= 30)
f = get("month", "invoice-pdf", cores)
if f:
    rate = float(month_invoices) / f["mean"]
    line(f"--outputs pdf,cii, one month ({month_invoices} invoices, {cores} threads)", f"{rate:.0f}/s", ">= 100", rate >= 100)
s = get("single", "invoice", cores)
if s:
    limit = 3 * s["size"] + 200
    line(f"invoice peak RSS, one file of {s['size']:.0f} MB", f"{s['rss']} MB", f"<= {limit:.0f}", s["rss"] <= limit)
for data in ("corpus", "single"):
    a, j = get(data, "audit", cores), get(data, "jq-empty")
    if a and j:
        x = a["rate"] / j["rate"]
        line(f"audit ({cores} threads) / jq empty ({data})", f"{x:.1f}x", ">= 5", x >= 5)
for data in ("month", "single"):
    i, p = get(data, "invoice", cores), get(data, "python-peer")
    if i and p:
        x = i["rate"] / p["rate"]
        line(f"invoice ({cores} threads) / Python peer ({data})", f"{x:.0f}x", ">= 50", x >= 50)
for data in ("corpus", "single"):
    one, many = get(data, "audit", 1), get(data, "audit", cores)
    if one and many and cores > 1:
        x = one["mean"] / many["mean"]
        need = 1.8 if cores == 2 else 0.75 * cores
        line(f"audit speed-up on {cores} threads ({data})", f"{x:.2f}x", f">= {need:g}", x >= need)
a = get("corpus", "audit", cores)
if a:
    limit = 3 * float(largest) + 100
    line(f"audit peak RSS on the corpus (largest file {largest} MB)", f"{a['rss']} MB", f"<= {limit:.0f}", a["rss"] <= limit)
secs = float(end) - float(start)
rate = int(written) / secs
line(f"whole corpus: {int(written)} invoices in {secs:.1f} s ({cores} threads), peak {int(corpus_rss)//1024} MB", f"{rate:.0f}/s", ">= 15000", rate >= 15000)
PY
if [ -n "${BENCH_BIG:-}" ] && [ -f "$OUT/big-line" ]; then cat "$OUT/big-line"; rm -f "$OUT/big-line"; fi
