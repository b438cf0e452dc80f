//! The kind and shape of a document told from its first keys, and the month pre-scan.

use super::{Kind, Shape};
use crate::date::{Month, VspcDate};
use crate::locate::{first_keys, skip_ws};
use serde::Deserialize;

const REPORT_KEYS: &[&str] = &[
    "reportParemeters",
    "reportParameters",
    "reportSummary",
    "reportStatus",
    "organizationsUsage",
    "usageDetails",
    "appendices",
    "notCollectedCloudServers",
    "clonedCloudServers",
    "unsupportedCloudServers",
];
const SITE_KEYS: &[&str] = &["installationId", "siteUid", "licenseId", "counters"];

fn kind_of_keys<S: AsRef<str>>(keys: &[S]) -> Option<Kind> {
    let has = |set: &[&str]| keys.iter().any(|k| set.contains(&k.as_ref()));
    if has(REPORT_KEYS) {
        Some(Kind::Reports)
    } else if has(SITE_KEYS) {
        Some(Kind::SiteUsage)
    } else {
        None
    }
}

fn is_decisive(k: &str) -> bool {
    REPORT_KEYS.contains(&k) || SITE_KEYS.contains(&k)
}

pub(super) enum Sniff {
    Found(Kind, Shape),
    /// Not well-formed: the JSON parser will say where.
    Malformed,
    /// Well-formed but not a document we know.
    Unknown(String),
}

fn describe_keys(keys: &[String]) -> String {
    if keys.is_empty() {
        "no members".to_owned()
    } else {
        // Keys are the document's text: shown with control and invisible characters escaped.
        let shown: Vec<std::borrow::Cow<'_, str>> = keys
            .iter()
            .take(6)
            .map(|k| crate::text::printable(k))
            .collect();
        format!(
            "members {}{}",
            shown.join(", "),
            if keys.len() > 6 { ", ..." } else { "" }
        )
    }
}

pub(super) const EXPECTED: &str = "expected a license usage report export ({\"meta\":...,\"data\":[{\"reportParameters\":...}]}, {\"data\":{...}}, one report or an array of reports) or a site usage export ({\"data\":{\"siteUid\":...,\"counters\":[...]}})";

/// Tells kind and shape from the first keys of the document.
pub(super) fn sniff(b: &[u8], forced: Option<Kind>) -> Sniff {
    let i = skip_ws(b, 0);
    match b.get(i) {
        Some(b'{') => {}
        Some(b'[') => return sniff_items(b, i, forced, Shape::Array, "item 0"),
        Some(b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
            return Sniff::Unknown(format!("the document is not an object; {EXPECTED}"));
        }
        _ => return Sniff::Malformed,
    }
    let Some((keys, data_at)) = first_keys(b, i, |k| k == "data") else {
        return Sniff::Malformed;
    };
    let Some(j) = data_at else {
        // No `data`: a bare item.
        return match forced.or_else(|| kind_of_keys(&keys)) {
            Some(kind) => Sniff::Found(kind, Shape::Bare),
            None => Sniff::Unknown(format!(
                "the object has {} and no \"data\"; {EXPECTED}",
                describe_keys(&keys)
            )),
        };
    };
    match b.get(j) {
        Some(b'[') => sniff_items(b, j, forced, Shape::Collection, "data[0]"),
        Some(b'{') => match first_keys(b, j, is_decisive) {
            None => Sniff::Malformed,
            Some((item_keys, _)) => match forced.or_else(|| kind_of_keys(&item_keys)) {
                Some(kind) => Sniff::Found(kind, Shape::Envelope),
                None => Sniff::Unknown(format!(
                    "\"data\" has {}; {EXPECTED}",
                    describe_keys(&item_keys)
                )),
            },
        },
        Some(_) => match forced {
            Some(kind) => Sniff::Found(kind, Shape::Envelope),
            None => Sniff::Unknown(format!(
                "\"data\" is neither an object nor an array; {EXPECTED}"
            )),
        },
        None => Sniff::Malformed,
    }
}

/// Tells the kind of a list of items (the array at `i`) from its first item.
fn sniff_items(b: &[u8], i: usize, forced: Option<Kind>, shape: Shape, first: &str) -> Sniff {
    let k = skip_ws(b, i + 1);
    match b.get(k) {
        // An empty list: only a page's `meta` hints at the reports endpoint.
        Some(b']') => Sniff::Found(forced.unwrap_or(Kind::Reports), shape),
        Some(b'{') => match first_keys(b, k, is_decisive) {
            None => Sniff::Malformed,
            Some((item_keys, _)) => match forced.or_else(|| kind_of_keys(&item_keys)) {
                Some(kind) => Sniff::Found(kind, shape),
                None => Sniff::Unknown(format!(
                    "{first} has {}; {EXPECTED}",
                    describe_keys(&item_keys)
                )),
            },
        },
        Some(_) => match forced {
            Some(kind) => Sniff::Found(kind, shape),
            None => Sniff::Unknown(format!("{first} is not an object; {EXPECTED}")),
        },
        None => Sniff::Malformed,
    }
}

/// Months of the reports of a license report export, read without building the document:
/// one fast pass that skips everything but each report's
/// `reportParameters.reportInterval.startOfInterval` (or the misspelled
/// `reportParemeters`, as the model prefers them). `Some(empty)` for a site usage export
/// (nothing to bill); `None` when the text cannot be read this way (the full load then
/// says why). For a file the full load accepts, the months are those of its reports, as
/// [`Month`]s (the month may be out of 1 to 12 when the vendor wrote one).
#[must_use]
pub fn report_months(text: &[u8], forced: Option<Kind>) -> Option<Vec<Month>> {
    #[derive(Deserialize)]
    struct Interval {
        #[serde(rename = "startOfInterval")]
        start: VspcDate,
    }
    #[derive(Deserialize)]
    struct Parameters {
        #[serde(rename = "reportInterval")]
        interval: Interval,
    }
    #[derive(Deserialize)]
    struct Report {
        #[serde(rename = "reportParameters")]
        parameters: Option<Parameters>,
        #[serde(rename = "reportParemeters")]
        paremeters: Option<Parameters>,
    }
    #[derive(Deserialize)]
    struct Collection {
        data: Vec<Report>,
    }
    #[derive(Deserialize)]
    struct Envelope {
        data: Report,
    }
    let reports = match sniff(text, forced) {
        Sniff::Found(Kind::SiteUsage, _) => return Some(Vec::new()),
        Sniff::Found(Kind::Reports, Shape::Collection) => {
            serde_json::from_slice::<Collection>(text).ok()?.data
        }
        Sniff::Found(Kind::Reports, Shape::Envelope) => {
            vec![serde_json::from_slice::<Envelope>(text).ok()?.data]
        }
        Sniff::Found(Kind::Reports, Shape::Bare) => {
            vec![serde_json::from_slice::<Report>(text).ok()?]
        }
        Sniff::Found(Kind::Reports, Shape::Array) => {
            serde_json::from_slice::<Vec<Report>>(text).ok()?
        }
        Sniff::Unknown(_) | Sniff::Malformed => return None,
    };
    Some(
        reports
            .into_iter()
            .filter_map(|r| r.parameters.or(r.paremeters))
            .map(|p| Month::of(&p.interval.start.parts))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, load_bytes, load_text as load};

    #[test]
    fn months_are_read_without_loading() {
        let report = |start: &str| {
            format!(
                r#"{{"reportStatus":"Approved","organizationsUsage":[{{"organizationUid":"x","usedPoints":1}}],"reportParameters":{{"reportId":1,"reportInterval":{{"startOfInterval":"{start}","endOfInterval":"2026-10-31"}}}}}}"#
            )
        };
        let months = |text: &str| report_months(text.as_bytes(), None);
        let a = report("2026-10-01T00:00:00+02:00");
        let b = report("2026-11-01");
        assert_eq!(
            months(&format!(r#"{{"meta":{{}},"data":[{a},{b}]}}"#)),
            Some(vec![Month::new(2026, 10), Month::new(2026, 11)])
        );
        assert_eq!(
            months(&format!(r#"{{"data":{b}}}"#)),
            Some(vec![Month::new(2026, 11)])
        );
        assert_eq!(months(&a), Some(vec![Month::new(2026, 10)]));
        // The 3.5.1 spelling, and reportParameters first when both are there.
        let old = a.replace("reportParameters", "reportParemeters");
        assert_eq!(months(&old), Some(vec![Month::new(2026, 10)]));
        let both = old.replacen(
            '{',
            r#"{"reportParameters":{"reportInterval":{"startOfInterval":"2027-01-01"}},"#,
            1,
        );
        assert_eq!(months(&both), Some(vec![Month::new(2027, 1)]));
        // A report without parameters has no month; site usage has nothing to bill.
        assert_eq!(
            months(r#"{"data":[{"reportStatus":"Approved"}]}"#),
            Some(vec![])
        );
        assert_eq!(
            months(r#"{"data":{"siteUid":"s","counters":[]}}"#),
            Some(vec![])
        );
        // Unreadable this way: the full load says why.
        assert_eq!(
            months(r#"{"data":[{"reportParameters":{"reportInterval":{}}}]}"#),
            None
        );
        assert_eq!(months(r#"{"data":["#), None);
        assert_eq!(months("[1]"), None);
    }

    #[test]
    fn shapes_are_told_apart() {
        let f = load(r#"{"meta":{"pagingInfo":{"total":0,"count":0,"offset":0}},"data":[]}"#);
        assert_eq!(
            (f.kind, f.shape),
            (Some(Kind::Reports), Some(Shape::Collection))
        );
        let f = load(r#"{"data":{"siteUid":"x","counters":[]}}"#);
        assert_eq!(
            (f.kind, f.shape),
            (Some(Kind::SiteUsage), Some(Shape::Envelope))
        );
        let f = load(r#"{"reportStatus":"Approved"}"#);
        assert_eq!((f.kind, f.shape), (Some(Kind::Reports), Some(Shape::Bare)));
        assert!(f.is_valid());
        let f = load(r#"{"data":[{"installationId":"a","counters":null}]}"#);
        assert_eq!(
            (f.kind, f.shape),
            (Some(Kind::SiteUsage), Some(Shape::Collection))
        );
        assert!(f.is_valid(), "{:?}", f.problems);
    }

    #[test]
    fn unknown_documents_say_what_was_expected() {
        let f = load(r#"{"hello": 1}"#);
        assert_eq!(f.problems[0].code, "unknown-document");
        assert!(f.problems[0].message.contains("members hello"));
        assert!(
            f.problems[0]
                .message
                .contains("expected a license usage report")
        );
        let f = load("[1, 2]");
        assert!(f.problems[0].message.starts_with("item 0 is not an object"));
    }

    #[test]
    fn a_document_the_sniffer_cannot_place_says_why() {
        for (text, code) in [
            (r#"{"\ud800":1,"data":[]}"#, "invalid-json"),
            (r#"{"a":{"\udfff":1},"b":2}"#, "invalid-json"),
            (r#"[{"x":1}]"#, "unknown-document"),
            (r#"{"hello":[[[[1]]]]}"#, "unknown-document"),
        ] {
            let f = load(text);
            assert_eq!(f.problems[0].code, code, "{text}: {:?}", f.problems);
        }
        // As deep as the typed parse reads: unknown; one level deeper: too deep.
        let deep = |n: usize| format!("{{\"hello\":{}1{}}}", "[".repeat(n), "]".repeat(n));
        let f = load(&deep(crate::strict::MAX_DEPTH - 1));
        assert_eq!(f.problems[0].code, "unknown-document", "{:?}", f.problems);
        let f = load(&deep(crate::strict::MAX_DEPTH));
        assert!(
            f.problems[0].message.starts_with("nested deeper than"),
            "{:?}",
            f.problems
        );
    }

    #[test]
    fn forced_kind_overrides_detection() {
        let f = load_bytes(
            "t.json",
            br#"{"data":{"hello":1}}"#.to_vec(),
            &LoadOptions {
                kind: Some(Kind::SiteUsage),
                ..LoadOptions::default()
            },
        );
        assert!(f.is_valid());
        assert_eq!(f.kind, Some(Kind::SiteUsage));
    }
}
