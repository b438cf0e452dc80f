//! Accounting lines and the import files of accounting tools.
//!
//! [`entries`] are an invoice's lines as accounting imports them: the invoice's own lines
//! (charges, free units, new workloads at 0.00, the top-up to the monthly minimum, a credit
//! note's cancelling line) and the discount as a line of its own, with a negative amount
//! (positive on a credit note, which reverses it). Their amounts add up exactly to the
//! invoice's net amount (subtotal − discount), the amount the tax is computed on: `lines.csv`
//! writes them, and the presets below are built from them.
//!
//! Presets (`invoice --outputs xero,quickbooks`) write the layouts two tools import, with the
//! card's `[accounting]` values ([`crate::billing::rates::Accounting`]):
//!
//! - `xero-invoices.csv`: Xero's sales invoice import (the columns of its template
//!   `SalesInvoiceTemplate.csv`, starred where mandatory; Xero Central, "Import invoices":
//!   one row per line, rows of one invoice share `*InvoiceNumber`, `Total` and `TaxAmount`
//!   left empty for Xero to compute). A credit note is written with negative amounts, as
//!   an invoice whose total is negative, which Xero's import turns into a credit note (as
//!   recalled from Xero Central; not confirmed against a Xero organisation here).
//! - `quickbooks-invoices.csv` and `quickbooks-credit-notes.csv`: QuickBooks Online's
//!   invoice import and credit note import (Intuit QuickBooks Online help, "Import
//!   invoices" and "How to import credit notes"; the invoice columns are those QuickBooks
//!   maps by itself, [`QUICKBOOKS_HEADER`]). QuickBooks has no invoice with a negative
//!   total: credit notes
//!   go to their own file, with positive amounts.
//!
//! Both tools compute a line's amount as quantity × unit price. Where that product is not
//! exactly the line's amount (a unit price with more decimals than the currency, a product
//! that was rounded), the line is written as quantity 1 at the line's amount, and the real
//! quantity and price go into the description: the tool's sum is then the invoice's net
//! amount, exactly. Both tools also compute the tax per line, not on the invoice's net
//! amount as the invoices do: each line's tax is rounded on its own, so the tool's tax can
//! differ from the invoice's by up to half a minor unit per taxed line (see the README).
//! Text cells are neutralised against spreadsheet formulas like every CSV of the tool.

use crate::billing::invoice::{CorrectionKind, Invoice, Line};
use crate::billing::money::Exact;
use crate::billing::rates::{Accounting, RateCard};
use crate::render::CsvOut;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::fmt::Write as _;

/// One line of an invoice as accounting imports it: `quantity × unit_price = amount`
/// before rounding, `amount` net of tax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// `charge`, `free-units`, `new`, `minimum`, `credit` (the invoice's line kinds) or
    /// `discount`.
    pub kind: &'static str,
    /// Workload type, spec spelling.
    pub workload: Option<&'a str>,
    /// License edition.
    pub edition: Option<&'a str>,
    /// What is billed.
    pub description: Cow<'a, str>,
    /// How the price was chosen, when it needs saying.
    pub detail: Option<&'a str>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit of the quantity.
    pub unit: &'a str,
    /// Price of one unit.
    pub unit_price: Decimal,
    /// Amount, net of tax, at the currency's decimals.
    pub amount: Decimal,
}

impl<'a> Entry<'a> {
    fn of(l: &'a Line) -> Self {
        Self {
            kind: l.kind.as_str(),
            workload: l.workload.as_deref(),
            edition: l.edition.as_deref(),
            description: Cow::Borrowed(&l.description),
            detail: l.detail.as_deref(),
            quantity: l.quantity,
            unit: &l.unit,
            unit_price: l.unit_price,
            amount: l.amount.value(),
        }
    }

    /// The key of its item code in `[accounting] item_codes`: the workload type, else its
    /// kind (`points` for usage billed by points without a workload type).
    fn item_key(&self) -> &str {
        match (self.workload, self.kind) {
            (Some(w), _) => w,
            (None, "charge") => "points",
            (None, kind) => kind,
        }
    }
}

/// The lines of `i` for accounting: its own lines, then the discount (when not zero) as a
/// line of its own at minus the discount. They add up to `i.net` exactly.
#[must_use]
pub fn entries(i: &Invoice) -> Vec<Entry<'_>> {
    let mut out: Vec<Entry<'_>> = i.lines.iter().map(Entry::of).collect();
    if !i.discount.is_zero() {
        // A sign change is exact, and keeps the decimals.
        let amount = -i.discount.value();
        out.push(Entry {
            kind: "discount",
            workload: None,
            edition: None,
            description: Cow::Owned(format!("Discount {} %", i.discount_percent.normalize())),
            detail: None,
            quantity: Decimal::ONE,
            unit: "invoice",
            unit_price: amount,
            amount,
        });
    }
    out
}

/// `invoice` or `credit-note`.
#[must_use]
pub fn document_kind(i: &Invoice) -> &'static str {
    match &i.correction {
        Some(c) if c.kind == CorrectionKind::CreditNote => "credit-note",
        _ => "invoice",
    }
}

/// The number of the invoice that `i` cancels (a credit note) or replaces; empty when none.
#[must_use]
pub fn corrects(i: &Invoice) -> &str {
    i.correction.as_ref().map_or("", |c| c.number.as_str())
}

/// A preset of `invoice --outputs`: the files one accounting tool imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Xero's sales invoice import.
    Xero,
    /// QuickBooks Online's invoice and credit note imports.
    QuickBooks,
}

impl Preset {
    /// The name in `--outputs`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Xero => "xero",
            Self::QuickBooks => "quickbooks",
        }
    }

    /// The files it writes.
    #[must_use]
    pub const fn files(self) -> &'static [PresetFile] {
        match self {
            Self::Xero => &[PresetFile::XeroInvoices],
            Self::QuickBooks => &[
                PresetFile::QuickBooksInvoices,
                PresetFile::QuickBooksCreditNotes,
            ],
        }
    }
}

/// One file of a preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetFile {
    /// `xero-invoices.csv`: invoices, and credit notes as negative invoices.
    XeroInvoices,
    /// `quickbooks-invoices.csv`: invoices.
    QuickBooksInvoices,
    /// `quickbooks-credit-notes.csv`: credit notes, with positive amounts.
    QuickBooksCreditNotes,
}

/// Xero's sales invoice template (`SalesInvoiceTemplate.csv`, from Invoices → Import in
/// Xero; the columns as Xero Central's "Import invoices" describes them, `*` mandatory).
pub const XERO_HEADER: [&str; 29] = [
    "*ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    "Total",
    "InventoryItemCode",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "Discount",
    "*AccountCode",
    "*TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
];

/// QuickBooks Online's invoice import: the headers it maps without asking (Intuit
/// QuickBooks Online help, "Import invoices"; `InvoiceNo`, `Customer`, `InvoiceDate`,
/// `DueDate` and `ItemAmount` mandatory, `ItemTaxCode` where sales tax or VAT is on).
pub const QUICKBOOKS_HEADER: [&str; 13] = [
    "InvoiceNo",
    "Customer",
    "InvoiceDate",
    "DueDate",
    "Terms",
    "Memo",
    "Item(Product/Service)",
    "ItemDescription",
    "ItemQuantity",
    "ItemRate",
    "ItemAmount",
    "ItemTaxCode",
    "Currency",
];

/// QuickBooks Online's credit note import (Intuit, "How to import credit notes": credit
/// note number, customer, date, the lines; mapped in its import screen).
pub const QUICKBOOKS_CREDIT_HEADER: [&str; 11] = [
    "CreditNoteNo",
    "Customer",
    "CreditNoteDate",
    "Memo",
    "Item(Product/Service)",
    "ItemDescription",
    "ItemQuantity",
    "ItemRate",
    "ItemAmount",
    "ItemTaxCode",
    "Currency",
];

impl PresetFile {
    /// File name in the output folder.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::XeroInvoices => "xero-invoices.csv",
            Self::QuickBooksInvoices => "quickbooks-invoices.csv",
            Self::QuickBooksCreditNotes => "quickbooks-credit-notes.csv",
        }
    }

    /// Its header line.
    #[must_use]
    pub fn header(self) -> Vec<u8> {
        let h: &[&str] = match self {
            Self::XeroInvoices => &XERO_HEADER,
            Self::QuickBooksInvoices => &QUICKBOOKS_HEADER,
            Self::QuickBooksCreditNotes => &QUICKBOOKS_CREDIT_HEADER,
        };
        CsvOut::new(Some(h), 512).finish()
    }
}

/// The rates of tax the card's invoices can have: `[tax] percent` (0 without `[tax]`) and
/// each tenant's own (its `tax_percent`, or 0 for a category other than standard), with
/// the tenants that have it.
fn card_rates(card: &RateCard) -> Vec<(Decimal, Vec<&str>)> {
    let card_rate = card_percent(card);
    let mut rates: Vec<(Decimal, Vec<&str>)> = vec![(card_rate, Vec::new())];
    for (uid, t) in &card.tenants {
        let p = card.tax_terms(Some(t)).percent;
        if p != card_rate || t.tax_percent.is_some() {
            match rates.iter_mut().find(|(r, _)| *r == p) {
                Some((_, uids)) => uids.push(uid),
                None => rates.push((p, vec![uid])),
            }
        }
    }
    rates
}

/// `[tax] percent`, or 0 without `[tax]`.
#[must_use]
pub fn card_percent(card: &RateCard) -> Decimal {
    card.tax.as_ref().map_or(Decimal::ZERO, |t| t.percent.0)
}

/// Whether `preset` needs a tax rate name for the rate `percent`: Xero always (every
/// line has a `*TaxType`), QuickBooks for a rate above 0 (without a code it applies none).
fn needs_tax_type(preset: Preset, percent: Decimal) -> bool {
    preset == Preset::Xero || !percent.is_zero()
}

/// What `presets` need from the card and it lacks, as key paths (`["accounting",
/// "account_code"]`) and messages, for [`RateCard::key_errors`]; empty when nothing is
/// missing.
#[must_use]
pub fn check_card(card: &RateCard, presets: &[Preset]) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let path = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let Some(acct) = &card.accounting else {
        for p in presets {
            out.push((
                path(&["accounting"]),
                format!(
                    "--outputs {} needs an [accounting] section: {}",
                    p.name(),
                    match p {
                        Preset::Xero =>
                            "account_code (Xero's AccountCode) and tax_type (Xero's TaxType of the card's tax rate)",
                        Preset::QuickBooks =>
                            "tax_type (QuickBooks' ItemTaxCode of the card's tax rate), or tax_types for each rate above 0",
                    }
                ),
            ));
        }
        return out;
    };
    let base = card_percent(card);
    for &preset in presets {
        if preset == Preset::Xero && acct.account_code.is_none() {
            out.push((
                path(&["accounting", "account_code"]),
                "--outputs xero needs the revenue account code of every line (Xero's mandatory *AccountCode): set account_code, e.g. \"200\"".to_owned(),
            ));
        }
        for (rate, uids) in card_rates(card) {
            if !needs_tax_type(preset, rate) || acct.tax_type_of(rate, base).is_some() {
                continue;
            }
            let tool = match preset {
                Preset::Xero => "Xero's mandatory *TaxType",
                Preset::QuickBooks => "QuickBooks' ItemTaxCode",
            };
            let rate = rate.normalize();
            if uids.is_empty() {
                out.push((
                    path(&["accounting", "tax_type"]),
                    format!(
                        "--outputs {} needs the name of the card's tax rate, {rate} % ({tool}): set tax_type, e.g. \"{rate}% (VAT on Income)\"",
                        preset.name()
                    ),
                ));
            } else {
                out.push((
                    path(&["accounting", "tax_types"]),
                    format!(
                        "--outputs {} needs the name of the tax rate {rate} % of tenants {} ({tool}): add \"{rate}\" = \"...\" to tax_types",
                        preset.name(),
                        uids.join(", ")
                    ),
                ));
            }
        }
    }
    out.dedup();
    out
}

/// Writes the rows of the preset files from invoices.
#[derive(Debug, Clone, Copy)]
pub struct PresetWriter<'a> {
    acct: &'a Accounting,
    card_percent: Decimal,
}

/// A line as a tool computes it: quantity × unit price = amount exactly, else quantity 1 at
/// the amount with the real quantity and price in the description.
struct ToolLine<'a> {
    description: Cow<'a, str>,
    quantity: Decimal,
    unit_price: Decimal,
}

/// The most decimals of a quantity that the tools keep (Xero: 4).
const QUANTITY_DECIMALS: u32 = 4;

fn tool_line<'a>(e: &'a Entry<'_>) -> ToolLine<'a> {
    let amount = e.amount;
    let mut description = match e.detail {
        Some(d) => Cow::Owned(format!("{} ({d})", e.description)),
        None => Cow::Borrowed(e.description.as_ref()),
    };
    // The tools keep a unit price to the currency's decimals (more needs a setting) and
    // compute the line as quantity × unit price: write the line as it is only when that
    // gives its amount exactly.
    let exact = e.quantity.normalize().scale() <= QUANTITY_DECIMALS
        && e.unit_price.normalize().scale() <= amount.scale()
        && Exact::product(e.quantity, e.unit_price).to_decimal() == Some(amount);
    if exact {
        return ToolLine {
            description,
            quantity: e.quantity,
            unit_price: e.unit_price,
        };
    }
    let _ = write!(
        description.to_mut(),
        " ({} {} at {})",
        e.quantity.normalize(),
        e.unit,
        e.unit_price
    );
    ToolLine {
        description,
        quantity: Decimal::ONE,
        unit_price: amount,
    }
}

impl<'a> PresetWriter<'a> {
    /// A writer with the card's `[accounting]`; `None` when the card has none.
    #[must_use]
    pub fn new(card: &'a RateCard) -> Option<Self> {
        card.accounting.as_ref().map(|acct| Self {
            acct,
            card_percent: card_percent(card),
        })
    }

    /// The rows of `file` for `invoices` (no header).
    ///
    /// # Errors
    /// An invoice whose tax rate has no name in `[accounting]` (a credit note keeps the
    /// rate of the invoice it cancels, which the card may no longer have).
    pub fn rows(&self, file: PresetFile, invoices: &[Invoice]) -> Result<Vec<u8>, String> {
        let mut c = CsvOut::new(None, invoices.len() * 600);
        for i in invoices {
            let credit = document_kind(i) == "credit-note";
            match file {
                PresetFile::XeroInvoices => self.xero(&mut c, i)?,
                PresetFile::QuickBooksInvoices if !credit => self.quickbooks(&mut c, i, false)?,
                PresetFile::QuickBooksCreditNotes if credit => self.quickbooks(&mut c, i, true)?,
                PresetFile::QuickBooksInvoices | PresetFile::QuickBooksCreditNotes => {}
            }
        }
        Ok(c.finish())
    }

    /// The tool's name of the invoice's tax rate.
    fn tax_type(&self, i: &Invoice, required: bool) -> Result<&'a str, String> {
        match self.acct.tax_type_of(i.tax_percent, self.card_percent) {
            Some(t) => Ok(t),
            None if !required => Ok(""),
            None => Err(format!(
                "{} {} has the tax rate {} %, which has no name in [accounting] of the rate card (tax_type, or tax_types.\"{}\")",
                document_kind(i),
                i.number,
                i.tax_percent.normalize(),
                i.tax_percent.normalize()
            )),
        }
    }

    fn reference(i: &Invoice) -> Cow<'_, str> {
        match corrects(i) {
            "" => Cow::Owned(format!("VSPC usage {}", i.period)),
            n if document_kind(i) == "credit-note" => Cow::Owned(format!("Cancels {n}")),
            n => Cow::Owned(format!("Replaces {n}")),
        }
    }

    fn xero(&self, c: &mut CsvOut, i: &Invoice) -> Result<(), String> {
        let tax_type = self.tax_type(i, true)?;
        let account = self.acct.account_code.as_deref().unwrap_or("");
        let a = &i.customer.address;
        let address = |n: usize| -> Cow<'_, str> {
            match n {
                3 if a.len() > 4 => Cow::Owned(a[3..].join(", ")),
                _ => a
                    .get(n)
                    .map_or(Cow::Borrowed(""), |s| Cow::Borrowed(s.as_str())),
            }
        };
        let (date, due) = (
            self.acct.date_format.format(&i.issue_date),
            self.acct.date_format.format(&i.due_date),
        );
        let reference = Self::reference(i);
        for e in entries(i) {
            let t = tool_line(&e);
            c.text(&i.customer.name)
                .text(i.customer.email.as_deref().unwrap_or(""))
                .text(&address(0))
                .text(&address(1))
                .text(&address(2))
                .text(&address(3))
                .text("")
                .text("")
                .text("")
                .text("")
                .text(&i.number)
                .text(&reference)
                .text(&date)
                .text(&due)
                .text("")
                .text(self.acct.item_code(e.item_key()).unwrap_or(""))
                .text(&t.description)
                .num(t.quantity)
                .num(t.unit_price)
                .text("")
                .text(account)
                .text(tax_type)
                .text("")
                .text("")
                .text("")
                .text("")
                .text("")
                .text(&i.currency)
                .text("")
                .end();
        }
        Ok(())
    }

    /// QuickBooks rows; `credit`: a credit note, its amounts with the sign changed.
    fn quickbooks(&self, c: &mut CsvOut, i: &Invoice, credit: bool) -> Result<(), String> {
        let tax_code = self.tax_type(i, !i.tax_percent.is_zero())?;
        let date = self.acct.date_format.format(&i.issue_date);
        let due = self.acct.date_format.format(&i.due_date);
        let memo = Self::reference(i);
        for e in entries(i) {
            let t = tool_line(&e);
            let sign = |d: Decimal| if credit { -d } else { d };
            c.text(&i.number).text(&i.customer.name).text(&date);
            if !credit {
                c.text(&due).text(self.acct.terms.as_deref().unwrap_or(""));
            }
            c.text(&memo)
                .text(self.acct.item_code(e.item_key()).unwrap_or(""))
                .text(&t.description)
                .num(t.quantity)
                .num(sign(t.unit_price))
                .num(sign(e.amount))
                .text(tax_code)
                .text(&i.currency)
                .end();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::rates::DateFormat;

    fn entry(quantity: &str, unit_price: &str, amount: &str) -> Entry<'static> {
        Entry {
            kind: "charge",
            workload: Some("VBR_VM"),
            edition: None,
            description: Cow::Borrowed("Virtual machines"),
            detail: None,
            quantity: Decimal::from_str_exact(quantity).unwrap(),
            unit: "point",
            unit_price: Decimal::from_str_exact(unit_price).unwrap(),
            amount: Decimal::from_str_exact(amount).unwrap(),
        }
    }

    /// A line goes to a tool as it is only when the tool's quantity × unit price is its
    /// amount; else as 1 at the amount, the real figures in the description.
    #[test]
    fn tools_get_lines_whose_product_is_the_amount() {
        let same = entry("13.5", "1.10", "14.85");
        let t = tool_line(&same);
        assert_eq!((t.quantity, t.unit_price), (same.quantity, same.unit_price));
        assert_eq!(t.description, "Virtual machines");
        // 13.37 × 0.0125 = 0.167125, billed 0.17; and 800 × 0.0125 = 10.00 exactly, but
        // a tool keeping 2 decimals of a unit price would bill 800 × 0.01.
        for (q, p, a) in [("13.37", "0.0125", "0.17"), ("800", "0.0125", "10.00")] {
            let e = entry(q, p, a);
            let t = tool_line(&e);
            assert_eq!(
                (t.quantity, t.unit_price),
                (Decimal::ONE, e.amount),
                "{q} × {p}"
            );
            assert_eq!(
                t.description,
                format!("Virtual machines ({q} point at {p})")
            );
        }
        // A quantity with more decimals than a tool keeps (0.00005 × 200.00 = 0.01).
        let fine = entry("0.00005", "200.00", "0.01");
        assert_eq!(tool_line(&fine).quantity, Decimal::ONE);
    }

    #[test]
    fn dates_in_either_order() {
        assert_eq!(DateFormat::DayFirst.format("2026-11-01"), "01/11/2026");
        assert_eq!(DateFormat::MonthFirst.format("2026-11-01"), "11/01/2026");
    }
}
