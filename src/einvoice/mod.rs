//! EN 16931 e-invoices: what a structured invoice needs from the rate card
//! ([`missing`]), and the UN/CEFACT Cross Industry Invoice ([`cii::xml`]: the Factur-X /
//! ZUGFeRD EN 16931 profile, XRechnung 3.0 when the tenant has a buyer reference).
//!
//! An e-invoice is made from an [`Invoice`] and the card's `[provider]` alone: the invoice
//! carries the customer's details, its tax category and note (copied from the card when it
//! was billed), so that the PDF engine can embed the same XML as `factur-x.xml`.
//!
//! A format whose mandatory data is missing is refused before anything is written: the
//! invoice job checks every invoice with [`missing`] and stops with the card keys to add
//! (located in the card by [`crate::billing::rates::RateCard::key_errors`]).

pub mod cii;

use crate::billing::invoice::Invoice;
use crate::billing::rates::{Party, TaxCategory};

/// Something an e-invoice needs that the rate card does not give.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    /// The card's key path that would give it (`["provider", "postal_address"]`).
    pub key: Vec<String>,
    /// What is missing, and the rule that requires it.
    pub message: String,
}

/// The most decimals of an amount in EN 16931 (BR-DEC-01 and the following rules).
pub const MAX_AMOUNT_DECIMALS: u32 = 2;

/// What the e-invoice of `invoice` (`format`, e.g. `cii`, for messages) needs and the
/// card does not give: the seller's postal address, payment account and VAT identifier,
/// the buyer's address, the tax category; with a buyer reference, what XRechnung 3.0
/// adds (the seller's contact, postcodes, both electronic addresses). Empty when the
/// e-invoice can be made. Sorted; the provider's problems repeat for every invoice.
#[must_use]
pub fn missing(invoice: &Invoice, provider: &Party, format: &str) -> Vec<Missing> {
    let mut out = Vec::new();
    let c = &invoice.customer;
    let tenant = |k: &[&str]| {
        let mut v = vec!["tenants".to_owned(), c.uid.clone()];
        v.extend(k.iter().map(|s| (*s).to_owned()));
        v
    };
    let seller = |k: &[&str]| {
        let mut v = vec!["provider".to_owned()];
        v.extend(k.iter().map(|s| (*s).to_owned()));
        v
    };
    let mut need = |key: Vec<String>, what: &str| {
        out.push(Missing {
            key,
            message: format!("--outputs {format} needs {what}"),
        });
    };
    let xrechnung = c.buyer_reference.is_some();
    match &provider.postal_address {
        None => need(
            seller(&["postal_address"]),
            "the seller's postal address (EN 16931 BG-5, BR-08: street, city, postcode, country)",
        ),
        Some(a) if xrechnung && a.postcode.is_none() => need(
            seller(&["postal_address", "postcode"]),
            "the seller's postcode for XRechnung (BR-DE-4)",
        ),
        Some(_) => {}
    }
    match &c.postal_address {
        None => need(
            tenant(&["postal_address"]),
            &format!(
                "the postal address of {} (EN 16931 BG-8, BR-10: street, city, postcode, country)",
                c.name
            ),
        ),
        Some(a) if xrechnung && a.postcode.is_none() => need(
            tenant(&["postal_address", "postcode"]),
            "the buyer's postcode for XRechnung (BR-DE-9)",
        ),
        Some(_) => {}
    }
    if provider.payment.is_none() && !cii::is_credit_note(invoice) {
        need(
            seller(&["payment"]),
            "the account invoices are paid to (EN 16931 BG-16, BG-17: payment = { iban = \"...\" })",
        );
    }
    match invoice.tax_category {
        None => need(
            vec!["tax".to_owned()],
            "the tax category of every invoice (EN 16931 BR-CO-18: a [tax] table, or tax_category on the tenant)",
        ),
        Some(TaxCategory::ReverseCharge) => {
            if provider.vat_id.is_none() {
                need(
                    seller(&["vat_id"]),
                    "the seller's VAT identifier on a reverse-charge invoice (BR-AE-02)",
                );
            }
            if c.vat_id.is_none() {
                need(
                    tenant(&["vat_id"]),
                    &format!(
                        "the VAT identifier of {}, a reverse-charge buyer (BR-AE-02)",
                        c.name
                    ),
                );
            }
        }
        Some(TaxCategory::OutsideScope) => {}
        Some(cat) => {
            if provider.vat_id.is_none() && provider.tax_number.is_none() {
                need(
                    seller(&["vat_id"]),
                    &format!(
                        "the seller's VAT identifier or tax_number (BR-{}-02)",
                        cat.code()
                    ),
                );
            }
        }
    }
    if xrechnung {
        let contact = provider.contact.clone().unwrap_or_default();
        for (key, present, rule) in [
            ("name", contact.name.is_some(), "BR-DE-5"),
            ("phone", contact.phone.is_some(), "BR-DE-6"),
            ("email", contact.email.is_some(), "BR-DE-7"),
        ] {
            if !present {
                need(
                    seller(&["contact", key]),
                    &format!("the seller contact's {key} for XRechnung (BR-DE-2, {rule})"),
                );
            }
        }
        if provider.electronic_address.is_none() {
            need(
                seller(&["electronic_address"]),
                "the seller's electronic address for XRechnung (BT-34)",
            );
        }
        if c.electronic_address.is_none() {
            need(
                tenant(&["electronic_address"]),
                "the buyer's electronic address for XRechnung (BT-49)",
            );
        }
    }
    if invoice.total.value().scale() > MAX_AMOUNT_DECIMALS {
        need(
            vec!["decimals".to_owned()],
            &format!(
                "amounts with at most {MAX_AMOUNT_DECIMALS} decimals (EN 16931 BR-DEC); the card's amounts have {}",
                invoice.total.value().scale()
            ),
        );
    }
    out.sort();
    out
}

/// The files a PDF invoice embeds: its CII as `factur-x.xml` (Factur-X / `ZUGFeRD`, EN 16931
/// profile, relationship `Alternative`), so that one PDF is both the readable and the
/// structured invoice ([`crate::render::Renderer::with_attachments`]).
///
/// # Errors
/// The CII cannot be made (the card lacks what it needs: checked before rendering).
pub fn factur_x(
    invoice: &Invoice,
    provider: &Party,
) -> Result<Vec<crate::pdf::Attachment>, String> {
    let bytes = cii::xml(invoice, provider).map_err(|e| e.to_string())?;
    Ok(vec![crate::pdf::Attachment {
        name: crate::pdf::FACTUR_X_XML.to_owned(),
        mime: "text/xml".to_owned(),
        relationship: crate::pdf::Relationship::Alternative,
        description: "Factur-X invoice (EN 16931)".to_owned(),
        bytes,
    }])
}
