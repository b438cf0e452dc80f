//! Expected weights (points per workload), to flag `weight-unexpected`.
//!
//! Weights are read from each row of a report: they differ by workload type and license
//! edition and change over time, so this table never replaces them; it only flags a row
//! whose weight differs from what the provider expects. The built-in table holds the
//! values Veeam publishes; a user file (`--weights FILE`, TOML) adds or overrides rules:
//!
//! ```toml
//! [[weight]]
//! workload = "VBR_VM"      # workloadType or Cloud Connect counter type, any case
//! edition = "Standard"     # optional: any edition when absent
//! points = 5               # exact: the text written is read as a decimal (0.33, "0.33")
//! from = "2025-01"         # optional: first report month the rule applies to
//! until = "2025-12"        # optional: last report month
//! ```
//!
//! For a row, the rules of the user file that match its workload type, edition and month
//! are used; when none matches, the built-in rules are. Several matching rules mean
//! several accepted weights.

use crate::date::Month;
use crate::enums::WorkloadType;
use crate::locate::LineIndex;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::Path;

/// One expected weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightRule {
    /// Workload type (or Cloud Connect counter type).
    pub workload: WorkloadType,
    /// License edition; any edition when `None`.
    pub edition: Option<String>,
    /// Points one workload uses.
    pub points: Decimal,
    /// First report month the rule applies to.
    pub from: Option<Month>,
    /// Last report month the rule applies to.
    pub until: Option<Month>,
    /// Where the rule comes from, for messages (`built-in: ...` or `file:line`).
    pub source: String,
}

impl WeightRule {
    fn applies(
        &self,
        workload: &WorkloadType,
        edition: Option<&str>,
        month: Option<Month>,
    ) -> bool {
        // Known values are parsed case-insensitively already: compare the variants.
        let same = match (&self.workload, workload) {
            (WorkloadType::Other(a), WorkloadType::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        };
        if !same {
            return false;
        }
        if let Some(e) = &self.edition {
            match edition {
                Some(have) if have.eq_ignore_ascii_case(e) => {}
                _ => return false,
            }
        }
        if self.from.is_none() && self.until.is_none() {
            return true;
        }
        // A dated rule applies only to data with a month in its range.
        month.is_some_and(|m| self.from.is_none_or(|f| m >= f) && self.until.is_none_or(|u| m <= u))
    }
}

/// The table of expected weights: built-in rules and the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weights {
    builtin: Vec<WeightRule>,
    user: Vec<WeightRule>,
}

impl Default for Weights {
    fn default() -> Self {
        Self::builtin()
    }
}

fn rule(workload: WorkloadType, edition: Option<&str>, points: i64, source: &str) -> WeightRule {
    WeightRule {
        workload,
        edition: edition.map(str::to_owned),
        points: Decimal::from(points),
        from: None,
        until: None,
        source: source.to_owned(),
    }
}

impl Weights {
    /// The weights Veeam publishes (rental licensing reference guide; vendor examples).
    #[must_use]
    pub fn builtin() -> Self {
        const CC: &str = "built-in: published Cloud Connect weight";
        Self {
            builtin: vec![
                rule(WorkloadType::CcVmBackup, None, 5, CC),
                rule(
                    WorkloadType::CcVmBackup,
                    None,
                    0,
                    "built-in: Cloud Connect VM backup is free when the tenant has its own rental license",
                ),
                rule(WorkloadType::CcVmReplica, None, 10, CC),
                rule(WorkloadType::CcWorkstationBackup, None, 3, CC),
                rule(WorkloadType::CcServerBackup, None, 7, CC),
                rule(
                    WorkloadType::VbrVm,
                    Some("Standard"),
                    5,
                    "built-in: Veeam Backup & Replication Standard VM (vendor example)",
                ),
            ],
            user: Vec::new(),
        }
    }

    /// No expected weights at all: `weight-unexpected` never fires.
    #[must_use]
    pub const fn none() -> Self {
        Self {
            builtin: Vec::new(),
            user: Vec::new(),
        }
    }

    /// The built-in rules.
    #[must_use]
    pub fn builtin_rules(&self) -> &[WeightRule] {
        &self.builtin
    }

    /// The rules read from the user's file.
    #[must_use]
    pub fn user_rules(&self) -> &[WeightRule] {
        &self.user
    }

    /// Adds the rules of a user file (see the module documentation).
    ///
    /// # Errors
    /// When the file cannot be read or holds something else than weight rules; the message
    /// names the file, line and column.
    pub fn with_file(mut self, path: &Path) -> Result<Self, String> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        self.user.extend(parse_rules(&name, &text)?);
        Ok(self)
    }

    /// Adds rules given as TOML text (`name` is used in messages).
    ///
    /// # Errors
    /// See [`Weights::with_file`].
    pub fn with_toml(mut self, name: &str, text: &str) -> Result<Self, String> {
        self.user.extend(parse_rules(name, text)?);
        Ok(self)
    }

    /// The rules that decide the weight of a workload: the user's when one of them
    /// applies, otherwise the built-in ones. Filter them with the same arguments.
    fn tier(
        &self,
        workload: &WorkloadType,
        edition: Option<&str>,
        month: Option<Month>,
    ) -> &[WeightRule] {
        if self
            .user
            .iter()
            .any(|r| r.applies(workload, edition, month))
        {
            &self.user
        } else {
            &self.builtin
        }
    }

    /// Checks a weight: `None` when it is expected (or nothing is), otherwise the first
    /// rule that applies, to quote in the finding.
    #[must_use]
    pub fn unexpected(
        &self,
        workload: &WorkloadType,
        edition: Option<&str>,
        month: Option<Month>,
        weight: Decimal,
    ) -> Option<&WeightRule> {
        let mut first = None;
        let rules = self.tier(workload, edition, month);
        for r in rules.iter().filter(|r| r.applies(workload, edition, month)) {
            if r.points == weight {
                return None;
            }
            first.get_or_insert(r);
        }
        first
    }

    /// Like [`Weights::unexpected`] for a count of objects and their units: the units
    /// agree with a rule when `rule.points × count` agrees with them by `agrees`.
    pub fn unexpected_units(
        &self,
        workload: &WorkloadType,
        count: i64,
        units: Decimal,
        agrees: impl Fn(Decimal, Decimal) -> bool,
    ) -> Option<&WeightRule> {
        let mut first = None;
        let rules = self.tier(workload, None, None);
        for r in rules.iter().filter(|r| r.applies(workload, None, None)) {
            let expected = super::exact_mul(r.points, Decimal::from(count));
            if expected.is_some_and(|e| agrees(e, units)) {
                return None;
            }
            first.get_or_insert(r);
        }
        first
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    weight: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    workload: toml::Spanned<String>,
    #[serde(default)]
    edition: Option<String>,
    points: toml::Spanned<toml::Value>,
    #[serde(default)]
    from: Option<toml::Spanned<String>>,
    #[serde(default)]
    until: Option<toml::Spanned<String>>,
}

fn parse_rules(name: &str, text: &str) -> Result<Vec<WeightRule>, String> {
    let file: RulesFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(String::new(), |s| {
            let p = LineIndex::new(text.as_bytes()).position(s.start);
            format!(":{}:{}", p.line, p.column)
        });
        format!("{name}{at}: {}", e.message().trim_end())
    })?;
    let index = LineIndex::new(text.as_bytes());
    let at = |offset: usize| {
        let p = index.position(offset);
        format!("{name}:{}:{}", p.line, p.column)
    };
    let mut rules = Vec::with_capacity(file.weight.len());
    for e in file.weight {
        let span = e.points.span();
        let points = match e.points.get_ref() {
            toml::Value::String(s) => crate::num::parse_decimal(s.trim()),
            toml::Value::Integer(_) | toml::Value::Float(_) => {
                // The text as written, so that 0.33 is read exactly and never through f64.
                let raw: String = text
                    .get(span.clone())
                    .unwrap_or_default()
                    .chars()
                    .filter(|&c| c != '_' && c != '+')
                    .collect();
                crate::num::parse_decimal(&raw)
            }
            other => Err(format!("expected a number, found {other}")),
        }
        .map_err(|m| format!("{}: points: {m}", at(span.start)))?;
        if points.is_sign_negative() && !points.is_zero() {
            return Err(format!("{}: points must not be negative", at(span.start)));
        }
        let month =
            |m: &Option<toml::Spanned<String>>, what: &str| -> Result<Option<Month>, String> {
                m.as_ref()
                    .map(|m| {
                        Month::parse(m.get_ref()).ok_or_else(|| {
                            format!(
                                "{}: {what} {:?} is not a month: expected YYYY-MM",
                                at(m.span().start),
                                m.get_ref()
                            )
                        })
                    })
                    .transpose()
            };
        let from = month(&e.from, "from")?;
        let until = month(&e.until, "until")?;
        if let (Some(f), Some(u)) = (from, until)
            && f > u
        {
            return Err(format!("{}: from is after until", at(span.start)));
        }
        let workload = WorkloadType::parse(e.workload.get_ref().trim());
        rules.push(WeightRule {
            workload,
            edition: e.edition,
            points,
            from,
            until,
            source: at(e.workload.span().start),
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn builtin_flags_published_cloud_connect_weights_only() {
        let w = Weights::builtin();
        assert!(
            w.unexpected(&WorkloadType::CcVmReplica, None, None, d("10.0"))
                .is_none()
        );
        let r = w
            .unexpected(&WorkloadType::CcVmReplica, None, None, d("9"))
            .unwrap();
        assert_eq!(r.points, d("10"));
        assert!(
            w.unexpected(&WorkloadType::CcVmBackup, None, None, d("0"))
                .is_none()
        );
        assert!(
            w.unexpected(&WorkloadType::VbrVm, Some("standard"), None, d("5"))
                .is_none()
        );
        assert!(
            w.unexpected(&WorkloadType::VbrVm, Some("Standard"), None, d("4"))
                .is_some()
        );
        // No rule for other editions or types: nothing is expected.
        assert!(
            w.unexpected(&WorkloadType::VbrVm, Some("Enterprise"), None, d("4"))
                .is_none()
        );
        assert!(
            w.unexpected(&WorkloadType::VbrVm, None, None, d("4"))
                .is_none()
        );
        assert!(
            w.unexpected(&WorkloadType::Vb365User, None, None, d("9"))
                .is_none()
        );
        assert!(
            Weights::none()
                .unexpected(&WorkloadType::CcVmReplica, None, None, d("9"))
                .is_none()
        );
    }

    #[test]
    fn user_rules_override_builtin_ones_where_they_apply() {
        let w = Weights::builtin()
            .with_toml(
                "w.toml",
                "[[weight]]\nworkload = \"cc_vm_replica\"\npoints = 12\nfrom = \"2025-01\"\n\n[[weight]]\nworkload = \"VB365_User\"\nedition = \"Standard\"\npoints = 0.33\n",
            )
            .unwrap();
        assert_eq!(w.user_rules()[1].points.to_string(), "0.33");
        assert_eq!(w.user_rules()[0].source, "w.toml:2:12");
        let replica = WorkloadType::CcVmReplica;
        assert!(
            w.unexpected(&replica, None, Some(Month::new(2025, 3)), d("12"))
                .is_none()
        );
        assert!(
            w.unexpected(&replica, None, Some(Month::new(2025, 3)), d("10"))
                .is_some()
        );
        // Before the user's rule, the published weight applies.
        assert!(
            w.unexpected(&replica, None, Some(Month::new(2024, 12)), d("10"))
                .is_none()
        );
        assert!(w.unexpected(&replica, None, None, d("10")).is_none());
        assert!(
            w.unexpected(&WorkloadType::Vb365User, Some("Standard"), None, d("0.33"))
                .is_none()
        );
    }

    #[test]
    fn units_are_compared_through_the_given_rule() {
        let w = Weights::builtin();
        let exact = |e: Decimal, f: Decimal| e == f;
        assert!(
            w.unexpected_units(&WorkloadType::CcVmReplica, 3, d("30.0"), exact)
                .is_none()
        );
        assert!(
            w.unexpected_units(&WorkloadType::CcVmReplica, 3, d("27"), exact)
                .is_some()
        );
        assert!(
            w.unexpected_units(&WorkloadType::CcVmReplica, i64::MAX, d("1"), exact)
                .is_some()
        );
    }

    #[test]
    fn bad_files_are_located() {
        let e = Weights::builtin()
            .with_toml(
                "w.toml",
                "[[weight]]\nworkload = \"VBR_VM\"\npoints = \"five\"\n",
            )
            .unwrap_err();
        assert!(e.starts_with("w.toml:3:10: points:"), "{e}");
        let e = Weights::builtin()
            .with_toml(
                "w.toml",
                "[[weight]]\nworkload = \"VBR_VM\"\npoints = 5\nfrom = \"2025-13\"\n",
            )
            .unwrap_err();
        assert!(
            e.starts_with("w.toml:4:8: from \"2025-13\" is not a month"),
            "{e}"
        );
        let e = Weights::builtin()
            .with_toml(
                "w.toml",
                "[[weight]]\nworkload = \"VBR_VM\"\npoints = 5\nwieght = 1\n",
            )
            .unwrap_err();
        assert!(e.starts_with("w.toml:4:1:"), "{e}");
        let e = Weights::builtin()
            .with_toml("w.toml", "[[weight]]\nworkload = \"VBR_VM\"\npoints = -1\n")
            .unwrap_err();
        assert!(e.contains("negative"), "{e}");
        let e = Weights::builtin()
            .with_toml("w.toml", "[[weight]\n")
            .unwrap_err();
        assert!(e.starts_with("w.toml:1:"), "{e}");
    }
}
