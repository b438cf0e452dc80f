//! Accounting CSVs that import: `lines.csv` adds up to each invoice's net amount (discount,
//! minimum top-up and credit notes as lines), and the Xero and QuickBooks Online presets
//! carry the same amounts in the layouts those tools import, with the card's
//! `[accounting]` values; a preset whose mandatory values the card lacks is refused.

use assert_cmd::Command;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("vspc-billing").unwrap();
    c.current_dir(root()).env_remove("NO_COLOR");
    c
}

/// The `[accounting]` section the tests add to their cards.
const ACCOUNTING: &str = r#"
[accounting]
account_code = "200"
tax_type = "19% (VAT on Income)"
tax_types = { "0" = "Zero Rated EC Services" }
item_codes = { VBR_VM = "VM", discount = "DISC", minimum = "MIN" }
terms = "Net 30"
"#;

/// Xero's template header, written out by hand (not taken from the code).
const XERO: &str = "*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,POCity,PORegion,POPostalCode,POCountry,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,Total,InventoryItemCode,*Description,*Quantity,*UnitAmount,Discount,*AccountCode,*TaxType,TaxAmount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2,Currency,BrandingTheme";
const QBO: &str = "InvoiceNo,Customer,InvoiceDate,DueDate,Terms,Memo,Item(Product/Service),ItemDescription,ItemQuantity,ItemRate,ItemAmount,ItemTaxCode,Currency";
const QBO_CREDIT: &str = "CreditNoteNo,Customer,CreditNoteDate,Memo,Item(Product/Service),ItemDescription,ItemQuantity,ItemRate,ItemAmount,ItemTaxCode,Currency";

/// The sample card with the `[accounting]` section, in `dir`.
fn sample_card(dir: &Path) -> PathBuf {
    let card = dir.join("rates.toml");
    let text = std::fs::read_to_string(root().join("samples/rates.toml")).unwrap();
    std::fs::write(&card, format!("{text}{ACCOUNTING}")).unwrap();
    card
}

fn invoice(args: &[&str], card: &Path, out: &Path) -> std::process::Output {
    bin()
        .arg("invoice")
        .args(args)
        .arg("--rates")
        .arg(card)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// A CSV file as rows of header → cell.
fn rows(path: &Path) -> (String, Vec<BTreeMap<String, String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let header = text.split("\r\n").next().unwrap().to_owned();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let rows = r
        .records()
        .map(|rec| {
            h.iter()
                .zip(rec.unwrap().iter())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .collect();
    (header, rows)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// What a run wrote, checked: each invoice's net amount is subtotal − discount and total
/// is net + tax (invoices.csv); the lines of lines.csv, of Xero's file (quantity × unit
/// amount, as Xero computes a line, exact to the cent) and of QuickBooks' files add up to
/// it (a credit note's QuickBooks lines to minus it, as positive amounts). Returns
/// invoices.csv by number, and the number of credit notes.
fn check_sums(out: &Path) -> (BTreeMap<String, BTreeMap<String, String>>, usize) {
    let (_, invoices) = rows(&out.join("invoices.csv"));
    let by_number: BTreeMap<String, BTreeMap<String, String>> = invoices
        .into_iter()
        .map(|r| (r["invoice_number"].clone(), r))
        .collect();
    let mut credit_notes = 0;
    for (n, r) in &by_number {
        assert_eq!(
            dec(&r["net"]),
            dec(&r["subtotal"]) - dec(&r["discount"]),
            "{n}"
        );
        assert_eq!(dec(&r["total"]), dec(&r["net"]) + dec(&r["tax"]), "{n}");
        if r["document_kind"] == "credit-note" {
            credit_notes += 1;
            assert!(dec(&r["net"]) < Decimal::ZERO, "{n}");
            assert!(!r["corrects"].is_empty(), "{n}");
        }
    }
    let sums = |file: &str, number: &str, amount: &dyn Fn(&BTreeMap<String, String>) -> Decimal| {
        let (_, lines) = rows(&out.join(file));
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for l in &lines {
            *sums.entry(l[number].clone()).or_default() += amount(l);
        }
        sums
    };
    let cents = |d: Decimal| {
        assert_eq!(d, d.round_dp(2), "{d} is not a whole number of cents");
        d
    };
    let lines = sums("lines.csv", "invoice_number", &|l| dec(&l["amount"]));
    let xero = sums("xero-invoices.csv", "*InvoiceNumber", &|l| {
        cents(dec(&l["*Quantity"]) * dec(&l["*UnitAmount"]))
    });
    let qbo_row = |l: &BTreeMap<String, String>| {
        let amount = dec(&l["ItemAmount"]);
        assert_eq!(
            dec(&l["ItemQuantity"]) * dec(&l["ItemRate"]),
            amount,
            "{l:?}"
        );
        cents(amount)
    };
    let qbo = sums("quickbooks-invoices.csv", "InvoiceNo", &qbo_row);
    let qbo_credit = sums("quickbooks-credit-notes.csv", "CreditNoteNo", &qbo_row);
    assert_eq!(
        lines.keys().collect::<Vec<_>>(),
        by_number.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        xero.keys().collect::<Vec<_>>(),
        by_number.keys().collect::<Vec<_>>()
    );
    assert_eq!(qbo.len() + qbo_credit.len(), by_number.len());
    for (n, r) in &by_number {
        let net = dec(&r["net"]);
        assert_eq!(lines[n], net, "lines.csv of {n}");
        assert_eq!(xero[n], net, "xero-invoices.csv of {n}");
        if r["document_kind"] == "credit-note" {
            assert_eq!(qbo_credit[n], -net, "quickbooks-credit-notes.csv of {n}");
        } else {
            assert_eq!(qbo[n], net, "quickbooks-invoices.csv of {n}");
        }
    }
    (by_number, credit_notes)
}

/// The tax a tool computes: per line, each rounded half away from zero, added up.
fn per_line_tax(out: &Path, number: &str, percent: Decimal) -> Decimal {
    let (_, lines) = rows(&out.join("xero-invoices.csv"));
    lines
        .iter()
        .filter(|l| l["*InvoiceNumber"] == number)
        .map(|l| {
            (dec(&l["*Quantity"]) * dec(&l["*UnitAmount"]) * percent / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        })
        .sum()
}

#[test]
fn every_file_adds_up_to_each_sample_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let card = sample_card(dir.path());
    let out = dir.path().join("out");
    let o = invoice(
        &[
            "samples/",
            "--allow-unapproved",
            "--allow-findings",
            "--outputs",
            "csv,xero,quickbooks",
        ],
        &card,
        &out,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (invoices, credit_notes) = check_sums(&out);
    assert_eq!(invoices.len(), 4);
    assert_eq!(credit_notes, 0);
    // The headers, exactly as the tools document them.
    assert_eq!(rows(&out.join("xero-invoices.csv")).0, XERO);
    assert_eq!(rows(&out.join("quickbooks-invoices.csv")).0, QBO);
    assert_eq!(rows(&out.join("quickbooks-credit-notes.csv")).0, QBO_CREDIT);
    // Contoso: 15 % discount as a line of its own; its own rate's name (0 %).
    let (_, lines) = rows(&out.join("lines.csv"));
    let discount: Vec<_> = lines.iter().filter(|l| l["kind"] == "discount").collect();
    assert_eq!(discount.len(), 2, "Contoso and Northwind have a discount");
    assert_eq!(discount[0]["invoice_number"], "INV-00002");
    assert_eq!(discount[0]["amount"], "-17.98");
    assert_eq!(discount[0]["tax_percent"], "0");
    assert_eq!(discount[0]["document_kind"], "invoice");
    // Fabrikam's top-up to its minimum is a line.
    assert!(lines.iter().any(|l| l["invoice_number"] == "INV-00003"
        && l["kind"] == "minimum"
        && l["amount"] == "24.50"));
    let (_, xero) = rows(&out.join("xero-invoices.csv"));
    let contoso: Vec<_> = xero
        .iter()
        .filter(|l| l["*InvoiceNumber"] == "INV-00002")
        .collect();
    assert!(
        contoso
            .iter()
            .all(|l| l["*TaxType"] == "Zero Rated EC Services"
                && l["*AccountCode"] == "200"
                && l["*InvoiceDate"] == "01/11/2026"
                && l["*DueDate"] == "01/12/2026"
                && l["Currency"] == "EUR"
                && l["Total"].is_empty()
                && l["TaxAmount"].is_empty())
    );
    let disc = contoso
        .iter()
        .find(|l| l["InventoryItemCode"] == "DISC")
        .unwrap();
    assert_eq!(
        (disc["*Quantity"].as_str(), disc["*UnitAmount"].as_str()),
        ("1", "-17.98")
    );
    let (_, qbo) = rows(&out.join("quickbooks-invoices.csv"));
    assert!(qbo.iter().all(|l| l["Terms"] == "Net 30"));
    // What the tools' per-line tax gives: Fabrikam's 150.00 at 19 % is 28.50 on the
    // invoice, but its seven lines' taxes, each rounded, add up to 28.51.
    assert_eq!(invoices["INV-00003"]["tax"], "28.50");
    assert_eq!(per_line_tax(&out, "INV-00003", dec("19")), dec("28.51"));
    for (n, r) in &invoices {
        let rate = if n == "INV-00002" {
            dec("0")
        } else {
            dec("19")
        };
        let lines = xero.iter().filter(|l| &l["*InvoiceNumber"] == n).count();
        let diff = (per_line_tax(&out, n, rate) - dec(&r["tax"])).abs();
        // At most half a cent per line.
        assert!(
            diff * Decimal::TWO <= Decimal::new(1, 2) * Decimal::from(lines),
            "{n}: {diff}"
        );
    }
}

/// A corpus billed with prices that need rounding, a discount and a minimum, then billed
/// again with other prices: credit notes cancel the issued invoices and new invoices
/// replace them. Every file still adds up, credit notes included.
#[test]
fn every_file_adds_up_over_a_corpus_with_credit_notes() {
    let dir = tempfile::tempdir().unwrap();
    bin()
        .args(["corpus", "--out"])
        .arg(dir.path().join("corpus"))
        .args(["--tenants", "40", "--months", "2"])
        .assert()
        .success();
    let card_text = |per_point: &str, minimum_applies: &str| {
        format!(
            r#"currency = "EUR"
rounding = "half-even"
[provider]
name = "Provider GmbH"
[tax]
name = "VAT"
percent = 19
[default]
per_point = "{per_point}"
discount_percent = "7.5"
minimum = 400
minimum_applies = "{minimum_applies}"
[workloads.VBR_VM]
per_unit = "6.333"
[workloads.VAC_Workstation_Agent]
graduated = [{{ up_to = 2, per_unit = "5.015" }}, {{ per_unit = 3 }}]
[workloads.VAC_Server_Agent]
volume = [{{ up_to = 10, per_unit = 14 }}, {{ per_unit = "12.5" }}]
[workloads.VB365_User]
package = {{ size = 10, price = "15.10" }}
{ACCOUNTING}"#
        )
    };
    let card = dir.path().join("rates.toml");
    std::fs::write(&card, card_text("0.0125", "before-discount")).unwrap();
    let register = dir.path().join("register.sqlite");
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec![
            dir.path().join("corpus").to_str().unwrap().to_owned(),
            "--outputs".into(),
            "csv,xero,quickbooks".into(),
            "--register".into(),
            register.to_str().unwrap().to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = invoice(&args, &card, &dir.path().join(out));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let kinds = |out: &str| {
        let (_, lines) = rows(&dir.path().join(out).join("lines.csv"));
        lines
            .iter()
            .map(|l| l["kind"].clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    run("first", &[]);
    let (first, notes) = check_sums(&dir.path().join("first"));
    assert_eq!(notes, 0);
    for kind in ["charge", "discount", "minimum"] {
        assert!(kinds("first").contains(kind), "{kind}");
    }
    assert!(first.len() > 40, "{}", first.len());
    // Lines whose quantity × price is not the amount are written as 1 at the amount.
    let (_, xero) = rows(&dir.path().join("first/xero-invoices.csv"));
    assert!(
        xero.iter()
            .any(|l| l["*Quantity"] == "1" && l["*Description"].contains(" point at 0.0125)")),
        "a points line at 0.0125"
    );
    std::fs::write(&card, card_text("0.0130", "after-discount")).unwrap();
    run("second", &["--correct"]);
    let (second, notes) = check_sums(&dir.path().join("second"));
    assert!(notes > 0, "credit notes issued");
    for kind in ["charge", "discount", "minimum", "credit"] {
        assert!(kinds("second").contains(kind), "{kind}");
    }
    let note = second
        .values()
        .find(|r| r["document_kind"] == "credit-note")
        .unwrap();
    let cancelled = &first[&note["corrects"]];
    assert_eq!(dec(&note["net"]), -dec(&cancelled["net"]));
    // Xero: the credit note as an invoice with a negative total; QuickBooks: in its own
    // file, positive.
    let (_, lines) = rows(&dir.path().join("second/lines.csv"));
    assert!(
        lines
            .iter()
            .any(|l| l["invoice_number"] == note["invoice_number"]
                && l["kind"] == "credit"
                && l["document_kind"] == "credit-note"
                && l["corrects"] == note["corrects"])
    );
    let (_, credits) = rows(&dir.path().join("second/quickbooks-credit-notes.csv"));
    assert!(
        credits
            .iter()
            .any(|l| l["CreditNoteNo"] == note["invoice_number"]
                && l["Memo"] == format!("Cancels {}", note["corrects"]))
    );
}

#[test]
fn hostile_names_are_neutralised_in_the_presets() {
    let sample =
        std::fs::read_to_string(root().join("samples/reports-api-3.6-approved.json")).unwrap();
    let hostile = sample.replace(
        "Fabrikam, Inc.",
        r#"=HYPERLINK(\"http://evil.example\",\"click\")"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hostile.json");
    std::fs::write(&input, hostile).unwrap();
    let card = dir.path().join("rates.toml");
    std::fs::write(
        &card,
        format!(
            "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[default]\nper_point = 1\n{ACCOUNTING}"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = invoice(
        &[input.to_str().unwrap(), "--outputs", "xero,quickbooks"],
        &card,
        &out,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (file, column) in [
        ("xero-invoices.csv", "*ContactName"),
        ("quickbooks-invoices.csv", "Customer"),
    ] {
        let (_, rows) = rows(&out.join(file));
        let cells: Vec<&String> = rows
            .iter()
            .map(|r| &r[column])
            .filter(|c| c.contains("HYPERLINK"))
            .collect();
        assert!(!cells.is_empty(), "{file}");
        for c in cells {
            assert!(c.starts_with("'=HYPERLINK"), "{file}: {c}");
        }
    }
}

#[test]
fn a_preset_the_card_cannot_fill_is_refused_where_the_card_says_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(root().join("samples/rates.toml")).unwrap();
    let card = dir.path().join("rates.toml");
    let out = dir.path().join("out");
    let refused = |card_text: &str, outputs: &str| {
        std::fs::write(&card, card_text).unwrap();
        let o = invoice(
            &[
                "samples/reports-api-3.6-approved.json",
                "--outputs",
                outputs,
            ],
            &card,
            &out,
        );
        assert_eq!(o.status.code(), Some(2), "{outputs}");
        assert!(!out.exists(), "nothing written");
        String::from_utf8(o.stderr).unwrap()
    };
    // No [accounting] at all.
    let e = refused(&sample, "csv,xero");
    assert!(
        e.contains("rates.toml: accounting: --outputs xero needs an [accounting] section"),
        "{e}"
    );
    assert!(e.contains("nothing was written"), "{e}");
    // No account code: located at the section.
    let lines = sample.lines().count();
    let e = refused(
        &format!(
            "{sample}\n[accounting]\ntax_type = \"19% (VAT on Income)\"\ntax_types = {{ \"0\" = \"No VAT\" }}\n"
        ),
        "xero",
    );
    assert!(
        e.contains(&format!(
            "rates.toml:{}:1: accounting.account_code: --outputs xero needs the revenue account code",
            lines + 2
        )),
        "{e}"
    );
    // Contoso's 0 % has no name: Xero would apply the card's 19 %.
    let e = refused(
        &format!(
            "{sample}\n[accounting]\naccount_code = \"200\"\ntax_type = \"19% (VAT on Income)\"\n"
        ),
        "xero",
    );
    assert!(
        e.contains("accounting.tax_types: --outputs xero needs the name of the tax rate 0 % of tenants c1a2b3c4-0001-4000-8000-000000000001"),
        "{e}"
    );
    // QuickBooks needs no code for 0 %, but one for 19 %.
    let e = refused(
        &format!("{sample}\n[accounting]\ntax_types = {{ \"0\" = \"No VAT\" }}\n"),
        "quickbooks",
    );
    assert!(
        e.contains(
            "accounting.tax_type: --outputs quickbooks needs the name of the card's tax rate, 19 %"
        ),
        "{e}"
    );
    // A bad percent key is a card error whatever the outputs.
    let e = refused(
        &format!("{sample}\n[accounting]\ntax_types = {{ \"19%\" = \"x\" }}\n"),
        "csv",
    );
    assert!(
        e.contains("accounting.tax_types.\"19%\": \"19%\" is not a percent"),
        "{e}"
    );
    // With every value: accepted, US dates.
    std::fs::write(
        &card,
        format!("{sample}{ACCOUNTING}date_format = \"MM/DD/YYYY\"\n"),
    )
    .unwrap();
    let o = invoice(
        &[
            "samples/reports-api-3.6-approved.json",
            "--outputs",
            "quickbooks",
        ],
        &card,
        &out,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, qbo) = rows(&out.join("quickbooks-invoices.csv"));
    assert!(
        qbo.iter()
            .all(|l| l["InvoiceDate"] == "11/01/2026" && l["DueDate"] == "12/01/2026")
    );
}
