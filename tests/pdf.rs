//! `invoice --outputs pdf`: PDF/A-3b invoices checked with poppler-utils (`pdfinfo`,
//! `pdftotext`, `pdffonts`, `pdfdetach`): paper size, each invoice's number and total, fonts
//! embedded, a long invoice's pages with the table header repeated, tenant names printed as
//! written, identical bytes run after run and whatever the thread count, credit notes, and
//! attachments (a Factur-X XML with its XMP metadata).
#![cfg(feature = "pdf")]

use assert_cmd::Command;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vspc_billing::pdf::{Attachment, FACTUR_X_XML, Relationship};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("vspc-billing").unwrap();
    c.current_dir(root()).env_remove("NO_COLOR");
    c
}

/// The standard output of a poppler tool (poppler-utils must be installed: `.ci/run` does).
fn poppler(tool: &str, args: &[&str], pdf: &Path) -> String {
    let o = std::process::Command::new(tool)
        .args(args)
        .arg(pdf)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) cannot run: {e}"));
    assert!(
        o.status.success(),
        "{tool} {args:?} {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `pdftotext -layout` of pages `first..=last` (all with `None`), to standard output.
fn text_of(pdf: &Path, pages: Option<(u32, u32)>) -> String {
    let mut args = vec!["-layout".to_owned(), "-enc".to_owned(), "UTF-8".to_owned()];
    if let Some((f, l)) = pages {
        args.extend([
            "-f".to_owned(),
            f.to_string(),
            "-l".to_owned(),
            l.to_string(),
        ]);
    }
    let mut o = std::process::Command::new("pdftotext")
        .args(&args)
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(std::mem::take(&mut o.stdout)).unwrap()
}

/// A `pdfinfo` field (`Pages`, `Page size`...).
fn info(pdf: &Path, field: &str) -> String {
    poppler("pdfinfo", &[], pdf)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("pdfinfo of {} has no {field}", pdf.display()))
        .trim()
        .to_owned()
}

/// `pdfinfo`'s page size is `width` × `height` points (to a hundredth: poppler versions
/// print 595.28 or 595.276) and has the paper's `name`.
fn assert_page_size(pdf: &Path, width: f64, height: f64, name: &str) {
    let size = info(pdf, "Page size");
    let numbers: Vec<f64> = size.split(' ').filter_map(|w| w.parse().ok()).collect();
    assert!(
        numbers.len() == 2
            && (numbers[0] - width).abs() < 0.005
            && (numbers[1] - height).abs() < 0.005
            && size.ends_with(&format!("pts ({name})")),
        "{}: {size}",
        pdf.display()
    );
}

/// Text with every run of white space as one space (pdftotext lays words out in columns).
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every font of the PDF is embedded: `pdffonts` says `yes` in its `emb` column.
fn assert_fonts_embedded(pdf: &Path) {
    let fonts = poppler("pdffonts", &[], pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        // name, type (one or two words), encoding, emb, sub, uni, object, id: from the end.
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[cols.len() - 5], "yes", "not embedded: {row}");
    }
}

struct Run {
    dir: tempfile::TempDir,
    code: Option<i32>,
    stderr: String,
}

impl Run {
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn pdfs(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.out())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
            .collect();
        v.sort();
        v
    }

    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(self.out())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect()
    }
}

/// `invoice INPUT --rates CARD --out <tmp>/out ARGS`; `card` and `report` are written to the
/// folder when given as text, the samples otherwise.
fn invoice(report: Option<&Value>, card: Option<&str>, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let report_path = report.map_or_else(
        || root().join("samples/reports-api-3.6-approved.json"),
        |r| {
            let p = dir.path().join("report.json");
            std::fs::write(&p, serde_json::to_vec(r).unwrap()).unwrap();
            p
        },
    );
    let card_path = card.map_or_else(
        || root().join("samples/rates.toml"),
        |c| {
            let p = dir.path().join("rates.toml");
            std::fs::write(&p, c).unwrap();
            p
        },
    );
    let o = bin()
        .arg("invoice")
        .arg(&report_path)
        .arg("--rates")
        .arg(&card_path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(args)
        .output()
        .unwrap();
    Run {
        dir,
        code: o.status.code(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

/// The rows of `invoices.csv`: (number, organization name, currency, total).
fn invoice_rows(csv: &[u8]) -> Vec<(String, String, String, String)> {
    csv::Reader::from_reader(csv)
        .deserialize::<BTreeMap<String, String>>()
        .map(|r| {
            let r = r.unwrap();
            (
                r["invoice_number"].clone(),
                r["organization_name"].clone(),
                r["currency"].clone(),
                r["total"].clone(),
            )
        })
        .collect()
}

/// Each sample invoice is an A4 PDF/A-3b file whose text shows its number, its customer and
/// its total as `invoices.csv` has them, with every font embedded.
#[test]
fn sample_invoices_are_a4_pdf_a_with_their_number_and_total() {
    let run = invoice(None, None, &["--outputs", "pdf,csv"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let files = run.files();
    let rows = invoice_rows(&files["invoices.csv"]);
    assert_eq!(rows.len(), 3);
    let pdfs = run.pdfs();
    assert_eq!(pdfs.len(), rows.len(), "{:?}", files.keys());
    for (pdf, (number, name, currency, total)) in pdfs.iter().zip(&rows) {
        let file = pdf.file_name().unwrap().to_string_lossy();
        assert!(
            file.starts_with(&format!("{number}-")),
            "{file} for {number}"
        );
        assert_page_size(pdf, 595.28, 841.89, "A4");
        assert!(info(pdf, "Title").contains(number.as_str()), "{file}");
        let meta = poppler("pdfinfo", &["-meta"], pdf);
        assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"), "{meta}");
        assert!(
            meta.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
            "{meta}"
        );
        let text = words(&text_of(pdf, None));
        assert!(text.starts_with("INVOICE"), "{file}: {text}");
        assert!(text.contains(&format!("Invoice number {number}")), "{text}");
        assert!(text.contains(name.as_str()), "{file} names {name}: {text}");
        assert!(
            text.contains(&format!("Total due {currency} {total}")),
            "{file}: total {total}: {text}"
        );
        assert!(
            text.contains(&format!("Please pay {currency} {total} by")),
            "{text}"
        );
        let pages = info(pdf, "Pages");
        assert!(text.contains(&format!("Page 1 of {pages}")), "{text}");
        assert_fonts_embedded(pdf);
    }
    // The discount, the net and the tax of Contoso's invoice (15 %, 0 % VAT), as in its
    // HTML invoice.
    let contoso = pdfs
        .iter()
        .find(|p| p.to_string_lossy().contains("-contoso-ltd-"))
        .unwrap();
    let contoso = words(&text_of(contoso, None));
    for part in [
        "Subtotal 119.85",
        "Discount (15 %) −17.98",
        "Net 101.87",
        "VAT (0 %) 0.00",
        "BILL TO Contoso Ltd. 1 Contoso Way Redmond, WA 98052 USA",
        "Acme Cloud Services GmbH Hauptstraße 1 10115 Berlin Germany",
        "Bank transfer to Acme Cloud Services GmbH, IBAN DE89 3704 0044 0532 0130 00",
    ] {
        assert!(contoso.contains(part), "{part}: {contoso}");
    }
}

/// `paper = "letter"` on the card gives US Letter pages.
#[test]
fn the_card_chooses_letter_paper() {
    let card = std::fs::read_to_string(root().join("samples/rates.toml"))
        .unwrap()
        .replace("due_days = 30", "due_days = 30\npaper = \"letter\"");
    let run = invoice(None, Some(&card), &["--outputs", "pdf"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for pdf in run.pdfs() {
        assert_page_size(&pdf, 612.0, 792.0, "letter");
    }
    let bad = card.replace("paper = \"letter\"", "paper = \"a3\"");
    let run = invoice(None, Some(&bad), &["--outputs", "pdf"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("paper"), "{}", run.stderr);
    assert!(!run.out().exists() || run.files().is_empty());
}

/// A report of one tenant with `count` VMs, under a card that prices them in `count`
/// graduated tiers of one VM each: an invoice of `count` lines.
fn long_invoice(count: usize) -> (Value, String) {
    let report = json!({"data": {
        "reportStatus": "Approved",
        "reportParameters": {
            "reportId": 7, "organizationName": "P", "organizationUid": "p",
            "licenseCompanyName": "P", "generationDate": "2026-04-01",
            "reportInterval": {"startOfInterval": "2026-03-01", "endOfInterval": "2026-03-31"}
        },
        "reportSummary": {"totalPoints": count * 5, "productsUsage": []},
        "organizationsUsage": [{"organizationType": "Company", "organizationName": "Long Tenant", "organizationUid": "0000000a-0000-4000-8000-000000000001", "usedPoints": count * 5}],
        "usageDetails": [{"organizationName": "Long Tenant", "organizationUid": "0000000a-0000-4000-8000-000000000001", "usageByLicenseAndProduct": [
            {"productType": "BackupAndReplication", "licenseEdition": "Standard", "usedPoints": count * 5, "workloadUsage": [
                {"workloadType": "VBR_VM", "initialCount": count, "reportedCount": count, "newCount": 0, "weight": 5, "usedPoints": count * 5}
            ]}
        ]}]
    }});
    let mut tiers: Vec<String> = (1..count)
        .map(|n| format!("{{ up_to = {n}, per_unit = {n}.00 }}"))
        .collect();
    tiers.push(format!("{{ per_unit = {count}.00 }}"));
    let card = format!(
        "currency = \"EUR\"\nrounding = \"half-up\"\nfactur_x = false\n[provider]\nname = \"P\"\n[default]\nper_point = 1\n\
         [workloads.VBR_VM]\nunit = \"VM\"\ngraduated = [\n{}\n]\n",
        tiers.join(",\n")
    );
    (report, card)
}

/// An invoice of 120 lines spans pages: every page repeats the table's header and says
/// which page of how many it is, and every line is printed once.
#[test]
fn a_long_invoice_spans_pages_with_its_header_repeated() {
    let (report, card) = long_invoice(120);
    // The report's summary is left empty: its findings are allowed.
    let run = invoice(
        Some(&report),
        Some(&card),
        &["--outputs", "pdf,csv", "--allow-findings"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let files = run.files();
    let lines = csv::Reader::from_reader(files["lines.csv"].as_slice())
        .records()
        .count();
    assert!(lines >= 120, "{lines} lines");
    let [pdf] = run.pdfs().try_into().unwrap();
    let pages: u32 = info(&pdf, "Pages").parse().unwrap();
    assert!(pages >= 3, "{pages} pages");
    let header = "Description Quantity Unit Unit price Amount (EUR)";
    let mut all = String::new();
    for page in 1..=pages {
        let text = words(&text_of(&pdf, Some((page, page))));
        assert!(
            text.contains(&format!("Page {page} of {pages}")),
            "page {page}: {text}"
        );
        // The charges table runs over the first pages; the usage table ends the invoice.
        if text.contains("1 VM ") {
            assert!(text.contains(header), "page {page} has no header: {text}");
        }
        all.push_str(&text);
        all.push(' ');
    }
    // Line n is one VM at n.00: each once, in order.
    let mut last = 0;
    for n in 1..=120 {
        let line = format!(" 1 VM {n}.00 {n}.00 ");
        assert_eq!(all.matches(&line).count(), 1, "{line}: {all}");
        let at = all.find(&line).unwrap();
        assert!(at > last, "{line} after line {}", n - 1);
        last = at;
    }
}

/// Tenant names are text in the PDF: typst markup, code, math, labels, references and
/// comments in a name print as written (in the text and in the document's title).
#[test]
fn hostile_names_print_verbatim() {
    let names = [
        r#"#import "x": * $x$ *a* _b_ ] [ \ <l> @ref // c"#,
        r#"/* open #set page(width: 1pt) = Heading - list + 1. `raw` ~ -- ... 'q' "dq""#,
        r"#{panic()} #place(top)[0.00] \u{41} http://evil.example",
    ];
    let sample =
        std::fs::read_to_string(root().join("samples/reports-api-3.6-approved.json")).unwrap();
    let report: Value = serde_json::from_str(
        &sample
            .replace("Contoso Ltd", &json_inner(names[0]))
            .replace("Fabrikam, Inc.", &json_inner(names[1]))
            .replace("Northwind Traders (reseller)", &json_inner(names[2])),
    )
    .unwrap();
    // A card without tenant names: the report's names are on the invoices.
    let card = "currency = \"EUR\"\nrounding = \"half-up\"\nfactur_x = false\n[provider]\nname = \"P #strong[x] $y$\"\n[default]\nper_point = 1\n";
    let run = invoice(
        Some(&report),
        Some(card),
        &["--outputs", "pdf", "--include-appendices"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let pdfs = run.pdfs();
    let mut seen = 0;
    for pdf in &pdfs {
        let text = words(&text_of(pdf, None));
        assert!(text.contains("P #strong[x] $y$"), "{text}");
        assert_eq!(
            info(pdf, "Pages"),
            "1",
            "{}: nothing escaped into the layout",
            pdf.display()
        );
        for name in names {
            if text.contains(&words(name)) {
                seen += 1;
                assert!(info(pdf, "Title").ends_with(name), "{}", info(pdf, "Title"));
            }
        }
    }
    assert_eq!(seen, names.len(), "every name is printed as written");
}

/// A name as it is written inside a JSON string (quotes and backslashes escaped).
fn json_inner(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Same input, same bytes: run twice, and on one thread or two.
#[test]
fn pdfs_are_identical_run_after_run_and_whatever_the_threads() {
    let runs: Vec<BTreeMap<String, Vec<u8>>> = ["1", "2", "2"]
        .iter()
        .map(|threads| {
            let run = invoice(None, None, &["--outputs", "pdf", "--threads", threads]);
            assert_eq!(run.code, Some(0), "{}", run.stderr);
            run.files()
        })
        .collect();
    assert_eq!(runs[0].len(), 3);
    assert!(runs[0] == runs[1], "1 and 2 threads give the same PDFs");
    assert!(runs[1] == runs[2], "two runs give the same PDFs");
    // The document's date is the issue date (here the report's generation date).
    let run = invoice(
        None,
        None,
        &["--outputs", "pdf", "--issue-date", "2027-01-15"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let created = info(&run.pdfs()[0], "CreationDate");
    assert!(
        created.contains("Jan 15") && created.contains("2027"),
        "{created}"
    );
}

/// A credit note says so, and says what it credits.
#[test]
fn a_credit_note_has_its_wording() {
    let dir = tempfile::tempdir().unwrap();
    let card = std::fs::read_to_string(root().join("samples/rates.toml")).unwrap();
    std::fs::write(dir.path().join("rates.toml"), &card).unwrap();
    let run = |extra: &[&str]| {
        let o = bin()
            .arg("invoice")
            .arg(root().join("samples/reports-api-3.6-approved.json"))
            .arg("--rates")
            .arg(dir.path().join("rates.toml"))
            .arg("--out")
            .arg(dir.path().join("out"))
            .arg("--register")
            .arg(dir.path().join("register.sqlite"))
            .args(["--outputs", "pdf,csv"])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&[]);
    // Another paper size is the same invoice: nothing to correct.
    std::fs::write(
        dir.path().join("rates.toml"),
        card.replace("due_days = 30", "due_days = 30\npaper = \"letter\""),
    )
    .unwrap();
    run(&["--force"]);
    // Another price: each invoice cancelled by a credit note.
    std::fs::write(
        dir.path().join("rates.toml"),
        card.replace("per_point = 1.10", "per_point = 1.20"),
    )
    .unwrap();
    run(&["--correct", "--force"]);
    let rows = invoice_rows(&std::fs::read(dir.path().join("out/invoices.csv")).unwrap());
    let (number, _, currency, total) = rows
        .iter()
        .find(|r| r.3.starts_with('-'))
        .expect("a credit note");
    let pdf = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "pdf")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{number}-"))
        })
        .unwrap();
    let text = words(&text_of(&pdf, None));
    assert!(text.starts_with("CREDIT NOTE"), "{text}");
    assert!(
        text.contains(&format!("Credit note number {number}")),
        "{text}"
    );
    assert!(text.contains("Cancels invoice INV-0000"), "{text}");
    let credited = total.trim_start_matches('-');
    assert!(
        text.contains(&format!(
            "{currency} {credited} are credited to you: this credit note cancels invoice"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("Total due {currency} {total}")),
        "{text}"
    );
}

/// A broken typst template stops the run before anything is written, with the line of the
/// typst source and its text.
#[test]
fn a_typst_error_says_where_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("tpl");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("invoice.typ.tera"),
        "= {{ invoice.number }}\n#let x = (1 +\n",
    )
    .unwrap();
    let run = invoice(
        None,
        None,
        &[
            "--outputs",
            "pdf,txt",
            "--templates",
            templates.to_str().unwrap(),
        ],
    );
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("invoice.typ:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("2 | #let x = (1 +"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the PDF of invoice INV-00001 cannot be made from the typst source that")
            && run.stderr.contains("tpl/invoice.typ.tera renders"),
        "{}",
        run.stderr
    );
    assert!(!run.out().exists() || run.files().is_empty());
    // A template may not read files: typst sees only the attachments.
    std::fs::write(
        templates.join("invoice.typ.tera"),
        "#read(\"/etc/passwd\")\n",
    )
    .unwrap();
    let run = invoice(
        None,
        None,
        &[
            "--outputs",
            "pdf",
            "--templates",
            templates.to_str().unwrap(),
        ],
    );
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr.contains("/etc/passwd is not available"),
        "{}",
        run.stderr
    );
}

/// Every entry in use of the PDF's cross-reference table points at its object (`N 0 obj`),
/// and `startxref` at the table: what moving the metadata must keep true.
fn assert_xref_points_at_objects(pdf: &[u8]) {
    let at = |from: usize, n: usize| {
        String::from_utf8_lossy(&pdf[from..(from + n).min(pdf.len())]).into_owned()
    };
    let sx = pdf.windows(10).rposition(|w| w == b"startxref\n").unwrap();
    let xref: usize = at(sx + 10, 12).lines().next().unwrap().parse().unwrap();
    let table = at(xref, pdf.len() - xref);
    assert!(table.starts_with("xref\n0 "), "startxref {xref}");
    let mut lines = table.lines().skip(1);
    let count: usize = lines.next().unwrap()[2..].parse().unwrap();
    for (n, entry) in lines.take(count).enumerate() {
        if entry.trim_end().ends_with('n') {
            let offset: usize = entry[..10].parse().unwrap();
            let head = at(offset, 20);
            assert!(
                head.starts_with(&format!("{n} 0 obj")),
                "object {n} at {offset}: {head:?}"
            );
        }
    }
}

fn factur_x(xml: &str) -> Attachment {
    Attachment {
        name: FACTUR_X_XML.to_owned(),
        mime: "text/xml".to_owned(),
        relationship: Relationship::Alternative,
        description: "Factur-X \"EN 16931\" invoice".to_owned(),
        bytes: xml.as_bytes().to_vec(),
    }
}

/// An attached `factur-x.xml` is an associated file of the PDF, byte for byte, and the XMP
/// metadata says Factur-X EN 16931 with the PDF/A extension schema that declares it; the
/// file stays readable (its cross-reference table moved with the metadata).
#[test]
fn a_factur_x_attachment_is_embedded_with_its_xmp_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\"><n>INV-1 &amp; \"q\"</n></rsm:CrossIndustryInvoice>\n";
    let source = "#set document(title: [T], date: datetime(year: 2026, month: 11, day: 5))\nHello";
    let plain = vspc_billing::pdf::render(source, &[]).unwrap();
    let with = vspc_billing::pdf::render(
        source,
        &[
            factur_x(xml),
            Attachment {
                name: "usage.csv".to_owned(),
                mime: "text/csv".to_owned(),
                relationship: Relationship::Supplement,
                description: String::new(),
                bytes: b"a,b\r\n1,2\r\n".to_vec(),
            },
        ],
    )
    .unwrap();
    assert_xref_points_at_objects(&with);
    let path = dir.path().join("x.pdf");
    std::fs::write(&path, &with).unwrap();
    assert_eq!(info(&path, "Pages"), "1");
    assert_eq!(words(&text_of(&path, None)), "Hello");
    let list = poppler("pdfdetach", &["-list"], &path);
    assert_eq!(
        list.lines().collect::<Vec<_>>(),
        ["2 embedded files", "1: factur-x.xml", "2: usage.csv"]
    );
    let saved = dir.path().join("saved.xml");
    poppler(
        "pdfdetach",
        &["-save", "1", "-o", saved.to_str().unwrap()],
        &path,
    );
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), xml);
    let meta = poppler("pdfinfo", &["-meta"], &path);
    for part in [
        "<fx:DocumentType>INVOICE</fx:DocumentType>",
        "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
        "<fx:Version>1.0</fx:Version>",
        "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
        "<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>",
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
        "<pdfaProperty:name>ConformanceLevel</pdfaProperty:name>",
        "<pdfaid:part>3</pdfaid:part>",
    ] {
        assert!(meta.contains(part), "{part}: {meta}");
    }
    // One bag of extension schemas: typst's, with the Factur-X schema added to it.
    assert_eq!(meta.matches("<pdfaExtension:schemas>").count(), 1, "{meta}");
    // Without a factur-x.xml, no Factur-X metadata.
    let path = dir.path().join("plain.pdf");
    std::fs::write(&path, &plain).unwrap();
    assert!(!poppler("pdfinfo", &["-meta"], &path).contains("fx:"));
    // Identical bytes for identical input.
    assert_eq!(
        vspc_billing::pdf::render(source, &[factur_x(xml)]).unwrap(),
        vspc_billing::pdf::render(source, &[factur_x(xml)]).unwrap()
    );
}

/// The renderer embeds in each invoice's PDF what its attachment function gives for it.
#[test]
fn the_renderer_attaches_each_invoice_its_files() {
    use vspc_billing::billing::rates::RateCard;
    use vspc_billing::render::{OutputFile, Outputs, Renderer, Templates};
    let card = RateCard::load(&root().join("samples/rates.toml")).unwrap();
    let text = std::fs::read(root().join("samples/reports-api-3.6-approved.json")).unwrap();
    let file =
        vspc_billing::load::load_bytes("r.json", text, &vspc_billing::load::LoadOptions::DEFAULT);
    let audit = vspc_billing::audit::FileAudit::default();
    let billing = vspc_billing::billing::bill(
        &[vspc_billing::billing::FileInput {
            file: &file,
            audit: &audit,
        }],
        &card,
        &vspc_billing::billing::BillOptions::default(),
    )
    .unwrap();
    let templates = Templates::load(None).unwrap();
    let outputs = Outputs {
        html: false,
        md: false,
        txt: false,
        pdf: true,
        csv: false,
        summary: false,
        xero: false,
        quickbooks: false,
        cii: false,
    };
    // Invoices are rendered off rayon's workers: typst waits for its own tasks on rayon,
    // and a waiting worker would run other invoices on top of its stack (a few hundred
    // invoices overflowed it in a debug build).
    let attach = |i: &vspc_billing::billing::invoice::Invoice| {
        assert!(rayon::current_thread_index().is_none(), "on a rayon worker");
        Ok(vec![factur_x(&format!("<x>{}</x>", i.number))])
    };
    let renderer = Renderer::new(&templates, &card, outputs).with_attachments(&attach);
    let made = std::sync::Mutex::new(Vec::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        renderer.invoices(&billing.invoices, &|f: OutputFile| {
            made.lock().unwrap().push(f);
            Ok(())
        })
    })
    .unwrap();
    let made: BTreeMap<String, Vec<u8>> = made
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.bytes))
        .collect();
    assert_eq!(made.len(), billing.invoices.len());
    let dir = tempfile::tempdir().unwrap();
    for i in &billing.invoices {
        let name = format!("{}.pdf", vspc_billing::render::file_stem(i));
        let path = dir.path().join(&name);
        std::fs::write(&path, &made[&name]).unwrap();
        let saved = dir.path().join(format!("{}.xml", i.number));
        poppler(
            "pdfdetach",
            &["-save", "1", "-o", saved.to_str().unwrap()],
            &path,
        );
        assert_eq!(
            std::fs::read_to_string(&saved).unwrap(),
            format!("<x>{}</x>", i.number)
        );
    }
    // An attachment function's error stops the rendering, naming the invoice.
    let fail = |_: &vspc_billing::billing::invoice::Invoice| Err("no buyer address".to_owned());
    let e = Renderer::new(&templates, &card, outputs)
        .with_attachments(&fail)
        .invoices(&billing.invoices, &|_| Ok(()))
        .unwrap_err();
    assert!(
        e.0.starts_with("the attachments of invoice INV-0000")
            && e.0.ends_with(": no buyer address"),
        "{e}"
    );
}

/// The error of a run is the first in invoice order, whatever the thread that meets it
/// first: here the first invoice's attachments fail last in time.
#[test]
fn the_first_failing_invoice_is_the_one_reported() {
    use vspc_billing::billing::invoice::Invoice;
    use vspc_billing::billing::rates::RateCard;
    use vspc_billing::render::{Outputs, Renderer, Templates};
    let card = RateCard::load(&root().join("samples/rates.toml")).unwrap();
    let text = std::fs::read(root().join("samples/reports-api-3.6-approved.json")).unwrap();
    let file =
        vspc_billing::load::load_bytes("r.json", text, &vspc_billing::load::LoadOptions::DEFAULT);
    let audit = vspc_billing::audit::FileAudit::default();
    let billing = vspc_billing::billing::bill(
        &[vspc_billing::billing::FileInput {
            file: &file,
            audit: &audit,
        }],
        &card,
        &vspc_billing::billing::BillOptions::default(),
    )
    .unwrap();
    let templates = Templates::load(None).unwrap();
    let outputs = Outputs {
        html: false,
        md: false,
        txt: false,
        pdf: true,
        csv: true,
        summary: false,
        xero: false,
        quickbooks: false,
        cii: false,
    };
    let first = billing.invoices[0].number.clone();
    let attach = |i: &Invoice| -> Result<Vec<Attachment>, String> {
        if i.number == first {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        Err(format!("no XML for {}", i.number))
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let e = pool
        .install(|| {
            Renderer::new(&templates, &card, outputs)
                .with_attachments(&attach)
                .invoices(&billing.invoices, &|_| Ok(()))
        })
        .unwrap_err();
    assert_eq!(
        e.0,
        format!("the attachments of invoice {first}: no XML for {first}")
    );
}

/// Each PDF of the sample card is a Factur-X invoice: it embeds its EN 16931 XML, the same
/// bytes `--outputs cii` writes. `factur_x = false` writes plain PDFs, and a card without
/// the e-invoice data is refused for `pdf` (saying so) unless it says `factur_x = false`.
#[test]
fn pdfs_embed_their_cii_unless_the_card_says_not_to() {
    let run = invoice(None, None, &["--outputs", "pdf,cii"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let out = run.dir.path().join("out");
    let mut pdfs = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let pdf = entry.unwrap().path();
        if pdf.extension().is_none_or(|e| e != "pdf") {
            continue;
        }
        pdfs += 1;
        let list = poppler("pdfdetach", &["-list"], &pdf);
        assert!(list.contains("factur-x.xml"), "{list}");
        let saved = run.dir.path().join("embedded.xml");
        let o = Command::new("pdfdetach")
            .args(["-savefile", "factur-x.xml", "-o"])
            .arg(&saved)
            .arg(&pdf)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        assert_eq!(
            std::fs::read(&saved).unwrap(),
            std::fs::read(pdf.with_extension("xml")).unwrap(),
            "{}",
            pdf.display()
        );
    }
    assert_eq!(pdfs, 3);
    // A card without the e-invoice data.
    let bare = "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[tax]\nname = \"VAT\"\npercent = 19\n[default]\nper_point = 1\n";
    let run = invoice(
        None,
        Some(bare),
        &["--outputs", "pdf", "--allow", "unknown-tenant"],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("provider.payment: --outputs pdf needs"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("factur_x = false"), "{}", run.stderr);
    assert!(
        !run.dir.path().join("out").exists()
            || std::fs::read_dir(run.dir.path().join("out"))
                .unwrap()
                .all(|e| e.unwrap().file_name() == ".vspc-billing")
    );
    let plain = format!("factur_x = false\n{bare}");
    let run = invoice(
        None,
        Some(&plain),
        &["--outputs", "pdf", "--allow", "unknown-tenant"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let pdf = std::fs::read_dir(run.dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap();
    assert!(!poppler("pdfdetach", &["-list"], &pdf).contains("factur-x.xml"));
}
