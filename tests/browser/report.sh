#!/usr/bin/env bash
# Renders `vspc-billing report` in a real browser (headless Chromium) and fails on any
# JavaScript or console error, network request, missing chart, unsortable table or a page
# wider than a phone; leaves the page, screenshots and the printed PDF in target/browser/.
#
#   tests/browser/report.sh            (needs chromium: Debian `apt-get install chromium`)
#
# Input: a generated corpus (2 consoles x 12 months x 300 tenants, with inconsistencies),
# one tenant renamed to markup and a closing script tag (it must stay text), and the
# bundled samples (their findings, the invalid files' included).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
out="target/browser"
rm -rf "$out"
mkdir -p "$out"
cargo build --quiet --locked
bin="$target/debug/vspc-billing"
"$bin" corpus --out "$out/corpus" --owners 2 --months 12 --tenants 300 --inject 1 --quiet
python3 - "$out/corpus/owner-00" <<'PY'
import json, pathlib, sys
evil = 'Evil </script><script>alert(1)</script> & <b>Co</b> "quoted" \'single\''
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    doc = json.loads(f.read_text())
    r = doc["data"][0]
    uid = r["organizationsUsage"][0]["organizationUid"]
    r["organizationsUsage"][0]["organizationName"] = evil
    for d in r["usageDetails"]:
        if d["organizationUid"] == uid:
            d["organizationName"] = evil
    f.write_text(json.dumps(doc))
PY
status=0
"$bin" report "$out/corpus" samples --out "$out/report.html" --quiet || status=$?
# 1: the corpus and the samples have error findings, on purpose.
if [ "$status" -ne 1 ]; then
    echo "report.sh: vspc-billing report exited $status, expected 1" >&2
    exit 1
fi
grep -q 'Evil &lt;&#x2F;script&gt;\|Evil &lt;/script&gt;' "$out/report.html" || {
    echo "report.sh: the tenant name with markup is not escaped in the page" >&2
    exit 1
}
if grep -q '<script>alert' "$out/report.html"; then
    echo "report.sh: markup from a tenant name reached the page" >&2
    exit 1
fi
python3 tests/browser/check_report.py "$out/report.html" "$out"
echo "report.sh: $(wc -c < "$out/report.html") bytes of HTML; screenshots in $out/"
