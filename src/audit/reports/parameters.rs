//! The report's status and parameters: its dates, its interval (one calendar month), when it
//! was generated, and its key (owner and period).

use super::ReportCheck;
use crate::audit::{Ptr, ReportKey};
use crate::date::{DateParts, Month, VspcDate};
use crate::diag::{Finding, Severity};
use crate::enums::ReportStatus;
use crate::model::{LicenseReportParameters, SingleLicenseReport};

/// Which end of its month an impossible day is nearer to (day 0, or past the last day).
pub(super) fn nearest_day_word(parts: &DateParts) -> &'static str {
    if parts.day == 0 { "first" } else { "last" }
}

impl<'r> ReportCheck<'_, '_, 'r, '_> {
    pub(super) fn status(&mut self, r: &'r SingleLicenseReport) {
        match &r.report_status {
            None => {
                let mut f = Finding::of(
                    crate::codes::Code::ReportNotApproved,
                    self.ctx.file,
                    self.root.render(),
                    "the report has no reportStatus (consoles before API 3.5.1 do not send it): whether it is final cannot be told",
                );
                f.severity = Severity::Info;
                self.ctx.emit(f);
            }
            Some(ReportStatus::Approved) => {}
            Some(s) => {
                let root = self.root;
                let at = root.key("reportStatus");
                if let ReportStatus::Other(v) = s {
                    self.unknown(at, "reportStatus", v, ReportStatus::KNOWN);
                }
                let f = Finding::of(
                    crate::codes::Code::ReportNotApproved,
                    self.ctx.file,
                    at.render(),
                    format!(
                        "reportStatus is {}, not Approved: the report may still change; approve it in VSPC (it approves itself on the 3rd) before billing from it",
                        s.as_str()
                    ),
                );
                self.ctx.emit(f);
            }
        }
    }

    /// Reports an impossible date; returns the calendar date the other checks use.
    pub(super) fn date(&mut self, at: Ptr<'_>, field: &str, d: &VspcDate) -> Option<DateParts> {
        let Some(err) = d.parts.calendar_error() else {
            return Some(d.parts);
        };
        let day_only = DateParts {
            time: None,
            ..d.parts
        };
        let (usable, advice) = if day_only.calendar_error().is_none() {
            (
                Some(day_only),
                "; the date itself is used for the other checks".to_owned(),
            )
        } else {
            match day_only
                .clamped_to_month()
                .filter(|c| c.calendar_error().is_none())
            {
                Some(c) => (
                    Some(c),
                    format!(
                        "; {}, the {} day of that month, is probably meant (the other checks use it)",
                        c.date_string(),
                        nearest_day_word(&d.parts)
                    ),
                ),
                None => (None, "; the checks that need it are skipped".to_owned()),
            }
        };
        let f = Finding::of(
            crate::codes::Code::InvalidDate,
            self.ctx.file,
            at.render(),
            format!("{field} {} is not a real date: {err}{advice}", d.text),
        );
        self.ctx.emit(f);
        usable
    }

    pub(super) fn parameters(
        &mut self,
        p: &'r LicenseReportParameters,
        field: &'static str,
        index: usize,
    ) -> Option<ReportKey> {
        let root = self.root;
        let pp = root.key(field);
        let generated = self.date(
            pp.key("generationDate"),
            "generationDate",
            &p.generation_date,
        );
        let ip = pp.key("reportInterval");
        let interval = &p.report_interval;
        let start = self.date(
            ip.key("startOfInterval"),
            "startOfInterval",
            &interval.start_of_interval,
        );
        let end = self.date(
            ip.key("endOfInterval"),
            "endOfInterval",
            &interval.end_of_interval,
        );
        if let (Some(s), Some(e)) = (start, end) {
            if s.ymd() > e.ymd() {
                let f = Finding::of(
                    crate::codes::Code::IntervalReversed,
                    self.ctx.file,
                    ip.render(),
                    format!(
                        "the interval starts on {} after it ends on {}",
                        s.date_string(),
                        e.date_string()
                    ),
                );
                self.ctx.emit(f);
            } else {
                let month = Month::of(&s);
                let last = month.days();
                if s.day != 1 || (e.year, e.month, e.day) != (s.year, s.month, last) {
                    let next = month.next();
                    let exclusive = if s.day == 1 && e.ymd() == (next.year, next.month, 1) {
                        "; an end on the 1st of the next month reads as an exclusive end, but VSPC writes the last day of the month"
                    } else {
                        ""
                    };
                    let f = Finding::of(
                        crate::codes::Code::IntervalNotCalendarMonth,
                        self.ctx.file,
                        ip.render(),
                        format!(
                            "the interval {} to {} is not one calendar month (a monthly report covers {month}-01 to {month}-{last:02}){exclusive}",
                            s.date_string(),
                            e.date_string(),
                        ),
                    );
                    self.ctx.emit(f);
                }
            }
        }
        if let (Some(g), Some(e)) = (generated, end)
            && g.ymd() <= e.ymd()
        {
            let f = Finding::of(
                crate::codes::Code::GeneratedBeforeIntervalEnd,
                self.ctx.file,
                pp.key("generationDate").render(),
                format!(
                    "the report was generated on {}, before its interval ended ({}): usage of the rest of the month is missing",
                    g.date_string(),
                    e.date_string()
                ),
            );
            self.ctx.emit(f);
        }
        self.month = start.map(|s| Month::of(&s));
        let (s, e) = (start?, end?);
        Some(ReportKey {
            index,
            pointer: pp.render(),
            line: None,
            column: None,
            report_id: p.report_id,
            owner_uid: p.organization_uid.to_ascii_lowercase(),
            owner_name: p.organization_name.clone(),
            start: s.ymd(),
            end: e.ymd(),
        })
    }
}
