#!/usr/bin/env python3
"""The peer a provider would otherwise write: load each export with the json module
(numbers as Decimal, for exact money), validate it with the jsonschema package against the
schema vspc-billing generates (schemas/license-reports.schema.json), add up points per
tenant, check the report totals, and render one invoice per tenant with jinja2.

    python3 bench/peer.py --schema schemas/license-reports.schema.json --out DIR FILES_OR_DIRS...

Kept deliberately plain: this is the baseline the benchmark compares against.
"""
import argparse
import json
import os
import sys
from decimal import Decimal

import jinja2
import jsonschema

INVOICE = jinja2.Template(
    """<html><body><h1>Invoice {{ number }}</h1>
<p>{{ tenant }} ({{ uid }}), period {{ period }}</p>
<table>{% for l in lines %}<tr><td>{{ l.workload }}</td><td>{{ l.quantity }}</td><td>{{ l.amount }}</td></tr>{% endfor %}</table>
<p>Total: {{ total }} EUR</p></body></html>
""",
    autoescape=True,
)
PER_POINT = Decimal("1.50")


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in sorted(os.walk(p)):
                for n in sorted(names):
                    if n.endswith(".json"):
                        yield os.path.join(root, n)
        else:
            yield p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    with open(a.schema) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    os.makedirs(a.out, exist_ok=True)
    invoices = 0
    problems = 0
    for path in files(a.paths):
        with open(path, "rb") as f:
            doc = json.load(f, parse_float=Decimal)
        for err in validator.iter_errors(doc):
            problems += 1
            print(f"{path}: {err.json_path}: {err.message}", file=sys.stderr)
        for i, report in enumerate(doc.get("data", [])):
            params = report.get("reportParameters") or report.get("reportParemeters")
            period = params["reportInterval"]["startOfInterval"][:7]
            summary = report["reportSummary"]["totalPoints"]
            orgs = sum(o["usedPoints"] for o in report.get("organizationsUsage") or [])
            if orgs != summary:
                problems += 1
            for d in report.get("usageDetails") or []:
                lines = []
                for p in d.get("usageByLicenseAndProduct") or []:
                    for w in p.get("workloadUsage") or []:
                        platforms = w.get("workloadsByPlatform")
                        if platforms:
                            expected = sum(o["usedPoints"] for pl in platforms for o in pl.get("objectsByWeight") or [])
                        else:
                            expected = w["reportedCount"] * w["weight"]
                        if w["usedPoints"] != expected:
                            problems += 1
                        lines.append(
                            {
                                "workload": w["workloadType"],
                                "quantity": w["reportedCount"],
                                "amount": (w["usedPoints"] * PER_POINT).quantize(Decimal("0.01")),
                            }
                        )
                invoices += 1
                number = f"{period}-{invoices:06d}"
                html = INVOICE.render(
                    number=number,
                    tenant=d.get("organizationName"),
                    uid=d["organizationUid"],
                    period=period,
                    lines=lines,
                    total=sum(l["amount"] for l in lines),
                )
                with open(os.path.join(a.out, number + ".html"), "w") as f:
                    f.write(html)
    print(f"{invoices} invoices, {problems} problems")


if __name__ == "__main__":
    main()
