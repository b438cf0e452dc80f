//! The `invoice` command's run, whole: the output folder locked and cleaned up, every
//! document staged by a [`DocumentSink`], invoices numbered by ranks or by a
//! [`Register`], then everything committed at once: all the files and the register's
//! records, or nothing (see [`crate::register`] for how a kill at any moment is survived).

use crate::billing::invoice::Invoice;
use crate::billing::numbering::{Numbering, Ranks};
use crate::billing::rates::RateCard;
use crate::billing::run::{BillingRun, RunOptions, run};
use crate::documents::DocumentSink;
use crate::load::Source;
use crate::output::{Cleanup, OutDir, Staging, check_extra_output};
use crate::register::{Change, Issuing, Outcome, Recovered, Register};
use crate::render::{Outputs, Templates};
use crate::schedule::{Observer, Pool};
use std::path::{Path, PathBuf};

/// The register's file name beside the rate card, by default.
pub const DEFAULT_REGISTER: &str = "register.sqlite";

/// The register a job uses: the one named (`--register FILE`), else the configured one
/// (`register` in `vspc-billing.toml`), else the card's (`register`, relative to the card's
/// folder); a bare `--register` (`Some(None)`) falls back to [`DEFAULT_REGISTER`] beside the
/// card. `None`: no register (numbers are ranks within the run).
#[must_use]
pub fn register_path(
    named: Option<Option<&Path>>,
    configured: Option<PathBuf>,
    card_path: &Path,
    card: &RateCard,
) -> Option<PathBuf> {
    let beside_card = |name: &str| {
        card_path
            .parent()
            .unwrap_or_else(|| Path::new(""))
            .join(name)
    };
    let otherwise = configured.or_else(|| card.register.as_deref().map(beside_card));
    match named {
        Some(Some(p)) => Some(p.to_owned()),
        Some(None) => Some(otherwise.unwrap_or_else(|| beside_card(DEFAULT_REGISTER))),
        None => otherwise,
    }
}

/// What an invoice job writes, and how.
#[derive(Debug)]
pub struct Job<'a> {
    /// The reports.
    pub sources: &'a [Source],
    /// The rate card.
    pub card: &'a RateCard,
    /// Its file (never an output).
    pub card_path: &'a Path,
    /// The folder of `--templates` (never an output).
    pub templates_dir: Option<&'a Path>,
    /// The templates.
    pub templates: &'a Templates,
    /// The files to write.
    pub outputs: Outputs,
    /// The output folder.
    pub out: &'a Path,
    /// Where to write the templates' context too (`--context`).
    pub context: Option<&'a Path>,
    /// Overwrite files that exist with other content.
    pub force: bool,
    /// Bill although rate card tenants match no organization of the reports read (else
    /// [`JobError::UnknownTenants`]).
    pub allow_unknown_tenants: bool,
    /// Loading, audit and billing choices.
    pub run: RunOptions<'a>,
    /// The register that numbers the invoices, if any.
    pub register: Option<RegisterUse<'a>>,
}

/// How a job uses its register.
#[derive(Debug, Clone, Copy)]
pub struct RegisterUse<'a> {
    /// The register's file.
    pub path: &'a Path,
    /// Issue a credit note and a new invoice for each issued invoice that differs.
    pub correct: bool,
    /// Number from the register and write the documents, but record nothing.
    pub dry_run: bool,
}

/// What a job did.
#[derive(Debug)]
pub struct Done {
    /// The billing run (summary, whether an input could not be read).
    pub billing: BillingRun,
    /// Files written into the output folder (the context file not counted).
    pub written: usize,
    /// Files that already held what the run would write, left as they were.
    pub unchanged: usize,
    /// What an interrupted earlier run had left in the output folder, dealt with.
    pub cleaned: Cleanup,
    /// What the register did, with one.
    pub register: Option<Registered>,
}

/// What the register did in a job.
#[derive(Debug)]
pub struct Registered {
    /// The register's file.
    pub path: PathBuf,
    /// Each invoice of the run: issued, unchanged or corrected, in numbering order.
    pub outcomes: Vec<Outcome>,
    /// Earlier runs killed after recording, finished.
    pub recovered: Recovered,
    /// Nothing was recorded (`--dry-run`).
    pub dry_run: bool,
}

/// Why a job wrote nothing.
#[derive(Debug)]
pub enum JobError {
    /// Invoices already issued would now be different: nothing is issued or written
    /// (exit status 1). Pass `--correct` to issue credit notes and new invoices.
    Changed(Vec<Change>),
    /// Rate card tenants match no organization of the reports read (`unknown-tenant`, a
    /// mistyped UID would bill its tenant without its terms): nothing is issued or written
    /// (exit status 1). The run, for what else it found.
    UnknownTenants(Box<BillingRun>),
    /// The rate card lacks what an output format needs for the invoices billed (the key
    /// paths to add, [`crate::einvoice::missing`]): nothing is issued or written (exit
    /// status 2, as for an invalid card).
    CardIncomplete(Vec<crate::einvoice::Missing>),
    /// Anything else that stops the run (exit status 2).
    Failed(String),
}

impl From<String> for JobError {
    fn from(s: String) -> Self {
        Self::Failed(s)
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(m) => f.write_str(m),
            Self::CardIncomplete(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|m| format!("{}: {}", m.key.join("."), m.message))
                    .collect();
                write!(f, "the rate card is incomplete: {}", parts.join("; "))
            }
            Self::UnknownTenants(run) => write!(
                f,
                "{}: rate card tenants match no organization of the reports read: {}",
                crate::codes::Code::UnknownTenant,
                run.summary.unmatched_tenants.join(", ")
            ),
            Self::Changed(c) => write!(
                f,
                "{}: {} issued invoice{} would change; nothing was issued or written. Pass --correct to cancel {} with credit notes and issue new invoices",
                crate::codes::Code::InvoiceChanged,
                c.len(),
                if c.len() == 1 { "" } else { "s" },
                if c.len() == 1 { "it" } else { "them" },
            ),
        }
    }
}

/// Runs an invoice job on `pool` ([module docs](self)).
///
/// # Errors
/// [`JobError::Changed`] when issued invoices would change (without `correct`);
/// [`JobError::Failed`] for an output folder, a register or a file that cannot be used.
/// Either way nothing was written and nothing recorded.
pub fn invoice(job: &Job<'_>, pool: &Pool, observer: &dyn Observer) -> Result<Done, JobError> {
    if let Some(path) = job.context {
        check_context(job, path)?;
    }
    let names = |i: &Invoice| job.outputs.document_names(i);
    let register = job
        .register
        .map(|r| {
            if r.dry_run {
                Register::open_existing_or_empty(r.path)
            } else {
                Register::open(r.path)
            }
        })
        .transpose()?;
    let (mut issuing, recovered) = match (register, job.register) {
        (Some(reg), Some(r)) => {
            let (issuing, recovered) = reg.begin(job.card, &names, r.correct)?;
            (Some(issuing), recovered)
        }
        _ => (None, Recovered::default()),
    };
    let recorded = match &issuing {
        Some(i) => Some(i.recorded_runs()?),
        None => None,
    };
    let decide = |token: &str| recorded.as_ref().map(|r| r.contains(token));
    let out = OutDir::open_with(job.out, &decide).map_err(|e| e.to_string())?;
    let cleaned = out.cleaned();
    let staging = out.staging().map_err(|e| {
        format!(
            "cannot write into {}: {e}; nothing was written",
            job.out.display()
        )
    })?;
    let billed = stage(job, pool, observer, &staging, issuing.as_mut());
    let (billing, unchanged) = match billed {
        Ok(b) => b,
        Err(e) => {
            drop(staging);
            out.discard();
            return Err(e);
        }
    };
    let context_staged = job
        .context
        .is_some_and(|c| staging.paths().iter().any(|p| p == c));
    let dry_run = job.register.is_some_and(|r| r.dry_run);
    let outcomes = issuing
        .as_ref()
        .map(|i| i.outcomes().to_vec())
        .unwrap_or_default();
    let (written, register) = match issuing {
        Some(issuing) if !dry_run => {
            let token = staging.prepare()?;
            let register = issuing.record(&token, job.out)?;
            match staging.commit() {
                Ok(n) => {
                    register.done(&token)?;
                    (n, Some(register.path().to_owned()))
                }
                Err(e) => {
                    let mut register = register;
                    let undone = register.undo(&token);
                    if e.left.is_empty() {
                        out.discard();
                    }
                    return Err(JobError::Failed(match undone {
                        Ok(()) => e.to_string(),
                        Err(u) => format!("{e}; and the register could not be set back: {u}"),
                    }));
                }
            }
        }
        issuing => {
            // Without a register, or a dry run (the register's transaction is rolled
            // back when `issuing` is dropped, before the files appear).
            drop(issuing);
            let n = match staging.commit() {
                Ok(n) => n,
                Err(e) => {
                    if e.left.is_empty() {
                        out.discard();
                    }
                    return Err(JobError::Failed(e.to_string()));
                }
            };
            (n, job.register.map(|r| r.path.to_owned()))
        }
    };
    Ok(Done {
        billing,
        written: written - usize::from(context_staged),
        unchanged: unchanged - usize::from(job.context.is_some() && !context_staged),
        cleaned,
        register: register.map(|path| Registered {
            path,
            outcomes,
            recovered,
            dry_run,
        }),
    })
}

/// The `--context` file is an output like the others, and never one of the job's inputs
/// (an export, the rate card, a template).
fn check_context(job: &Job<'_>, path: &Path) -> Result<(), String> {
    let templates = job
        .templates_dir
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok());
    let reads = job
        .sources
        .iter()
        .filter_map(|s| match s {
            Source::File(p) => Some(p.clone()),
            Source::Stdin => None,
        })
        .chain([job.card_path.to_owned()])
        .chain(templates.flatten().filter_map(Result::ok).map(|e| e.path()));
    check_extra_output("--context", path, reads)
}

/// Bills and stages every document; refuses changed invoices and files in the way.
fn stage(
    job: &Job<'_>,
    pool: &Pool,
    observer: &dyn Observer,
    staging: &Staging,
    issuing: Option<&mut Issuing<'_>>,
) -> Result<(BillingRun, usize), JobError> {
    let factur_x = |i: &Invoice| crate::einvoice::factur_x(i, &job.card.provider);
    let mut sink = DocumentSink::new(
        job.out,
        job.card,
        job.templates,
        job.outputs,
        job.context,
        staging,
    )?;
    if job.card.factur_x {
        sink = sink.with_attachments(&factur_x);
    }
    let mut bill = |numbering: &mut dyn Numbering| {
        pool.install(|| {
            run(
                job.sources,
                job.card,
                &job.run,
                &mut sink,
                numbering,
                observer,
            )
        })
    };
    let billed = match issuing {
        Some(issuing) => bill(issuing).map(|b| (b, issuing.changes().to_vec())),
        None => bill(&mut Ranks::new(job.card)).map(|b| (b, Vec::new())),
    };
    if !sink.missing().is_empty() {
        return Err(JobError::CardIncomplete(sink.missing().to_vec()));
    }
    let (billing, changes) = billed?;
    if !changes.is_empty() {
        return Err(JobError::Changed(changes));
    }
    if !billing.summary.unmatched_tenants.is_empty() && !job.allow_unknown_tenants {
        return Err(JobError::UnknownTenants(Box::new(billing)));
    }
    let unchanged = staging.refuse_existing(job.out, job.force)?;
    Ok((billing, unchanged))
}
