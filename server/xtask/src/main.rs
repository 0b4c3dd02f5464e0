//! `cargo xtask <command>` — LicenseDesk's build tool.
//!
//! - `run`      installs what is missing, builds (debug), starts the portal with the demo
//!   organization on a fresh SQLite file at http://127.0.0.1:3000
//! - `test`     installs what is missing and runs every check: fmt (rustfmt and leptosfmt for
//!   `view!` bodies), clippy (server and wasm32),
//!   unit and integration tests on SQLite and PostgreSQL, Playwright against the release binary
//! - `release`  builds the single self-contained release binary
//! - `site`     builds only the browser assets (`--release` for the optimised ones)
//! - `fuzz`     coverage-guided fuzzing of every parser of outside input (see [`fuzz`])
//! - `soak`     the crash tests with many rounds on both databases (see [`soak`])
//!
//! wasm-bindgen runs as a library (`wasm-bindgen-cli-support`), so Cargo.lock pins the same
//! version for the browser glue and the generator and no CLI has to be installed.

mod api_reference;
mod conformance;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let release = args.iter().any(|a| a == "--release");
    let result = match args.first().map(String::as_str) {
        Some("run") => run(release),
        Some("test") => test(),
        Some("release") => build(true).map(|bin| {
            let size = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
            println!(
                "release binary: {} ({:.1} MB)",
                bin.display(),
                size as f64 / 1e6
            );
        }),
        Some("site") => site(release).map(|_| ()),
        Some("bench") => bench(),
        Some("fuzz") => fuzz(&args[1..]),
        Some("soak") => soak(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [--release] | test | release | site [--release] | bench \
                 | fuzz [--seconds N] [target…] | soak [--rounds N]>"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

fn site_dir() -> PathBuf {
    target_dir().join("site")
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn sh(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("command failed ({status}): {shown}");
    }
    Ok(())
}

fn ok(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

struct Timer(Vec<(String, f64)>);

impl Timer {
    fn step<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        println!("\n==> {name}");
        let start = Instant::now();
        let r = f();
        let secs = start.elapsed().as_secs_f64();
        self.0.push((name.to_string(), secs));
        println!("<== {name}: {secs:.1}s");
        r
    }

    fn report(&self) {
        println!("\nstep timings:");
        for (name, secs) in &self.0 {
            println!("  {secs:>7.1}s  {name}");
        }
        println!("  {:>7.1}s  total", self.0.iter().map(|s| s.1).sum::<f64>());
    }
}

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

/// A C compiler (the bundled SQLite is C) and pkg-config.
fn ensure_build_tools() -> Result<()> {
    if !ok(Command::new("cc").arg("--version")) {
        apt_install(&["build-essential", "pkg-config"])?;
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("installing the {WASM_TARGET} target");
        sh(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

fn apt_install(packages: &[&str]) -> Result<()> {
    println!("installing Debian packages: {}", packages.join(" "));
    sh(Command::new("apt-get").arg("update").arg("-q"))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// leptosfmt formats the `view!` macro bodies that rustfmt leaves alone; pinned so that every
/// machine formats alike.
const LEPTOSFMT_VERSION: &str = "0.1.33";

fn ensure_leptosfmt() -> Result<()> {
    let have = output(Command::new("leptosfmt").arg("--version")).unwrap_or_default();
    if !have.contains(LEPTOSFMT_VERSION) {
        println!("installing leptosfmt {LEPTOSFMT_VERSION}");
        sh(Command::new("cargo").args([
            "install",
            "--locked",
            "leptosfmt",
            "--version",
            LEPTOSFMT_VERSION,
        ]))?;
    }
    Ok(())
}

fn ensure_browser_tools() -> Result<()> {
    let mut missing = vec![];
    if !Path::new("/usr/bin/chromium").exists() {
        missing.push("chromium");
    }
    if !ok(Command::new("npm").arg("--version")) {
        missing.extend(["nodejs", "npm"]);
    }
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    let e2e = root().join("end2end");
    let lock = e2e.join("package-lock.json");
    let marker = e2e.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&marker)) {
        (Ok(l), Ok(m)) => m.modified()? >= l.modified()?,
        _ => false,
    };
    if !fresh {
        sh(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&e2e))?;
    }
    Ok(())
}

/// The PostgreSQL URL the integration tests use (a fresh database is created per test).
fn postgres_url() -> String {
    std::env::var("LICENSEDESK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn ensure_postgres() -> Result<()> {
    let ready = || ok(Command::new("pg_isready").args(["-h", "127.0.0.1", "-p", "5432"]));
    if ready() {
        return Ok(());
    }
    let versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let Some(version) = versions.first() else {
        bail!(
            "PostgreSQL is not installed and not reachable on 127.0.0.1:5432; install it or set \
             LICENSEDESK_TEST_POSTGRES to a server where the tests may create databases"
        );
    };
    println!("starting the local PostgreSQL {version} cluster");
    sh(Command::new("pg_ctlcluster").args([
        "--skip-systemctl-redirect",
        version,
        "main",
        "start",
    ]))?;
    for _ in 0..30 {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    bail!("PostgreSQL did not become ready")
}

/// Drops databases left behind by earlier test runs.
fn drop_old_test_databases() {
    let url = postgres_url();
    let Some(list) = output(Command::new("psql").args([
        &url,
        "-Atc",
        "SELECT datname FROM pg_database WHERE datname LIKE 'ld\\_test\\_%'",
    ])) else {
        return;
    };
    for name in list.lines().filter(|l| !l.is_empty()) {
        let _ = ok(Command::new("psql").args([
            &url,
            "-c",
            &format!("DROP DATABASE IF EXISTS \"{name}\""),
        ]));
    }
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

fn short_hash(bytes: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for b in bytes {
        h.update(b);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn compress(path: &Path) -> Result<()> {
    let data = std::fs::read(path)?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(&data)?;
    }
    std::fs::write(format!("{}.br", path.display()), br)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data)?;
    std::fs::write(format!("{}.gz", path.display()), gz.finish()?)?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Builds the browser assets into `<target>/site/pkg` with content-hashed names.
fn site(release: bool) -> Result<PathBuf> {
    ensure_build_tools()?;
    ensure_wasm_target()?;
    let profile = if release { "wasm-release" } else { "dev" };
    sh(cargo().args([
        "build",
        "--locked",
        "-p",
        "frontend",
        "--target",
        WASM_TARGET,
        "--profile",
        profile,
    ]))?;
    let profile_dir = if release { "wasm-release" } else { "debug" };
    let wasm_in = target_dir()
        .join(WASM_TARGET)
        .join(profile_dir)
        .join("frontend.wasm");
    let staging = target_dir().join("site-staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm_in)
        .out_name("licensedesk")
        .web(true)?
        .typescript(false)
        .remove_name_section(release)
        .remove_producers_section(release)
        .generate(&staging)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen: {e:#}"))?;

    let js = std::fs::read(staging.join("licensedesk.js"))?;
    let wasm = std::fs::read(staging.join("licensedesk_bg.wasm"))?;
    let hash = short_hash(&[&js, &wasm]);

    let mut css = String::new();
    let mut styles: Vec<PathBuf> = std::fs::read_dir(root().join("style"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "css"))
        .collect();
    styles.sort();
    for s in &styles {
        css.push_str(&std::fs::read_to_string(s)?);
        css.push('\n');
    }
    let css_hash = short_hash(&[css.as_bytes()]);

    let site = site_dir();
    let pkg = site.join("pkg");
    let _ = std::fs::remove_dir_all(&site);
    std::fs::create_dir_all(&pkg)?;
    let js_out = pkg.join(format!("licensedesk-{hash}.js"));
    let wasm_out = pkg.join(format!("licensedesk-{hash}_bg.wasm"));
    let css_out = pkg.join(format!("licensedesk-{css_hash}.css"));
    std::fs::write(&js_out, &js)?;
    std::fs::write(&wasm_out, &wasm)?;
    std::fs::write(&css_out, css)?;
    if staging.join("snippets").exists() {
        copy_dir(&staging.join("snippets"), &pkg.join("snippets"))?;
    }
    if release {
        for f in [&js_out, &wasm_out, &css_out] {
            compress(f)?;
        }
    }
    api_reference::add_to_site(&pkg, release)?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "site: wasm {} KB{}, js {} KB, css {} KB",
        size(&wasm_out) / 1024,
        if release {
            format!(
                " ({} KB brotli)",
                size(Path::new(&format!("{}.br", wasm_out.display()))) / 1024
            )
        } else {
            String::new()
        },
        size(&js_out) / 1024,
        size(&css_out) / 1024
    );
    Ok(site)
}

/// Builds the site and the server; returns the binary's path.
fn build(release: bool) -> Result<PathBuf> {
    let site = site(release)?;
    let mut cmd = cargo();
    cmd.args(["build", "--locked", "-p", "licensedesk"])
        .env("LICENSEDESK_SITE_DIR", &site);
    if release {
        cmd.args(["--release", "--features", "embed"]);
    }
    sh(&mut cmd)?;
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join("licensedesk"))
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

fn run(release: bool) -> Result<()> {
    let bin = build(release)?;
    let demo_dir = target_dir().join("demo");
    std::fs::create_dir_all(&demo_dir)?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(demo_dir.join(format!("licensedesk-demo.db{suffix}")));
    }
    let db = format!(
        "sqlite://{}",
        demo_dir.join("licensedesk-demo.db").display()
    );
    println!("\nstarting LicenseDesk with the demo organization (Ctrl+C stops it)\n");
    sh(Command::new(bin)
        .args(["serve", "--demo", "--database-url", &db])
        .env("LICENSEDESK_SITE_DIR", site_dir()))
}

fn test() -> Result<()> {
    let mut t = Timer(vec![]);
    t.step("install missing tools", || {
        ensure_wasm_target()?;
        ensure_leptosfmt()?;
        ensure_browser_tools()?;
        ensure_postgres()
    })?;
    t.step("cargo fmt --check", || {
        sh(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    t.step("leptosfmt --check (view! macros)", || {
        sh(Command::new("leptosfmt")
            .args(["--quiet", "--check", "app/src", "frontend/src"])
            .current_dir(root()))
    })?;
    t.step("clippy (server, app with ssr, xtask)", || {
        sh(cargo().args([
            "clippy",
            "--locked",
            "-p",
            "licensedesk",
            "-p",
            "app",
            "-p",
            "xtask",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    t.step("clippy (frontend and app with hydrate, wasm32)", || {
        sh(cargo().args([
            "clippy",
            "--locked",
            "-p",
            "frontend",
            "--target",
            WASM_TARGET,
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    t.step("unit and integration tests on SQLite", || {
        sh(cargo().args([
            "test",
            "--locked",
            "-p",
            "licensedesk",
            "-p",
            "app",
            "-p",
            "xtask",
        ]))
    })?;
    t.step(
        "fuzz corpus replay (the smoke version of `cargo xtask fuzz`)",
        || {
            // Every checked-in fuzz input through its target, without the fuzzer's instrumentation.
            sh(cargo().args([
                "test",
                "--locked",
                "-p",
                "licensedesk",
                "--features",
                "fuzzing",
                "--lib",
                "fuzzing",
            ]))
        },
    )?;
    t.step("integration tests on PostgreSQL", || {
        drop_old_test_databases();
        // The same package set as the SQLite step, so cargo reuses its build (a different set
        // unifies features differently and recompiles the workspace).
        sh(cargo()
            .args([
                "test",
                "--locked",
                "-p",
                "licensedesk",
                "-p",
                "app",
                "-p",
                "xtask",
                "--tests",
            ])
            .env("LICENSEDESK_TEST_DATABASE", postgres_url()))
    })?;
    let bin = t.step("release build (one binary, site embedded)", || build(true))?;
    t.step(
        "release binary alone in an empty directory serves /setup",
        || single_binary_smoke(&bin),
    )?;
    t.step(
        "REST API conformance: schemathesis against the release binary's OpenAPI document",
        || conformance::run(&bin),
    )?;
    t.step(
        "Playwright in headless Chromium against the release binary",
        || {
            sh(Command::new("npx")
                .args(["playwright", "test"])
                .current_dir(root().join("end2end"))
                .env("LICENSEDESK_BIN", &bin))
        },
    )?;
    t.report();
    println!("\nall checks passed");
    Ok(())
}

/// Copies the release binary alone into an empty directory, starts it with no configuration,
/// and checks that it creates and migrates `licensedesk.db` beside itself and serves /setup.
fn single_binary_smoke(bin: &Path) -> Result<()> {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("licensedesk-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let copy = dir.join("licensedesk");
    std::fs::copy(bin, &copy)?;
    let port = 3000 + (std::process::id() % 2000) as u16 + 1000;
    let mut child = Command::new(&copy)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env_remove("LICENSEDESK_SITE_DIR")
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let fetch = |path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nAccept-Encoding: br\r\n\r\n").ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).ok()?;
        Some(String::from_utf8_lossy(&out).into_owned())
    };
    let mut page = None;
    for _ in 0..100 {
        if let Some(p) = fetch("/setup")
            .filter(|p| p.starts_with("HTTP/1.0 200") || p.starts_with("HTTP/1.1 200"))
        {
            page = Some(p);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let result = (|| {
        let page = page.context("the binary did not serve /setup")?;
        if !page.contains("Set up LicenseDesk") {
            bail!("/setup did not render the setup page");
        }
        let css = page
            .split("href=\"")
            .filter_map(|s| s.split('"').next())
            .find(|h| h.starts_with("/pkg/") && h.ends_with(".css"))
            .context("no stylesheet link")?
            .to_string();
        let asset = fetch(&css).context("stylesheet not served")?;
        if !asset.to_ascii_lowercase().contains("content-encoding: br")
            || !asset.contains("immutable")
        {
            bail!("the embedded stylesheet is not served precompressed with a long cache life");
        }
        if !dir.join("licensedesk.db").exists() {
            bail!("no licensedesk.db was created beside the binary");
        }
        println!(
            "ok: {} served /setup and {css} (br, immutable) from {}",
            copy.display(),
            dir.display()
        );
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The directory and store benchmarks (release build) on SQLite, then on PostgreSQL when it is
/// reachable.
fn bench() -> Result<()> {
    let run = |extra: &[&str]| {
        for example in ["bench", "store_bench"] {
            sh(cargo()
                .args([
                    "run",
                    "--locked",
                    "--release",
                    "-p",
                    "licensedesk",
                    "--example",
                    example,
                    "--",
                ])
                .args(extra))?;
        }
        Ok::<(), anyhow::Error>(())
    };
    run(&[])?;
    if ensure_postgres().is_ok() {
        let url = postgres_url();
        run(&["--database-url", &url])?;
        drop_old_bench_databases(&url);
    } else {
        println!("PostgreSQL not reachable: skipped the PostgreSQL run");
    }
    Ok(())
}

fn drop_old_bench_databases(url: &str) {
    if let Some(list) = output(Command::new("psql").args([
        url,
        "-Atc",
        "SELECT datname FROM pg_database WHERE datname LIKE 'ld\\_bench\\_%'",
    ])) {
        for name in list.lines().filter(|l| !l.is_empty()) {
            let _ = ok(Command::new("psql").args([
                url,
                "-c",
                &format!("DROP DATABASE IF EXISTS \"{name}\""),
            ]));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzzing
// ---------------------------------------------------------------------------------------------

/// cargo-fuzz, pinned so that every machine builds the targets alike.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The fuzz targets, as `fuzz/fuzz_targets/<name>.rs` (each calls the function of the same
/// name in `server/src/fuzzing.rs`).
const FUZZ_TARGETS: &[&str] = &[
    "license_number_sets",
    "directory_import",
    "apple_token",
    "apple_answers",
    "store_classify",
    "microsoft_inventory",
    "licensing_replies",
    "list_cursor",
];

fn ensure_cargo_fuzz() -> Result<()> {
    let have = output(Command::new("cargo").args(["fuzz", "--version"])).unwrap_or_default();
    if !have.contains(CARGO_FUZZ_VERSION) {
        println!("installing cargo-fuzz {CARGO_FUZZ_VERSION}");
        sh(Command::new("cargo").args([
            "install",
            "--locked",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
        ]))?;
    }
    Ok(())
}

/// What one libFuzzer run reported.
#[derive(Debug, Default, PartialEq)]
struct FuzzStats {
    executions: u64,
    /// Covered edges (`cov:`) and features (`ft:`, edges with hit counts, compared values…).
    edges: u64,
    features: u64,
    corpus: u64,
    /// The input that crashed, when one did.
    crash: Option<String>,
}

/// Reads a libFuzzer log: the last status line (`#N … cov: E ft: F corp: C/…`), the final
/// statistics (`-print_final_stats=1`) and the crash input it wrote, if any.
fn fuzz_stats(log: &str) -> FuzzStats {
    let mut s = FuzzStats::default();
    let field = |line: &str, name: &str| -> Option<u64> {
        let rest = line.split(name).nth(1)?;
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    for line in log.lines() {
        if line.starts_with('#') && line.contains(" cov: ") {
            s.executions = field(line, "#").unwrap_or(s.executions);
            s.edges = field(line, " cov: ").unwrap_or(s.edges);
            s.features = field(line, " ft: ").unwrap_or(s.features);
            s.corpus = field(line, " corp: ").unwrap_or(s.corpus);
        } else if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            s.executions = n.trim().parse().unwrap_or(s.executions);
        } else if let Some(path) = line.split("Test unit written to ").nth(1) {
            s.crash = Some(path.trim().to_string());
        }
    }
    s
}

/// `cargo xtask fuzz [--seconds N] [target…]`: builds the fuzz targets in `fuzz/` (libFuzzer,
/// through cargo-fuzz) and runs each given target (all by default) for N seconds (default 60),
/// starting from the checked-in seeds in `fuzz/corpus/<target>/` and the corpus grown by
/// earlier runs (kept in `<target dir>/fuzz/corpus/<target>/`, never in the repo); then prints
/// per target the seconds, executions, coverage (edges and features), corpus size and crashes,
/// and fails if any target crashed (its input is in `fuzz/artifacts/<target>/`; once fixed,
/// copy it into `fuzz/corpus/<target>/`, so that every run and the corpus replay test
/// `cargo test -p licensedesk --features fuzzing --lib fuzzing` check it again).
///
/// Toolchain trick: cargo-fuzz needs nightly only for its sanitizers (`-Zsanitizer=…`), so the
/// targets are built with `--sanitizer none`, which works on the stable toolchain as it is (no
/// `RUSTC_BOOTSTRAP`): the code under test is safe Rust, where a bug shows as a panic, which
/// libFuzzer catches. Debug assertions and overflow checks are on (`-a`), as in the property
/// tests; 16 codegen units keep a rebuild after a change to the server to a few minutes.
fn fuzz(args: &[String]) -> Result<()> {
    let mut seconds = 60u64;
    let mut targets: Vec<String> = vec![];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .context("--seconds needs a whole number of seconds")?;
            }
            t if FUZZ_TARGETS.contains(&t) => targets.push(t.to_string()),
            other => bail!(
                "unknown fuzz target or option {other:?}; the targets are: {}",
                FUZZ_TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = FUZZ_TARGETS.iter().map(|t| t.to_string()).collect();
    }
    ensure_build_tools()?;
    ensure_cargo_fuzz()?;
    let work = target_dir().join("fuzz");
    let mut cmd = cargo();
    cmd.args(["fuzz", "build", "--release", "--debug-assertions"])
        .args(["--sanitizer", "none", "--codegen-units", "16"])
        .arg("--target-dir")
        .arg(&work);
    if let [one] = targets.as_slice() {
        cmd.arg(one);
    }
    sh(&mut cmd)?;
    let bin_dir = work.join("x86_64-unknown-linux-gnu/release");
    let mut rows = vec![];
    for target in &targets {
        let corpus = work.join("corpus").join(target);
        let artifacts = root().join("fuzz/artifacts").join(target);
        let logs = work.join("logs");
        for dir in [&corpus, &artifacts, &logs] {
            std::fs::create_dir_all(dir)?;
        }
        let log_path = logs.join(format!("{target}.log"));
        println!(
            "\n==> fuzzing {target} for {seconds}s (log: {})",
            log_path.display()
        );
        let start = Instant::now();
        let status = Command::new(bin_dir.join(target))
            .arg(&corpus)
            .arg(root().join("fuzz/corpus").join(target))
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1")
            .arg("-timeout=10")
            .arg("-rss_limit_mb=4096")
            .arg("-detect_leaks=0")
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .current_dir(root())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log_path)?)
            .status()
            .with_context(|| format!("could not start the fuzz target {target}"))?;
        let secs = start.elapsed().as_secs_f64();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let mut stats = fuzz_stats(&log);
        if !status.success() && stats.crash.is_none() {
            stats.crash = Some(format!("{status}, see {}", log_path.display()));
        }
        if let Some(crash) = &stats.crash {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("{target} CRASHED: {crash}\n");
            for line in tail.iter().rev() {
                eprintln!("  {line}");
            }
        }
        rows.push((target.clone(), secs, stats));
    }
    // The scratch databases of `directory_import`.
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("licensedesk-fuzz-") && name.contains(".db") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    println!(
        "\n{:<21} {:>8} {:>12} {:>9} {:>7} {:>9} {:>7} {:>8}  crash input",
        "target", "seconds", "executions", "exec/s", "edges", "features", "corpus", "crashes"
    );
    let mut crashed = 0;
    for (target, secs, s) in &rows {
        println!(
            "{:<21} {:>8.0} {:>12} {:>9.0} {:>7} {:>9} {:>7} {:>8}  {}",
            target,
            secs,
            s.executions,
            s.executions as f64 / secs.max(1.0),
            s.edges,
            s.features,
            s.corpus,
            u8::from(s.crash.is_some()),
            s.crash.as_deref().unwrap_or("-")
        );
        crashed += usize::from(s.crash.is_some());
    }
    if crashed > 0 {
        bail!("{crashed} fuzz target(s) crashed");
    }
    Ok(())
}

/// `cargo xtask soak [--rounds N]`: the crash tests (`server/tests/it/crash.rs`) with N rounds
/// each (default 10) on SQLite and then on PostgreSQL: the server is killed with SIGKILL during a
/// store sync, a 100,000-row users import and the billing job, at another moment every round,
/// and each restart is checked (integrity, all or nothing, no run left running, the next run
/// succeeds). The test command runs one round of each.
fn soak(args: &[String]) -> Result<()> {
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse::<u32>())
        .transpose()
        .context("--rounds takes a number")?
        .unwrap_or(10);
    ensure_postgres()?;
    for (name, db) in [("SQLite", None), ("PostgreSQL", Some(postgres_url()))] {
        println!("\n==> crash rounds on {name}: {rounds} per operation");
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--locked",
            "-p",
            "licensedesk",
            "--test",
            "it",
            "--",
            "crash::",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LICENSEDESK_CRASH_ROUNDS", rounds.to_string());
        if let Some(url) = db {
            drop_old_test_databases();
            cmd.env("LICENSEDESK_TEST_DATABASE", url);
        }
        sh(&mut cmd)?;
    }
    println!("\nsoak: every round passed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_16_hex_digits() {
        let h = short_hash(&[b"abc"]);
        assert_eq!(h.len(), 16);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(h, short_hash(&[b"abd"]));
    }

    #[test]
    fn libfuzzer_logs_are_read() {
        let log = "INFO: Seed: 1\n\
            #2\tINITED cov: 10 ft: 12 corp: 1/1b exec/s: 0 rss: 30Mb\n\
            #4096\tpulse  cov: 95 ft: 210 corp: 14/80b lim: 43 exec/s: 2048 rss: 31Mb\n\
            #5000\tDONE   cov: 97 ft: 230 corp: 16/90b lim: 43 exec/s: 2500 rss: 31Mb\n\
            stat::number_of_executed_units: 5003\n";
        assert_eq!(
            fuzz_stats(log),
            FuzzStats {
                executions: 5003,
                edges: 97,
                features: 230,
                corpus: 16,
                crash: None
            }
        );
        let crash = "#7\tNEW    cov: 3 ft: 3 corp: 2/2b\n==1== ERROR: libFuzzer: deadly signal\n\
            artifact_prefix='fuzz/artifacts/x/'; Test unit written to fuzz/artifacts/x/crash-ab12\n";
        assert_eq!(
            fuzz_stats(crash).crash.as_deref(),
            Some("fuzz/artifacts/x/crash-ab12")
        );
    }
}
