//! (feature `fuzzing`; not part of the server) The entry points of the coverage-guided fuzz
//! targets in `fuzz/` (`cargo xtask fuzz`): one function per parser of outside input, taking
//! the fuzzer's bytes and asserting what that parser's property tests (`mod props`) assert, so
//! that a panic or a broken property is a crash the fuzzer reports and keeps.
//!
//! Parsers that are private to their module are reached through the public code that calls
//! them, never by making them public: the store connectors and the licensing connector talk
//! to [`MockServer`] (a local HTTP server answering the fuzzer's bytes), and the directory
//! CSV reader is reached through `DirectoryService::import` on a scratch SQLite database.
//!
//! `cargo test -p licensedesk --features fuzzing --lib fuzzing` replays the checked-in corpus
//! (`fuzz/corpus/<target>/`, which also holds every crash found) through these functions.
#![doc(hidden)]

use crate::core::clock::SystemClock;
use crate::core::cursor::{Cursor, forged};
use crate::csv_util::ImportError;
use crate::db::Db;
use crate::directory::DirectoryService;
use crate::directory::csv_io::Kind;
use crate::licenses::csv_sets::{self, ParsedSet};
use crate::licensing::{Connector, ConnectorError, MAX_ATTEMPTS, SetRef};
use crate::services::{Services, SessionConfig};
use crate::store::apple::{self, AppleClient, Limits, MdmInfo};
use crate::store::http::{self, Http, RetryKind, Sleeper, StoreError, Verdict};
use crate::store::microsoft::MicrosoftClient;
use app::api::ssr::{Actor, AuthedAdmin};
use app::domain::licenses::{MAX_SETS_PER_FILE, agreement_number};
use app::domain::{ApiError, Role};
use reqwest::StatusCode;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Lines of a file as the property tests count them (LF, CRLF or a CR alone end a line).
fn line_count(bytes: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    text.matches(['\n', '\r']).count() as u64 + 1
}

/// Problems that each name a line of the file (1..=`lines`), a field and a message.
fn assert_named_problems(result: &ImportError, lines: u64, first_line: u64) {
    match result {
        ImportError::Invalid { errors, total } => {
            assert!(!errors.is_empty() && *total >= errors.len(), "{result:?}");
            for e in errors {
                assert!(
                    (first_line..=lines).contains(&e.line),
                    "{e:?} in a file of {lines} lines"
                );
                assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
            }
        }
        ImportError::Api(e) => panic!("unnamed error {e:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Number-set files (licenses::csv_sets::parse)
// ---------------------------------------------------------------------------------------------

/// A number-set file, with no agreement name in the form, a valid one and an invalid one: number
/// sets within the limits, or problems that each name a line, a field and a message (or the
/// form's invalid agreement name). Asserts `csv_sets::props::check`.
pub fn license_number_sets(data: &[u8]) {
    let lines = line_count(data);
    for default in [None, Some("EA 2026"), Some("a/b")] {
        match csv_sets::parse("sets.csv", data, default) {
            Ok(sets) => {
                assert!(!sets.is_empty() && sets.len() <= MAX_SETS_PER_FILE);
                for ParsedSet {
                    line,
                    first,
                    second,
                    name,
                } in sets
                {
                    assert!((1..=lines).contains(&line), "line {line} of {lines}");
                    assert_eq!(
                        agreement_number(&first, "first_number").as_ref(),
                        Ok(&first)
                    );
                    assert_eq!(
                        agreement_number(&second, "second_number").as_ref(),
                        Ok(&second)
                    );
                    assert!(name.is_some());
                }
            }
            Err(ImportError::Api(ApiError::Invalid { field, message })) => {
                assert_eq!(field, "name");
                assert!(!message.is_empty());
            }
            Err(e) => assert_named_problems(&e, lines, 1),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Directory import files (directory::csv_io::rows, through DirectoryService::import)
// ---------------------------------------------------------------------------------------------

/// Imports per scratch database before a fresh one is made (the audit log only grows).
const IMPORTS_PER_DATABASE: u32 = 2_000;

struct Scratch {
    runtime: tokio::runtime::Runtime,
    directory: Option<(DirectoryService, PathBuf, u32)>,
    made: u32,
}

fn scratch() -> &'static Mutex<Scratch> {
    static SCRATCH: OnceLock<Mutex<Scratch>> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        // Internal errors are logged, not returned: show their cause before the assertion.
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::WARN)
            .try_init();
        Mutex::new(Scratch {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime"),
            directory: None,
            made: 0,
        })
    })
}

fn remove_database(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A directory import: the first byte chooses the kind (`u`sers, `g`roups, `d`evices,
/// `s`oftware; any other byte by its value), the rest is the file. The file is imported or
/// every problem names a line of the file, a field and a message; a file never causes an
/// internal error. (`rows` is private to `csv_io`: the import is its only caller.)
pub fn directory_import(data: &[u8]) {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let kind = match selector {
        b'u' => Kind::Users,
        b'g' => Kind::Groups,
        b'd' => Kind::Devices,
        b's' => Kind::Software,
        b => [Kind::Users, Kind::Groups, Kind::Devices, Kind::Software][usize::from(b % 4)],
    };
    let mut guard = scratch().lock().unwrap_or_else(|e| e.into_inner());
    let scratch = &mut *guard;
    let runtime = &scratch.runtime;
    if scratch
        .directory
        .as_ref()
        .is_some_and(|(_, _, used)| *used >= IMPORTS_PER_DATABASE)
        && let Some((old, path, _)) = scratch.directory.take()
    {
        runtime.block_on(old.directory.db.pool.close());
        remove_database(&path);
    }
    if scratch.directory.is_none() {
        scratch.made += 1;
        let path = std::env::temp_dir().join(format!(
            "licensedesk-fuzz-{}-{}.db",
            std::process::id(),
            scratch.made
        ));
        remove_database(&path);
        let db = runtime.block_on(async {
            let db = Db::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("scratch database");
            db.migrate().await.expect("migrations");
            db
        });
        let services = Services {
            db,
            clock: Arc::new(SystemClock),
            sessions: SessionConfig::default(),
        };
        scratch.directory = Some((services.directory(), path, 0));
    }
    let Some((directory, _, used)) = scratch.directory.as_mut() else {
        return;
    };
    *used += 1;
    let actor = Actor {
        admin: AuthedAdmin {
            id: 1,
            username: "fuzz".into(),
            role: Role::GlobalAdmin,
            token: None,
        },
        session_id: None,
        client_ip: "127.0.0.1".into(),
    };
    let lines = line_count(file);
    match runtime.block_on(directory.import(&actor, kind, file)) {
        Ok(report) => assert!(report.rows >= 1, "{report:?}"),
        Err(e) => assert_named_problems(&e, lines, 1),
    }
}

// ---------------------------------------------------------------------------------------------
// Apple token files (store::apple::parse_token, parse_exp_date, make_token)
// ---------------------------------------------------------------------------------------------

/// The token parser's errors, each telling the admin what is wrong with the file.
const TOKEN_ERRORS: [&str; 5] = [
    "Choose the token file",
    "This is not a content token file",
    "This file is not a content token",
    "The token file has no token",
    "The token's expiry date",
];

fn check_token(content: &str) {
    match apple::parse_token(content) {
        Ok(t) => {
            assert!(!t.token.trim().is_empty());
            assert!(!t.org_name.is_empty() && t.org_name.trim() == t.org_name);
            assert!(!t.raw.contains(char::is_whitespace));
            // `made_tokens_parse_back`, for any time from year 0 to 9999.
            if (-62_167_219_200..=253_402_300_799).contains(&t.expires_at) {
                let file = apple::make_token(&t.token, &t.org_name, t.expires_at);
                let back = apple::parse_token(&file).expect("a made token parses");
                assert_eq!(back.token, t.token);
                assert_eq!(back.org_name, t.org_name);
                assert_eq!(back.expires_at, t.expires_at);
                assert_eq!(back.raw, file);
            }
        }
        Err(e) => assert!(
            TOKEN_ERRORS.iter().any(|p| e.starts_with(p)),
            "unnamed error {e:?}"
        ),
    }
}

/// A `.vpptoken` file: the bytes as the file's text, and base64 of the bytes (so that the
/// fuzzer reaches the JSON and the expiry date inside); the text also as an expiry date. A
/// token or one of the named errors; a parsed token written again parses back to itself.
pub fn apple_token(data: &[u8]) {
    use base64::Engine;
    let text = String::from_utf8_lossy(data);
    check_token(&text);
    check_token(&base64::engine::general_purpose::STANDARD.encode(data));
    let _ = apple::parse_exp_date(&text);
}

// ---------------------------------------------------------------------------------------------
// Store answers (store::http::classify)
// ---------------------------------------------------------------------------------------------

/// The shape `classify` checks every body for (`http::ErrorBody`, which is private).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    error_number: i64,
    #[serde(default)]
    error_message: String,
}

/// The status an answer starts with: three digits (100–999), or else two bytes mapped there.
fn status_and_body(data: &[u8]) -> (StatusCode, &[u8]) {
    let code = data
        .get(..3)
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|c| (100..=999).contains(c));
    let (code, body) = match code {
        Some(c) => (c, &data[3..]),
        None if data.len() >= 2 => (
            100 + u16::from_le_bytes([data[0], data[1]]) % 900,
            &data[2..],
        ),
        None => (200, data),
    };
    (
        StatusCode::from_u16(code).expect("100..=999 is a status"),
        body,
    )
}

/// One store answer: a status (`200{…}`: the first three digits) and a body. Classified
/// without a panic; only an error-free success is believed, unchanged; a refusal quotes at most
/// 200 characters of a non-JSON body; error numbers with a meaning win whatever the status.
/// Asserts `http::props`.
pub fn store_classify(data: &[u8]) {
    let (status, body) = status_and_body(data);
    let text = String::from_utf8_lossy(body).into_owned();
    let error = serde_json::from_str::<ErrorBody>(&text).ok();
    let verdict = http::classify(status, text.clone());
    match &verdict {
        Verdict::Body(b) => {
            assert!(status.is_success() && error.is_none());
            assert_eq!(b, &text);
        }
        Verdict::Retry(why, _) => assert!(!why.is_empty()),
        Verdict::Fail(e) => {
            assert!(!e.to_string().is_empty());
            if let StoreError::Refused { message, .. } = e
                && error.is_none()
            {
                assert!(message.chars().count() <= 200);
            }
        }
    }
    if let Some(e) = error {
        match e.error_number {
            9646 => assert!(
                matches!(verdict, Verdict::Retry(_, RetryKind::SlowDown)),
                "{verdict:?}"
            ),
            9603 => assert!(
                matches!(verdict, Verdict::Retry(_, RetryKind::Transient)),
                "{verdict:?}"
            ),
            9601 | 9622 | 9722 => assert!(
                matches!(verdict, Verdict::Fail(StoreError::Unauthorized(_))),
                "{verdict:?}"
            ),
            9621 => assert_eq!(verdict, Verdict::Fail(StoreError::TokenExpired)),
            9625 => assert_eq!(verdict, Verdict::Fail(StoreError::TokenRevoked)),
            9709 => assert_eq!(
                verdict,
                Verdict::Fail(StoreError::NotEnoughLicenses(e.error_message))
            ),
            _ => assert!(!matches!(verdict, Verdict::Body(_)), "{verdict:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A local HTTP server that answers the fuzzer's bytes
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Script {
    /// The answer to the first request (status, body).
    first: Option<(u16, Vec<u8>)>,
    /// The answer to every later request.
    then: (u16, Vec<u8>),
    /// The request targets (path and query), in order.
    seen: Vec<String>,
}

/// An HTTP/1.1 server on 127.0.0.1 that answers what its script says (keep-alive, one thread
/// per connection). The connectors under test talk to it as they would to the real service.
pub struct MockServer {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl MockServer {
    fn get() -> &'static MockServer {
        static SERVER: OnceLock<MockServer> = OnceLock::new();
        SERVER.get_or_init(|| {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
            let addr = listener.local_addr().expect("local address");
            let script = Arc::new(Mutex::new(Script::default()));
            let shared = script.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let script = shared.clone();
                    std::thread::spawn(move || {
                        let _ = serve(stream, &script);
                    });
                }
            });
            MockServer { addr, script }
        })
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `first` to the next request and `then` to every later one.
    fn play(&self, first: (u16, &[u8]), then: (u16, &[u8])) {
        let mut s = self.script.lock().unwrap_or_else(|e| e.into_inner());
        s.first = Some((first.0, first.1.to_vec()));
        s.then = (then.0, then.1.to_vec());
        s.seen.clear();
    }

    fn seen(&self) -> Vec<String> {
        let s = self.script.lock().unwrap_or_else(|e| e.into_inner());
        s.seen.clone()
    }
}

fn serve(stream: TcpStream, script: &Mutex<Script>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let (status, answer) = {
            let mut s = script.lock().unwrap_or_else(|e| e.into_inner());
            s.seen.push(target);
            match s.first.take() {
                Some(first) => first,
                None => s.then.clone(),
            }
        };
        let mut out = format!(
            "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        )
        .into_bytes();
        out.extend_from_slice(&answer);
        writer.write_all(&out)?;
        writer.flush()?;
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// The store's retry policy, its pauses recorded instead of waited for.
fn store_http() -> Http {
    let mut http = Http::new(Duration::from_secs(10));
    http.sleeper = Sleeper::recording().0;
    http
}

/// A store call that failed: a named error, which says why when the store was unavailable.
fn assert_store_error(e: &StoreError) {
    assert!(!e.to_string().is_empty());
    if let StoreError::Unavailable { last, .. } = e {
        assert!(
            !last.is_empty() && last != "connection failed" && last != "timed out",
            "unexpected {e:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Apple answers (store::apple: read_page, parse_json of each answer, through AppleClient)
// ---------------------------------------------------------------------------------------------

/// One answer of Apple's service, as the body of an HTTP 200: the first byte chooses the call
/// (`S`ervice config, `C`lient config, clai`M`, `A`ssets, assig`N`ments, `U`sers, `L`ookup,
/// even`T` status, `E`vent of an association; any other byte by its value), the rest is the
/// body. Read, or a named error (such as an unreadable answer); pages report progress from 1
/// and are only ever followed forward. (`read_page` and the lookup, claim and event answers
/// are private to `apple`: its client is their only caller.)
pub fn apple_answers(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    const CALLS: &[u8] = b"SCMANULTE";
    let call = if CALLS.contains(&selector) {
        selector
    } else {
        CALLS[usize::from(selector) % CALLS.len()]
    };
    let server = MockServer::get();
    let client = AppleClient::new(store_http(), &server.base(), "token");
    let progress: Arc<Mutex<Vec<(u32, u32)>>> = Arc::default();
    let heard = progress.clone();
    let on_progress = move |page: u32, total: u32| {
        heard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((page, total));
    };
    // A follow-up page is the last one.
    server.play((200, body), (200, b"{\"items\":[]}"));
    let result: Result<(), StoreError> = runtime().block_on(async {
        let ids = ["361309726".to_string()];
        let limits = Limits::default();
        match call {
            b'S' => client.service_config().await.map(drop),
            b'C' => client.client_config().await.map(drop),
            b'M' => client.claim(&MdmInfo::default()).await.map(drop),
            b'A' => client.assets(&on_progress).await.map(drop),
            b'N' => client.assignments(&on_progress).await.map(drop),
            b'U' => client.users(&on_progress).await.map(drop),
            b'L' => {
                let url = format!("{}/lookup", server.base());
                client.lookup(&url, &ids, "US", "").await.map(drop)
            }
            b'T' => client.event_status("ev-1").await.map(drop),
            _ => client
                .associate(&limits, "361309726", "STDQ", &ids, false)
                .await
                .map(drop),
        }
    });
    if let Err(e) = &result {
        assert_store_error(e);
    }
    for (page, _) in progress.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        assert!(*page >= 1, "page {page}");
    }
    // Page indexes only ever go forward (a retry asks for the same page), so the paging ends.
    let indexes: Vec<u64> = server
        .seen()
        .iter()
        .filter_map(|t| t.split_once("pageIndex=").map(|(_, i)| i))
        .map(|i| i.parse().expect("a page index"))
        .collect();
    assert!(indexes.windows(2).all(|w| w[0] <= w[1]), "{indexes:?}");
}

// ---------------------------------------------------------------------------------------------
// Microsoft inventory pages (store::microsoft::read_inventory_page, through MicrosoftClient)
// ---------------------------------------------------------------------------------------------

/// One inventory page, as the body of an HTTP 200 (a follow-up page is the last one): online
/// entries whose assigned seats never overflow, and a continuation token that is followed only
/// when it is not empty; or a named error (an unreadable answer).
pub fn microsoft_inventory(data: &[u8]) {
    let server = MockServer::get();
    let client = MicrosoftClient::new(store_http(), &server.base(), "tenant", "secret", "en-US");
    server.play((200, data), (200, b"{\"inventoryEntries\":[]}"));
    match runtime().block_on(client.inventory(&|_, _| {})) {
        Ok(entries) => {
            for e in &entries {
                assert_eq!(e.license_type.as_str(), "online");
                let _ = e.store_assigned();
            }
        }
        Err(e) => assert_store_error(&e),
    }
    // The first answer leads to at most one more request (a retry, or the next page), and a
    // next page is asked for only with a token.
    let seen = server.seen();
    assert!(seen.len() <= 2, "{seen:?}");
    for request in &seen {
        if let Some((_, token)) = request.split_once("continuationToken=") {
            assert!(!token.is_empty(), "{seen:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Licensing-service answers (licensing::read_reply, through Connector)
// ---------------------------------------------------------------------------------------------

/// The error shape `read_reply` checks every body for (`licensing::ServiceError`, private).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceError {
    error_number: i64,
    #[serde(default)]
    error_message: String,
}

/// One answer of the licensing service, as the body of every HTTP 200: the first byte chooses
/// the call (`V`alidate, `E`ntitlements; any other byte by its value), the rest is the body.
/// The answer, or a refusal (never of a "try again" number), an unreadable answer on the first
/// attempt, or "try again" errors until the attempts run out; a body with an error number is
/// never taken for the answer.
pub fn licensing_replies(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let server = MockServer::get();
    let mut connector = Connector::new(&server.base(), Duration::from_secs(10));
    connector.max_retry_wait = Duration::ZERO;
    server.play((200, body), (200, body));
    let sets = [SetRef {
        first: "01-07001".into(),
        second: "01-07001".into(),
    }];
    let result = runtime().block_on(async {
        if selector == b'V' || (selector != b'E' && selector % 2 == 0) {
            connector.validate(&sets).await.map(drop)
        } else {
            connector.entitlements(&sets).await.map(drop)
        }
    });
    let text = String::from_utf8_lossy(body);
    let error_body = serde_json::from_str::<ServiceError>(&text)
        .map(|e| (e.error_number, e.error_message))
        .is_ok();
    match result {
        Ok(()) => assert!(!error_body, "an error body was believed: {text}"),
        Err(ConnectorError::Refused { number, .. }) => {
            assert!(number != 9646 && number != 9603)
        }
        Err(ConnectorError::Unavailable { attempts, last }) => {
            if last.starts_with("unreadable answer") {
                assert_eq!(attempts, 1);
            } else {
                assert!(last == "error 9646" || last == "error 9603", "{last}");
                assert_eq!(attempts, MAX_ATTEMPTS);
            }
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// List cursors (core::cursor::Cursor::decode)
// ---------------------------------------------------------------------------------------------

/// An `after` parameter of a list: no cursor, a cursor that encodes back to itself, or the one
/// "forged" error.
pub fn list_cursor(data: &[u8]) {
    let after = String::from_utf8_lossy(data);
    match Cursor::decode(Some(&after)) {
        Ok(Some(c)) => assert_eq!(Cursor::decode(Some(&c.encode())), Ok(Some(c))),
        Ok(None) => assert!(after.trim().is_empty()),
        Err(e) => assert_eq!(e, forged()),
    }
}

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` calls it.
/// A fuzz target: its name and the function it calls with each input.
pub type Target = (&'static str, fn(&[u8]));

pub const TARGETS: &[Target] = &[
    ("license_number_sets", license_number_sets),
    ("directory_import", directory_import),
    ("apple_token", apple_token),
    ("apple_answers", apple_answers),
    ("store_classify", store_classify),
    ("microsoft_inventory", microsoft_inventory),
    ("licensing_replies", licensing_replies),
    ("list_cursor", list_cursor),
];

#[cfg(test)]
mod tests {
    use super::TARGETS;
    use std::path::Path;

    /// The checked-in corpus (seeds and every crash found) passes every target's checks.
    #[test]
    fn the_corpus_replays_without_a_crash() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        let mut replayed = 0;
        for (name, target) in TARGETS {
            let dir = corpus.join(name);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.expect("corpus entry").path())
                .collect();
            files.sort();
            assert!(!files.is_empty(), "no seeds for {name}");
            for file in files {
                let data = std::fs::read(&file).expect("corpus file");
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name}: {} crashes", file.display());
                replayed += 1;
            }
        }
        println!("{replayed} corpus files replayed");
    }
}
