//! A mutation fuzzer of the whole pipeline, on the stable toolchain.
//!
//! Each case takes an input (a sample of `samples/`, broken ones included, or a small
//! generated report), mutates it (values replaced by other JSON types, numbers no decimal or
//! `f64` holds, arrays and objects nested far too deep, lone UTF-16 surrogates, control and
//! bidi characters in keys and values, duplicate keys, arrays as documents, byte flips,
//! truncations, splices...) and runs it in-process through everything a file meets: the load
//! in both schema-check modes and split, the audit, billing with a rate card (the sample or
//! a hostile one) and the rendering of every invoice and of the summary. It checks:
//!
//! - nothing panics (each case runs under `catch_unwind`);
//! - both schema-check modes give the same verdict and the same problems, and a split parse
//!   the same document and problems;
//! - every finding's code is documented, the findings and the templates' context are JSON
//!   that parses back;
//! - every billed invoice renders (HTML, Markdown, text, CSV) with a safe file name, and its
//!   arithmetic holds (lines add up to the subtotal; net, tax and total agree).
//!
//! A failure prints the seed and case number and saves the input (and what happened, with a
//! backtrace for a panic) under `--out`; `--replay FILE` runs a saved input through every
//! rate card and option. Cases are deterministic for a seed: `--seed S --first C --cases 1`
//! runs case C again.
//!
//! ```text
//! cargo run --release --example fuzz -- --seed 1 --cases 100000
//! cargo run --release --example fuzz -- --replay target/fuzz/fail-1-4711.json
//! bench/fuzz.sh 1000000     # batches on every core, and a share through the binary
//! ```

use rust_decimal::Decimal;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vspc_billing::audit::{AuditOptions, check_file};
use vspc_billing::billing::rates::RateCard;
use vspc_billing::billing::{BillOptions, Billing, FileInput, bill};
use vspc_billing::corpus::{Spec, collection, report};
use vspc_billing::diag::Finding;
use vspc_billing::load::{Kind, LoadOptions, LoadedFile, SchemaCheck, Split, load_bytes};
use vspc_billing::render::{OutputFile, Outputs, Renderer, Templates, context, summary_csv};

// The tool's allocator, so that the cases meet the memory behaviour of the binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: fuzz [--seed S] [--cases N] [--first C] [--out DIR] [--emit DIR --emit-every K] [--quiet]
       fuzz --replay FILE...
       fuzz --check-json FILE...   (each file must be one JSON document: for bench/fuzz.sh)";

/// A case slower than this is reported as a failure (a hang, or work beyond reason).
const SLOW: Duration = Duration::from_secs(2);

/// The largest input a case makes from a JSON value (the cases stay fast).
const MAX_INPUT: usize = 256 << 10;

/// Inputs saved per kind of failure (every failure is counted).
const SAVED_PER_KIND: usize = 3;

/// Rate cards that push billing to its edges; each must be a valid card.
const HOSTILE_CARDS: &[(&str, &str)] = &[
    (
        "huge-prices",
        r#"currency = "JPY"
decimals = 0
rounding = "half-even"
due_days = 366
invoice_number = "{year}.{month}-{seq:09}"
[provider]
name = "P"
[tax]
name = "T"
percent = 100
[default]
per_point = 79228162514264337593543950335
minimum = 79228162514264337593543950335
[workloads.VBR_VM]
per_unit = 39614081257132168796771975168
[workloads.VAC_Server_Agent]
volume = [{ up_to = 1, per_unit = 79228162514264337593543950335 }, { per_unit = 1 }]
[workloads.VB365_User]
package = { size = 1, price = 79228162514264337593543950335 }
[cost]
per_point = 79228162514264337593543950335
minimum_points = 79228162514264337593543950335
round_up_points = true
"#,
    ),
    (
        "tiny-prices",
        r#"currency = "CLF"
decimals = 4
rounding = "half-up"
invoice_number = "{period}{seq}"
[provider]
name = "Tiny"
[default]
per_point = 0.0001
discount_percent = 100
[workloads.VAC_Workstation_Agent]
graduated = [{ up_to = 1, per_unit = 0.0001 }, { up_to = 2, per_unit = 0 }, { up_to = 3, per_unit = 0.0003 }, { per_unit = 0.0005 }]
[workloads.VBR_VM]
per_unit = 0.0001
free_units = 18446744073709551615
editions = { Standard = 0, Enterprise = 0.0003 }
[workloads.CC_VM_Replica]
package = { size = 18446744073709551615, price = 0.0001 }
[cost]
per_point = 0.0001
"#,
    ),
    (
        "hostile-text",
        r#"currency = "EUR"
decimals = 2
rounding = "half-up"
invoice_number = "{period}-{seq:04}"
[provider]
name = "<script>alert(1)</script> =HYPERLINK(\"http://x\") | *bold* \u202Eevil\u0007"
address = ["{{ 7*7 }}", "{% raw %}", "line\nbreak", "\u0000nul"]
email = "a@b.example\u001b[31m"
tax_id = "'; DROP TABLE invoices; --"
payment_instructions = "[link](javascript:alert(1)) <img src=x onerror=alert(1)>"
[tax]
name = "V\u202EAT"
percent = 19.5
[default]
per_point = 1.105
discount_percent = 33.333
minimum = 0.01
[tenants."c1a2b3c4-0001-4000-8000-000000000001"]
name = "-=cmd|' /C calc'!A0"
address = ["@SUM(1+1)"]
tax_percent = 0
tax_category = "exempt"
tax_note = "=HYPERLINK(\"x\") <script>]]>\u0001"
per_point = 3
[tenants."c1a2b3c4-0002-4000-8000-000000000002"]
name = "\u202E\u0000\r\n+1"
discount_percent = 100
minimum = 99999999999
"#,
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--check-json") {
        std::process::exit(check_json(&args[1..]));
    }
    let opts = match Options::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fuzz: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    // One thread: the cases are the parallelism (bench/fuzz.sh runs one process per core).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    let code = pool.install(|| {
        install_panic_hook();
        let ctx = Context::new();
        if opts.replay.is_empty() {
            fuzz(&ctx, &opts)
        } else {
            replay(&ctx, &opts.replay)
        }
    });
    std::process::exit(code);
}

#[derive(Debug)]
struct Options {
    seed: u64,
    cases: u64,
    first: u64,
    out: PathBuf,
    emit: Option<PathBuf>,
    emit_every: u64,
    quiet: bool,
    replay: Vec<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Self {
            seed: 1,
            cases: 10_000,
            first: 0,
            out: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz"),
            emit: None,
            emit_every: 100,
            quiet: false,
            replay: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--quiet" {
                o.quiet = true;
                continue;
            }
            let value = it.next().ok_or_else(|| format!("{a} needs a value"));
            let number = || {
                let v = value.clone()?;
                v.parse::<u64>().map_err(|e| format!("{a} {v}: {e}"))
            };
            match a.as_str() {
                "--seed" => o.seed = number()?,
                "--cases" => o.cases = number()?,
                "--first" => o.first = number()?,
                "--out" => o.out = value?.into(),
                "--emit" => o.emit = Some(value?.into()),
                "--emit-every" => o.emit_every = number()?.max(1),
                "--replay" => {
                    o.replay.push(value?.into());
                    o.replay.extend(it.by_ref().map(PathBuf::from));
                }
                _ => return Err(format!("unknown argument {a}")),
            }
        }
        Ok(o)
    }
}

// ---------------------------------------------------------------------------------------
// Panics: the hook records the message (and, the first time at a place, a backtrace) for
// the case that catches it.

thread_local! {
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
    static PANIC_PLACES: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(|| "unknown place".to_owned(), ToString::to_string);
        let first = PANIC_PLACES.with(|p| p.borrow_mut().insert(place.clone()));
        let backtrace = if first {
            std::backtrace::Backtrace::force_capture().to_string()
        } else {
            String::new()
        };
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        LAST_PANIC.with(|p| {
            *p.borrow_mut() = Some((
                format!("panic at {place}"),
                format!("{message}\n{backtrace}"),
            ));
        });
    }));
}

/// A broken invariant: a kind (to group failures) and the details.
#[derive(Debug)]
struct Failure {
    kind: String,
    details: String,
}

fn fail<T>(kind: &str, details: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        kind: kind.to_owned(),
        details: details.into(),
    })
}

// ---------------------------------------------------------------------------------------
// What the cases are made of.

/// An input to mutate: its bytes and, when it is JSON, its value.
struct Base {
    name: String,
    bytes: Vec<u8>,
    value: Option<Value>,
}

struct Context {
    bases: Vec<Base>,
    cards: Vec<(String, RateCard)>,
    templates: Templates,
    /// The default audit, and one with `--tolerance 0.5`.
    audits: [AuditOptions; 2],
}

impl Context {
    fn new() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut bases = Vec::new();
        for dir in ["samples", "samples/invalid"] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
                .expect("the samples")
                .map(|e| e.expect("a sample").path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            files.sort();
            for p in files {
                let bytes = std::fs::read(&p).expect("a readable sample");
                bases.push(Base {
                    name: p.strip_prefix(root).unwrap_or(&p).display().to_string(),
                    value: serde_json::from_slice(&bytes).ok(),
                    bytes,
                });
            }
        }
        // Small generated reports in each shape, some with inconsistencies put in.
        for seed in 0..6u64 {
            let spec = Spec {
                seed,
                tenants: 1 + (seed as usize % 3),
                products: 1 + (seed as usize % 2),
                rows: 1 + (seed as usize % 3),
                inject: (seed as usize) % 3,
                ..Spec::default()
            };
            let value = match seed % 3 {
                0 => serde_json::to_value(collection(&spec, 0, 0).0),
                1 => serde_json::to_value(report(&spec, 0, 0).0)
                    .map(|r| serde_json::json!({ "data": r })),
                _ => serde_json::to_value(report(&spec, 0, 0).0),
            }
            .expect("a generated report is JSON");
            bases.push(Base {
                name: format!("generated-{seed}"),
                bytes: serde_json::to_vec(&value).expect("JSON"),
                value: Some(value),
            });
        }
        let mut cards = vec![(
            "samples/rates.toml".to_owned(),
            RateCard::load(&root.join("samples/rates.toml")).expect("the sample rate card"),
        )];
        for (name, text) in HOSTILE_CARDS {
            match RateCard::parse(name, text) {
                Ok(card) => cards.push(((*name).to_owned(), card)),
                Err(e) => panic!("hostile rate card {name} is invalid: {e:?}"),
            }
        }
        Self {
            bases,
            cards,
            templates: Templates::load(None).expect("the embedded templates"),
            audits: [
                AuditOptions::default(),
                AuditOptions {
                    tolerance: Some(Decimal::new(5, 1)),
                    ..AuditOptions::default()
                },
            ],
        }
    }
}

/// `SplitMix64`: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, case: u64) -> Self {
        let mut r = Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ case);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).expect("below n")
        }
    }

    /// True `percent` times in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values as JSON text that no `serde_json::Value` can carry (numbers beyond `f64`, lone
/// surrogates, duplicate keys), and others that the tool must take in its stride.
const RAW_VALUES: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "1E+2",
    "2.5E-1",
    "123456789012345678901234567890",
    "5.000000000000000000000000000000000000",
    "1.00000000000000000000000000001e0",
    "0.0000000000000000000000000001",
    "0.00000000000000000000000000001",
    "-0",
    "-0.0",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "-79228162514264337593543950335",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e28",
    "2.0",
    "1.5",
    "0.33",
    "-3",
    "0",
    "null",
    "true",
    "false",
    "\"\"",
    "\"text\"",
    "\"5.0\"",
    "{}",
    "[]",
    "[1, \"a\", null]",
    "{\"a\": 1, \"a\": 2}",
    "\"\\ud800\"",
    "\"a\\udc00b\"",
    "\"\\ud800\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "\"\\u0000\"",
    "\"\\u001b[31mred\\u001b[0m\"",
    "\"\u{202e}evil\"",
    "\"\\u202e\\u2066x\"",
    "\"line\\nbreak\\r\\ttab\"",
    "\"<script>alert(1)</script>\"",
    "\"{{ 7*7 }}{% raw %}\"",
    "\"=HYPERLINK(\\\"http://x\\\")\"",
    "\"-1+1\"",
    "\"@SUM(A1)\"",
    "\"../../etc/passwd\"",
    "\"CON\"",
    "\"2020-02-31\"",
    "\"2020-02-29T00:00:00.0000000-08:00\"",
    "\"9999-12-31T23:59:59.9999999+14:00\"",
    "\"0000-00-00\"",
    "\"2026-13-01\"",
    "\"2026-10-01T24:00:00Z\"",
    "\"-2026-10-01\"",
    "\"Approved\"",
    "\"approved\"",
    "\"Pending\"",
    "\"vbr_vm\"",
    "\"VBR_VM\"",
    "\"VAC_Server_Agent\"",
    "\"VAC_Workstation_Agent\"",
    "\"VB365_User\"",
    "\"CC_VM_Replica\"",
    "\"EnterprisePlus\"",
    "\"Unknown_Type\"",
];

/// Keys, as JSON text: hostile ones, and names of the model (a duplicate, or a member in
/// the wrong place).
const RAW_KEYS: &[&str] = &[
    "\"\\ud800\"",
    "\"\\ud800x\"",
    "\"\\udc00\"",
    "\"\\u0000\"",
    "\"\u{202e}key\"",
    "\"\"",
    "\"zz\"",
    "\"reportStatus\"",
    "\"reportParameters\"",
    "\"reportParemeters\"",
    "\"data\"",
    "\"meta\"",
    "\"usedPoints\"",
    "\"organizationUid\"",
    "\"counters\"",
];

/// A value as JSON text: one of [`RAW_VALUES`], or made up (deep nesting, long strings,
/// numbers with many digits or an exponent).
fn raw_value(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => {
            let levels = *rng.pick(&[1, 2, 120, 124, 125, 126, 127, 128, 129, 200, 1000, 30_000]);
            let leaf = rng.pick(&["1", "1e400", "\"\\ud800\"", "null", "\"x\""]);
            nested(levels, rng.next(), leaf)
        }
        1 => {
            let digits: String = (0..=rng.below(60))
                .map(|_| char::from(b'0' + u8::try_from(rng.below(10)).expect("a digit")))
                .collect();
            let digits = digits.trim_start_matches('0');
            let digits = if digits.is_empty() { "0" } else { digits };
            match rng.below(4) {
                0 => digits.to_owned(),
                1 => format!("{digits}.{}", "0".repeat(rng.below(40))),
                2 => format!("0.{digits}"),
                _ => format!(
                    "{digits}{}e{}{}",
                    if rng.chance(50) { ".5" } else { "" },
                    if rng.chance(50) { "-" } else { "+" },
                    rng.below(500)
                ),
            }
        }
        2 => {
            let unit = rng.pick(&["a", "é", "\u{202e}", "\\u0007", "\\\\", "€", "\\n"]);
            format!("\"{}\"", unit.repeat(1 + rng.below(5000)))
        }
        _ => (*rng.pick(RAW_VALUES)).to_owned(),
    }
}

/// `levels` arrays and objects nested in one another around `leaf`.
fn nested(levels: usize, style: u64, leaf: &str) -> String {
    let mut open = String::with_capacity(levels * 6);
    let mut close = Vec::with_capacity(levels);
    for level in 0..levels {
        if style.rotate_left(u32::try_from(level % 64).expect("small")) & 1 == 0 {
            open.push('[');
            close.push(b']');
        } else {
            open.push_str("{\"k\":");
            close.push(b'}');
        }
    }
    close.reverse();
    format!(
        "{open}{leaf}{}",
        String::from_utf8(close).expect("brackets")
    )
}

/// Every JSON pointer of `v`, the root included.
fn pointers(v: &Value, at: &mut String, out: &mut Vec<String>) {
    out.push(at.clone());
    let len = at.len();
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                pointers(c, at, out);
                at.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let _ = write!(at, "/{i}");
                pointers(c, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Mutates a JSON value. Text that a `Value` cannot hold goes in as a marker string,
/// replaced in the text afterwards (`raws`).
fn mutate_value(doc: &mut Value, rng: &mut Rng, raws: &mut Vec<(String, String)>) {
    let mut all = Vec::new();
    pointers(doc, &mut String::new(), &mut all);
    let target = rng.pick(&all).clone();
    let mut marker = |raw: String| {
        let m = format!("@@fuzz{}@@", raws.len());
        raws.push((format!("\"{m}\""), raw));
        m
    };
    match rng.below(10) {
        // Another value, of any type.
        0..=2 => {
            let m = marker(raw_value(rng));
            if let Some(v) = doc.pointer_mut(&target) {
                *v = Value::String(m);
            }
        }
        // A member or item removed.
        3 => {
            if let Some((parent, last)) = target.rsplit_once('/')
                && let Some(p) = doc.pointer_mut(parent)
            {
                match p {
                    Value::Object(m) => {
                        m.remove(&last.replace("~1", "/").replace("~0", "~"));
                    }
                    Value::Array(a) => {
                        if let Ok(i) = last.parse::<usize>() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        // A member added (an unknown one, a hostile key, or a duplicate of a known one).
        4 | 5 => {
            let objects: Vec<&String> = all
                .iter()
                .filter(|p| doc.pointer(p).is_some_and(Value::is_object))
                .collect();
            if objects.is_empty() {
                return;
            }
            let at = (*rng.pick(&objects)).clone();
            let existing: Vec<String> = doc
                .pointer(&at)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let key = if !existing.is_empty() && rng.chance(40) {
                serde_json::to_string(rng.pick(&existing)).expect("a key")
            } else {
                (*rng.pick(RAW_KEYS)).to_owned()
            };
            let value = if rng.chance(30) {
                doc.pointer(&target)
                    .map_or_else(|| "1".to_owned(), Value::to_string)
            } else {
                raw_value(rng)
            };
            let k = marker(key);
            let v = marker(value);
            if let Some(Value::Object(m)) = doc.pointer_mut(&at) {
                m.insert(k, Value::String(v));
            }
        }
        // An item repeated (a tenant twice, a long array).
        6 => {
            let arrays: Vec<&String> = all
                .iter()
                .filter(|p| {
                    doc.pointer(p)
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty())
                })
                .collect();
            if arrays.is_empty() {
                return;
            }
            let at = (*rng.pick(&arrays)).clone();
            let times = *rng.pick(&[1, 2, 50]);
            if let Some(Value::Array(a)) = doc.pointer_mut(&at)
                && a.len() < 200
            {
                let item = a[rng.below(a.len())].clone();
                for _ in 0..times {
                    a.push(item.clone());
                }
            }
        }
        // Two values swapped.
        7 => {
            let other = rng.pick(&all).clone();
            if target.starts_with(&other) || other.starts_with(&target) {
                return;
            }
            let (Some(a), Some(b)) = (doc.pointer(&target).cloned(), doc.pointer(&other).cloned())
            else {
                return;
            };
            *doc.pointer_mut(&target).expect("found") = b;
            *doc.pointer_mut(&other).expect("found") = a;
        }
        // A number changed a little (the audit's sums), or a string's case.
        8 => {
            if let Some(v) = doc.pointer_mut(&target) {
                match v {
                    Value::Number(n) => {
                        let d: Decimal = n.to_string().parse().unwrap_or_default();
                        let delta = *rng.pick(&["0.01", "1", "-1", "0.5", "1000", "-0.01"]);
                        let nudged = d + delta.parse::<Decimal>().expect("a delta");
                        *v = Value::String(marker(nudged.to_string()));
                    }
                    Value::String(s) => {
                        *s = if rng.chance(50) {
                            s.to_lowercase()
                        } else {
                            s.to_uppercase()
                        };
                    }
                    _ => {}
                }
            }
        }
        // The document wrapped, unwrapped or replaced by its data.
        _ => {
            let old = std::mem::take(doc);
            *doc = match rng.below(4) {
                0 => Value::Array(vec![old]),
                1 => serde_json::json!({ "data": old }),
                2 => old.get("data").cloned().unwrap_or(old),
                _ => serde_json::json!({ "meta": { "pagingInfo": { "total": 1 } }, "data": [old] }),
            };
        }
    }
}

/// Bytes put in the text: a byte-order mark, bytes that are not UTF-8 (a lone continuation
/// byte, a truncated sequence, an encoded surrogate), NUL, a bidi override, escapes.
const JUNK: &[&[u8]] = &[
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\x00",
    "\u{202e}".as_bytes(),
    b"\\ud800",
    b"\\u0000",
];

/// Bytes added after the document.
const TAILS: &[&[u8]] = &[b" x", b"}", b"]", b",", b"\n\n"];

/// Mutates bytes: flips, truncation, splices from another input, deletions, repeats,
/// invalid UTF-8, a byte-order mark, numbers rewritten.
fn mutate_bytes(b: &mut Vec<u8>, rng: &mut Rng, other: &[u8]) {
    let at = |rng: &mut Rng, b: &[u8]| rng.below(b.len() + 1);
    match rng.below(9) {
        0 => {
            for _ in 0..=rng.below(4) {
                if !b.is_empty() {
                    let i = rng.below(b.len());
                    b[i] = if rng.chance(50) {
                        b[i] ^ (1 << rng.below(8))
                    } else {
                        *rng.pick(b"{}[]\",:\\ 0-.eE\x00\xff\xc3tfn/")
                    };
                }
            }
        }
        1 => {
            let i = at(rng, b);
            b.truncate(i);
        }
        2 => {
            let (s, e) = {
                let s = rng.below(other.len() + 1);
                (s, s + rng.below(other.len() - s + 1).min(4096))
            };
            let i = at(rng, b);
            b.splice(i..i, other[s..e].iter().copied());
        }
        3 => {
            let s = at(rng, b);
            let e = s + rng.below(b.len() - s + 1).min(512);
            b.drain(s..e);
        }
        4 => {
            let s = at(rng, b);
            let e = s + rng.below(b.len() - s + 1).min(512);
            let piece = b[s..e].to_vec();
            b.splice(e..e, piece);
        }
        5 => {
            let i = at(rng, b);
            let junk = rng.pick(JUNK);
            b.splice(i..i, junk.iter().copied());
        }
        6 => {
            if rng.chance(50) {
                b.splice(0..0, *b"\xef\xbb\xbf");
            } else {
                let tail = rng.pick(TAILS);
                b.extend_from_slice(tail);
            }
        }
        _ => {
            // A number token rewritten.
            let starts: Vec<usize> = (0..b.len())
                .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()))
                .collect();
            if starts.is_empty() {
                return;
            }
            let s = *rng.pick(&starts);
            let e = s + b[s..]
                .iter()
                .take_while(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                .count();
            let token = String::from_utf8_lossy(&b[s..e]).into_owned();
            let with = match (rng.chance(50), same_number(&token, rng)) {
                (true, Some(same)) => same,
                _ => raw_value(rng),
            };
            b.splice(s..e, with.into_bytes());
        }
    }
}

/// The number `token` (`digits[.digits]`) written another way: with an exponent, or with
/// trailing zeros (beyond 28 places too).
fn same_number(token: &str, rng: &mut Rng) -> Option<String> {
    let (int, frac) = token.split_once('.').unwrap_or((token, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(match rng.below(3) {
        0 => format!("{int}{frac}e-{}", frac.len()),
        1 => format!("0.{int}{frac}E+{}", int.len()),
        _ => format!("{int}.{frac}{}", "0".repeat(1 + rng.below(40))),
    })
}

/// The input of one case, and the options it runs with.
struct Case {
    base: String,
    bytes: Vec<u8>,
    variant: Variant,
}

#[derive(Debug, Clone, Copy)]
struct Variant {
    kind: Option<Kind>,
    card: usize,
    /// Bill what the audit or the status would refuse, and appendices.
    allow: bool,
    /// Items from which arrays are split.
    split: usize,
    /// Which of [`Context::audits`].
    audit: usize,
    /// `--issue-date`.
    issue_date: Option<(i32, u32, u32)>,
}

/// Issue dates at the ends of the calendar the command line accepts.
const ISSUE_DATES: &[Option<(i32, u32, u32)>] = &[
    None,
    None,
    None,
    Some((2024, 2, 29)),
    Some((9999, 12, 31)),
    Some((0, 1, 1)),
];

fn make_case(ctx: &Context, rng: &mut Rng) -> Case {
    let base = rng.pick(&ctx.bases);
    let mut bytes = match &base.value {
        Some(v) if rng.chance(85) => {
            let mut doc = v.clone();
            let mut raws = Vec::new();
            for _ in 0..=rng.below(3) {
                mutate_value(&mut doc, rng, &mut raws);
            }
            let mut text = if rng.chance(20) {
                serde_json::to_string_pretty(&doc)
            } else {
                serde_json::to_string(&doc)
            }
            .expect("a value is JSON");
            // Later markers may sit inside the raw text of earlier ones: replace from the last.
            for (marker, raw) in raws.iter().rev() {
                text = text.replacen(marker, raw, 1);
            }
            // Repeated items may multiply: past a size, the case is the input unchanged.
            if text.len() > MAX_INPUT {
                base.bytes.clone()
            } else {
                text.into_bytes()
            }
        }
        _ => base.bytes.clone(),
    };
    if rng.chance(35) {
        let other = &rng.pick(&ctx.bases).bytes;
        for _ in 0..=rng.below(2) {
            mutate_bytes(&mut bytes, rng, other);
        }
    }
    Case {
        base: base.name.clone(),
        bytes,
        variant: Variant {
            kind: *rng.pick(&[
                None,
                None,
                None,
                None,
                None,
                None,
                Some(Kind::Reports),
                Some(Kind::SiteUsage),
            ]),
            card: rng.below(ctx.cards.len()),
            allow: rng.chance(60),
            split: 1 + rng.below(4),
            audit: usize::from(rng.chance(20)),
            issue_date: *rng.pick(ISSUE_DATES),
        },
    }
}

// ---------------------------------------------------------------------------------------
// One case, and its invariants.

#[derive(Debug, Default)]
struct Stats {
    cases: u64,
    valid: u64,
    invoices: u64,
    documents: u64,
    /// Runs refused whole because a total could not be held exactly.
    overflows: u64,
}

fn load(bytes: &[u8], v: Variant, schema_check: SchemaCheck, split: Split) -> LoadedFile {
    load_bytes(
        "case.json",
        bytes.to_vec(),
        &LoadOptions {
            kind: v.kind,
            schema_check,
            split,
            ..LoadOptions::DEFAULT
        },
    )
}

fn run_case(ctx: &Context, bytes: &[u8], v: Variant, stats: &mut Stats) -> Result<(), Failure> {
    let fast = load(bytes, v, SchemaCheck::OnFailure, Split::Never);
    let full = load(bytes, v, SchemaCheck::Always, Split::Never);
    if fast.is_valid() != full.is_valid() {
        return fail(
            "schema modes disagree",
            format!(
                "on-failure: valid {}, {:?}\nalways: valid {}, {:?}",
                fast.is_valid(),
                fast.problems,
                full.is_valid(),
                full.problems
            ),
        );
    }
    if fast.problems != full.problems || fast.document != full.document {
        return fail(
            "schema modes report differently",
            format!(
                "on-failure: {:?}\nalways: {:?}",
                fast.problems, full.problems
            ),
        );
    }
    let split = load(bytes, v, SchemaCheck::OnFailure, Split::Fine(v.split));
    if split.problems != fast.problems || split.document != fast.document {
        return fail(
            "a split parse differs",
            format!(
                "split {}: {:?}\none thread: {:?}",
                v.split, split.problems, fast.problems
            ),
        );
    }
    drop((full, split));
    stats.valid += u64::from(fast.is_valid());
    let audit = check_file(&fast, &ctx.audits[v.audit]);
    check_findings(&fast.problems)?;
    check_findings(&audit.findings)?;
    let (card_name, card) = &ctx.cards[v.card];
    let opts = BillOptions {
        include_appendices: v.allow,
        allow_unapproved: v.allow,
        allow_findings: v.allow,
        issue_date: v.issue_date,
    };
    let billing = bill(
        &[FileInput {
            file: &fast,
            audit: &audit,
        }],
        card,
        &opts,
    );
    // A run whose totals cannot be held exactly is refused as a whole (amount-overflow):
    // an error, never a panic or a wrong figure.
    let Ok(billing) = billing else {
        stats.overflows += 1;
        return Ok(());
    };
    // The hostile card's own text is the provider's, and may hold control characters.
    check_billing(ctx, card, &billing, card_name != "hostile-text", stats)
}

fn check_findings(findings: &[Finding]) -> Result<(), Failure> {
    for f in findings {
        if vspc_billing::codes::lookup(f.code.as_str()).is_none() {
            return fail("undocumented code", f.code.to_string());
        }
        if f.message.is_empty() {
            return fail("empty message", format!("{f:?}"));
        }
    }
    let json = serde_json::to_string(findings).map_err(|e| Failure {
        kind: "findings are not JSON".into(),
        details: e.to_string(),
    })?;
    match serde_json::from_str::<Value>(&json) {
        Ok(Value::Array(a)) if a.len() == findings.len() => Ok(()),
        other => fail("findings JSON does not parse back", format!("{other:?}")),
    }
}

/// Checks the invoices, renders them and the summary; `clean_card`: the card's own text has
/// no control characters, so that none may reach an output.
fn check_billing(
    ctx: &Context,
    card: &RateCard,
    billing: &Billing,
    clean_card: bool,
    stats: &mut Stats,
) -> Result<(), Failure> {
    for i in &billing.invoices {
        let lines = i
            .lines
            .iter()
            .try_fold(Decimal::ZERO, |s, l| s.checked_add(l.amount.value()));
        let amounts = [i.subtotal, i.discount, i.net, i.tax, i.total];
        if lines != Some(i.subtotal.value())
            || i.subtotal.value().checked_sub(i.discount.value()) != Some(i.net.value())
            || i.net.value().checked_add(i.tax.value()) != Some(i.total.value())
            || amounts.iter().any(|a| a.value().scale() != card.decimals())
        {
            return fail(
                "invoice arithmetic",
                format!(
                    "invoice {}: lines {lines:?}, subtotal {}, discount {}, net {}, tax {}, total {} ({} decimals)",
                    i.number,
                    i.subtotal,
                    i.discount,
                    i.net,
                    i.tax,
                    i.total,
                    card.decimals()
                ),
            );
        }
    }
    stats.invoices += billing.invoices.len() as u64;
    let outputs = Outputs {
        html: true,
        md: true,
        txt: true,
        pdf: false,
        csv: true,
        summary: true,
        xero: false,
        quickbooks: false,
        cii: false,
    };
    let renderer = Renderer::new(&ctx.templates, card, outputs);
    // The e-invoice of every invoice: made, or refused for what the card lacks; its text
    // never holds a character XML 1.0 cannot (control characters from the report).
    for i in &billing.invoices {
        match vspc_billing::einvoice::cii::xml(i, &card.provider) {
            Ok(x) => {
                let bad = String::from_utf8(x).map_or(true, |t| {
                    t.chars()
                        .any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                });
                if bad {
                    return fail("an e-invoice holds what XML 1.0 cannot", i.number.clone());
                }
            }
            Err(vspc_billing::einvoice::cii::CiiError::Missing(_)) => {}
            Err(e) => return fail("an e-invoice cannot be made", e.to_string()),
        }
    }
    let documents = std::sync::Mutex::new(Vec::new());
    let sink = |f: OutputFile| -> Result<(), String> {
        documents.lock().map_err(|e| e.to_string())?.push(f);
        Ok(())
    };
    let rows = renderer
        .invoices(&billing.invoices, &sink)
        .map_err(|e| Failure {
            kind: "an invoice does not render".into(),
            details: e.to_string(),
        })?;
    renderer
        .summary(&billing.summary, &sink)
        .map_err(|e| Failure {
            kind: "the summary does not render".into(),
            details: e.to_string(),
        })?;
    let documents = documents.into_inner().unwrap_or_default();
    let names: HashSet<&str> = documents.iter().map(|d| d.name.as_str()).collect();
    if names.len() != documents.len() || documents.len() != 3 * billing.invoices.len() + 2 {
        return fail(
            "rendered files",
            format!(
                "{} files, {} names, {} invoices",
                documents.len(),
                names.len(),
                billing.invoices.len()
            ),
        );
    }
    for d in &documents {
        let safe = !d.name.is_empty()
            && !d.name.starts_with('.')
            && d.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !safe || d.bytes.is_empty() {
            return fail("unsafe or empty output file", format!("{:?}", d.name));
        }
    }
    // Text from the report never brings control characters.
    if clean_card {
        let texts = documents
            .iter()
            .map(|d| (d.name.as_str(), d.bytes.as_slice()))
            .chain(rows.iter().flat_map(|r| {
                [
                    ("invoices.csv", r.invoices.as_slice()),
                    ("lines.csv", r.lines.as_slice()),
                ]
            }));
        for (name, bytes) in texts {
            let text = String::from_utf8_lossy(bytes);
            if let Some(c) = text
                .chars()
                .find(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return fail("a control character in an output", format!("{name}: {c:?}"));
            }
        }
    }
    let csv_rows: usize = rows
        .iter()
        .map(|r| r.invoices.iter().filter(|&&b| b == b'\n').count())
        .sum();
    if csv_rows < billing.invoices.len() {
        return fail(
            "invoices.csv",
            format!("{csv_rows} rows for {} invoices", billing.invoices.len()),
        );
    }
    stats.documents += documents.len() as u64;
    let _ = summary_csv(&billing.summary);
    let json = serde_json::to_string(&context(billing, card)).map_err(|e| Failure {
        kind: "the templates' context is not JSON".into(),
        details: e.to_string(),
    })?;
    if let Err(e) = serde_json::from_str::<Value>(&json) {
        return fail("the templates' context does not parse back", e.to_string());
    }
    Ok(())
}

/// Runs a case under `catch_unwind`, and times it.
fn guarded(ctx: &Context, bytes: &[u8], v: Variant, stats: &mut Stats) -> Result<(), Failure> {
    let start = Instant::now();
    let result =
        catch_unwind(AssertUnwindSafe(|| run_case(ctx, bytes, v, stats))).unwrap_or_else(|_| {
            let (kind, details) = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| ("panic".into(), String::new()));
            Err(Failure { kind, details })
        });
    stats.cases += 1;
    let took = start.elapsed();
    match result {
        Ok(()) if took > SLOW => fail("slow case", format!("{:.1} s", took.as_secs_f64())),
        r => r,
    }
}

// ---------------------------------------------------------------------------------------
// The two modes.

fn fuzz(ctx: &Context, o: &Options) -> i32 {
    if let Some(dir) = &o.emit {
        std::fs::create_dir_all(dir).expect("the --emit folder");
    }
    let start = Instant::now();
    let mut stats = Stats::default();
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for case in o.first..o.first + o.cases {
        let mut rng = Rng::new(o.seed, case);
        let c = make_case(ctx, &mut rng);
        if let Some(dir) = &o.emit
            && case.is_multiple_of(o.emit_every)
        {
            let _ = std::fs::write(dir.join(format!("{}-{case}.json", o.seed)), &c.bytes);
        }
        if let Err(f) = guarded(ctx, &c.bytes, c.variant, &mut stats) {
            let seen = failures.entry(f.kind.clone()).or_default();
            *seen += 1;
            if *seen as usize <= SAVED_PER_KIND {
                let path = save(&o.out, o.seed, case, &c, &f);
                eprintln!(
                    "FAIL seed {} case {case}: {}{}\n  input: {path}\n  replay: cargo run --release --example fuzz -- --replay {path}",
                    o.seed,
                    f.kind,
                    if *seen == 1 {
                        format!("\n{}", indent(&f.details))
                    } else {
                        String::new()
                    },
                );
            }
        }
        if !o.quiet && (case + 1 - o.first).is_multiple_of(100_000) {
            eprintln!("fuzz: {} cases", case + 1 - o.first);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let failed: u64 = failures.values().sum();
    #[allow(clippy::cast_precision_loss)]
    let rate = stats.cases as f64 / secs.max(1e-9);
    println!(
        "fuzz: seed {}: {} cases in {secs:.1} s ({rate:.0}/s): {} valid, {} invoices, {} documents rendered, {} runs refused for an overflow; {failed} failures",
        o.seed, stats.cases, stats.valid, stats.invoices, stats.documents, stats.overflows
    );
    for (kind, n) in &failures {
        println!("  {n} x {kind}");
    }
    i32::from(failed > 0)
}

fn indent(text: &str) -> String {
    text.lines()
        .take(60)
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// Saves a failing input and its story; returns the input's path.
fn save(dir: &Path, seed: u64, case: u64, c: &Case, f: &Failure) -> String {
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!("fail-{seed}-{case}.json"));
    let _ = std::fs::write(&path, &c.bytes);
    let _ = std::fs::write(
        dir.join(format!("fail-{seed}-{case}.txt")),
        format!(
            "seed {seed} case {case}, from {}, {:?}\n{}\n{}\n",
            c.base, c.variant, f.kind, f.details
        ),
    );
    path.display().to_string()
}

/// Runs saved inputs through every rate card, kind and option.
fn replay(ctx: &Context, files: &[PathBuf]) -> i32 {
    let mut failed = 0;
    let mut stats = Stats::default();
    // Every place panics again with its backtrace.
    for file in files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("fuzz: cannot read {}: {e}", file.display());
                return 2;
            }
        };
        for kind in [None, Some(Kind::Reports), Some(Kind::SiteUsage)] {
            for card in 0..ctx.cards.len() {
                for allow in [false, true] {
                    PANIC_PLACES.with(|p| p.borrow_mut().clear());
                    let v = Variant {
                        kind,
                        card,
                        allow,
                        split: 1,
                        audit: usize::from(allow),
                        issue_date: None,
                    };
                    if let Err(f) = guarded(ctx, &bytes, v, &mut stats) {
                        failed += 1;
                        println!(
                            "FAIL {} with {v:?} ({}): {}\n{}",
                            file.display(),
                            ctx.cards[card].0,
                            f.kind,
                            indent(&f.details)
                        );
                    }
                }
            }
        }
    }
    println!(
        "fuzz: replayed {} file(s), {} runs: {} valid, {} invoices; {failed} failures",
        files.len(),
        stats.cases,
        stats.valid,
        stats.invoices
    );
    i32::from(failed > 0)
}

/// Checks that each file is one JSON document; prints those that are not.
fn check_json(files: &[String]) -> i32 {
    let mut bad = 0;
    for f in files {
        let parsed = std::fs::read(f).map_err(|e| e.to_string()).and_then(|b| {
            serde_json::from_slice::<serde::de::IgnoredAny>(&b).map_err(|e| e.to_string())
        });
        if let Err(e) = parsed {
            println!("{f}: not JSON: {e}");
            bad += 1;
        }
    }
    i32::from(bad > 0)
}
