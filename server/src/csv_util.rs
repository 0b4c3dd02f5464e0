//! Shared pieces of CSV uploads: the list of problems (line, field, message), text decoding
//! with line numbers, and line numbers for csv records.

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
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1;
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
/// ended, so line breaks after it are skipped first.)
pub struct Lines<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let newlines = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
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
