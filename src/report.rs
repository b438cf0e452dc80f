//! `vspc-billing report`: the monthly series of an audit run ([`crate::audit::trends`]) as
//! one self-contained HTML page, or as JSON or CSV for other tools.
//!
//! The page has no external resource: styles, the small sorting script and the charts are
//! inline, the charts drawn here as SVG (points per month stacked by product, the top
//! tenants by points and by change, a sparkline per tenant). Per owner, the table lists the
//! top tenants by points and by change; the others are summed into one row, so that the
//! page stays small whatever the number of tenants. Findings are grouped by code, at most
//! [`HtmlOptions::per_code`] each. Every text from the input is HTML-escaped; the page
//! holds no inline JSON, and the script reads only the table.
//!
//! Points are exact decimals throughout: sums are exact or an error ([`Overflow`]); chart
//! coordinates are computed in decimals and rounded by [`crate::billing::money::round`].

use crate::audit::run::AuditSummary;
use crate::audit::trends::{OwnerSeries, Series, TenantSeries};
use crate::billing::money::{Overflow, Rounding, RoundingMode, add, round};
use crate::codes::Code;
use crate::diag::{Finding, Severity};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// What the page shows.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Tenants listed per owner by points, and again by change (the rest are summed).
    pub top: usize,
    /// Findings listed per code (the rest are counted).
    pub per_code: usize,
    /// Bars in the charts of top tenants.
    pub chart_bars: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        Self {
            top: 100,
            per_code: 200,
            chart_bars: 10,
        }
    }
}

/// The series as JSON: `{"owners":[{"uid","name","months","reports","total","products",
/// "tenants":[{"uid","name","points","workloads":[{"workload","edition","counts"}],
/// "flags"}]}]}`; points are strings holding the exact decimals, `null` for a month
/// without the value.
#[must_use]
pub fn series_json(series: &Series) -> String {
    serde_json::to_string_pretty(series).expect("series serialize") + "\n"
}

/// The series as CSV, one row per value: `owner_uid, owner_name, month, level, uid, name,
/// workload, edition, points, count`, where `level` is `report` (the total), `product`,
/// `tenant` (its points) or `workload` (a tenant's count of one type and edition). Text
/// cells are neutralised against formulas.
#[must_use]
pub fn series_csv(series: &Series) -> Vec<u8> {
    let mut c = crate::render::CsvOut::new(
        Some(&[
            "owner_uid",
            "owner_name",
            "month",
            "level",
            "uid",
            "name",
            "workload",
            "edition",
            "points",
            "count",
        ]),
        1 << 16,
    );
    let none = None::<u8>;
    for o in &series.owners {
        for (m, month) in o.months.iter().enumerate() {
            let row = |c: &mut crate::render::CsvOut, level: &str, uid: &str, name: &str| {
                c.text(&o.uid).text(&o.name).text(month).text(level);
                c.text(uid).text(name);
            };
            row(&mut c, "report", "", "");
            c.text("").text("").opt_num(o.total[m]).opt_num(none).end();
            for p in &o.products {
                if let Some(v) = p.points[m] {
                    row(&mut c, "product", "", &p.product);
                    c.text("").text("").num(v).opt_num(none).end();
                }
            }
            for t in &o.tenants {
                let Some(points) = t.points[m] else { continue };
                row(&mut c, "tenant", &t.uid, &t.name);
                c.text("").text("").num(points).opt_num(none).end();
                for w in &t.workloads {
                    if let Some(n) = w.counts[m] {
                        row(&mut c, "workload", &t.uid, &t.name);
                        c.text(&w.workload)
                            .text(&w.edition)
                            .opt_num(none)
                            .num(n)
                            .end();
                    }
                }
            }
        }
    }
    c.finish()
}

/// The billing figures of `invoice` runs (`summary.csv`), shown with the series: per
/// billed report, the points billed against the report's total, revenue, what is owed to
/// Veeam and the margin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Billing {
    /// The file they were read from.
    pub source: String,
    /// One per billed report (`report-total` rows), in the file's order.
    pub reports: Vec<BilledReport>,
}

/// One billed report of `summary.csv`; numbers are exact decimals as the file writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledReport {
    /// `YYYY-MM`.
    pub period: String,
    /// The export the report came from.
    pub report_file: String,
    /// The report owner's name.
    pub owner: String,
    /// Points billed.
    pub points: Decimal,
    /// The report's own total.
    pub expected: Option<Decimal>,
    /// Billed minus expected.
    pub difference: Option<Decimal>,
    /// Revenue.
    pub revenue: Option<Decimal>,
    /// What is owed to Veeam.
    pub cost: Option<Decimal>,
    /// Revenue minus cost.
    pub margin: Option<Decimal>,
}

impl Billing {
    /// What a register of issued invoices says was billed: the invoices in force per report
    /// (points and revenue; the register holds neither the report's total nor the cost).
    ///
    /// # Errors
    /// The register cannot be read.
    pub fn from_register(register: &crate::register::Register) -> Result<Self, String> {
        let reports = register
            .billed()?
            .into_iter()
            .map(|b| BilledReport {
                period: b.period,
                report_file: format!(
                    "{} invoice{} in force{}",
                    b.invoices,
                    if b.invoices == 1 { "" } else { "s" },
                    b.report_id
                        .map(|id| format!(", report {id}"))
                        .unwrap_or_default()
                ),
                owner: b.owner_name.or(b.owner_uid).unwrap_or_default(),
                points: b.points,
                expected: None,
                difference: None,
                revenue: Some(b.net),
                cost: None,
                margin: None,
            })
            .collect();
        Ok(Self {
            source: register.path().display().to_string(),
            reports,
        })
    }

    /// Reads the `summary.csv` an `invoice` run wrote (`source` names it in messages).
    ///
    /// # Errors
    /// Not CSV, a missing column, or a number that is not a decimal: with the line.
    pub fn from_summary_csv(source: &str, bytes: &[u8]) -> Result<Self, String> {
        let mut r = csv::ReaderBuilder::new().from_reader(bytes);
        let headers = r
            .headers()
            .map_err(|e| format!("{source}: not a summary.csv: {e}"))?
            .clone();
        let col = |name: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                format!(
                    "{source}:1: no column {name:?}: not the summary.csv of vspc-billing invoice"
                )
            })
        };
        let [
            kind,
            period,
            file,
            owner,
            points,
            revenue,
            cost,
            margin,
            expected,
            difference,
        ] = [
            "kind",
            "period",
            "report_file",
            "organization_name",
            "points",
            "revenue",
            "cost",
            "margin",
            "expected_points",
            "points_difference",
        ]
        .map(col);
        let (kind, period, file, owner) = (kind?, period?, file?, owner?);
        let (points, revenue, cost, margin) = (points?, revenue?, cost?, margin?);
        let (expected, difference) = (expected?, difference?);
        let mut reports = Vec::new();
        for (n, rec) in r.records().enumerate() {
            let line = n + 2;
            let rec = rec.map_err(|e| format!("{source}:{line}: {e}"))?;
            if rec.get(kind) != Some("report-total") {
                continue;
            }
            let text = |i: usize| rec.get(i).unwrap_or_default();
            let opt = |i: usize, name: &str| -> Result<Option<Decimal>, String> {
                match text(i).trim() {
                    "" => Ok(None),
                    t => crate::num::parse_decimal(t).map(Some).map_err(|_| {
                        format!("{source}:{line}: {name} {t:?} is not a decimal number")
                    }),
                }
            };
            reports.push(BilledReport {
                period: text(period).to_owned(),
                report_file: text(file).to_owned(),
                owner: unguarded(text(owner)).to_owned(),
                points: opt(points, "points")?
                    .ok_or_else(|| format!("{source}:{line}: points is empty"))?,
                expected: opt(expected, "expected_points")?,
                difference: opt(difference, "points_difference")?,
                revenue: opt(revenue, "revenue")?,
                cost: opt(cost, "cost")?,
                margin: opt(margin, "margin")?,
            });
        }
        Ok(Self {
            source: source.to_owned(),
            reports,
        })
    }
}

/// A CSV cell without the formula guard the tool's CSV adds (`'=x` is `=x`).
fn unguarded(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.trim_start().starts_with(['=', '+', '-', '@']) => rest,
        _ => s,
    }
}

/// Text for HTML (element content and quoted attributes): `& < > " '` as entities.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in crate::text::clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `n` characters of `s`, with `…` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A decimal for reading: digits grouped by thousands (`12,345.50`), the decimals as
/// written.
fn num(d: Decimal) -> String {
    let s = d.to_string();
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A chart coordinate: `v × px / max`, to one decimal (half up); 0 for a zero `max`.
fn scale(v: Decimal, max: Decimal, px: i64) -> Decimal {
    if max.is_zero() {
        return Decimal::ZERO;
    }
    let r = Rounding {
        decimals: 1,
        mode: RoundingMode::HalfUp,
    };
    v.checked_mul(Decimal::from(px))
        .and_then(|x| x.checked_div(max))
        .and_then(|x| round(x, r, "a chart coordinate").ok())
        .map_or(Decimal::ZERO, crate::billing::money::Money::value)
}

/// A percentage with one decimal, half up; `None` for a zero base.
fn percent(delta: Decimal, base: Decimal) -> Option<Decimal> {
    if base.is_zero() {
        return None;
    }
    let r = Rounding {
        decimals: 1,
        mode: RoundingMode::HalfUp,
    };
    let x = delta.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(base)?;
    round(x, r, "a percentage")
        .ok()
        .map(crate::billing::money::Money::value)
}

const PALETTE: [&str; 8] = [
    "#2f6db5", "#e08a1e", "#3a9a5b", "#c0392b", "#7d5ba6", "#16a2a8", "#b5882f", "#6b7785",
];

/// A tenant of the table: its series and its last two months.
struct Row<'a> {
    name: String,
    uid: &'a str,
    points: Vec<Option<Decimal>>,
    last: Decimal,
    previous: Decimal,
    delta: Decimal,
    flags: &'a [&'static str],
    present: bool,
}

fn row_of(t: &TenantSeries) -> Result<Row<'_>, Overflow> {
    let n = t.points.len();
    let last = t.points[n - 1].unwrap_or_default();
    let previous = if n > 1 {
        t.points[n - 2].unwrap_or_default()
    } else {
        last
    };
    Ok(Row {
        name: t.name.clone(),
        uid: &t.uid,
        points: t.points.clone(),
        last,
        previous,
        delta: crate::billing::money::sub(last, previous, "a tenant's change")?,
        flags: &t.flags,
        present: t.points[n - 1].is_some(),
    })
}

/// The whole page.
///
/// # Errors
/// [`Overflow`] when a sum of points (a month's stack, the other tenants) leaves the exact
/// decimal range.
pub fn html(
    series: &Series,
    findings: &[Finding],
    summary: &AuditSummary,
    billing: Option<&Billing>,
    opts: &HtmlOptions,
) -> Result<String, Overflow> {
    let mut h = String::with_capacity(1 << 20);
    h.push_str(HEAD);
    let months: Vec<&String> = series.owners.iter().flat_map(|o| &o.months).collect();
    let span = match (months.iter().min(), months.iter().max()) {
        (Some(a), Some(b)) if a == b => (*a).clone(),
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no license usage report".to_owned(),
    };
    let _ = write!(
        h,
        "<header><h1>License usage across months</h1><p class=\"lead\">{} · {} file{} ({} report{}) · {} owner{} · {} error{}, {} warning{}, {} info{}{}</p>",
        esc(&span),
        summary.files,
        s(summary.files),
        summary.reports,
        s(summary.reports),
        series.owners.len(),
        s(series.owners.len()),
        summary.errors,
        s(summary.errors),
        summary.warnings,
        s(summary.warnings),
        summary.infos,
        s(summary.infos),
        if summary.allowed > 0 {
            format!(" ({} allowed)", summary.allowed)
        } else {
            String::new()
        },
    );
    h.push_str("<nav>");
    for (i, o) in series.owners.iter().enumerate() {
        let _ = write!(h, "<a href=\"#owner-{i}\">{}</a>", esc(&o.name));
    }
    if billing.is_some() {
        h.push_str("<a href=\"#billing\">Billing</a>");
    }
    h.push_str("<a href=\"#findings\">Findings</a></nav></header><main>");
    // One colour per product on the whole page.
    let mut products: Vec<&str> = Vec::new();
    for p in series.owners.iter().flat_map(|o| &o.products) {
        if !products.contains(&p.product.as_str()) {
            products.push(&p.product);
        }
    }
    for (i, o) in series.owners.iter().enumerate() {
        owner(&mut h, i, o, &products, opts)?;
    }
    if let Some(b) = billing {
        billing_section(&mut h, b);
    }
    findings_section(&mut h, findings, opts);
    let _ = write!(
        h,
        "</main><footer>vspc-billing {} · points are the exact values of the reports; percentages are rounded to one decimal · appendices are left out, as from the owners' totals</footer>",
        env!("CARGO_PKG_VERSION")
    );
    h.push_str(SCRIPT);
    h.push_str("</body></html>\n");
    Ok(h)
}

const fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn owner(
    h: &mut String,
    i: usize,
    o: &OwnerSeries,
    products: &[&str],
    opts: &HtmlOptions,
) -> Result<(), Overflow> {
    let n = o.months.len();
    let last_month = &o.months[n - 1];
    let _ = write!(
        h,
        "<section class=\"owner\" id=\"owner-{i}\" data-months=\"{n}\"><h2>{} <small>{}</small></h2>",
        esc(&o.name),
        esc(&o.uid)
    );
    // Cards: the last month against the one before.
    let total = o.total[n - 1];
    let before = if n > 1 { o.total[n - 2] } else { None };
    let present = o
        .tenants
        .iter()
        .filter(|t| t.points[n - 1].is_some())
        .count();
    let flagged = o.tenants.iter().filter(|t| !t.flags.is_empty()).count();
    h.push_str("<div class=\"cards\">");
    card(
        h,
        &format!("Points {last_month}"),
        &total.map_or_else(|| "–".to_owned(), num),
    );
    if let (Some(t), Some(b)) = (total, before) {
        let d = crate::billing::money::sub(t, b, "the change of the total")?;
        let p = percent(d, b).map_or_else(String::new, |p| format!(" ({p:+}%)"));
        card(
            h,
            &format!("Change from {}", o.months[n - 2]),
            &format!(
                "{}{}{p}",
                if d.is_sign_negative() { "" } else { "+" },
                num(d)
            ),
        );
    }
    card(h, "Tenants", &present.to_string());
    card(h, "Tenants with trend findings", &flagged.to_string());
    card(h, "Months", &n.to_string());
    h.push_str("</div>");
    products_chart(h, i, o, products)?;
    let rows: Vec<Row<'_>> = o.tenants.iter().map(row_of).collect::<Result<_, _>>()?;
    h.push_str("<div class=\"two\">");
    top_points_chart(h, i, &rows, last_month, opts.chart_bars);
    if n > 1 {
        top_change_chart(h, i, &rows, &o.months[n - 2], last_month, opts.chart_bars);
    }
    h.push_str("</div>");
    tenants_table(h, i, o, rows, opts)?;
    h.push_str("</section>");
    Ok(())
}

fn card(h: &mut String, label: &str, value: &str) {
    let _ = write!(
        h,
        "<div class=\"card\"><span>{}</span><b>{}</b></div>",
        esc(label),
        esc(value)
    );
}

/// The colour of a product: by its place among the page's products.
fn colour(products: &[&str], product: &str) -> &'static str {
    let k = products.iter().position(|p| *p == product).unwrap_or(0);
    PALETTE[k % PALETTE.len()]
}

/// Stacked bars: per month, each product's points.
fn products_chart(
    h: &mut String,
    i: usize,
    o: &OwnerSeries,
    products: &[&str],
) -> Result<(), Overflow> {
    let (w, ht, left, bottom, top) = (960i64, 320i64, 70i64, 40i64, 10i64);
    let plot_h = ht - bottom - top;
    let n = o.months.len();
    let mut max = Decimal::ZERO;
    for m in 0..n {
        let mut sum = Decimal::ZERO;
        for p in &o.products {
            sum = add(sum, p.points[m].unwrap_or_default(), "a month's points")?;
        }
        max = max.max(sum);
    }
    let _ = write!(
        h,
        "<figure class=\"chart\"><figcaption>Points per month, by product</figcaption><svg id=\"chart-products-{i}\" class=\"chart-products\" viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"Points per month by product\">"
    );
    // Grid lines at quarters of the largest month.
    let r0 = Rounding {
        decimals: 0,
        mode: RoundingMode::HalfUp,
    };
    for q in 0..=4i64 {
        let v = max * Decimal::from(q) / Decimal::from(4);
        let y = Decimal::from(top + plot_h) - scale(v, max, plot_h);
        let label =
            round(v, r0, "an axis label").map_or_else(|_| String::new(), |m| num(m.value()));
        let _ = write!(
            h,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{w}\" y1=\"{y}\" y2=\"{y}\"/><text class=\"axis\" x=\"{}\" y=\"{y}\" text-anchor=\"end\" dy=\"4\">{label}</text>",
            left - 6
        );
    }
    let slot = Decimal::from(w - left) / Decimal::from(i64::try_from(n).unwrap_or(1).max(1));
    // 70 % of its slot, at most 60 px (one month alone is not a wall).
    let bar = scale(slot, Decimal::from(10), 7).min(Decimal::from(60));
    let label_every = n.div_ceil(12).max(1);
    for m in 0..n {
        let x = Decimal::from(left) + slot * Decimal::from(m) + (slot - bar) / Decimal::TWO;
        let x = scale(x, Decimal::ONE, 1);
        let mut base = Decimal::ZERO;
        for p in &o.products {
            let Some(v) = p.points[m] else { continue };
            let y0 = scale(base, max, plot_h);
            base = add(base, v, "a month's points")?;
            let y1 = scale(base, max, plot_h);
            let _ = write!(
                h,
                "<rect class=\"seg\" x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{}\" fill=\"{}\"><title>{} {}: {} points</title></rect>",
                Decimal::from(top + plot_h) - y1,
                y1 - y0,
                colour(products, &p.product),
                esc(&o.months[m]),
                esc(&p.product),
                num(v)
            );
        }
        // Every few months, counted back from the last one (always labelled).
        if (n - 1 - m).is_multiple_of(label_every) {
            let _ = write!(
                h,
                "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + bar / Decimal::TWO,
                ht - bottom + 18,
                esc(&o.months[m])
            );
        }
    }
    h.push_str("</svg><ul class=\"legend\">");
    for p in &o.products {
        let _ = write!(
            h,
            "<li><i style=\"background:{}\"></i>{}</li>",
            colour(products, &p.product),
            esc(&p.product)
        );
    }
    h.push_str("</ul></figure>");
    Ok(())
}

/// Horizontal bars: the tenants with the most points in the last month.
fn top_points_chart(h: &mut String, i: usize, rows: &[Row<'_>], month: &str, bars: usize) {
    let mut order: Vec<&Row<'_>> = rows.iter().filter(|r| r.present).collect();
    order.sort_by(|a, b| b.last.cmp(&a.last).then_with(|| a.uid.cmp(b.uid)));
    order.truncate(bars);
    let max = order.first().map_or(Decimal::ZERO, |r| r.last);
    let (w, row_h, label_w) = (480i64, 26i64, 190i64);
    let ht = row_h * i64::try_from(order.len()).unwrap_or(0) + 10;
    let _ = write!(
        h,
        "<figure class=\"chart\"><figcaption>Top tenants by points, {}</figcaption><svg id=\"chart-top-points-{i}\" class=\"chart-top-points\" viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"Top tenants by points\">",
        esc(month)
    );
    for (k, r) in order.iter().enumerate() {
        let y = row_h * i64::try_from(k).unwrap_or(0) + 5;
        let len = scale(r.last, max, w - label_w - 80);
        let _ = write!(
            h,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect class=\"bar\" x=\"{label_w}\" y=\"{y}\" width=\"{len}\" height=\"{}\" fill=\"{}\"><title>{}: {} points</title></rect><text class=\"value\" x=\"{}\" y=\"{}\">{}</text>",
            label_w - 6,
            y + 15,
            esc(&cut(&r.name, 22)),
            row_h - 8,
            PALETTE[0],
            esc(&r.name),
            num(r.last),
            Decimal::from(label_w + 4) + len,
            y + 15,
            num(r.last)
        );
    }
    h.push_str("</svg></figure>");
}

/// Diverging bars: the tenants whose points changed most from the month before.
fn top_change_chart(
    h: &mut String,
    i: usize,
    rows: &[Row<'_>],
    before: &str,
    month: &str,
    bars: usize,
) {
    let mut order: Vec<&Row<'_>> = rows.iter().filter(|r| !r.delta.is_zero()).collect();
    order.sort_by(|a, b| {
        b.delta
            .abs()
            .cmp(&a.delta.abs())
            .then_with(|| a.uid.cmp(b.uid))
    });
    order.truncate(bars);
    let max = order.first().map_or(Decimal::ZERO, |r| r.delta.abs());
    let (w, row_h) = (480i64, 26i64);
    let mid = w / 2;
    let ht = row_h * i64::try_from(order.len()).unwrap_or(0) + 10;
    let _ = write!(
        h,
        "<figure class=\"chart\"><figcaption>Top tenants by change, {} to {}</figcaption><svg id=\"chart-top-change-{i}\" class=\"chart-top-change\" viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"Top tenants by change\"><line class=\"grid\" x1=\"{mid}\" x2=\"{mid}\" y1=\"0\" y2=\"{ht}\"/>",
        esc(before),
        esc(month)
    );
    for (k, r) in order.iter().enumerate() {
        let y = row_h * i64::try_from(k).unwrap_or(0) + 5;
        let len = scale(r.delta.abs(), max, mid - 20);
        let up = !r.delta.is_sign_negative();
        let x = if up {
            Decimal::from(mid)
        } else {
            Decimal::from(mid) - len
        };
        let (anchor, lx) = if up {
            ("end", mid - 6)
        } else {
            ("start", mid + 6)
        };
        let _ = write!(
            h,
            "<rect class=\"bar {}\" x=\"{x}\" y=\"{y}\" width=\"{len}\" height=\"{}\"><title>{}: {} to {} points ({}{})</title></rect><text class=\"label\" x=\"{lx}\" y=\"{}\" text-anchor=\"{anchor}\">{} {}{}</text>",
            if up { "up" } else { "down" },
            row_h - 8,
            esc(&r.name),
            num(r.previous),
            num(r.last),
            if up { "+" } else { "" },
            num(r.delta),
            y + 15,
            esc(&cut(&r.name, 20)),
            if up { "+" } else { "" },
            num(r.delta),
        );
    }
    h.push_str("</svg></figure>");
}

/// A small line of a tenant's points over the months (gaps where it is absent).
fn sparkline(points: &[Option<Decimal>]) -> String {
    let (w, ht) = (120i64, 28i64);
    let values: Vec<Decimal> = points.iter().flatten().copied().collect();
    let (Some(lo), Some(hi)) = (values.iter().min(), values.iter().max()) else {
        return String::new();
    };
    let span = *hi - *lo;
    let n = i64::try_from(points.len()).unwrap_or(1);
    let step = if n > 1 {
        Decimal::from(w - 4) / Decimal::from(n - 1)
    } else {
        Decimal::ZERO
    };
    let mut out = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {ht}\" width=\"{w}\" height=\"{ht}\" aria-hidden=\"true\">"
    );
    let mut segment: Vec<(Decimal, Decimal)> = Vec::new();
    let flush = |seg: &mut Vec<(Decimal, Decimal)>, out: &mut String| {
        match seg.len() {
            0 => {}
            1 => {
                let _ = write!(
                    out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"1.8\"/>",
                    seg[0].0, seg[0].1
                );
            }
            _ => {
                let pts: Vec<String> = seg.iter().map(|(x, y)| format!("{x},{y}")).collect();
                let _ = write!(out, "<polyline points=\"{}\"/>", pts.join(" "));
            }
        }
        seg.clear();
    };
    for (k, p) in points.iter().enumerate() {
        match p {
            Some(v) => {
                let x = scale(Decimal::from(2) + step * Decimal::from(k), Decimal::ONE, 1);
                let y = if span.is_zero() {
                    Decimal::from(ht / 2)
                } else {
                    Decimal::from(ht - 3) - scale(*v - *lo, span, ht - 6)
                };
                segment.push((x, y));
            }
            None => flush(&mut segment, &mut out),
        }
    }
    flush(&mut segment, &mut out);
    out.push_str("</svg>");
    out
}

/// The sortable table: the top tenants by points and by change, then the others summed.
fn tenants_table(
    h: &mut String,
    i: usize,
    o: &OwnerSeries,
    rows: Vec<Row<'_>>,
    opts: &HtmlOptions,
) -> Result<(), Overflow> {
    let n = o.months.len();
    let mut by_points: Vec<usize> = (0..rows.len()).collect();
    by_points.sort_by(|&a, &b| rows[b].last.cmp(&rows[a].last).then(a.cmp(&b)));
    let mut by_change: Vec<usize> = (0..rows.len()).collect();
    by_change.sort_by(|&a, &b| {
        rows[b]
            .delta
            .abs()
            .cmp(&rows[a].delta.abs())
            .then(a.cmp(&b))
    });
    let mut shown = vec![false; rows.len()];
    for &k in by_points
        .iter()
        .take(opts.top)
        .chain(by_change.iter().take(opts.top))
    {
        shown[k] = true;
    }
    let listed = shown.iter().filter(|&&x| x).count();
    let _ = write!(
        h,
        "<h3>Tenants</h3><p class=\"note\">{listed} of {} tenants: the top {} by points in {} and by change; click a column to sort.</p><div class=\"scroll\"><table class=\"sortable\" id=\"tenants-{i}\"><thead><tr><th data-type=\"text\">Tenant</th><th data-type=\"num\" class=\"n\">Points {}</th><th data-type=\"num\" class=\"n\">Previous</th><th data-type=\"num\" class=\"n\">Change</th><th data-type=\"num\" class=\"n\">Change %</th><th data-type=\"none\">Months</th><th data-type=\"text\">Trend findings</th></tr></thead><tbody>",
        rows.len(),
        opts.top,
        esc(&o.months[n - 1]),
        esc(&o.months[n - 1]),
    );
    let mut others: Vec<Option<Decimal>> = vec![None; n];
    let mut others_count = 0usize;
    let (mut o_last, mut o_prev) = (Decimal::ZERO, Decimal::ZERO);
    for k in by_points {
        let r = &rows[k];
        if !shown[k] {
            others_count += 1;
            for (slot, v) in others.iter_mut().zip(&r.points) {
                if let Some(v) = v {
                    *slot = Some(add(
                        slot.unwrap_or_default(),
                        *v,
                        "the other tenants' points",
                    )?);
                }
            }
            o_last = add(o_last, r.last, "the other tenants' points")?;
            o_prev = add(o_prev, r.previous, "the other tenants' points")?;
            continue;
        }
        table_row(h, &esc(&r.name), Some(r.uid), r, &r.points);
    }
    if others_count > 0 {
        let r = Row {
            name: String::new(),
            uid: "",
            points: Vec::new(),
            last: o_last,
            previous: o_prev,
            delta: crate::billing::money::sub(o_last, o_prev, "the other tenants' change")?,
            flags: &[],
            present: true,
        };
        h.push_str("</tbody><tbody class=\"aggregate\">");
        table_row(
            h,
            &format!("{others_count} other tenants (summed)"),
            None,
            &r,
            &others,
        );
    }
    h.push_str("</tbody></table></div>");
    Ok(())
}

fn table_row(
    h: &mut String,
    label: &str,
    uid: Option<&str>,
    r: &Row<'_>,
    points: &[Option<Decimal>],
) {
    let pct = percent(r.delta, r.previous);
    let uid = uid.map_or_else(String::new, |u| format!("<small>{}</small>", esc(u)));
    let flags: Vec<String> = r
        .flags
        .iter()
        .map(|f| format!("<span class=\"flag\">{f}</span>"))
        .collect();
    let _ = write!(
        h,
        "<tr><td data-v=\"{label}\">{label}{uid}</td><td class=\"n\" data-v=\"{}\">{}</td><td class=\"n\" data-v=\"{}\">{}</td><td class=\"n {}\" data-v=\"{}\">{}{}</td><td class=\"n\" data-v=\"{}\">{}</td><td>{}</td><td data-v=\"{}\">{}</td></tr>",
        r.last,
        num(r.last),
        r.previous,
        num(r.previous),
        if r.delta.is_sign_negative() {
            "down"
        } else if r.delta.is_zero() {
            ""
        } else {
            "up"
        },
        r.delta,
        if r.delta.is_sign_positive() && !r.delta.is_zero() {
            "+"
        } else {
            ""
        },
        num(r.delta),
        pct.map_or_else(String::new, |p| p.to_string()),
        pct.map_or_else(|| "–".to_owned(), |p| format!("{p:+}%")),
        sparkline(points),
        r.flags.join(" "),
        flags.join(" "),
    );
}

/// The billed reports with their reconciliation: points billed against the report's total.
fn billing_section(h: &mut String, b: &Billing) {
    let _ = write!(
        h,
        "<section id=\"billing\"><h2>Billing and reconciliation <small>{}</small></h2>",
        esc(&b.source)
    );
    if b.reports.is_empty() {
        h.push_str("<p class=\"note\">No billed report in this summary.</p></section>");
        return;
    }
    h.push_str("<div class=\"scroll\"><table class=\"sortable\" id=\"billing-table\"><thead><tr><th data-type=\"text\">Period</th><th data-type=\"text\">Owner</th><th data-type=\"num\" class=\"n\">Points billed</th><th data-type=\"num\" class=\"n\">Report total</th><th data-type=\"num\" class=\"n\">Difference</th><th data-type=\"num\" class=\"n\">Revenue</th><th data-type=\"num\" class=\"n\">Owed to Veeam</th><th data-type=\"num\" class=\"n\">Margin</th><th data-type=\"text\">Report</th></tr></thead><tbody>");
    let cell = |v: Option<Decimal>| {
        v.map_or_else(
            || "<td class=\"n\" data-v=\"\">–</td>".to_owned(),
            |v| format!("<td class=\"n\" data-v=\"{v}\">{}</td>", num(v)),
        )
    };
    for r in &b.reports {
        let reconciled = r.difference.is_none_or(|d| d.is_zero());
        let _ = write!(
            h,
            "<tr{}><td data-v=\"{p}\">{p}</td><td data-v=\"{o}\">{o}</td>{}{}{}{}{}{}<td data-v=\"{f}\"><code>{f}</code></td></tr>",
            if reconciled {
                ""
            } else {
                " class=\"unreconciled\""
            },
            cell(Some(r.points)),
            cell(r.expected),
            cell(r.difference),
            cell(r.revenue),
            cell(r.cost),
            cell(r.margin),
            p = esc(&r.period),
            o = esc(&r.owner),
            f = esc(&r.report_file),
        );
    }
    h.push_str("</tbody></table></div></section>");
}

/// Findings by code: errors first, then warnings, infos; each code with its summary.
fn findings_section(h: &mut String, findings: &[Finding], opts: &HtmlOptions) {
    let mut groups: std::collections::BTreeMap<(Severity, Code), Vec<&Finding>> =
        std::collections::BTreeMap::new();
    for f in findings {
        groups.entry((f.severity, f.code)).or_default().push(f);
    }
    let _ = write!(
        h,
        "<section id=\"findings\"><h2>Findings <small>{} in {} code{}</small></h2>",
        findings.len(),
        groups.len(),
        s(groups.len())
    );
    if groups.is_empty() {
        h.push_str("<p class=\"note\">No finding.</p>");
    }
    for ((severity, code), list) in &groups {
        let _ = write!(
            h,
            "<details class=\"group {severity}\" id=\"code-{code}-{severity}\"{}><summary><b>{code}</b> <span class=\"sev\">{severity}</span> <span class=\"count\">{}</span></summary><p class=\"note\">{}</p><ul>",
            if *severity == Severity::Error {
                " open"
            } else {
                ""
            },
            list.len(),
            esc(code.doc().summary),
        );
        for f in list.iter().take(opts.per_code) {
            let _ = write!(
                h,
                "<li><code>{}</code> {}</li>",
                esc(&f.location()),
                esc(&f.message)
            );
        }
        if list.len() > opts.per_code {
            let _ = write!(
                h,
                "<li class=\"more\">and {} more: <code>vspc-billing audit --format csv</code> lists them all</li>",
                list.len() - opts.per_code
            );
        }
        h.push_str("</ul></details>");
    }
    h.push_str("</section>");
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vspc-billing">
<title>License usage across months</title>
<style>
:root{--fg:#1d2329;--muted:#5d6873;--line:#d9dee3;--bg:#fff;--up:#c0392b;--down:#2f6db5}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 16px}
h1{font-size:1.6em;margin:16px 0 4px}h2{font-size:1.3em;margin:28px 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}
h2 small,td small{color:var(--muted);font-weight:normal;font-size:.75em;display:block}
h2 small{display:inline}
.lead,.note{color:var(--muted)}
nav{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}nav a{color:var(--down)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px}
.card span{display:block;color:var(--muted);font-size:.85em}.card b{font-size:1.25em}
figure{margin:12px 0;break-inside:avoid;page-break-inside:avoid}
figcaption{font-weight:600;margin-bottom:4px}
svg{max-width:100%;height:auto;display:block}
.chart svg text{font-size:12px;fill:var(--fg)}.axis{fill:var(--muted)!important}
.grid{stroke:var(--line);stroke-width:1}
.bar.up{fill:var(--up)}.bar.down{fill:var(--down)}
.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:12px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{position:sticky;top:0;background:#f4f6f8;cursor:pointer;white-space:nowrap}
th[data-type=none]{cursor:default}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.up{color:var(--up)}td.down{color:var(--down)}
.aggregate td{font-style:italic;background:#fafbfc}
tr.unreconciled td{background:#fdecea}
.spark{display:block}.spark polyline{fill:none;stroke:var(--down);stroke-width:1.5}.spark circle{fill:var(--down)}
.flag{display:inline-block;font-size:.8em;border:1px solid var(--line);border-radius:10px;padding:0 6px;margin:1px;white-space:nowrap}
details.group{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:6px 10px}
details.group summary{cursor:pointer}.sev{color:var(--muted)}.count{float:right}
details.error{border-left:4px solid var(--up)}details.warning{border-left:4px solid #e08a1e}
details ul{padding-left:18px}details li{margin:3px 0;overflow-wrap:anywhere}
code{font-size:.9em}
footer{color:var(--muted);font-size:.85em;margin:24px auto 16px}
@media (max-width:760px){.two{grid-template-columns:1fr}body{font-size:13px}.card{min-width:40%}}
@page{size:A4 landscape;margin:10mm}
@media print{body{font-size:10px}nav{display:none}header,main,footer{max-width:none;padding:0}
section.owner{break-before:page}section.owner:first-of-type{break-before:auto}
th{position:static}tr{break-inside:avoid}details.group{break-inside:auto}}
</style></head><body>
"#;

const SCRIPT: &str = r#"<script>
(function () {
  "use strict";
  function key(td, type) {
    var v = td ? td.getAttribute("data-v") || "" : "";
    if (type === "num") { var x = parseFloat(v); return isNaN(x) ? -Infinity : x; }
    return v.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var type = th.getAttribute("data-type");
      if (type === "none") { return; }
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col], type), y = key(b.cells[col], type);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
</script>
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::trends::{CountSeries, ProductSeries, ReportRef};

    fn d(s: &str) -> Decimal {
        crate::num::parse_decimal(s).unwrap()
    }

    fn tenant(name: &str, uid: &str, points: &[Option<&str>]) -> TenantSeries {
        TenantSeries {
            uid: uid.to_owned(),
            name: name.to_owned(),
            points: points.iter().map(|p| p.map(d)).collect(),
            workloads: Vec::new(),
            flags: Vec::new(),
        }
    }

    fn owner(tenants: Vec<TenantSeries>, product: &[Option<&str>]) -> OwnerSeries {
        let n = product.len();
        OwnerSeries {
            uid: "owner-uid".to_owned(),
            name: "Acme <Cloud>".to_owned(),
            months: (1..=n).map(|m| format!("2026-{m:02}")).collect(),
            reports: (0..n)
                .map(|m| ReportRef {
                    file: format!("{m}.json"),
                    line: Some(1),
                    report_id: 1,
                })
                .collect(),
            total: product.iter().map(|p| p.map(d)).collect(),
            products: vec![ProductSeries {
                product: "BackupAndReplication".to_owned(),
                points: product.iter().map(|p| p.map(d)).collect(),
            }],
            tenants,
        }
    }

    #[test]
    fn text_from_the_input_stays_text_in_the_page() {
        let evil = "</script><script>alert(1)</script> & 'x' \"y\"";
        let series = Series {
            owners: vec![owner(
                vec![tenant(evil, "t1", &[Some("10"), Some("30")])],
                &[Some("10"), Some("30")],
            )],
        };
        let page = html(
            &series,
            &[],
            &AuditSummary::default(),
            None,
            &HtmlOptions::default(),
        )
        .unwrap();
        assert!(!page.contains("<script>alert"), "markup from a name");
        assert!(!page.contains("</script><script>alert"));
        assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(1)"));
        assert!(page.contains("Acme &lt;Cloud&gt;"));
        assert_eq!(
            page.matches("<script>").count(),
            1,
            "only the page's own script"
        );
        for id in [
            "chart-products-0",
            "chart-top-points-0",
            "chart-top-change-0",
        ] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no network"
        );
    }

    #[test]
    fn beyond_the_top_tenants_the_others_are_summed_in_one_row() {
        let tenants: Vec<TenantSeries> = (0..10)
            .map(|k| {
                let p = format!("{}", 100 + k);
                let leaked: &'static str = Box::leak(p.into_boxed_str());
                tenant(
                    &format!("T{k}"),
                    &format!("u{k}"),
                    &[Some(leaked), Some(leaked)],
                )
            })
            .collect();
        let series = Series {
            owners: vec![owner(tenants, &[Some("1045"), Some("1045")])],
        };
        let opts = HtmlOptions {
            top: 3,
            ..HtmlOptions::default()
        };
        let page = html(&series, &[], &AuditSummary::default(), None, &opts).unwrap();
        // The top 3 by points (T9, T8, T7) and by change (none changed: the first three,
        // T0, T1, T2) are listed; the 4 others summed: 103 + 104 + 105 + 106 = 418.
        for k in [9, 8, 7, 0, 1, 2] {
            assert!(
                page.contains(&format!("<td data-v=\"T{k}\">")),
                "T{k} listed"
            );
        }
        for k in 3..=6 {
            assert!(
                !page.contains(&format!("<td data-v=\"T{k}\">")),
                "T{k} is summed"
            );
        }
        assert!(page.contains("4 other tenants (summed)"), "{page}");
        assert!(page.contains("data-v=\"418\""));
    }

    #[test]
    fn a_sum_beyond_the_exact_range_is_an_error_not_a_zero() {
        let max = "79228162514264337593543950335";
        let series = Series {
            owners: vec![OwnerSeries {
                products: vec![
                    ProductSeries {
                        product: "A".to_owned(),
                        points: vec![Some(d(max))],
                    },
                    ProductSeries {
                        product: "B".to_owned(),
                        points: vec![Some(d(max))],
                    },
                ],
                ..owner(Vec::new(), &[Some("1")])
            }],
        };
        let e = html(
            &series,
            &[],
            &AuditSummary::default(),
            None,
            &HtmlOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("a month's points"), "{e}");
    }

    #[test]
    fn the_billing_figures_of_an_invoice_run_are_read_exactly_and_shown() {
        let csv = "kind,period,report_file,report_id,invoice_number,organization_uid,organization_name,points,revenue,cost,margin,expected_points,points_difference\r\n\
tenant,2026-10,a.json,1,2026-10-0001,u,T,100,150.00,80.00,70.00,,\r\n\
report-total,2026-10,a.json,1,,o,'=Acme,203.5,263.87,200.00,63.87,203.5,0\r\n\
report-total,2026-11,b.json,2,,o,Acme,210,270.10,200.00,70.10,212,-2\r\n";
        let b = Billing::from_summary_csv("inv/summary.csv", csv.as_bytes()).unwrap();
        assert_eq!(b.reports.len(), 2);
        assert_eq!(b.reports[0].owner, "=Acme");
        assert_eq!(b.reports[0].revenue, Some(d("263.87")));
        assert_eq!(b.reports[1].difference, Some(d("-2")));
        let series = Series {
            owners: vec![owner(Vec::new(), &[Some("1")])],
        };
        let page = html(
            &series,
            &[],
            &AuditSummary::default(),
            Some(&b),
            &HtmlOptions::default(),
        )
        .unwrap();
        assert!(page.contains("id=\"billing-table\""));
        assert!(page.contains("<td class=\"n\" data-v=\"263.87\">263.87</td>"));
        assert_eq!(page.matches("class=\"unreconciled\"").count(), 1);
        let bad = csv.replace("270.10", "27O.10");
        let e = Billing::from_summary_csv("inv/summary.csv", bad.as_bytes()).unwrap_err();
        assert_eq!(
            e,
            "inv/summary.csv:4: revenue \"27O.10\" is not a decimal number"
        );
        let e = Billing::from_summary_csv("x.csv", b"a,b\r\n1,2\r\n").unwrap_err();
        assert!(e.contains("no column \"kind\""), "{e}");
    }

    #[test]
    fn sparklines_leave_a_gap_where_a_tenant_is_absent() {
        let s = sparkline(&[Some(d("1")), Some(d("3")), None, Some(d("2"))]);
        assert_eq!(s.matches("<polyline").count(), 1);
        assert_eq!(s.matches("<circle").count(), 1);
        assert_eq!(sparkline(&[None, None]), "");
    }

    #[test]
    fn numbers_are_grouped_for_reading_and_kept_exact() {
        assert_eq!(num(d("1234567.50")), "1,234,567.50");
        assert_eq!(num(d("-1000")), "-1,000");
        assert_eq!(num(d("999.125")), "999.125");
        assert_eq!(scale(d("1"), d("3"), 100), d("33.3"));
        assert_eq!(scale(d("1"), Decimal::ZERO, 100), Decimal::ZERO);
        assert_eq!(percent(d("1"), d("3")), Some(d("33.3")));
    }

    #[test]
    fn the_csv_has_one_row_per_value_and_neutralises_names() {
        let mut t = tenant("=cmd()", "u1", &[Some("10.50"), None]);
        t.workloads.push(CountSeries {
            kind: 0,
            workload: "VBR_VM".to_owned(),
            edition: "Standard".to_owned(),
            counts: vec![Some(2), None],
        });
        let series = Series {
            owners: vec![owner(vec![t], &[Some("10.50"), Some("0")])],
        };
        let csv = String::from_utf8(series_csv(&series)).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines,
            [
                "owner_uid,owner_name,month,level,uid,name,workload,edition,points,count",
                "owner-uid,Acme <Cloud>,2026-01,report,,,,,10.50,",
                "owner-uid,Acme <Cloud>,2026-01,product,,BackupAndReplication,,,10.50,",
                "owner-uid,Acme <Cloud>,2026-01,tenant,u1,'=cmd(),,,10.50,",
                "owner-uid,Acme <Cloud>,2026-01,workload,u1,'=cmd(),VBR_VM,Standard,,2",
                "owner-uid,Acme <Cloud>,2026-02,report,,,,,0,",
                "owner-uid,Acme <Cloud>,2026-02,product,,BackupAndReplication,,,0,",
            ]
        );
        let json = series_json(&series);
        assert!(
            json.contains("\"10.50\""),
            "exact decimals as strings: {json}"
        );
    }
}
