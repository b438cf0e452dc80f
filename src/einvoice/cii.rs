//! The UN/CEFACT Cross Industry Invoice (CII D16B) of one invoice: the Factur-X / ZUGFeRD
//! EN 16931 profile (guideline `urn:cen.eu:en16931:2017`), or XRechnung 3.0 when the
//! tenant has a buyer reference.
//!
//! - An invoice is type 380; a credit note is type 381 with **positive** amounts: our
//!   credit notes carry the negated amounts of the invoice they cancel, and EN 16931
//!   wants a credit note's amounts as positive as an invoice's, so every amount of a
//!   credit note is negated back. It references the invoice it cancels (BG-3); a
//!   replacement invoice (type 380) references the invoice it replaces.
//! - Lines: the quantity with its UN/ECE Rec 20 unit (`MON` for a month, `C62` "one"
//!   otherwise), the net price and the line amount. Where the line amount is not exactly
//!   quantity × unit price (tiers, packs, a price with more decimals than the amount), the
//!   line is written as 1 × the line amount, with the real quantity and price in the
//!   line's note: the amount stays exact, and EN 16931's line calculation holds.
//! - The discount is one document-level allowance (reason code 95, "Discount"); the
//!   monthly minimum's top-up is a line like any other.
//! - Totals: Σ line amounts = `LineTotalAmount` (BR-CO-10) = the subtotal; tax basis =
//!   line total − allowances (BR-CO-13) = the net; grand total = basis + tax (BR-CO-15) =
//!   the total; due payable = the total. One tax breakdown, the invoice's category, with
//!   the exemption reason for reverse charge, exempt and outside the scope (the card's
//!   tax note; a zero-rated breakdown must not carry one, BR-Z-10, so its note is a note of
//!   the document only). Outside the scope of VAT, no rate and no VAT identifier is
//!   written (BR-O-02, BR-O-05, BR-O-06).
//! - Dates in format 102 (`YYYYMMDD`); the same invoice gives the same bytes.

use super::{MAX_AMOUNT_DECIMALS, Missing, missing};
use crate::billing::invoice::{CorrectionKind, Invoice, Line};
use crate::billing::rates::{ElectronicAddress, Party, PostalAddress, TaxCategory};
use rust_decimal::Decimal;
use std::fmt;

/// The guideline of the Factur-X / ZUGFeRD EN 16931 profile (BT-24).
pub const EN16931: &str = "urn:cen.eu:en16931:2017";
/// The guideline of XRechnung 3.0 (BT-24), written when the buyer reference is set.
pub const XRECHNUNG: &str = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";

/// Why no CII can be made of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CiiError {
    /// The card lacks what the format needs (see [`super::missing`]).
    Missing(Vec<Missing>),
    /// A quantity × price beyond an exact decimal (never for an invoice the tool billed).
    Overflow(String),
}

impl fmt::Display for CiiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|m| format!("{}: {}", m.key.join("."), m.message))
                    .collect();
                f.write_str(&parts.join("; "))
            }
            Self::Overflow(s) => f.write_str(s),
        }
    }
}

/// Whether `invoice` is a credit note.
#[must_use]
pub fn is_credit_note(invoice: &Invoice) -> bool {
    invoice
        .correction
        .as_ref()
        .is_some_and(|c| c.kind == CorrectionKind::CreditNote)
}

/// The CII XML of `invoice`, sent by `provider` (the card's `[provider]`): UTF-8, the
/// same bytes for the same invoice.
///
/// # Errors
/// [`CiiError::Missing`] when the card lacks what EN 16931 (or XRechnung) needs.
pub fn xml(invoice: &Invoice, provider: &Party) -> Result<Vec<u8>, CiiError> {
    let m = missing(invoice, provider, "cii");
    if !m.is_empty() {
        return Err(CiiError::Missing(m));
    }
    let Some(category) = invoice.tax_category else {
        return Err(CiiError::Missing(Vec::new()));
    };
    let credit = is_credit_note(invoice);
    // Our credit notes hold negated amounts; EN 16931 wants them positive (module docs).
    let sign = |d: Decimal| if credit { -d } else { d };
    let money = |m: crate::billing::money::Money| sign(m.value()).to_string();
    let mut w = Xml::default();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.open_attrs(
        "rsm:CrossIndustryInvoice",
        &[
            (
                "xmlns:rsm",
                "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
            ),
            (
                "xmlns:ram",
                "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
            ),
            (
                "xmlns:qdt",
                "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
            ),
            (
                "xmlns:udt",
                "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
            ),
        ],
    );
    w.open("rsm:ExchangedDocumentContext");
    w.open("ram:GuidelineSpecifiedDocumentContextParameter");
    let guideline = if invoice.customer.buyer_reference.is_some() {
        XRECHNUNG
    } else {
        EN16931
    };
    w.leaf("ram:ID", guideline);
    w.close("ram:GuidelineSpecifiedDocumentContextParameter");
    w.close("rsm:ExchangedDocumentContext");

    w.open("rsm:ExchangedDocument");
    w.leaf("ram:ID", &invoice.number);
    w.leaf("ram:TypeCode", if credit { "381" } else { "380" });
    date(&mut w, "ram:IssueDateTime", "udt", &invoice.issue_date);
    if let Some(note) = &invoice.tax_note {
        w.open("ram:IncludedNote");
        w.leaf("ram:Content", note);
        w.close("ram:IncludedNote");
    }
    if let Some(c) = &invoice.correction {
        w.open("ram:IncludedNote");
        w.leaf(
            "ram:Content",
            &match c.kind {
                CorrectionKind::CreditNote => {
                    format!("Cancels invoice {} of {} in full.", c.number, c.issue_date)
                }
                CorrectionKind::Replacement => {
                    format!("Replaces invoice {} of {}.", c.number, c.issue_date)
                }
            },
        );
        w.close("ram:IncludedNote");
    }
    w.close("rsm:ExchangedDocument");

    w.open("rsm:SupplyChainTradeTransaction");
    for (n, l) in invoice.lines.iter().enumerate() {
        line(&mut w, n + 1, l, (category, invoice.tax_percent), credit)?;
    }

    w.open("ram:ApplicableHeaderTradeAgreement");
    if let Some(r) = &invoice.customer.buyer_reference {
        w.leaf("ram:BuyerReference", r);
    }
    let c = &invoice.customer;
    let with_vat = category != TaxCategory::OutsideScope;
    party(
        &mut w,
        "ram:SellerTradeParty",
        &PartyXml {
            name: &provider.name,
            contact: provider.contact.as_ref(),
            postal: provider.postal_address.as_ref(),
            electronic: provider.electronic_address.as_ref(),
            vat_id: provider.vat_id.as_deref().filter(|_| with_vat),
            tax_number: provider.tax_number.as_deref(),
        },
    );
    party(
        &mut w,
        "ram:BuyerTradeParty",
        &PartyXml {
            name: &c.name,
            contact: None,
            postal: c.postal_address.as_ref(),
            electronic: c.electronic_address.as_ref(),
            vat_id: c.vat_id.as_deref().filter(|_| with_vat),
            tax_number: None,
        },
    );
    w.close("ram:ApplicableHeaderTradeAgreement");
    w.empty("ram:ApplicableHeaderTradeDelivery");

    w.open("ram:ApplicableHeaderTradeSettlement");
    if !credit {
        w.leaf("ram:PaymentReference", &invoice.number);
    }
    w.leaf("ram:InvoiceCurrencyCode", &invoice.currency);
    w.open("ram:SpecifiedTradeSettlementPaymentMeans");
    if let (Some(p), false) = (&provider.payment, credit) {
        w.leaf("ram:TypeCode", p.means.code());
        w.open("ram:PayeePartyCreditorFinancialAccount");
        w.leaf("ram:IBANID", &p.iban_compact());
        if let Some(n) = &p.account_name {
            w.leaf("ram:AccountName", n);
        }
        w.close("ram:PayeePartyCreditorFinancialAccount");
        if let Some(b) = &p.bic {
            w.open("ram:PayeeSpecifiedCreditorFinancialInstitution");
            w.leaf("ram:BICID", b);
            w.close("ram:PayeeSpecifiedCreditorFinancialInstitution");
        }
    } else {
        // A credit note is not paid to the seller's account: the amount is refunded or
        // set off (UNTDID 4461 code 1, "instrument not defined").
        w.leaf("ram:TypeCode", "1");
        w.leaf(
            "ram:Information",
            "The amount of this credit note is refunded or set off against the buyer's next invoice.",
        );
    }
    w.close("ram:SpecifiedTradeSettlementPaymentMeans");

    w.open("ram:ApplicableTradeTax");
    w.leaf("ram:CalculatedAmount", &money(invoice.tax));
    w.leaf("ram:TypeCode", "VAT");
    let reason = match category {
        TaxCategory::ReverseCharge | TaxCategory::Exempt | TaxCategory::OutsideScope => {
            invoice.tax_note.as_deref()
        }
        TaxCategory::Standard | TaxCategory::ZeroRated => None,
    };
    if let Some(r) = reason {
        w.leaf("ram:ExemptionReason", r);
    }
    w.leaf("ram:BasisAmount", &money(invoice.net));
    w.leaf("ram:CategoryCode", category.code());
    match category {
        TaxCategory::ReverseCharge => w.leaf("ram:ExemptionReasonCode", "VATEX-EU-AE"),
        TaxCategory::OutsideScope => w.leaf("ram:ExemptionReasonCode", "VATEX-EU-O"),
        _ => {}
    }
    rate(&mut w, category, invoice.tax_percent);
    w.close("ram:ApplicableTradeTax");

    w.open("ram:BillingSpecifiedPeriod");
    date(&mut w, "ram:StartDateTime", "udt", &invoice.period_start);
    date(&mut w, "ram:EndDateTime", "udt", &invoice.period_end);
    w.close("ram:BillingSpecifiedPeriod");

    if !invoice.discount.is_zero() {
        w.open("ram:SpecifiedTradeAllowanceCharge");
        w.open("ram:ChargeIndicator");
        w.leaf("udt:Indicator", "false");
        w.close("ram:ChargeIndicator");
        w.leaf("ram:ActualAmount", &money(invoice.discount));
        w.leaf("ram:ReasonCode", "95");
        w.leaf(
            "ram:Reason",
            &format!("Discount ({} %)", invoice.discount_percent),
        );
        category_tax(&mut w, category, invoice.tax_percent);
        w.close("ram:SpecifiedTradeAllowanceCharge");
    }

    w.open("ram:SpecifiedTradePaymentTerms");
    if credit {
        w.leaf(
            "ram:Description",
            "Credited to the buyer: this credit note cancels the invoice referenced in full.",
        );
    } else {
        w.leaf(
            "ram:Description",
            &format!(
                "Please pay {} {} by {}, quoting invoice number {}.",
                invoice.currency, invoice.total, invoice.due_date, invoice.number
            ),
        );
        date(&mut w, "ram:DueDateDateTime", "udt", &invoice.due_date);
    }
    w.close("ram:SpecifiedTradePaymentTerms");

    w.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    w.leaf("ram:LineTotalAmount", &money(invoice.subtotal));
    if !invoice.discount.is_zero() {
        w.leaf("ram:AllowanceTotalAmount", &money(invoice.discount));
    }
    w.leaf("ram:TaxBasisTotalAmount", &money(invoice.net));
    w.leaf_attrs(
        "ram:TaxTotalAmount",
        &[("currencyID", &invoice.currency)],
        &money(invoice.tax),
    );
    w.leaf("ram:GrandTotalAmount", &money(invoice.total));
    w.leaf("ram:DuePayableAmount", &money(invoice.total));
    w.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation");

    if let Some(c) = &invoice.correction {
        w.open("ram:InvoiceReferencedDocument");
        w.leaf("ram:IssuerAssignedID", &c.number);
        date(&mut w, "ram:FormattedIssueDateTime", "qdt", &c.issue_date);
        w.close("ram:InvoiceReferencedDocument");
    }
    w.close("ram:ApplicableHeaderTradeSettlement");
    w.close("rsm:SupplyChainTradeTransaction");
    w.close("rsm:CrossIndustryInvoice");
    debug_assert!(invoice.total.value().scale() <= MAX_AMOUNT_DECIMALS);
    Ok(w.out.into_bytes())
}

/// One line: its quantity, net price and amount (module docs for the 1 × amount form).
fn line(
    w: &mut Xml,
    id: usize,
    l: &Line,
    (category, percent): (TaxCategory, Decimal),
    credit: bool,
) -> Result<(), CiiError> {
    let sign = |d: Decimal| if credit { -d } else { d };
    let amount = sign(l.amount.value());
    let price = sign(l.unit_price);
    let product = l
        .quantity
        .checked_mul(price)
        .ok_or_else(|| CiiError::Overflow(format!("line {id}: quantity × unit price")))?;
    // The net price may not be negative (BR-27): a negative amount is -1 × its opposite.
    let (quantity, price, unit, moved) = if product == amount && price >= Decimal::ZERO {
        (l.quantity.normalize(), price, unit_code(&l.unit), false)
    } else if amount < Decimal::ZERO {
        (Decimal::NEGATIVE_ONE, -amount, "C62", true)
    } else {
        (Decimal::ONE, amount, "C62", true)
    };
    w.open("ram:IncludedSupplyChainTradeLineItem");
    w.open("ram:AssociatedDocumentLineDocument");
    w.leaf("ram:LineID", &id.to_string());
    let mut note: Vec<String> = l.detail.iter().cloned().collect();
    if moved {
        note.push(format!(
            "{} {} at {} each",
            l.quantity.normalize(),
            l.unit,
            sign(l.unit_price)
        ));
    }
    if !note.is_empty() {
        w.open("ram:IncludedNote");
        w.leaf("ram:Content", &note.join("; "));
        w.close("ram:IncludedNote");
    }
    w.close("ram:AssociatedDocumentLineDocument");
    w.open("ram:SpecifiedTradeProduct");
    let name = match &l.edition {
        Some(e) => format!("{} ({e})", l.description),
        None => l.description.clone(),
    };
    w.leaf("ram:Name", &name);
    w.close("ram:SpecifiedTradeProduct");
    w.open("ram:SpecifiedLineTradeAgreement");
    w.open("ram:NetPriceProductTradePrice");
    w.leaf("ram:ChargeAmount", &price.to_string());
    w.close("ram:NetPriceProductTradePrice");
    w.close("ram:SpecifiedLineTradeAgreement");
    w.open("ram:SpecifiedLineTradeDelivery");
    w.leaf_attrs(
        "ram:BilledQuantity",
        &[("unitCode", unit)],
        &quantity.to_string(),
    );
    w.close("ram:SpecifiedLineTradeDelivery");
    w.open("ram:SpecifiedLineTradeSettlement");
    w.open("ram:ApplicableTradeTax");
    w.leaf("ram:TypeCode", "VAT");
    w.leaf("ram:CategoryCode", category.code());
    rate(w, category, percent);
    w.close("ram:ApplicableTradeTax");
    w.open("ram:SpecifiedTradeSettlementLineMonetarySummation");
    w.leaf("ram:LineTotalAmount", &amount.to_string());
    w.close("ram:SpecifiedTradeSettlementLineMonetarySummation");
    w.close("ram:SpecifiedLineTradeSettlement");
    w.close("ram:IncludedSupplyChainTradeLineItem");
    Ok(())
}

/// The rate of a category: none outside the scope of VAT (BR-O-05), else the percent.
fn rate(w: &mut Xml, category: TaxCategory, percent: Decimal) {
    if category == TaxCategory::OutsideScope {
        return;
    }
    w.leaf(
        "ram:RateApplicablePercent",
        &percent.normalize().to_string(),
    );
}

/// The tax of a document-level allowance.
fn category_tax(w: &mut Xml, category: TaxCategory, percent: Decimal) {
    w.open("ram:CategoryTradeTax");
    w.leaf("ram:TypeCode", "VAT");
    w.leaf("ram:CategoryCode", category.code());
    rate(w, category, percent);
    w.close("ram:CategoryTradeTax");
}

/// UN/ECE Recommendation 20 code of a line's unit: a month, else "one" (`C62`): VMs,
/// agents, users, points and packs are counted, not measured.
fn unit_code(unit: &str) -> &'static str {
    if unit == "month" { "MON" } else { "C62" }
}

/// A date (`YYYY-MM-DD`) as `<tag><ns:DateTimeString format="102">YYYYMMDD`.
fn date(w: &mut Xml, tag: &str, ns: &str, iso: &str) {
    w.open(tag);
    let compact: String = iso.chars().filter(char::is_ascii_digit).collect();
    w.leaf_attrs(
        &format!("{ns}:DateTimeString"),
        &[("format", "102")],
        &compact,
    );
    w.close(tag);
}

/// What a trade party shows.
struct PartyXml<'a> {
    name: &'a str,
    contact: Option<&'a crate::billing::rates::Contact>,
    postal: Option<&'a PostalAddress>,
    electronic: Option<&'a ElectronicAddress>,
    vat_id: Option<&'a str>,
    tax_number: Option<&'a str>,
}

fn party(w: &mut Xml, tag: &str, p: &PartyXml<'_>) {
    w.open(tag);
    w.leaf("ram:Name", p.name);
    if let Some(c) = p.contact {
        w.open("ram:DefinedTradeContact");
        if let Some(n) = &c.name {
            w.leaf("ram:PersonName", n);
        }
        if let Some(t) = &c.phone {
            w.open("ram:TelephoneUniversalCommunication");
            w.leaf("ram:CompleteNumber", t);
            w.close("ram:TelephoneUniversalCommunication");
        }
        if let Some(e) = &c.email {
            w.open("ram:EmailURIUniversalCommunication");
            w.leaf("ram:URIID", e);
            w.close("ram:EmailURIUniversalCommunication");
        }
        w.close("ram:DefinedTradeContact");
    }
    if let Some(a) = p.postal {
        w.open("ram:PostalTradeAddress");
        if let Some(pc) = &a.postcode {
            w.leaf("ram:PostcodeCode", pc);
        }
        w.leaf("ram:LineOne", &a.street);
        if let Some(x) = &a.additional {
            w.leaf("ram:LineTwo", x);
        }
        w.leaf("ram:CityName", &a.city);
        w.leaf("ram:CountryID", &a.country);
        w.close("ram:PostalTradeAddress");
    }
    if let Some(e) = p.electronic {
        w.open("ram:URIUniversalCommunication");
        w.leaf_attrs("ram:URIID", &[("schemeID", &e.scheme)], &e.id);
        w.close("ram:URIUniversalCommunication");
    }
    for (scheme, id) in [("VA", p.vat_id), ("FC", p.tax_number)] {
        if let Some(id) = id {
            w.open("ram:SpecifiedTaxRegistration");
            w.leaf_attrs("ram:ID", &[("schemeID", scheme)], id);
            w.close("ram:SpecifiedTaxRegistration");
        }
    }
    w.close(tag);
}

/// An indented XML writer; every text and attribute value is escaped.
#[derive(Default)]
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape(v, &mut self.out);
            self.out.push('"');
        }
    }

    fn open(&mut self, tag: &str) {
        self.open_attrs(tag, &[]);
    }

    fn open_attrs(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.start(tag, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }

    fn empty(&mut self, tag: &str) {
        self.start(tag, &[]);
        self.out.push_str("/>\n");
    }

    fn leaf(&mut self, tag: &str, text: &str) {
        self.leaf_attrs(tag, &[], text);
    }

    fn leaf_attrs(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(tag, attrs);
        self.out.push('>');
        escape(text, &mut self.out);
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }
}

/// `s` as XML 1.0 text or attribute value: `&`, `<`, `>` (so `]]>` too) and both quotes
/// escaped; characters XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF) replaced
/// by U+FFFD.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::money::{Money, Rounding, round};
    use crate::billing::rates::RateCard;

    /// The samples' invoices on the sample card, numbered.
    fn samples() -> (Vec<Invoice>, RateCard) {
        let (mut billing, card) = crate::render::tests::sample_billing();
        for (n, i) in billing.invoices.iter_mut().enumerate() {
            i.number = format!("T-{n}");
        }
        (billing.invoices, card)
    }

    fn text(i: &Invoice, p: &Party) -> String {
        String::from_utf8(xml(i, p).unwrap()).unwrap()
    }

    #[test]
    fn tenant_text_is_escaped_and_the_bytes_are_the_same_each_time() {
        let (mut invoices, card) = samples();
        let i = &mut invoices[1];
        i.customer.name = "A <b>&amp; \"B\" 'C' ]]> \u{1}".to_owned();
        i.lines[0].description = "</ram:Name><ram:Evil>".to_owned();
        let x = text(i, &card.provider);
        assert!(x.contains(
            "<ram:Name>A &lt;b&gt;&amp;amp; &quot;B&quot; &apos;C&apos; ]]&gt; \u{fffd}</ram:Name>"
        ));
        assert!(
            x.contains("<ram:Name>&lt;/ram:Name&gt;&lt;ram:Evil&gt; (EnterprisePlus)</ram:Name>")
        );
        assert!(!x.contains("<b>") && !x.contains("<ram:Evil>"));
        assert_eq!(x, text(i, &card.provider), "deterministic");
    }

    #[test]
    fn a_line_not_equal_to_quantity_times_price_is_one_times_its_amount() {
        let (mut invoices, card) = samples();
        let i = &mut invoices[0];
        // A price with more decimals than the amount: 3 × 0.0125 = 0.0375, billed 0.04.
        let r = Rounding {
            decimals: 2,
            mode: crate::billing::money::RoundingMode::HalfUp,
        };
        let amount: Money = round(Decimal::new(375, 4), r, "test").unwrap();
        let delta = amount.value() - i.lines[0].amount.value();
        i.lines[0].quantity = Decimal::from(3);
        i.lines[0].unit_price = Decimal::new(125, 4);
        i.lines[0].amount = amount;
        i.subtotal = round(i.subtotal.value() + delta, r, "t").unwrap();
        let x = text(i, &card.provider);
        let first = &x[x.find("<ram:IncludedSupplyChainTradeLineItem>").unwrap()..];
        let first = &first[..first
            .find("</ram:IncludedSupplyChainTradeLineItem>")
            .unwrap()];
        assert!(
            first.contains("<ram:ChargeAmount>0.04</ram:ChargeAmount>"),
            "{first}"
        );
        assert!(first.contains("<ram:BilledQuantity unitCode=\"C62\">1</ram:BilledQuantity>"));
        assert!(first.contains("<ram:LineTotalAmount>0.04</ram:LineTotalAmount>"));
        assert!(first.contains("3 pack of 10 at 0.0125 each"), "{first}");
        // Exact lines keep their quantity and price; the month's top-up is a MON line.
        let fabrikam = text(&invoices[1], &card.provider);
        assert!(fabrikam.contains("<ram:BilledQuantity unitCode=\"C62\">3</ram:BilledQuantity>"));
        assert!(fabrikam.contains("<ram:BilledQuantity unitCode=\"MON\">1</ram:BilledQuantity>"));
        assert!(fabrikam.contains("<ram:ChargeAmount>24.50</ram:ChargeAmount>"));
    }

    #[test]
    fn what_the_card_lacks_is_named_by_its_key() {
        let (invoices, card) = samples();
        let mut provider = card.provider.clone();
        provider.payment = None;
        provider.contact = None;
        let Err(CiiError::Missing(m)) = xml(&invoices[1], &provider) else {
            panic!("refused")
        };
        let keys: Vec<String> = m.iter().map(|m| m.key.join(".")).collect();
        assert_eq!(
            keys,
            [
                "provider.contact.email",
                "provider.contact.name",
                "provider.contact.phone",
                "provider.payment"
            ],
            "XRechnung (Fabrikam has a buyer reference) needs the contact"
        );
        assert!(xml(&invoices[0], &card.provider).is_ok());
    }
}
