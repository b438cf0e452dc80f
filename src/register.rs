//! The register of issued invoices: one SQLite file (the bundled SQLite, nothing to
//! install) that makes invoice numbers permanent.
//!
//! - **Numbers are issued once.** An invoice is identified by its period, report owner,
//!   organization and appendix ([`invoice_key`]). The first run that bills it takes the next
//!   number of its series ([`crate::billing::numbering`]); every later run gives it the same
//!   number, and another console's report of the month, billed later, continues the series.
//! - **Issued invoices never change.** A later run compares the invoice it would issue with
//!   the one issued (a SHA-256 digest of the rendered context, the source file's name and
//!   place left out): the same → `unchanged`, the same documents; different → refused with
//!   the differences ([`Issuing::changes`]), unless the run corrects (`--correct`): then a
//!   credit note cancels the issued invoice in full and a new invoice with a new number
//!   replaces it, each naming the other.
//! - **One run at a time.** A run holds the register's write lock (`BEGIN IMMEDIATE`) from
//!   the first number to the last record; a second run waits for it (up to
//!   [`WAIT`]) and then numbers after it, or stops with a clear message.
//! - **Recorded if and only if the documents are complete.** A run renders everything into
//!   its staging folder, writes the staging folder's manifest, records the invoices and its
//!   run (state `committing`) in one transaction, then renames the documents into place and
//!   marks the run `done`. Killed before the transaction, nothing is recorded and the next
//!   run deletes the staging folder; killed after it, the next run that opens the register
//!   finishes the renames from the manifest ([`Register::begin`]).

use crate::billing::invoice::{Correction, CorrectionKind, Invoice, Line, Period};
use crate::billing::money::{Money, round};
use crate::billing::numbering::{NumberPart, render_number, series_of};
use crate::billing::rates::{RateCard, TaxCategory};
use crate::output::{OutDir, OutError};
use crate::render::InvoiceContext;
use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long a run waits for another run holding the register.
pub const WAIT: Duration = Duration::from_mins(1);

/// Version of the register's tables.
const SCHEMA_VERSION: &str = "1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    started TEXT NOT NULL,
    out TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('committing', 'done'))
);
CREATE TABLE IF NOT EXISTS invoices (
    number TEXT PRIMARY KEY,
    series TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit-note')),
    key TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    period TEXT NOT NULL,
    owner_uid TEXT,
    owner_name TEXT,
    report_id INTEGER,
    organization_uid TEXT NOT NULL,
    organization_name TEXT NOT NULL,
    currency TEXT NOT NULL,
    points TEXT NOT NULL,
    subtotal TEXT NOT NULL,
    discount TEXT NOT NULL,
    net TEXT NOT NULL,
    tax TEXT NOT NULL,
    total TEXT NOT NULL,
    digest TEXT NOT NULL,
    context TEXT NOT NULL,
    documents TEXT NOT NULL,
    corrects TEXT REFERENCES invoices (number),
    superseded_by TEXT REFERENCES invoices (number),
    run INTEGER NOT NULL REFERENCES runs (id),
    UNIQUE (series, seq)
);
CREATE INDEX IF NOT EXISTS invoices_key ON invoices (key);
CREATE INDEX IF NOT EXISTS invoices_period ON invoices (period);
";

/// A register of issued invoices ([module docs](self)).
#[derive(Debug)]
pub struct Register {
    conn: Connection,
    path: PathBuf,
}

/// What [`Register::begin`] finished for runs killed after recording their invoices.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Runs whose documents were put in place.
    pub runs: usize,
    /// Runs left for later: their output folder is in use by another run.
    pub waiting: usize,
}

/// One invoice or credit note of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The number.
    pub number: String,
    /// `invoice` or `credit-note`.
    pub kind: String,
    /// The series (the number with `{seq}` open).
    pub series: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issue_date: String,
    /// Due date.
    pub due_date: String,
    /// Billing month, `YYYY-MM`.
    pub period: String,
    /// Report owner (UID and name) and `reportId`.
    pub owner_uid: Option<String>,
    /// Report owner's name.
    pub owner_name: Option<String>,
    /// `reportId`.
    pub report_id: Option<i64>,
    /// Organization UID.
    pub organization_uid: String,
    /// Billing name.
    pub organization_name: String,
    /// Currency.
    pub currency: String,
    /// Points billed (negative on a credit note).
    pub points: String,
    /// Subtotal.
    pub subtotal: String,
    /// Discount.
    pub discount: String,
    /// Net.
    pub net: String,
    /// Tax.
    pub tax: String,
    /// Total.
    pub total: String,
    /// SHA-256 of the rendered context.
    pub digest: String,
    /// The documents written.
    pub documents: Vec<String>,
    /// A credit note: the invoice it cancels; a replacement: the invoice it replaces.
    pub corrects: Option<String>,
    /// The credit note that cancelled this invoice.
    pub superseded_by: Option<String>,
}

/// How an invoice of the run stands in the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Numbered and recorded by this run.
    Issued(String),
    /// Issued before, the same: same number, same documents.
    Unchanged(String),
    /// Issued before, different, corrected: (issued number, credit note, new invoice).
    Corrected(String, String, String),
}

/// An issued invoice that a run would issue differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The issued invoice's number.
    pub number: String,
    /// The organization and its name.
    pub customer: String,
    /// What differs, as `path: issued → now` (the first few), and a count of the rest.
    pub differences: Vec<String>,
}

/// Differences listed per changed invoice.
const DIFFERENCES_SHOWN: usize = 8;

fn sql(e: &rusqlite::Error, path: &Path) -> String {
    format!("register {}: {e}", path.display())
}

impl Register {
    /// Opens (or creates) the register at `path`.
    ///
    /// # Errors
    /// A file that is not a register, or cannot be opened or created.
    pub fn open(path: &Path) -> Result<Self, String> {
        if path.is_dir() {
            return Err(format!(
                "register {} is a folder; name a file",
                path.display()
            ));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(format!(
                "register {}: the folder {} does not exist",
                path.display(),
                parent.display()
            ));
        }
        let conn = Connection::open(path).map_err(|e| sql(&e, path))?;
        Self::with(conn, path)
    }

    /// [`Self::open`] when `path` exists; otherwise an empty register in memory, named
    /// `path` in messages, that leaves no file behind (a dry run records nothing).
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_existing_or_empty(path: &Path) -> Result<Self, String> {
        if path.symlink_metadata().is_ok() {
            return Self::open(path);
        }
        let conn = Connection::open_in_memory().map_err(|e| sql(&e, path))?;
        Self::with(conn, path)
    }

    /// Sets up a connection: timeouts, WAL, the tables, the version check.
    fn with(conn: Connection, path: &Path) -> Result<Self, String> {
        conn.busy_timeout(WAIT).map_err(|e| sql(&e, path))?;
        let e = |e: rusqlite::Error| {
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
                format!(
                    "{} is not a register (not an SQLite database)",
                    path.display()
                )
            } else {
                sql(&e, path)
            }
        };
        conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(e)?;
        conn.execute_batch(SCHEMA).map_err(e)?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(e)?;
        match version.as_deref() {
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?1)",
                    [SCHEMA_VERSION],
                )
                .map_err(e)?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "register {} has tables of version {v}; this vspc-billing reads version {SCHEMA_VERSION}",
                    path.display()
                ));
            }
        }
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// The register's file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts issuing: takes the register's write lock (waiting up to [`WAIT`] for another
    /// run), finishes the runs killed after recording their invoices, and returns the
    /// numbering of this run. Nothing is recorded until [`Issuing::record`].
    ///
    /// # Errors
    /// The register is held by another run for longer than [`WAIT`], or cannot be used.
    pub fn begin<'r>(
        self,
        card: &'r RateCard,
        documents: &'r (dyn Fn(&Invoice) -> Vec<String> + Sync),
        correct: bool,
    ) -> Result<(Issuing<'r>, Recovered), String> {
        let path = self.path.clone();
        let busy = |e: rusqlite::Error| {
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
                format!(
                    "register {} is in use by another run (waited {} s); try again when it has finished",
                    path.display(),
                    WAIT.as_secs()
                )
            } else {
                sql(&e, &path)
            }
        };
        // The runs killed after recording are finished first, in a transaction of their own
        // (what it marks done stays done whatever this run becomes).
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(busy)?;
        let recovered = recover(&self.conn, &self.path);
        let end = if recovered.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        self.conn.execute_batch(end).map_err(|e| sql(&e, &path))?;
        let recovered = recovered?;
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(busy)?;
        let issuing = Issuing {
            conn: Some(self.conn),
            path: self.path,
            card,
            parts: card.number_parts(),
            documents,
            correct,
            next: HashMap::new(),
            outcomes: Vec::new(),
            changes: Vec::new(),
            run: None,
        };
        Ok((issuing, recovered))
    }

    /// Marks a run done once its documents are in place.
    ///
    /// # Errors
    /// The register cannot be written.
    pub fn done(&self, token: &str) -> Result<(), String> {
        self.conn
            .execute("UPDATE runs SET state = 'done' WHERE token = ?1", [token])
            .map(drop)
            .map_err(|e| sql(&e, &self.path))
    }

    /// Takes back what a run recorded when its documents could not be put in place (the
    /// numbers were never delivered).
    ///
    /// # Errors
    /// The register cannot be written.
    pub fn undo(&mut self, token: &str) -> Result<(), String> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql(&e, &path))?;
        let run = "(SELECT id FROM runs WHERE token = ?1)";
        tx.execute(
            &format!(
                "UPDATE invoices SET superseded_by = NULL WHERE superseded_by IN (SELECT number FROM invoices WHERE run = {run})"
            ),
            [token],
        )
        .map_err(|e| sql(&e, &path))?;
        tx.execute(&format!("DELETE FROM invoices WHERE run = {run}"), [token])
            .map_err(|e| sql(&e, &path))?;
        tx.execute("DELETE FROM runs WHERE token = ?1", [token])
            .map_err(|e| sql(&e, &path))?;
        tx.commit().map_err(|e| sql(&e, &path))
    }

    /// The register's invoices and credit notes, by period then number; only those of
    /// `period` (`YYYY-MM`) and of an organization whose UID or name contains `tenant`
    /// (ignoring case) when given.
    ///
    /// # Errors
    /// The register cannot be read.
    pub fn list(&self, period: Option<&str>, tenant: Option<&str>) -> Result<Vec<Entry>, String> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {ENTRY_COLUMNS} FROM invoices
                 WHERE (?1 IS NULL OR period = ?1)
                   AND (?2 IS NULL OR lower(organization_uid) = lower(?2)
                        OR instr(lower(organization_name), lower(?2)) > 0)
                 ORDER BY period, series, seq"
            ))
            .map_err(|e| sql(&e, &self.path))?;
        let rows = st
            .query_map(params![period, tenant], entry)
            .map_err(|e| sql(&e, &self.path))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| sql(&e, &self.path))
    }

    /// One invoice or credit note, and the context its documents were rendered from.
    ///
    /// # Errors
    /// The register cannot be read.
    pub fn show(&self, number: &str) -> Result<Option<(Entry, Value)>, String> {
        self.conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS}, context FROM invoices WHERE number = ?1"),
                [number],
                |r| {
                    let context: String = r.get(22)?;
                    Ok((
                        entry(r)?,
                        serde_json::from_str(&context).unwrap_or(Value::Null),
                    ))
                },
            )
            .optional()
            .map_err(|e| sql(&e, &self.path))
    }
}

/// The invoices in force (issued and not cancelled) of one report: what the register says
/// was billed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billed {
    /// `YYYY-MM`.
    pub period: String,
    /// The report owner's UID and name, and the report's id.
    pub owner_uid: Option<String>,
    /// The owner's name.
    pub owner_name: Option<String>,
    /// `reportId`.
    pub report_id: Option<i64>,
    /// Invoices in force.
    pub invoices: usize,
    /// Σ points.
    pub points: Decimal,
    /// Σ net (revenue).
    pub net: Decimal,
}

impl Register {
    /// What is billed per report: the invoices in force, by period then owner.
    ///
    /// # Errors
    /// The register cannot be read, or a sum cannot be held exactly.
    pub fn billed(&self) -> Result<Vec<Billed>, String> {
        let mut st = self
            .conn
            .prepare(
                "SELECT period, owner_uid, owner_name, report_id, points, net FROM invoices
                 WHERE kind = 'invoice' AND superseded_by IS NULL
                 ORDER BY period, owner_name, owner_uid, report_id",
            )
            .map_err(|e| sql(&e, &self.path))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| sql(&e, &self.path))?;
        let mut out: Vec<Billed> = Vec::new();
        for row in rows {
            let (period, owner_uid, owner_name, report_id, points, net) =
                row.map_err(|e| sql(&e, &self.path))?;
            let dec = |s: &str| {
                Decimal::from_str(s)
                    .map_err(|e| format!("register {}: {s:?}: {e}", self.path.display()))
            };
            let (points, net) = (dec(&points)?, dec(&net)?);
            let same = out.last().is_some_and(|b: &Billed| {
                b.period == period && b.owner_uid == owner_uid && b.report_id == report_id
            });
            if !same {
                out.push(Billed {
                    period,
                    owner_uid,
                    owner_name,
                    report_id,
                    invoices: 0,
                    points: Decimal::ZERO,
                    net: Decimal::ZERO,
                });
            }
            let b = out
                .last_mut()
                .unwrap_or_else(|| unreachable!("pushed above"));
            let overflow = || {
                format!(
                    "register {}: a sum is beyond an exact decimal",
                    self.path.display()
                )
            };
            b.invoices += 1;
            b.points = b.points.checked_add(points).ok_or_else(overflow)?;
            b.net = b.net.checked_add(net).ok_or_else(overflow)?;
        }
        Ok(out)
    }
}

const ENTRY_COLUMNS: &str = "number, kind, series, issue_date, due_date, period, owner_uid, owner_name, report_id, organization_uid, organization_name, currency, points, subtotal, discount, net, tax, total, digest, documents, corrects, superseded_by";

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let documents: String = r.get(19)?;
    Ok(Entry {
        number: r.get(0)?,
        kind: r.get(1)?,
        series: r.get(2)?,
        issue_date: r.get(3)?,
        due_date: r.get(4)?,
        period: r.get(5)?,
        owner_uid: r.get(6)?,
        owner_name: r.get(7)?,
        report_id: r.get(8)?,
        organization_uid: r.get(9)?,
        organization_name: r.get(10)?,
        currency: r.get(11)?,
        points: r.get(12)?,
        subtotal: r.get(13)?,
        discount: r.get(14)?,
        net: r.get(15)?,
        tax: r.get(16)?,
        total: r.get(17)?,
        digest: r.get(18)?,
        documents: serde_json::from_str(&documents).unwrap_or_default(),
        corrects: r.get(20)?,
        superseded_by: r.get(21)?,
    })
}

/// The tokens of every run that recorded invoices.
fn recorded_tokens(conn: &Connection, path: &Path) -> Result<HashSet<String>, String> {
    let e = |e: rusqlite::Error| sql(&e, path);
    let mut st = conn.prepare("SELECT token FROM runs").map_err(e)?;
    let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(e)?;
    rows.collect::<Result<_, _>>().map_err(e)
}

/// Finishes the runs killed after recording their invoices: their documents are put in
/// place from their staging folders' manifests (by opening their output folders, see
/// [`OutDir::open_with`]).
fn recover(tx: &Connection, path: &Path) -> Result<Recovered, String> {
    let e = |e: rusqlite::Error| sql(&e, path);
    let runs: Vec<(String, String)> = {
        let mut st = tx
            .prepare("SELECT token, out FROM runs WHERE state = 'committing' ORDER BY id")
            .map_err(e)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(e)?;
        rows.collect::<Result<_, _>>().map_err(e)?
    };
    let mut done = Recovered::default();
    if runs.is_empty() {
        return Ok(done);
    }
    let recorded = recorded_tokens(tx, path)?;
    for (token, out) in runs {
        match OutDir::open_with(Path::new(&out), &|t| Some(recorded.contains(t))) {
            Ok(_) => {
                tx.execute("UPDATE runs SET state = 'done' WHERE token = ?1", [&token])
                    .map_err(e)?;
                done.runs += 1;
            }
            Err(OutError::Busy(_)) => done.waiting += 1,
            Err(err) => {
                return Err(format!(
                    "register {}: cannot finish an interrupted run's documents in {out}: {err}",
                    path.display()
                ));
            }
        }
    }
    Ok(done)
}

/// The identity of an invoice in the register: period, report owner, organization and
/// appendix (lower case).
#[must_use]
pub fn invoice_key(i: &Invoice) -> String {
    format!(
        "{}|{}|{}|{}",
        i.period,
        i.report
            .owner_uid
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase(),
        i.customer.uid.to_ascii_lowercase(),
        i.appendix.as_deref().unwrap_or("")
    )
}

/// The current invoice of an identity, in brief.
struct Current {
    number: String,
    digest: String,
    /// It replaces a cancelled invoice (its context says which).
    replaces: bool,
}

/// What an issued invoice was, as recorded.
struct Issued {
    number: String,
    issue_date: String,
    context: String,
    points: Decimal,
    subtotal: Decimal,
    discount: Decimal,
    net: Decimal,
    tax: Decimal,
    total: Decimal,
}

/// A run's numbering from the register ([`Register::begin`]).
pub struct Issuing<'r> {
    /// In a write transaction until [`Issuing::record`] (rolled back when dropped).
    conn: Option<Connection>,
    path: PathBuf,
    card: &'r RateCard,
    parts: Vec<NumberPart>,
    documents: &'r (dyn Fn(&Invoice) -> Vec<String> + Sync),
    correct: bool,
    /// Next `{seq}` of each series touched by the run.
    next: HashMap<String, u64>,
    outcomes: Vec<Outcome>,
    changes: Vec<Change>,
    /// This run's row id.
    run: Option<i64>,
}

impl std::fmt::Debug for Issuing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuing")
            .field("path", &self.path)
            .field("outcomes", &self.outcomes.len())
            .finish_non_exhaustive()
    }
}

/// The context whose digest identifies an invoice's content: what the templates receive,
/// without the paper size and the source file's name and place (another path to the same
/// report, or another paper, gives the same invoice).
fn context_of(card: &RateCard, invoice: &Invoice) -> Result<Value, String> {
    let mut v = serde_json::to_value(InvoiceContext::new(card, invoice))
        .map_err(|e| format!("invoice {}: {e}", invoice.number))?;
    // The paper size is how the invoice is printed, not what it says.
    if let Some(c) = v.as_object_mut() {
        c.remove("paper");
    }
    if let Some(r) = v
        .pointer_mut("/invoice/report")
        .and_then(Value::as_object_mut)
    {
        for k in ["file", "index", "pointer"] {
            r.remove(k);
        }
    }
    Ok(v)
}

fn digest(context: &str) -> String {
    Sha256::digest(context.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `path: issued → now` for each leaf that differs (the first `max`), and the count.
fn differences(old: &Value, new: &Value) -> (Vec<String>, usize) {
    fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>, n: &mut usize, max: usize) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(
                        &p,
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        out,
                        n,
                        max,
                    );
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    walk(&format!("{path}[{i}]"), u, v, out, n, max);
                }
            }
            _ if a == b => {}
            _ => {
                *n += 1;
                if out.len() < max {
                    let show = |v: &Value| match v {
                        Value::Array(a) => format!("{} items", a.len()),
                        Value::String(s) => crate::text::printable(s).into_owned(),
                        v => v.to_string(),
                    };
                    out.push(format!("{path}: {} → {}", show(a), show(b)));
                }
            }
        }
    }
    let (mut out, mut n) = (Vec::new(), 0);
    walk("", old, new, &mut out, &mut n, DIFFERENCES_SHOWN);
    let shown = out.len();
    (out, n - shown)
}

impl Drop for Issuing<'_> {
    fn drop(&mut self) {
        if let Some(c) = &self.conn {
            let _ = c.execute_batch("ROLLBACK");
        }
    }
}

impl Issuing<'_> {
    fn err(&self, e: &rusqlite::Error) -> String {
        sql(e, &self.path)
    }

    fn conn(&self) -> &Connection {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("the connection is taken by `record` only"))
    }

    /// The tokens of the runs that recorded invoices (their staging folders are to be put
    /// in place), for [`OutDir::open_with`].
    ///
    /// # Errors
    /// The register cannot be read.
    pub fn recorded_runs(&self) -> Result<HashSet<String>, String> {
        recorded_tokens(self.conn(), &self.path)
    }

    /// This run's row, created at the first record.
    fn run_id(&mut self) -> Result<i64, String> {
        if let Some(id) = self.run {
            return Ok(id);
        }
        // Created as `committing`; a run that never reaches `record` rolls it back.
        let token = format!("pending-{}", std::process::id());
        self.conn()
            .execute(
                "INSERT INTO runs (token, started, out, state) VALUES (?1, datetime('now'), '', 'committing')",
                [&token],
            )
            .map_err(|e| self.err(&e))?;
        let id = self.conn().last_insert_rowid();
        self.run = Some(id);
        Ok(id)
    }

    /// The next number of the series of `period`.
    fn next_number(&mut self, period: Period) -> Result<(String, String, u64), String> {
        let series = series_of(&self.parts, period);
        let seq = if let Some(&n) = self.next.get(&series) {
            n
        } else {
            let max: Option<i64> = self
                .conn()
                .query_row(
                    "SELECT MAX(seq) FROM invoices WHERE series = ?1",
                    [&series],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(&e))?;
            let after = max.and_then(|m| u64::try_from(m).ok()).map_or(0, |m| m + 1);
            after.max(self.card.invoice_start)
        };
        let next = seq
            .checked_add(1)
            .ok_or_else(|| format!("the series {series} has no numbers left"))?;
        self.next.insert(series.clone(), next);
        Ok((render_number(&self.parts, period, seq), series, seq))
    }

    /// The current invoice of an identity: its number, digest, and whether it replaces
    /// another (without the context, which only a changed invoice needs).
    fn current(&self, key: &str) -> Result<Option<Current>, String> {
        self.conn()
            .prepare_cached(
                "SELECT number, digest, corrects IS NOT NULL FROM invoices
                 WHERE key = ?1 AND kind = 'invoice' AND superseded_by IS NULL",
            )
            .and_then(|mut st| {
                st.query_row([key], |r| {
                    Ok(Current {
                        number: r.get(0)?,
                        digest: r.get(1)?,
                        replaces: r.get(2)?,
                    })
                })
            })
            .optional()
            .map_err(|e| self.err(&e))
    }

    /// Everything recorded of an issued invoice, by number.
    fn issued(&self, number: &str) -> Result<Issued, String> {
        self.conn()
            .query_row(
                "SELECT number, issue_date, context, points, subtotal, discount, net, tax, total
                 FROM invoices WHERE number = ?1",
                [number],
                |r| {
                    let d = |i: usize| -> rusqlite::Result<Decimal> {
                        let s: String = r.get(i)?;
                        Decimal::from_str(&s).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(
                                i,
                                rusqlite::types::Type::Text,
                                Box::new(e),
                            )
                        })
                    };
                    Ok(Issued {
                        number: r.get(0)?,
                        issue_date: r.get(1)?,
                        context: r.get(2)?,
                        points: d(3)?,
                        subtotal: d(4)?,
                        discount: d(5)?,
                        net: d(6)?,
                        tax: d(7)?,
                        total: d(8)?,
                    })
                },
            )
            .map_err(|e| self.err(&e))
    }

    /// Records one invoice or credit note of this run.
    fn insert(
        &mut self,
        i: &Invoice,
        series: &str,
        seq: u64,
        (context, sha): (&str, &str),
        corrects: Option<&str>,
    ) -> Result<(), String> {
        let run = self.run_id()?;
        let kind = match &i.correction {
            Some(c) if c.kind == CorrectionKind::CreditNote => "credit-note",
            _ => "invoice",
        };
        let documents = serde_json::to_string(&(self.documents)(i)).unwrap_or_default();
        let seq =
            i64::try_from(seq).map_err(|_| format!("the series {series} has no numbers left"))?;
        self.conn()
            .prepare_cached(
                "INSERT INTO invoices (number, series, seq, kind, key, issue_date, due_date, period,
                    owner_uid, owner_name, report_id, organization_uid, organization_name, currency,
                    points, subtotal, discount, net, tax, total, digest, context, documents, corrects,
                    superseded_by, run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22, ?23, ?24, NULL, ?25)",
            )
            .and_then(|mut st| {
                st.execute(
                params![
                    i.number,
                    series,
                    seq,
                    kind,
                    invoice_key(i),
                    i.issue_date,
                    i.due_date,
                    i.period.to_string(),
                    i.report.owner_uid,
                    i.report.owner_name,
                    i.report.report_id,
                    i.customer.uid,
                    i.customer.name,
                    i.currency,
                    i.points.to_string(),
                    i.subtotal.to_string(),
                    i.discount.to_string(),
                    i.net.to_string(),
                    i.tax.to_string(),
                    i.total.to_string(),
                    sha,
                    context,
                    documents,
                    corrects,
                    run,
                ],
            )
            })
            .map_err(|e| {
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) {
                    format!(
                        "register {}: the number {} is already issued to another invoice; two invoices of this run have the same identity ({})",
                        self.path.display(),
                        i.number,
                        invoice_key(i)
                    )
                } else {
                    self.err(&e)
                }
            })?;
        Ok(())
    }

    /// The credit note cancelling `old` in full, for the tenant of `now`.
    fn credit_note(&self, old: &Issued, now: &Invoice) -> Result<Invoice, String> {
        let r = self.card.rounding();
        let neg = |d: Decimal, what: &'static str| -> Result<Money, String> {
            round(-d, r, what).map_err(|e| e.to_string())
        };
        let subtotal = neg(old.subtotal, "the credit note's subtotal")?;
        Ok(Invoice {
            number: String::new(),
            usage: Vec::new(),
            points: -old.points,
            lines: vec![Line {
                kind: crate::billing::charge::PartKind::Credit,
                workload: None,
                edition: None,
                description: format!(
                    "Cancels invoice {} of {} in full",
                    old.number, old.issue_date
                ),
                detail: None,
                quantity: Decimal::ONE,
                unit: "invoice".to_owned(),
                unit_price: subtotal.value(),
                amount: subtotal,
            }],
            subtotal,
            discount: neg(old.discount, "the credit note's discount")?,
            net: neg(old.net, "the credit note's net amount")?,
            tax: neg(old.tax, "the credit note's tax")?,
            total: neg(old.total, "the credit note's total")?,
            correction: Some(Correction {
                kind: CorrectionKind::CreditNote,
                number: old.number.clone(),
                issue_date: old.issue_date.clone(),
                credit_note: None,
            }),
            ..now.clone()
        })
        .map(|mut cn: Invoice| {
            // The rates of the cancelled invoice, as issued.
            if let Ok(v) = serde_json::from_str::<Value>(&old.context) {
                let dec = |p: &str| {
                    v.pointer(p)
                        .and_then(Value::as_str)
                        .and_then(|s| Decimal::from_str(s).ok())
                };
                if let Some(d) = dec("/invoice/discount_percent") {
                    cn.discount_percent = d;
                }
                if let Some(t) = dec("/invoice/tax_percent") {
                    cn.tax_percent = t;
                }
                // The category and note of the cancelled invoice, as issued (a standard
                // category is left out of a context, as is a tax-free invoice's none).
                let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
                cn.tax_category = text("/invoice/tax_category")
                    .and_then(|c| TaxCategory::parse(&c))
                    .or_else(|| (!cn.tax_percent.is_zero()).then_some(TaxCategory::Standard));
                cn.tax_note = text("/invoice/tax_note");
            }
            cn
        })
    }

    /// The invoices of this run that differ from the ones issued (refused: pass `--correct`
    /// to issue credit notes and new invoices).
    #[must_use]
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// What happened to each invoice of the run, in numbering order.
    #[must_use]
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// Records the run: its invoices and credit notes, and the run itself (with the
    /// staging folder's token and the output folder), in one transaction. Call it once the
    /// staging folder's manifest is written; then put the documents in place and call
    /// [`Register::done`].
    ///
    /// # Errors
    /// The register cannot be written (nothing is recorded).
    pub fn record(mut self, token: &str, out: &Path) -> Result<Register, String> {
        if let Some(id) = self.run {
            self.conn()
                .execute(
                    "UPDATE runs SET token = ?1, out = ?2 WHERE id = ?3",
                    params![
                        token,
                        crate::output::resolved(out).display().to_string(),
                        id
                    ],
                )
                .map_err(|e| self.err(&e))?;
        }
        self.conn()
            .execute_batch("COMMIT")
            .map_err(|e| self.err(&e))?;
        let conn = self
            .conn
            .take()
            .unwrap_or_else(|| unreachable!("the connection is taken by `record` only"));
        Ok(Register {
            conn,
            path: std::mem::take(&mut self.path),
        })
    }
}

impl crate::billing::numbering::Numbering for Issuing<'_> {
    /// Looks every invoice up, numbers the new ones in order, renders and digests every
    /// context on all threads, then records: new → issued; same digest → unchanged;
    /// another → a change (refused), or with `--correct` a credit note and a new invoice.
    fn number(&mut self, invoices: &mut [Invoice]) -> Result<Vec<Invoice>, String> {
        let current: Vec<Option<Current>> = invoices
            .iter()
            .map(|i| self.current(&invoice_key(i)))
            .collect::<Result<_, _>>()?;
        let mut new: Vec<Option<(String, u64)>> = Vec::with_capacity(invoices.len());
        for (inv, cur) in invoices.iter_mut().zip(&current) {
            match cur {
                None => {
                    let (number, series, seq) = self.next_number(inv.period)?;
                    inv.number = number;
                    new.push(Some((series, seq)));
                }
                Some(c) => {
                    inv.number.clone_from(&c.number);
                    if c.replaces {
                        // A replacement stays one: it says which invoice it replaced.
                        let context = self.issued(&c.number)?.context;
                        inv.correction = serde_json::from_str::<Value>(&context)
                            .ok()
                            .and_then(|v| v.pointer("/invoice/correction").cloned())
                            .and_then(|c| serde_json::from_value(c).ok());
                    }
                    new.push(None);
                }
            }
        }
        let card = self.card;
        let contexts: Vec<(String, String)> = invoices
            .par_iter()
            .map(|i| {
                let c = context_of(card, i)?.to_string();
                let d = digest(&c);
                Ok((c, d))
            })
            .collect::<Result<_, String>>()?;
        let mut notes = Vec::new();
        for ((inv, cur), (new, (context, sha))) in invoices
            .iter_mut()
            .zip(current)
            .zip(new.into_iter().zip(contexts))
        {
            if let Some((series, seq)) = new {
                self.insert(inv, &series, seq, (&context, &sha), None)?;
                self.outcomes.push(Outcome::Issued(inv.number.clone()));
                continue;
            }
            let Some(cur) = cur else { continue };
            if sha == cur.digest {
                self.outcomes.push(Outcome::Unchanged(cur.number));
                continue;
            }
            let old = self.issued(&cur.number)?;
            if !self.correct {
                let was: Value = serde_json::from_str(&old.context).unwrap_or(Value::Null);
                let now: Value = serde_json::from_str(&context).unwrap_or(Value::Null);
                let (mut differences, more) = self::differences(&was, &now);
                if more > 0 {
                    differences.push(format!("and {more} more"));
                }
                self.changes.push(Change {
                    number: old.number.clone(),
                    customer: format!("{} ({})", inv.customer.name, inv.customer.uid),
                    differences,
                });
                continue;
            }
            notes.push(self.correct_one(&old, inv)?);
        }
        Ok(notes)
    }
}

impl Issuing<'_> {
    /// Cancels `old` with a credit note and issues `inv` in its place with a new number;
    /// returns the credit note.
    fn correct_one(&mut self, old: &Issued, inv: &mut Invoice) -> Result<Invoice, String> {
        let mut note = self.credit_note(old, inv)?;
        let (number, series, seq) = self.next_number(note.period)?;
        note.number = number;
        let context = context_of(self.card, &note)?.to_string();
        self.insert(
            &note,
            &series,
            seq,
            (&context, &digest(&context)),
            Some(&old.number),
        )?;
        self.conn()
            .execute(
                "UPDATE invoices SET superseded_by = ?1 WHERE number = ?2",
                params![note.number, old.number],
            )
            .map_err(|e| self.err(&e))?;
        let (number, series, seq) = self.next_number(inv.period)?;
        inv.number = number;
        inv.correction = Some(Correction {
            kind: CorrectionKind::Replacement,
            number: old.number.clone(),
            issue_date: old.issue_date.clone(),
            credit_note: Some(note.number.clone()),
        });
        let context = context_of(self.card, inv)?.to_string();
        self.insert(
            inv,
            &series,
            seq,
            (&context, &digest(&context)),
            Some(&old.number),
        )?;
        self.outcomes.push(Outcome::Corrected(
            old.number.clone(),
            note.number.clone(),
            inv.number.clone(),
        ));
        Ok(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::rates::RateCard;

    fn card() -> RateCard {
        RateCard::parse(
            "c.toml",
            "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[default]\nper_point = 1\n",
        )
        .unwrap()
    }

    /// A run killed after recording its invoices (the documents still in its staging
    /// folder) is finished by the next run that opens the register; one killed before
    /// recording is deleted by the next run into its folder.
    #[test]
    fn the_next_run_finishes_a_recorded_run_and_deletes_an_unrecorded_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let reg = dir.path().join("r.sqlite");
        let card = card();
        let names = |_: &Invoice| Vec::new();
        {
            let o = OutDir::open(&out).unwrap();
            let staging = o.staging().unwrap();
            staging.stage(&out.join("a.txt"), b"a").unwrap();
            staging.stage(&out.join("b.txt"), b"b").unwrap();
            let token = staging.prepare().unwrap();
            let (mut issuing, _) = Register::open(&reg)
                .unwrap()
                .begin(&card, &names, false)
                .unwrap();
            issuing.run_id().unwrap();
            issuing.record(&token, &out).unwrap();
            // Killed here: nothing renamed, the staging folder left behind.
            std::mem::forget(staging);
        }
        assert!(!out.join("a.txt").exists());
        let (_, recovered) = Register::open(&reg)
            .unwrap()
            .begin(&card, &names, false)
            .unwrap();
        assert_eq!(
            recovered,
            Recovered {
                runs: 1,
                waiting: 0
            }
        );
        assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"a");
        assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"b");
        let state: Vec<_> = std::fs::read_dir(out.join(crate::output::STATE_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(state, ["lock"]);

        // Killed after the manifest, before recording: the next run deletes it.
        {
            let o = OutDir::open(&out).unwrap();
            let staging = o.staging().unwrap();
            staging.stage(&out.join("c.txt"), b"c").unwrap();
            staging.prepare().unwrap();
            std::mem::forget(staging);
        }
        // Without a register, the folder is left for a run with one, and said so.
        assert_eq!(OutDir::open(&out).unwrap().cleaned().waiting, 1);
        let (issuing, recovered) = Register::open(&reg)
            .unwrap()
            .begin(&card, &names, false)
            .unwrap();
        assert_eq!(recovered, Recovered::default());
        let recorded = issuing.recorded_runs().unwrap();
        let cleaned = OutDir::open_with(&out, &|t| Some(recorded.contains(t)))
            .unwrap()
            .cleaned();
        assert_eq!((cleaned.temporary, cleaned.finished), (1, 0));
        assert!(!out.join("c.txt").exists());
    }

    #[test]
    fn differences_name_each_leaf_and_count_the_rest() {
        let a = serde_json::json!({"x": {"y": 1, "z": [1, 2]}, "s": "a"});
        let b = serde_json::json!({"x": {"y": 2, "z": [1, 3]}, "s": "a"});
        assert_eq!(
            differences(&a, &b),
            (vec!["x.y: 1 → 2".to_owned(), "x.z[1]: 2 → 3".to_owned()], 0)
        );
        let many_a = serde_json::json!((0..20).collect::<Vec<_>>());
        let many_b = serde_json::json!((1..21).collect::<Vec<_>>());
        let (shown, more) = differences(&many_a, &many_b);
        assert_eq!(
            (shown.len(), more),
            (DIFFERENCES_SHOWN, 20 - DIFFERENCES_SHOWN)
        );
    }
}
