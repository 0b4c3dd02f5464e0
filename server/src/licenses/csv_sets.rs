//! Volume licensing number sets by CSV upload (SPEC L-1, L-2).
//!
//! Each line is `number, number` or `number, number, agreement name`; lines with a name become
//! agreements of that name, the others the agreement named in the form. ASCII only, 1 to 5,000
//! sets, file name at most 128 characters. The whole file is checked before anything is stored.

use super::Licenses;
use crate::core::audit::who_of;
use crate::core::error::internal;
use crate::csv_util::{ImportError, Lines, Problems, single};
use app::api::ssr::Actor;
use app::domain::licenses::*;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, PartialEq, Eq)]
pub struct ParsedSet {
    pub line: u64,
    pub first: String,
    pub second: String,
    pub name: Option<String>,
}

/// An agreement name, the line it first appears on, and its number sets.
type NamedSets = (String, u64, Vec<(String, String)>);

#[derive(Debug, Serialize)]
pub struct UploadReport {
    pub agreements: usize,
    pub sets: usize,
}

/// Checks a number-set file against every rule; returns its sets or every problem.
pub fn parse(
    file_name: &str,
    bytes: &[u8],
    default_name: Option<&str>,
) -> Result<Vec<ParsedSet>, ImportError> {
    if let Err(e) = csv_file_name(file_name) {
        let mut p = Problems::default();
        p.api(0, e);
        p.finish()?;
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // ASCII only: name every line that breaks it.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if t.is_ascii() => t,
        _ => {
            let mut p = Problems::default();
            let lines = Lines::of_bytes(bytes);
            let mut reported = 0;
            let mut last = 0;
            for (at, b) in bytes.iter().enumerate() {
                if b.is_ascii() {
                    continue;
                }
                let line = lines.line_of_byte(at);
                if last != line {
                    p.add(
                        line,
                        "file",
                        "Only ASCII characters are allowed in a number-set file.",
                    );
                    last = line;
                    reported += 1;
                    if reported >= 50 {
                        break;
                    }
                }
            }
            p.finish()?;
            unreachable!("a non-ASCII file has at least one problem");
        }
    };
    let default_name = match default_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(agreement_name(n)?),
        None => None,
    };
    let lines = Lines::new(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut problems = Problems::default();
    let mut sets = vec![];
    let mut seen: HashMap<(String, String, String), u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.add(
                    lines.line_at(e.position()),
                    "row",
                    format!("This line cannot be read as CSV: {e}"),
                );
                continue;
            }
        };
        let line = lines.line_at(record.position());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        if !(2..=3).contains(&record.len()) {
            problems.add(
                line,
                "row",
                format!("Each line needs 2 or 3 columns (number, number, optional agreement name); found {}.", record.len()),
            );
            continue;
        }
        let first = agreement_number(&record[0], "first_number");
        let second = agreement_number(&record[1], "second_number");
        let name = match record.get(2).filter(|n| !n.is_empty()) {
            Some(n) => agreement_name(n).map(Some),
            None => Ok(None),
        };
        match (first, second, name) {
            (Ok(first), Ok(second), Ok(name)) => {
                let target = name.clone().or_else(|| default_name.clone());
                let Some(target) = target else {
                    problems.add(line, "name", "This line has no agreement name; add one in the third column or enter a name in the form.");
                    continue;
                };
                let key = (target.to_lowercase(), first.clone(), second.clone());
                if let Some(other) = seen.get(&key) {
                    problems.add(
                        line,
                        "row",
                        format!("The number set {first}, {second} is already on line {other}."),
                    );
                    continue;
                }
                seen.insert(key, line);
                sets.push(ParsedSet {
                    line,
                    first,
                    second,
                    name: Some(target),
                });
            }
            (a, b, c) => {
                for e in [a.err(), b.err(), c.err()].into_iter().flatten() {
                    problems.api(line, e);
                }
            }
        }
    }
    if sets.len() > MAX_SETS_PER_FILE {
        let line = sets[MAX_SETS_PER_FILE].line;
        problems.add(
            line,
            "file",
            format!(
                "A file may hold at most {MAX_SETS_PER_FILE} number sets; this one has {}.",
                sets.len()
            ),
        );
    }
    problems.finish()?;
    if sets.is_empty() {
        return Err(single(1, "file", "The file holds no number sets."));
    }
    Ok(sets)
}

impl Licenses {
    /// Validates the whole file, then stores every agreement it names in one transaction.
    pub async fn upload_sets(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
        default_name: Option<&str>,
        group: GroupChoice,
    ) -> Result<UploadReport, ImportError> {
        let sets = parse(file_name, bytes, default_name)?;
        let mut by_name: Vec<NamedSets> = vec![];
        for s in sets {
            let name = s.name.expect("parse fills in every name");
            match by_name
                .iter_mut()
                .find(|(n, _, _)| n.eq_ignore_ascii_case(&name))
            {
                Some((_, _, list)) => list.push((s.first, s.second)),
                None => by_name.push((name, s.line, vec![(s.first, s.second)])),
            }
        }
        // Names already in use are problems of the file, named by their first line.
        let mut problems = Problems::default();
        for (name, line, _) in &by_name {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM agreements WHERE name_key = $1")
                    .bind(name.to_lowercase())
                    .fetch_optional(&self.db.pool)
                    .await
                    .map_err(internal)?;
            if exists.is_some() {
                problems.add(
                    *line,
                    "name",
                    format!("An agreement named {name} already exists."),
                );
            }
        }
        problems.finish()?;
        let who = who_of(actor);
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let group_id = self.resolve_group(&mut tx, &who, &group).await?;
        let mut total = 0;
        for (name, _, list) in &by_name {
            self.insert_volume_tx(
                &mut tx,
                &who,
                name,
                list,
                group_id,
                &format!("csv:{file_name}"),
            )
            .await?;
            total += list.len();
        }
        tx.commit().await.map_err(internal)?;
        Ok(UploadReport {
            agreements: by_name.len(),
            sets: total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(r: Result<Vec<ParsedSet>, ImportError>) -> Vec<(u64, String)> {
        match r {
            Err(ImportError::Invalid { errors, .. }) => {
                errors.into_iter().map(|e| (e.line, e.field)).collect()
            }
            Err(ImportError::Api(e)) => vec![(0, format!("api:{e}"))],
            Ok(s) => panic!("expected problems, got {} sets", s.len()),
        }
    }

    /// (what, file name, content, default name, expected: number of sets or the (line, field) problems)
    type Case<'a> = (
        &'a str,
        String,
        String,
        Option<&'a str>,
        Result<usize, Vec<(u64, String)>>,
    );

    /// The table of L-2 cases.
    #[test]
    fn number_set_files() {
        let ok = |n: usize| -> Result<usize, Vec<(u64, String)>> { Ok(n) };
        let long16 = "9".repeat(16);
        let long17 = "9".repeat(17);
        let many = |n: usize| {
            (0..n)
                .map(|i| format!("A-{i:05},L-{i:05}\n"))
                .collect::<String>()
        };
        let cases: Vec<Case> = vec![
            (
                "example line",
                "sets.csv".into(),
                "01-07001, 01-07001, Office agreements\n".into(),
                None,
                ok(1),
            ),
            (
                "pair with form name",
                "sets.csv".into(),
                "01-07001,01-07001\n".into(),
                Some("EA 2026"),
                ok(1),
            ),
            (
                "pair without any name",
                "sets.csv".into(),
                "01-07001,01-07001\n".into(),
                None,
                Err(vec![(1, "name".into())]),
            ),
            (
                "16 characters",
                "sets.csv".into(),
                format!("{long16},{long16},X\n"),
                None,
                ok(1),
            ),
            (
                "17 characters",
                "sets.csv".into(),
                format!("{long16},{long17},X\n"),
                None,
                Err(vec![(1, "second_number".into())]),
            ),
            (
                "one column",
                "sets.csv".into(),
                "01-07001\n".into(),
                Some("X"),
                Err(vec![(1, "row".into())]),
            ),
            (
                "four columns",
                "sets.csv".into(),
                "a,b,c,d\n".into(),
                None,
                Err(vec![(1, "row".into())]),
            ),
            (
                "forbidden name char",
                "sets.csv".into(),
                "a,b,Office/2026\n".into(),
                None,
                Err(vec![(1, "name".into())]),
            ),
            (
                "non-ASCII",
                "sets.csv".into(),
                "a,b,X\nä,b,X\n".into(),
                None,
                Err(vec![(2, "file".into())]),
            ),
            (
                "BOM and CRLF",
                "sets.csv".into(),
                "\u{feff}a,b,X\r\nc,d,X\r\n".into(),
                None,
                ok(2),
            ),
            (
                "blank lines",
                "sets.csv".into(),
                "a,b,X\n\n\nc,d,X\n".into(),
                None,
                ok(2),
            ),
            (
                "CR line endings (classic Mac)",
                "sets.csv".into(),
                "a,b,X\rc\r\u{e4},d,X\r".into(),
                None,
                Err(vec![(3, "file".into())]),
            ),
            (
                "CR line endings, an error",
                "sets.csv".into(),
                "a,b,X\rc\r".into(),
                None,
                Err(vec![(2, "row".into())]),
            ),
            (
                "blank line then error",
                "sets.csv".into(),
                "a,b,X\n\nc\n".into(),
                None,
                Err(vec![(3, "row".into())]),
            ),
            (
                "quoted fields",
                "sets.csv".into(),
                "\"01-07001\",\"01-07001\",\"Office, EMEA\"\n".into(),
                None,
                ok(1),
            ),
            (
                "duplicate set",
                "sets.csv".into(),
                "a,b,X\na,b,X\n".into(),
                None,
                Err(vec![(2, "row".into())]),
            ),
            (
                "empty file",
                "sets.csv".into(),
                "\n\n".into(),
                Some("X"),
                Err(vec![(1, "file".into())]),
            ),
            (
                "5,000 sets",
                "sets.csv".into(),
                many(5_000),
                Some("X"),
                ok(5_000),
            ),
            (
                "5,001 sets",
                "sets.csv".into(),
                many(5_001),
                Some("X"),
                Err(vec![(5_001, "file".into())]),
            ),
            (
                "128-character file name",
                format!("{}.csv", "f".repeat(124)),
                "a,b,X\n".into(),
                None,
                ok(1),
            ),
            (
                "129-character file name",
                format!("{}.csv", "f".repeat(125)),
                "a,b,X\n".into(),
                None,
                Err(vec![(0, "file".into())]),
            ),
        ];
        for (what, file, content, default, expected) in cases {
            let got = parse(&file, content.as_bytes(), default);
            match expected {
                Ok(n) => assert_eq!(
                    got.map(|s| s.len()).map_err(|_| "problems"),
                    Ok(n),
                    "{what}"
                ),
                Err(want) => assert_eq!(problems(got), want, "{what}"),
            }
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::core::arbitrary::{csv_text, line_count};
    use app::domain::ApiError;
    use proptest::prelude::*;

    /// Cells of almost valid number-set files.
    fn cells() -> Vec<&'static str> {
        vec![
            "",
            " ",
            "01-07001",
            "A-1",
            "9999999999999999",
            "99999999999999999",
            "EA 2026",
            "Office agreements",
            "\"Office, EMEA\"",
            "\"",
            "\"a\"\"b\"",
            "x\"y",
            "Office/2026",
            "\u{e4}",
            "\u{feff}",
            "\r",
            "\t",
            "=1+1",
        ]
    }

    /// A line that keeps every rule: two numbers and maybe a name, spaced or quoted; or blank.
    fn good_line() -> impl Strategy<Value = String> {
        let number = "[A-Z0-9-]{1,16}";
        let name = prop::sample::select(vec![
            "",
            ",EA 2026",
            ", Office agreements ",
            ",\"Office, EMEA\"",
        ]);
        prop_oneof![
            8 => (number, number, name, any::<bool>()).prop_map(|(a, b, name, quoted)| {
                if quoted { format!("\"{a}\", {b}{name}") } else { format!("{a},{b}{name}") }
            }),
            1 => prop::sample::select(vec!["", " ", ","]).prop_map(str::to_string),
        ]
    }

    fn default_name() -> impl Strategy<Value = Option<&'static str>> {
        prop::sample::select(vec![
            None,
            Some("EA 2026"),
            Some(""),
            Some("  "),
            Some("a/b"),
        ])
    }

    /// Every way `parse` may answer: sets within the limits, or problems that each name a line
    /// of the file, a field and a message (or the form's invalid agreement name).
    fn check(
        bytes: &[u8],
        result: Result<Vec<ParsedSet>, ImportError>,
    ) -> Result<(), TestCaseError> {
        let lines = line_count(bytes);
        match result {
            Ok(sets) => {
                prop_assert!(!sets.is_empty() && sets.len() <= MAX_SETS_PER_FILE);
                for s in sets {
                    prop_assert!((1..=lines).contains(&s.line), "line {} of {lines}", s.line);
                    prop_assert!(
                        agreement_number(&s.first, "first_number").as_ref() == Ok(&s.first)
                    );
                    prop_assert!(
                        agreement_number(&s.second, "second_number").as_ref() == Ok(&s.second)
                    );
                    prop_assert!(s.name.is_some());
                }
            }
            Err(ImportError::Invalid { errors, total }) => {
                prop_assert!(!errors.is_empty() && total >= errors.len());
                for e in errors {
                    prop_assert!(
                        (1..=lines).contains(&e.line),
                        "{e:?} in a file of {lines} lines"
                    );
                    prop_assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
                }
            }
            Err(ImportError::Api(ApiError::Invalid { field, message })) => {
                prop_assert_eq!(field, "name");
                prop_assert!(!message.is_empty());
            }
            Err(ImportError::Api(other)) => prop_assert!(false, "unnamed error {other:?}"),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes are number sets or named problems on lines of the file, never a panic.
        #[test]
        fn any_bytes_are_sets_or_named_problems(
            bytes in prop::collection::vec(any::<u8>(), 0..256),
            default in default_name(),
        ) {
            check(&bytes, parse("sets.csv", &bytes, default))?;
        }

        /// Almost valid files (quotes, BOM, CR, non-ASCII, 16/17-character numbers, 0–5
        /// columns) are number sets or named problems on lines of the file, never a panic.
        #[test]
        fn almost_valid_files_are_sets_or_named_problems(
            text in csv_text(good_line(), cells(), 5, 12),
            default in default_name(),
        ) {
            check(text.as_bytes(), parse("sets.csv", text.as_bytes(), default))?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        /// Around the limit (L-2: at most 5,000 sets), an accepted file never holds more.
        #[test]
        fn never_more_than_the_maximum_sets(
            n in (MAX_SETS_PER_FILE - 2)..=(MAX_SETS_PER_FILE + 2),
            broken in prop::collection::vec(0..MAX_SETS_PER_FILE + 2, 0..3),
        ) {
            let text: String = (0..n)
                .map(|i| if broken.contains(&i) { "x\n".to_string() } else { format!("A-{i},L-{i}\n") })
                .collect();
            let result = parse("sets.csv", text.as_bytes(), Some("EA 2026"));
            let valid = (0..n).filter(|i| !broken.contains(i)).count();
            prop_assert_eq!(result.is_ok(), valid == n && n <= MAX_SETS_PER_FILE);
            check(text.as_bytes(), result)?;
        }
    }
}
