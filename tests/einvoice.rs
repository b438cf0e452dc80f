//! `invoice --outputs cii`: the EN 16931 CII of every sample invoice and of a credit note
//! keeps the calculation rules (BR-CO-10, 13, 15) and equals `invoices.csv` to the cent;
//! a card without what the format needs is refused with located errors and nothing
//! written; the card's tax categories agree with their percents and carry their notes.
//! (`tests/einvoice/check.sh` validates the same files against the official XSD.)

use assert_cmd::Command;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use vspc_billing::billing::rates::RateCard;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sample_card() -> String {
    std::fs::read_to_string(root().join("samples/rates.toml")).unwrap()
}

/// `invoice samples/reports-api-3.6-approved.json --rates CARD --out OUT EXTRA`.
fn invoice(card: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("vspc-billing")
        .unwrap()
        .current_dir(root())
        .args([
            "invoice",
            "samples/reports-api-3.6-approved.json",
            "--rates",
        ])
        .arg(card)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The texts of every `<ram:NAME ...>text</ram:NAME>` in `xml`, in order.
fn texts<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<ram:{name}");
    let close = format!("</ram:{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        // `<ram:LineTotalAmount` must not match `<ram:LineTotalAmountX`.
        if !after.starts_with(['>', ' ']) {
            rest = after;
            continue;
        }
        let start = after.find('>').unwrap() + 1;
        let end = after.find(&close).unwrap();
        out.push(&after[start..end]);
        rest = &after[end..];
    }
    out
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|_| panic!("{s:?} is not a decimal"))
}

/// The one value of a header amount (the last, after the lines' own).
fn header(xml: &str, name: &str) -> Decimal {
    texts(xml, name).last().map_or(Decimal::ZERO, |s| dec(s))
}

/// The CSV rows of `invoices.csv`, by invoice number.
fn csv_rows(out: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(out.join("invoices.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: BTreeMap<String, String> = headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect();
            (row["invoice_number"].clone(), row)
        })
        .collect()
}

/// Checks every XML of `out` against its row of `invoices.csv` and the EN 16931
/// calculation rules; returns the number of XML files and of credit notes.
fn check_folder(out: &Path) -> (usize, usize) {
    let rows = csv_rows(out);
    let (mut n, mut credit_notes) = (0, 0);
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        n += 1;
        let xml = std::fs::read_to_string(&path).unwrap();
        let number = texts(&xml, "ID")[1];
        let row = &rows[number];
        let type_code = texts(&xml, "TypeCode")[0];
        // Our credit notes carry negative amounts; the CII's are positive.
        let sign = if row["total"].starts_with('-') {
            credit_notes += 1;
            assert_eq!(type_code, "381", "{number}");
            let cancelled = texts(&xml, "IssuerAssignedID");
            assert_eq!(cancelled.len(), 1, "a credit note references its invoice");
            Decimal::NEGATIVE_ONE
        } else {
            assert_eq!(type_code, "380", "{number}");
            Decimal::ONE
        };
        let lines: Vec<Decimal> = texts(&xml, "LineTotalAmount")
            .iter()
            .map(|s| dec(s))
            .collect();
        let (line_amounts, line_total) = lines.split_at(lines.len() - 1);
        let line_total = line_total[0];
        let allowances = header(&xml, "AllowanceTotalAmount");
        let charges = header(&xml, "ChargeTotalAmount");
        let basis = header(&xml, "TaxBasisTotalAmount");
        let tax = header(&xml, "TaxTotalAmount");
        let grand = header(&xml, "GrandTotalAmount");
        let due = header(&xml, "DuePayableAmount");
        assert_eq!(
            line_amounts.iter().sum::<Decimal>(),
            line_total,
            "BR-CO-10 {number}"
        );
        assert_eq!(
            basis,
            line_total - allowances + charges,
            "BR-CO-13 {number}"
        );
        assert_eq!(grand, basis + tax, "BR-CO-15 {number}");
        assert_eq!(due, grand, "nothing prepaid {number}");
        for amount in [line_total, basis, tax, grand] {
            assert!(
                amount >= Decimal::ZERO,
                "positive amounts {number}: {amount}"
            );
        }
        // To the cent, what invoices.csv says.
        let csv = |k: &str| sign * dec(&row[k]);
        assert_eq!(grand, csv("total"), "{number} total");
        assert_eq!(basis, csv("subtotal") - csv("discount"), "{number} net");
        assert_eq!(tax, csv("tax"), "{number} tax");
        assert_eq!(line_total, csv("subtotal"), "{number} subtotal");
        assert_eq!(allowances, csv("discount"), "{number} discount");
        // The breakdown's basis and tax are the invoice's (one category per invoice).
        assert_eq!(dec(texts(&xml, "BasisAmount")[0]), basis, "{number}");
        assert_eq!(dec(texts(&xml, "CalculatedAmount")[0]), tax, "{number}");
    }
    (n, credit_notes)
}

#[test]
fn cii_totals_keep_the_rules_and_equal_invoices_csv_also_for_credit_notes() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("rates.toml");
    std::fs::write(&card, sample_card()).unwrap();
    let register = dir.path().join("register.sqlite");
    let reg = [
        "--register",
        register.to_str().unwrap(),
        "--outputs",
        "cii,csv",
    ];
    let out = dir.path().join("out");
    let first = invoice(&card, &out, &reg);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(check_folder(&out), (3, 0));
    let fabrikam =
        std::fs::read_to_string(out.join("INV-00002-fabrikam-inc-00000002.xml")).unwrap();
    assert!(fabrikam.contains(vspc_billing::einvoice::cii::XRECHNUNG));
    let contoso = std::fs::read_to_string(out.join("INV-00001-contoso-ltd-00000001.xml")).unwrap();
    assert!(contoso.contains("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"));
    // Outside the scope of VAT: the reason, no rate and no VAT identifier (BR-O-02, -05).
    assert!(contoso.contains("<ram:ExemptionReason>Not subject to German VAT"));
    assert!(!contoso.contains("RateApplicablePercent") && !contoso.contains("schemeID=\"VA\""));
    // Another price: each changed invoice is cancelled by a credit note and replaced.
    std::fs::write(
        &card,
        sample_card().replace("per_unit = 6.00", "per_unit = 6.50"),
    )
    .unwrap();
    let out2 = dir.path().join("out2");
    let mut args = reg.to_vec();
    args.push("--correct");
    let second = invoice(&card, &out2, &args);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let (n, credit_notes) = check_folder(&out2);
    assert_eq!(
        (n, credit_notes),
        (5, 2),
        "two credit notes and their replacements"
    );
    // A replacement references the invoice it replaces.
    let replacement = std::fs::read_dir(&out2)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .find(|x| x.contains("<ram:Content>Replaces invoice INV-00001"))
        .expect("a replacement of INV-00001");
    assert_eq!(texts(&replacement, "IssuerAssignedID"), ["INV-00001"]);
}

#[test]
fn a_card_without_what_cii_needs_is_refused_with_located_errors_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("rates.toml");
    // The seller's postal address and the reverse-charge buyer's VAT ID are missing.
    let text = sample_card()
        .replace(
            "postal_address = { street = \"Hauptstraße 1\", postcode = \"10115\", city = \"Berlin\", country = \"DE\" }\n",
            "address = [\"Hauptstraße 1\", \"10115 Berlin\", \"Germany\"]\n",
        )
        .replace(
            "vat_id = \"DE811907980\"\n",
            "tax_category = \"reverse-charge\"\n",
        );
    std::fs::write(&card, &text).unwrap();
    let out = dir.path().join("out");
    let run = invoice(&card, &out, &["--outputs", "cii,csv,html"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let file = card.display().to_string();
    let provider = line_of("[provider]");
    assert!(
        stderr.contains(&format!(
            "{file}:{provider}:1: provider.postal_address: --outputs cii needs the seller's postal address (EN 16931 BG-5, BR-08"
        )),
        "{stderr}"
    );
    let northwind = line_of("[tenants.\"c1a2b3c4-0003-4000-8000-000000000003\"]");
    assert!(
        stderr.contains(&format!(
            "{file}:{northwind}:1: tenants.c1a2b3c4-0003-4000-8000-000000000003.vat_id: --outputs cii needs the VAT identifier of Northwind Traders GmbH, a reverse-charge buyer (BR-AE-02)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("the rate card is invalid (2 problems); nothing was written"),
        "{stderr}"
    );
    let written: Vec<_> = std::fs::read_dir(&out)
        .map(|d| {
            d.map(|e| e.unwrap().file_name())
                .filter(|n| n != vspc_billing::output::STATE_DIR)
                .collect()
        })
        .unwrap_or_default();
    assert!(written.is_empty(), "{written:?}");
    // Without cii the same card writes its invoices (the note has its default wording).
    let run = invoice(&card, &out, &["--outputs", "txt"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let txt =
        std::fs::read_to_string(out.join("INV-00003-northwind-traders-gmbh-00000003.txt")).unwrap();
    assert!(
        txt.contains(vspc_billing::billing::rates::REVERSE_CHARGE_NOTE),
        "{txt}"
    );
    assert!(txt.contains("VAT (0 %)"), "{txt}");
}

/// Each inconsistency of a card's tax, with the place it points at.
#[test]
fn tax_categories_agree_with_their_percent_and_carry_their_note() {
    let uid = "c1a2b3c4-0003-4000-8000-000000000003";
    let errors = |from: &str, to: &str| -> Vec<String> {
        let text = sample_card().replacen(from, to, 1);
        assert_ne!(text, sample_card(), "{from}");
        RateCard::parse("rates.toml", &text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let northwind = "discount_percent = 20       # reseller discount\n";
    let contoso_note = "tax_note = \"Not subject to German VAT: the place of supply is the customer's seat outside the EU (Article 44 of Council Directive 2006/112/EC).\"";
    let cases: [(&str, &str, String); 10] = [
        (
            contoso_note,
            "tax_note = \" \"",
            "tenants.c1a2b3c4-0001-4000-8000-000000000001.tax_note: empty tax note".to_owned(),
        ),
        (
            northwind,
            "tax_category = \"reverse-charge\"\ntax_percent = 7\n",
            format!(
                "tenants.{uid}.tax_percent: 7 % with tax_category \"reverse-charge\": that category is taxed at 0 %"
            ),
        ),
        (
            northwind,
            "tax_category = \"standard\"\ntax_percent = 0\n",
            format!("tenants.{uid}.tax_percent: a standard rate of 0 %"),
        ),
        (
            northwind,
            "tax_category = \"exempt\"\n",
            format!(
                "tenants.{uid}.tax_category: \"exempt\" needs the reason printed on the invoice: add tax_note"
            ),
        ),
        (
            northwind,
            "tax_percent = 0\n",
            format!("tenants.{uid}.tax_percent: a standard rate of 0 %"),
        ),
        (
            "percent = 19\n",
            "percent = 0\n",
            "tax.category: a standard rate of 0 %".to_owned(),
        ),
        (
            "category = \"standard\"\n",
            "category = \"zero-rated\"\n",
            "tax.percent: 19 % with tax_category \"zero-rated\": that category is taxed at 0 %"
                .to_owned(),
        ),
        (
            "country = \"DE\" }\nvat_id = \"DE811907980\"",
            "country = \"UK\" }\nvat_id = \"DE811907980\"",
            format!(
                "tenants.{uid}.postal_address.country: \"UK\" is not an ISO 3166-1 alpha-2 country code"
            ),
        ),
        (
            "DE89 3704 0044 0532 0130 00\", bic",
            "DE88 3704 0044 0532 0130 00\", bic",
            "provider.payment.iban: \"DE88 3704 0044 0532 0130 00\" is not an IBAN".to_owned(),
        ),
        (
            "id = \"invoices@fabrikam.example\"",
            "id = \"invoices at fabrikam\"",
            "electronic_address.id: \"invoices at fabrikam\" is not an address of scheme EM"
                .to_owned(),
        ),
    ];
    for (from, to, want) in &cases {
        let to = if *from == northwind {
            format!("{northwind}{to}")
        } else {
            (*to).to_owned()
        };
        let got = errors(from, &to);
        assert!(
            got.len() == 1 && got[0].contains(want.as_str()) && got[0].starts_with("rates.toml:"),
            "{to}: {got:?}"
        );
    }
    // A card-wide 0 % without a category: why is there no tax?
    let zero = sample_card()
        .replace("percent = 19\n", "percent = 0\n")
        .replace("category = \"standard\"\n", "");
    let got: Vec<String> = RateCard::parse("rates.toml", &zero)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        got.len() == 1 && got[0].contains("tax.percent: a 0 % tax needs its reason on the invoice"),
        "{got:?}"
    );
    // Without [tax], a category has nothing to apply to.
    let mut no_tax = sample_card();
    let (start, end) = (
        no_tax.find("[tax]").unwrap(),
        no_tax.find("[default]").unwrap(),
    );
    no_tax.replace_range(start..end, "");
    let got: Vec<String> = RateCard::parse("rates.toml", &no_tax)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        got.len() == 1
            && got[0]
                .contains("tax_category: tax_category = \"outside-scope\" needs a [tax] table"),
        "{got:?}"
    );
    // The sample card itself is consistent.
    assert!(RateCard::parse("rates.toml", &sample_card()).is_ok());
}

/// A card written before e-invoices (no new key, a standard tax) hands the templates the
/// same context as before: the register's digests of invoices issued then stay the same,
/// so that re-running their months after an upgrade changes nothing.
#[test]
fn a_card_without_the_new_keys_gives_the_context_it_gave_before() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("rates.toml");
    std::fs::write(
        &card,
        r#"currency = "EUR"
rounding = "half-up"
[provider]
name = "Acme"
address = ["Hauptstraße 1", "10115 Berlin"]
tax_id = "DE123456789"
[tax]
name = "VAT"
percent = 19
[default]
per_point = 1.10
[tenants."c1a2b3c4-0002-4000-8000-000000000002"]
address = ["Fabrikamstraße 7"]
tax_id = "DE987654321"
"#,
    )
    .unwrap();
    let context = dir.path().join("context.json");
    let run = invoice(
        &card,
        &dir.path().join("out"),
        &["--outputs", "txt", "--context", context.to_str().unwrap()],
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&context).unwrap()).unwrap();
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let first = &v["invoices"][0];
    assert_eq!(
        keys(&first["provider"]),
        ["address", "email", "name", "payment_instructions", "tax_id"]
    );
    assert_eq!(
        keys(&first["invoice"]["customer"]),
        [
            "address",
            "email",
            "name",
            "organization_type",
            "reported_name",
            "tax_id",
            "uid"
        ]
    );
    for i in v["invoices"].as_array().unwrap() {
        let k = keys(&i["invoice"]);
        assert!(
            !k.iter().any(|k| k == "tax_category" || k == "tax_note"),
            "{k:?}"
        );
    }
}
