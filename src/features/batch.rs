//! Batch extraction from PyRadiomics' batch CSV (`radscore extract --batch`).
//!
//! Input, as PyRadiomics' command line reads it (`radiomics/scripts/__init__.py`): a header row with
//! `Image` and `Mask` columns and optionally `Label`; every other column is carried through to the
//! output unchanged. Relative `Image`/`Mask` paths are relative to the CSV's folder; the output
//! holds them absolute and normalised (`os.path.abspath`). Differences, on purpose: a row with an
//! empty `Image`, `Mask` or too few fields yields an error row instead of being skipped, and an empty
//! `Label` means "the params file's label" instead of failing the case.
//!
//! Output: one row per case in input order — the input columns, `error` (empty on success), then
//! diagnostics (when enabled) and features in PyRadiomics' order. The columns are those of the
//! first case that succeeds; a failed case leaves them empty. Rows are written as soon as every
//! earlier case has finished; only finished rows wait for their turn.
//!
//! Parallelism: cases run on a rayon pool of `jobs` threads, and the parallel work inside one
//! extraction (feature classes, filters) runs on the same pool, so `jobs` bounds the whole batch's
//! threads (`--jobs 1` is single-threaded). Each running case holds its image and mask in memory.

use std::collections::BTreeMap;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::iter::{ParallelBridge, ParallelIterator};
use serde_yaml::Value;

use super::output::{Cell, json_object};
use super::{Diagnostics, FeatureVector, Params, diagnostics, extract_case, region_to_read};
use crate::imaging::archive::ZipLimits;
use crate::imaging::dicom::SeriesSelection;
use crate::imaging::{MaskSelection, read_case_region};

/// Why a batch could not run at all (a failing case is not an error: it yields an error row).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The batch CSV could not be read.
    #[error("{file}: cannot read: {cause}")]
    Read {
        /// The batch CSV.
        file: String,
        /// The underlying error (in the message, so not also a `source`: it would print twice).
        cause: csv::Error,
    },
    /// A required column is absent.
    #[error("{file}: required column {column:?} is missing; columns present: {}", .present.join(", "))]
    MissingColumn {
        /// The batch CSV.
        file: String,
        /// `Image` or `Mask`.
        column: &'static str,
        /// The header's columns.
        present: Vec<String>,
    },
    /// An input column has the name of an output column radscore adds.
    #[error("{file}: column {column:?} is reserved for radscore's output; rename it")]
    ReservedColumn {
        /// The batch CSV.
        file: String,
        /// The clashing column.
        column: String,
    },
    /// The worker pool could not be started.
    #[error("cannot start {jobs} worker threads: {message}")]
    Pool {
        /// Threads requested.
        jobs: usize,
        /// Why.
        message: String,
    },
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Write(#[from] std::io::Error),
}

/// The output column holding a failed case's error message.
pub const ERROR_COLUMN: &str = "error";

/// A parsed batch CSV.
#[derive(Debug, Clone)]
pub struct BatchInput {
    /// The header's columns, in order.
    pub columns: Vec<String>,
    /// One case per data row, in order.
    pub cases: Vec<Case>,
}

/// One row of the batch CSV.
#[derive(Debug, Clone)]
pub struct Case {
    /// The row's line number in the CSV (the header is line 1).
    pub line: u64,
    /// The row's values by column, `Image` and `Mask` replaced by their absolute paths.
    pub values: Vec<String>,
    /// The image path (`None` when the cell is empty).
    pub image: Option<PathBuf>,
    /// The mask path (`None` when the cell is empty).
    pub mask: Option<PathBuf>,
    /// The `Label` cell, if the column exists and the cell is not empty.
    pub label: Option<String>,
    /// The `Label_channel` cell, if the column exists and the cell is not empty.
    pub label_channel: Option<String>,
}

/// Reads a batch CSV, resolving relative paths against its folder.
pub fn read_batch_csv(path: &Path) -> Result<BatchInput, BatchError> {
    let file = path.display().to_string();
    let read = |cause| BatchError::Read {
        file: file.clone(),
        cause,
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(read)?;
    let columns: Vec<String> = reader.headers().map_err(read)?.iter().map(str::to_owned).collect();
    let find = |column: &'static str| columns.iter().position(|c| c == column);
    let required = |column: &'static str| {
        find(column).ok_or_else(|| BatchError::MissingColumn {
            file: file.clone(),
            column,
            present: columns.clone(),
        })
    };
    let (image, mask) = (required("Image")?, required("Mask")?);
    let (label, label_channel) = (find("Label"), find("Label_channel"));
    if columns.iter().any(|c| c == ERROR_COLUMN) {
        return Err(BatchError::ReservedColumn {
            file,
            column: ERROR_COLUMN.into(),
        });
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let mut cases = Vec::new();
    for record in reader.records() {
        let record = record.map_err(read)?;
        let line = record.position().map_or(0, |p| p.line());
        let mut values: Vec<String> = (0..columns.len())
            .map(|i| record.get(i).unwrap_or("").to_owned())
            .collect();
        let cell = |index: Option<usize>| index.map(|i| values[i].trim().to_owned()).filter(|v| !v.is_empty());
        let (label, label_channel) = (cell(label), cell(label_channel));
        let mut resolve = |index: usize| {
            (!values[index].is_empty()).then(|| {
                let resolved = absolute_normalised(&base.join(&values[index]));
                values[index] = resolved.display().to_string();
                resolved
            })
        };
        let (image, mask) = (resolve(image), resolve(mask));
        cases.push(Case {
            line,
            values,
            image,
            mask,
            label,
            label_channel,
        });
    }
    Ok(BatchInput { columns, cases })
}

/// `os.path.abspath`: absolute against the working directory, `.` and `..` folded lexically
/// (symbolic links are not resolved).
fn absolute_normalised(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions<'a> {
    /// The validated parameters (a case's `Label` overrides their label).
    pub params: &'a Params,
    /// The parameter document as written (`Value::Null` for defaults), for diagnostics.
    pub document: &'a Value,
    /// Add PyRadiomics' diagnostics before the features.
    pub diagnostics: bool,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Output format.
    pub format: BatchFormat,
    /// Limits for zipped DICOM inputs.
    pub zip_limits: ZipLimits,
}

/// The batch output's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFormat {
    /// A header row, then one row per case.
    Csv,
    /// One JSON object per line per case.
    JsonLines,
}

/// A finished case, as reported to the progress callback.
#[derive(Debug, Clone, Copy)]
pub struct CaseOutcome<'a> {
    /// The case's line in the batch CSV.
    pub line: u64,
    /// Its error message, if it failed.
    pub error: Option<&'a str>,
}

/// Counts of a finished batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSummary {
    /// Cases run.
    pub cases: usize,
    /// Cases that yielded an error row.
    pub failed: usize,
}

/// What one case yields: diagnostics and features, or a one-line error naming the file.
type CaseResult = Result<(Diagnostics, FeatureVector), String>;

/// Runs every case of `input` on `options.jobs` threads and writes one row per case, in input
/// order, to `out`; `on_finished` is called (on the calling thread) as each case finishes, in
/// completion order.
pub fn run_batch(
    input: &BatchInput,
    options: &BatchOptions<'_>,
    out: impl Write,
    mut on_finished: impl FnMut(CaseOutcome<'_>),
) -> Result<BatchSummary, BatchError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| BatchError::Pool {
            jobs: options.jobs,
            message: e.to_string(),
        })?;
    let cancelled = AtomicBool::new(false);
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, CaseResult)>();
    std::thread::scope(|scope| {
        let cancelled = &cancelled;
        scope.spawn(move || {
            // `par_bridge` hands out cases in input order, so rows rarely wait long for their turn.
            pool.install(|| {
                input
                    .cases
                    .iter()
                    .enumerate()
                    .par_bridge()
                    .for_each_with(sender, |sender, (index, case)| {
                        if !cancelled.load(Ordering::Relaxed) {
                            // A closed channel means the writer stopped; the flag ends the rest.
                            let _ = sender.send((index, run_case(case, options)));
                        }
                    });
            });
        });
        let mut writer = RowWriter::new(input, options.format, out);
        let result = (|| {
            for (index, result) in receiver {
                on_finished(CaseOutcome {
                    line: input.cases[index].line,
                    error: result.as_ref().err().map(String::as_str),
                });
                writer.finished(index, result)?;
            }
            writer.finish()
        })();
        if result.is_err() {
            cancelled.store(true, Ordering::Relaxed);
        }
        result
    })
}

/// Reads, checks and extracts one case; any failure (including a panic) becomes its error message.
fn run_case(case: &Case, options: &BatchOptions<'_>) -> CaseResult {
    let (Some(image), Some(mask)) = (&case.image, &case.mask) else {
        let column = if case.image.is_none() { "Image" } else { "Mask" };
        return Err(format!("line {}: {column} is empty", case.line));
    };
    let context = || format!("image {}, mask {}", image.display(), mask.display());
    catch_unwind(AssertUnwindSafe(|| extract_row(case, image, mask, options)))
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            Err(format!("{}: internal error: {message}", context()))
        })
        .map_err(|message| message.replace(['\n', '\r'], " "))
}

fn extract_row(case: &Case, image: &Path, mask: &Path, options: &BatchOptions<'_>) -> CaseResult {
    let mut params = options.params.clone();
    if let Some(channel) = &case.label_channel
        && channel != "0"
    {
        return Err(format!(
            "{}: Label_channel {channel}: multi-channel (vector) masks are not supported",
            mask.display()
        ));
    }
    if let Some(label) = &case.label {
        let label: i64 = label
            .parse()
            .map_err(|_| format!("line {}: Label {label:?} is not an integer", case.line))?;
        params
            .set_label(label)
            .map_err(|e| format!("line {}: Label: {e}", case.line))?;
    }
    let select = MaskSelection {
        label: params.settings.label,
        roi: None,
    };
    // Diagnostics describe the whole image; features alone may need only part of it.
    let volumes = read_case_region(
        image,
        mask,
        &SeriesSelection::default(),
        &select,
        &options.zip_limits,
        |grid, mask| (!options.diagnostics).then(|| region_to_read(&params, grid, || mask.extent()))?,
    )
    .map_err(|e| e.to_string())?;
    let context = |e: super::FeatureError| format!("image {}, mask {}: {e}", image.display(), mask.display());
    let diagnostics = if options.diagnostics {
        diagnostics(&volumes.image, &volumes.mask, &params, options.document).map_err(context)?
    } else {
        Vec::new()
    };
    let features = extract_case(volumes, &params).map_err(context)?;
    Ok((diagnostics, features))
}

/// Writes finished cases in input order; for CSV, holds rows back until the columns are known
/// (from the first case that succeeds, or all cases failed).
struct RowWriter<'i, W: Write> {
    input: &'i BatchInput,
    format: BatchFormat,
    out: W,
    pending: BTreeMap<usize, CaseResult>,
    next: usize,
    /// Diagnostic and feature columns after the input and error columns (CSV only).
    result_columns: Option<Vec<String>>,
    failed: usize,
}

impl<'i, W: Write> RowWriter<'i, W> {
    fn new(input: &'i BatchInput, format: BatchFormat, out: W) -> Self {
        RowWriter {
            input,
            format,
            out,
            pending: BTreeMap::new(),
            next: 0,
            result_columns: None,
            failed: 0,
        }
    }

    fn finished(&mut self, index: usize, result: CaseResult) -> Result<(), BatchError> {
        if self.format == BatchFormat::Csv
            && self.result_columns.is_none()
            && let Ok((diagnostics, features)) = &result
        {
            let names = diagnostics
                .iter()
                .map(|(n, _)| n)
                .chain(features.iter().map(|(n, _)| n));
            self.write_header(names.cloned().collect())?;
        }
        self.pending.insert(index, result);
        self.flush_ready()
    }

    fn finish(mut self) -> Result<BatchSummary, BatchError> {
        if self.result_columns.is_none() && self.format == BatchFormat::Csv {
            self.write_header(Vec::new())?;
        }
        self.flush_ready()?;
        self.out.flush()?;
        Ok(BatchSummary {
            cases: self.next,
            failed: self.failed,
        })
    }

    fn write_header(&mut self, result_columns: Vec<String>) -> Result<(), BatchError> {
        let names = self.input.columns.iter().map(String::as_str).chain([ERROR_COLUMN]);
        let names: Vec<&str> = names.chain(result_columns.iter().map(String::as_str)).collect();
        self.write_csv_line(&names)?;
        self.result_columns = Some(result_columns);
        Ok(())
    }

    /// Writes every pending row whose predecessors are written (CSV: once the header is out).
    fn flush_ready(&mut self) -> Result<(), BatchError> {
        if self.format == BatchFormat::Csv && self.result_columns.is_none() {
            return Ok(());
        }
        let input = self.input;
        while let Some(result) = self.pending.remove(&self.next) {
            let case = &input.cases[self.next];
            self.failed += usize::from(result.is_err());
            self.write_row(case, &result)?;
            self.next += 1;
        }
        Ok(())
    }

    fn write_row(&mut self, case: &Case, result: &CaseResult) -> Result<(), BatchError> {
        let input = self.input;
        let inputs = input.columns.iter().zip(&case.values);
        let mut cells: Vec<(&str, Cell<'_>)> = inputs.map(|(c, v)| (c.as_str(), Cell::Text(v))).collect();
        match result {
            Ok((diagnostics, features)) => {
                cells.push((ERROR_COLUMN, Cell::Empty));
                let diagnostics = diagnostics.iter().map(|(n, v)| (n.as_str(), Cell::Diagnostic(v)));
                cells.extend(diagnostics.chain(features.iter().map(|(n, v)| (n.as_str(), Cell::Feature(*v)))));
            }
            Err(message) => cells.push((ERROR_COLUMN, Cell::Text(message))),
        }
        match (&self.result_columns, self.format) {
            (Some(columns), BatchFormat::Csv) => {
                let by_name: std::collections::HashMap<&str, Cell<'_>> = cells.iter().copied().collect();
                let mut line: Vec<String> = cells[..=input.columns.len()].iter().map(|(_, c)| c.csv()).collect();
                line.extend(
                    columns
                        .iter()
                        .map(|name| by_name.get(name.as_str()).map_or(String::new(), Cell::csv)),
                );
                self.write_csv_line(&line)
            }
            _ => {
                let text = json_object(cells);
                writeln!(self.out, "{text}")?;
                Ok(())
            }
        }
    }

    fn write_csv_line<T: AsRef<[u8]>>(&mut self, fields: &[T]) -> Result<(), BatchError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(fields).map_err(std::io::Error::other)?;
        let bytes = writer.into_inner().map_err(|e| e.into_error())?;
        // One row per write: an interrupted batch leaves whole rows only.
        self.out.write_all(&bytes)?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(line: u64, patient: &str) -> Case {
        Case {
            line,
            values: vec![patient.into(), "i".into(), "m".into()],
            image: Some("i".into()),
            mask: Some("m".into()),
            label: None,
            label_channel: None,
        }
    }

    #[test]
    fn rows_wait_for_their_turn_and_failed_rows_wait_for_the_columns() {
        let input = BatchInput {
            columns: vec!["ID".into(), "Image".into(), "Mask".into()],
            cases: vec![case(2, "a"), case(3, "b"), case(4, "c")],
        };
        let mut out = Vec::new();
        let mut writer = RowWriter::new(&input, BatchFormat::Csv, &mut out);
        let features = |v: f64| Ok((Vec::new(), vec![("original_firstorder_Mean".to_owned(), v)]));
        writer.finished(0, Err("a.nii: cannot read".into())).unwrap();
        writer.finished(2, features(3.5)).unwrap();
        assert!(
            writer
                .out
                .starts_with(b"ID,Image,Mask,error,original_firstorder_Mean\na,i,m,a.nii: cannot read,\n")
        );
        writer.finished(1, features(0.25)).unwrap();
        let summary = writer.finish().unwrap();
        assert_eq!(summary, BatchSummary { cases: 3, failed: 1 });
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ID,Image,Mask,error,original_firstorder_Mean\na,i,m,a.nii: cannot read,\nb,i,m,,0.25\nc,i,m,,3.5\n"
        );
    }

    #[test]
    fn a_batch_where_every_case_fails_still_has_a_header() {
        let input = BatchInput {
            columns: vec!["ID".into(), "Image".into(), "Mask".into()],
            cases: vec![case(2, "a")],
        };
        let mut out = Vec::new();
        let mut writer = RowWriter::new(&input, BatchFormat::Csv, &mut out);
        writer.finished(0, Err("bad".into())).unwrap();
        writer.finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "ID,Image,Mask,error\na,i,m,bad\n");
    }

    #[test]
    fn paths_are_made_absolute_with_dot_dot_folded_like_os_path_abspath() {
        let resolved = absolute_normalised(Path::new("/data/batch/sub/../images/./a.nii.gz"));
        assert_eq!(resolved, Path::new("/data/batch/images/a.nii.gz"));
        let relative = absolute_normalised(Path::new("x/../y.nii"));
        assert_eq!(relative, std::env::current_dir().unwrap().join("y.nii"));
    }
}
