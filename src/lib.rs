//! `vspc_billing`: load, validate, audit and bill Veeam Service Provider Console license
//! usage exports.
//!
//! The pipeline, one module a step:
//! - [`model`], [`enums`], [`date`], [`num`]: the typed documents, exact numbers, vendor dates;
//! - [`load`], [`strict`], [`split`]: bytes to typed documents, with located problems (a
//!   large document parsed on several threads);
//! - [`schema`]: the JSON Schemas generated from the model, and their validators;
//! - [`schedule`]: threads, file order, splitting a large file, freeing, progress;
//! - [`locate`]: JSON pointer → line and column;
//! - [`diag`], [`codes`]: findings as values, and the documentation of every code;
//! - [`audit`]: recompute every point exactly and flag each inconsistency;
//! - [`billing`]: rate card, exact invoice arithmetic, provider summary;
//! - [`render`]: invoices and summary through tera templates, CSV, safe file names;
//! - [`pdf`]: PDF/A-3 invoices compiled by an embedded typst, with attachments (Factur-X);
//! - [`report`]: the monthly series of an audit as one self-contained HTML page, JSON, CSV;
//! - [`text`]: input text made safe for a terminal, a document and a CSV cell;
//! - [`documents`]: the invoice run's documents, rendered into staged files;
//! - [`output`]: files written whole (temporary name, then rename), alone or as a set;
//! - [`corpus`]: a deterministic generator of realistic reports, for benchmarks and tests.

pub mod accounting;
pub mod audit;
pub mod billing;
pub mod codes;
pub mod corpus;
pub mod date;
pub mod diag;
pub mod documents;
pub mod einvoice;
pub mod enums;
pub mod invoicing;
pub mod load;
pub mod locate;
pub mod model;
pub mod num;
pub mod output;
pub mod pdf;
pub mod register;
pub mod render;
pub mod report;
pub mod schedule;
pub mod schema;
pub mod split;
pub mod strict;
pub mod text;
