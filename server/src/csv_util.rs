//! Shared pieces of CSV files: the list of problems (line, field, message), text decoding
//! with line numbers, line numbers for csv records, and formula-safe cells for exports.

use app::domain::ApiError;
use serde::Serialize;

/// At most this many problems are listed (the total says how many there were).
const MAX_LISTED: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub enum ImportError {
    /// The file broke rules; nothing was stored.
    Invalid {
        errors: Vec<RowError>,
        total: usize,
    },
    Api(ApiError),
}

impl From<ApiError> for ImportError {
    fn from(e: ApiError) -> Self {
        ImportError::Api(e)
    }
}

/// Collects problems; `finish` turns a non-empty list into `ImportError::Invalid`.
#[derive(Default)]
pub struct Problems(Vec<RowError>, usize);

impl Problems {
    pub fn add(&mut self, line: u64, field: &str, message: impl Into<String>) {
        self.1 += 1;
        if self.0.len() < MAX_LISTED {
            self.0.push(RowError {
                line,
                field: field.to_string(),
                message: message.into(),
            });
        }
    }

    /// Adds a validation error from a domain rule, keeping its field.
    pub fn api(&mut self, line: u64, err: ApiError) {
        match err {
            ApiError::Invalid { field, message } => self.add(line, &field, message),
            other => self.add(line, "row", other.to_string()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.1 == 0
    }

    pub fn finish(self) -> Result<(), ImportError> {
        if self.1 == 0 {
            Ok(())
        } else {
            Err(ImportError::Invalid {
                errors: self.0,
                total: self.1,
            })
        }
    }
}

pub fn single(line: u64, field: &str, message: impl Into<String>) -> ImportError {
    let mut p = Problems::default();
    p.add(line, field, message);
    match p.finish() {
        Err(e) => e,
        Ok(()) => unreachable!("one problem was added"),
    }
}

/// The file as UTF-8 text without a BOM, or an error naming the line of the first bad byte.
pub fn utf8_text(bytes: &[u8]) -> Result<&str, ImportError> {
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Err(e) => {
            let line = Lines::of_bytes(bytes).line_of_byte(e.valid_up_to());
            Err(single(
                line,
                "file",
                format!(
                    "The file is not UTF-8 text (line {line}). Save it as \"CSV UTF-8\" and try again."
                ),
            ))
        }
    }
}

/// Maps a csv record's byte position to the line it starts on. (The csv crate's own line
/// counter skips blank lines, and a record's position is where the previous line's terminator
/// ended, so line breaks after it are skipped first.) A line ends at LF, CRLF, or a CR alone
/// (files saved with classic Mac line endings, which the csv reader splits there too).
pub struct Lines<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Lines::of_bytes(text.as_bytes())
    }

    /// The lines of a file that may not be text.
    pub fn of_bytes(bytes: &'a [u8]) -> Self {
        let newlines = bytes
            .iter()
            .enumerate()
            .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .map(|(i, _)| i)
            .collect();
        Lines { bytes, newlines }
    }

    pub fn line_at(&self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        let mut at = pos.byte() as usize;
        while at < self.bytes.len() && matches!(self.bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        self.newlines.partition_point(|&nl| nl < at) as u64 + 1
    }

    /// The 1-based line of a byte offset.
    pub fn line_of_byte(&self, at: usize) -> u64 {
        self.newlines.partition_point(|&nl| nl < at) as u64 + 1
    }
}

/// The first characters with which a spreadsheet treats a cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn needs_guard(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// A cell as an export writes it: a text that a spreadsheet would run as a formula gets a
/// leading `'` (shown as text, never evaluated). Plain numbers (`-12.50`) stay as they are.
/// With [`restore`] it is exact both ways: every text of the form `'…'<formula start>…` gets
/// one more `'`, which `restore` takes off again.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let number = cell
        .chars()
        .all(|c| c.is_ascii_digit() || ".+-eE".contains(c))
        && cell.parse::<f64>().is_ok();
    if needs_guard(cell) && !number {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The text behind a cell that [`neutralise`] wrote (imports call it on every field).
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

/// Writes one row of an export with every cell neutralised.
pub fn write_row<I, S>(w: &mut csv::Writer<Vec<u8>>, row: I) -> csv::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    w.write_record(row.into_iter().map(|c| neutralise(c.as_ref()).into_owned()))
}

#[cfg(test)]
mod formula_tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_restored_exactly() {
        for (cell, written) in [
            ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("''-x", "'''-x"),
            ("-12.50", "-12.50"),
            ("+31 20 123", "'+31 20 123"),
            ("'quoted", "'quoted"),
            ("'", "'"),
            ("Ada", "Ada"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    proptest::proptest! {
        /// Whatever the text, the written cell never starts a formula and reads back exactly.
        #[test]
        fn any_text_round_trips(cell in "['=+@\\-\t\r a-z0-9.]{0,12}") {
            let written = neutralise(&cell);
            let number = written.parse::<f64>().is_ok();
            proptest::prop_assert!(number || !written.starts_with(FORMULA_START));
            proptest::prop_assert_eq!(restore(&written), cell.as_str());
        }
    }
}
