//! Which reports are copies of each other: the one rule behind the audit's
//! `duplicate-report` finding and billing's `duplicate-report` refusal.
//!
//! Two reports are copies when they have the same owner (its `organizationUid` as a
//! document shows it, [`crate::text::clean`], compared without letter case) and the same
//! month (that of the first day of the interval). Same report id or not: two reports of one
//! owner for one month would count the month twice.
//!
//! The two users of the rule differ in what they do with a group of copies, on purpose:
//! - the audit flags the later copies, pointing at the first: it reports what is in the
//!   inputs, and the first is where a reader looks for the month;
//! - billing refuses every copy: it cannot know which copy is right (a re-export after a
//!   correction, a second console, a file passed twice), and billing the first in input
//!   order would bill whichever file happened to be named first.

use crate::date::Month;
use std::collections::BTreeMap;

/// What makes reports copies of each other: owner and month. Ordered by owner, then month.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportIdentity {
    /// The owner's uid, cleaned for a document and in lower case.
    owner: String,
    /// The month the report covers.
    month: Month,
}

impl ReportIdentity {
    /// The identity of a report of owner `owner_uid` (as written, or already cleaned) for
    /// `month`.
    #[must_use]
    pub fn new(owner_uid: &str, month: Month) -> Self {
        Self {
            owner: crate::text::clean(owner_uid).to_ascii_lowercase(),
            month,
        }
    }
}

/// The groups of copies among `identities` (`None`: a report without an identity, a copy
/// of nothing): positions in the input, each group in input order and of two or more,
/// groups in the order of their identity.
#[must_use]
pub fn copies<I>(identities: I) -> Vec<Vec<usize>>
where
    I: IntoIterator<Item = Option<ReportIdentity>>,
{
    let mut groups: BTreeMap<ReportIdentity, Vec<usize>> = BTreeMap::new();
    for (i, id) in identities.into_iter().enumerate() {
        if let Some(id) = id {
            groups.entry(id).or_default().push(i);
        }
    }
    groups.into_values().filter(|g| g.len() > 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_the_same_owner_and_month_in_any_case() {
        let id = |owner: &str, m: u32| Some(ReportIdentity::new(owner, Month::new(2026, m)));
        let groups = copies([
            id("B", 10),
            id("a", 10),
            None,
            id(" b\u{200b}", 10),
            id("b", 11),
            id("A", 10),
            id("c", 10),
            None,
        ]);
        assert_eq!(groups, vec![vec![1, 5], vec![0, 3]]);
        assert!(copies([id("a", 1), id("a", 2), None, None]).is_empty());
    }
}
