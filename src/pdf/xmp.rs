//! The Factur-X XMP metadata, put into the PDF that typst wrote.
//!
//! Typst writes its own XMP packet (title, dates, the PDF/A identification) and has no way
//! to add a schema to it. This module adds the Factur-X properties and their PDF/A
//! extension schema description to that packet, and replaces the metadata stream in the
//! file: the object is rewritten in place, the objects after it move, and the
//! cross-reference table and `startxref` are updated, so the file stays one revision with
//! a valid table. It reads only what typst writes (a classic cross-reference table of one
//! section, an uncompressed metadata stream); anything else is an error, never a file
//! with wrong offsets.

use super::{FACTUR_X_XML, PdfError};

/// The Factur-X XMP namespace (Factur-X 1.0, the same for `ZUGFeRD` 2.x).
const FX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// The profile of the embedded XML.
const CONFORMANCE_LEVEL: &str = "EN 16931";

/// The PDF/A extension schema that declares the `fx` properties (PDF/A allows only declared
/// custom properties): an item of the `pdfaExtension:schemas` bag, its namespaces declared
/// on it.
fn factur_x_schema() -> String {
    let property = |name: &str, description: &str| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\">\
             <pdfaProperty:name>{name}</pdfaProperty:name>\
             <pdfaProperty:valueType>Text</pdfaProperty:valueType>\
             <pdfaProperty:category>external</pdfaProperty:category>\
             <pdfaProperty:description>{description}</pdfaProperty:description>\
             </rdf:li>"
        )
    };
    format!(
        "<rdf:li rdf:parseType=\"Resource\" \
         xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" \
         xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\
         <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\
         <pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>\
         <pdfaSchema:prefix>fx</pdfaSchema:prefix>\
         <pdfaSchema:property><rdf:Seq>{}{}{}{}</rdf:Seq></pdfaSchema:property>\
         </rdf:li>",
        property("DocumentFileName", "The name of the embedded XML document"),
        property(
            "DocumentType",
            "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"
        ),
        property(
            "Version",
            "The actual version of the standard applying to the embedded XML document"
        ),
        property(
            "ConformanceLevel",
            "The conformance level of the embedded XML document"
        ),
    )
}

/// The Factur-X properties.
fn factur_x_properties() -> String {
    format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{FX_NAMESPACE}\">\
         <fx:DocumentType>INVOICE</fx:DocumentType>\
         <fx:DocumentFileName>{FACTUR_X_XML}</fx:DocumentFileName>\
         <fx:Version>1.0</fx:Version>\
         <fx:ConformanceLevel>{CONFORMANCE_LEVEL}</fx:ConformanceLevel>\
         </rdf:Description>"
    )
}

/// `packet` with the Factur-X schema in its `pdfaExtension:schemas` bag (typst writes one,
/// for the schemas it uses; the property may appear only once) or in a bag of its own, and
/// the Factur-X properties; `None` if it has no `</rdf:RDF>`.
fn with_factur_x(packet: &str) -> Option<String> {
    const BAG: &str = "<pdfaExtension:schemas><rdf:Bag>";
    let close = packet.rfind("</rdf:RDF>")?;
    let mut out = String::with_capacity(packet.len() + 2048);
    if let Some(at) = packet[..close].find(BAG) {
        out.push_str(&packet[..at + BAG.len()]);
        out.push_str(&factur_x_schema());
        out.push_str(&packet[at + BAG.len()..close]);
    } else {
        out.push_str(&packet[..close]);
        out.push_str(
            "<rdf:Description rdf:about=\"\" \
             xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\">",
        );
        out.push_str(BAG);
        out.push_str(&factur_x_schema());
        out.push_str("</rdf:Bag></pdfaExtension:schemas></rdf:Description>");
    }
    out.push_str(&factur_x_properties());
    out.push_str(&packet[close..]);
    Some(out)
}

fn malformed(what: &str) -> PdfError {
    PdfError(format!(
        "cannot add the Factur-X metadata: {what} is not as typst writes it"
    ))
}

/// The position of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The unsigned number at `at` (after spaces), and where it ends.
fn number(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let start = at + bytes.get(at..)?.iter().take_while(|b| **b == b' ').count();
    let len = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if len == 0 || len > 12 {
        return None;
    }
    let n = std::str::from_utf8(&bytes[start..start + len])
        .ok()?
        .parse()
        .ok()?;
    Some((n, start + len))
}

/// The object number that `/Key N 0 R` refers to, looked for in `bytes[from..to]`.
fn reference(bytes: &[u8], key: &[u8], from: usize, to: usize) -> Option<usize> {
    let at = find(&bytes[..to], key, from)? + key.len();
    let (n, end) = number(bytes, at)?;
    bytes.get(end..end + 4).filter(|r| r == b" 0 R")?;
    Some(n)
}

/// The classic cross-reference table typst writes: `xref`, one section from object 0, a
/// 20-byte entry per object.
struct Xref {
    /// Where the entries start.
    entries: usize,
    count: usize,
}

impl Xref {
    fn read(pdf: &[u8], at: usize) -> Option<Self> {
        let rest = pdf.get(at..)?.strip_prefix(b"xref\n0 ")?;
        let (count, end) = number(pdf, pdf.len() - rest.len())?;
        let entries = end + 1;
        (pdf.get(end) == Some(&b'\n') && entries + count * 20 <= pdf.len())
            .then_some(Self { entries, count })
    }

    /// The offset of object `n`, if it is in use.
    fn offset(&self, pdf: &[u8], n: usize) -> Option<usize> {
        let e = self.entries + n * 20;
        (n < self.count && pdf.get(e + 17) == Some(&b'n'))
            .then(|| number(pdf, e).map(|(o, _)| o))
            .flatten()
    }
}

/// `pdf` with the Factur-X properties added to its XMP metadata (see the module docs).
pub(super) fn add_factur_x(pdf: Vec<u8>) -> Result<Vec<u8>, PdfError> {
    // The last `startxref` and the table it points to.
    let sx = pdf
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or_else(|| malformed("the end of the file"))?;
    let (xref_at, xref_at_end) = number(&pdf, sx + 10).ok_or_else(|| malformed("startxref"))?;
    let xref = Xref::read(&pdf, xref_at).ok_or_else(|| malformed("the cross-reference table"))?;
    let trailer = xref.entries + xref.count * 20;
    let root = reference(&pdf, b"/Root", trailer, sx).ok_or_else(|| malformed("the trailer"))?;
    let catalog = xref
        .offset(&pdf, root)
        .ok_or_else(|| malformed("the catalog's entry"))?;
    let catalog_end = find(&pdf, b"endobj", catalog).ok_or_else(|| malformed("the catalog"))?;
    let meta = reference(&pdf, b"/Metadata", catalog, catalog_end)
        .ok_or_else(|| malformed("the catalog's /Metadata"))?;
    let start = xref
        .offset(&pdf, meta)
        .ok_or_else(|| malformed("the metadata's entry"))?;
    // `N 0 obj` `<<` ... `/Length L` ... `>>` `stream\n` data `\nendstream\nendobj`.
    let dict_end = find(&pdf, b">>\nstream\n", start).ok_or_else(|| malformed("the metadata"))?;
    let (length, _) = reference_free_number(&pdf, b"/Length", start, dict_end)
        .ok_or_else(|| malformed("the metadata's /Length"))?;
    let data = dict_end + b">>\nstream\n".len();
    let tail = b"\nendstream\nendobj";
    let end = data + length;
    if pdf.get(end..end + tail.len()) != Some(tail) || start > xref_at || end > xref_at {
        return Err(malformed("the metadata stream"));
    }
    let packet = std::str::from_utf8(&pdf[data..end]).map_err(|_| malformed("the XMP packet"))?;
    let packet = with_factur_x(packet).ok_or_else(|| malformed("the XMP packet"))?;
    let object = format!(
        "{meta} 0 obj\n<<\n  /Length {}\n  /Type /Metadata\n  /Subtype /XML\n>>\nstream\n{packet}\nendstream\nendobj",
        packet.len()
    );
    let end = end + tail.len();
    let mut out = Vec::with_capacity(pdf.len() + object.len() - (end - start));
    out.extend_from_slice(&pdf[..start]);
    out.extend_from_slice(object.as_bytes());
    out.extend_from_slice(&pdf[end..sx]);
    let shift = |o: usize| {
        if o > start {
            o + object.len() - (end - start)
        } else {
            o
        }
    };
    // The table moved by the same amount; each entry after the metadata moves too.
    let new_entries = shift(xref.entries);
    for n in 0..xref.count {
        if let Some(o) = xref.offset(&pdf, n) {
            let o = shift(o);
            if o > 9_999_999_999 {
                return Err(malformed("the size of the file"));
            }
            let at = new_entries + n * 20;
            out[at..at + 10].copy_from_slice(format!("{o:010}").as_bytes());
        }
    }
    out.extend_from_slice(format!("startxref\n{}", shift(xref_at)).as_bytes());
    out.extend_from_slice(&pdf[xref_at_end..]);
    Ok(out)
}

/// The number after `key` in `bytes[from..to]` (a direct number, not a reference).
fn reference_free_number(
    bytes: &[u8],
    key: &[u8],
    from: usize,
    to: usize,
) -> Option<(usize, usize)> {
    let at = find(&bytes[..to], key, from)? + key.len();
    let (n, end) = number(bytes, at)?;
    (bytes.get(end..end + 2) != Some(b" 0")).then_some((n, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema goes into the packet's one `pdfaExtension:schemas` bag, or into a bag of
    /// its own when there is none; the properties come last.
    #[test]
    fn the_schema_joins_the_one_bag_of_extension_schemas() {
        let typst = "<x:xmpmeta><rdf:RDF><rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"e\">\
                     <pdfaExtension:schemas><rdf:Bag><rdf:li>mm</rdf:li></rdf:Bag></pdfaExtension:schemas>\
                     </rdf:Description></rdf:RDF></x:xmpmeta>";
        let out = with_factur_x(typst).unwrap();
        assert_eq!(out.matches("<pdfaExtension:schemas>").count(), 1, "{out}");
        let schema = out.find("Factur-X PDFA Extension Schema").unwrap();
        assert!(schema < out.find("<rdf:li>mm</rdf:li>").unwrap(), "{out}");
        assert!(out.ends_with(&format!("{}</rdf:RDF></x:xmpmeta>", factur_x_properties())));
        let bare = "<rdf:RDF><rdf:Description rdf:about=\"\"/></rdf:RDF>";
        let out = with_factur_x(bare).unwrap();
        assert_eq!(out.matches("<pdfaExtension:schemas>").count(), 1, "{out}");
        assert!(out.contains("xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\""));
        assert_eq!(with_factur_x("<x/>"), None);
    }
}
