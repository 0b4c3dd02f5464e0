//! The REST API's conformance run (SPEC X-4): schemathesis (from PyPI, pinned, in a virtualenv
//! in the build cache) against the release binary's own OpenAPI document, with an API token of
//! the demo organisation's Global admin. It fails on any 5xx answer and on any answer that does
//! not match the document. A fixed seed keeps CI runs repeatable.

use super::{apt_install, ok, output, sh, target_dir};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// Examples per operation in each generating phase.
const EXAMPLES: &str = "10";
const SEED: &str = "20261127";

/// The schemathesis command, installed into `<target>/venv-schemathesis` when missing.
fn schemathesis() -> Result<PathBuf> {
    let venv = target_dir().join("venv-schemathesis");
    let bin = venv.join("bin/schemathesis");
    if bin.exists() {
        return Ok(bin);
    }
    if !ok(Command::new("python3").args(["-m", "venv", "--help"]))
        || !ok(Command::new("python3").args(["-c", "import ensurepip"]))
    {
        apt_install(&["python3", "python3-venv"])?;
    }
    let _ = std::fs::remove_dir_all(&venv);
    sh(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    sh(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        SCHEMATHESIS,
    ]))?;
    Ok(bin)
}

/// Starts the binary with the demo organisation on a fresh SQLite file, creates a Global admin
/// token with its `create-api-token` command, and runs schemathesis over every operation.
pub fn run(bin: &Path) -> Result<()> {
    let st = schemathesis()?;
    let dir = std::env::temp_dir().join(format!("licensedesk-conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = format!("sqlite://{}", dir.join("api.db").display());
    let port = 3000 + (std::process::id() % 2000) as u16 + 3000;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(bin)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &db, "--api-rate", "100000"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let result = (|| {
        let mut ready = false;
        for _ in 0..600 {
            if ok(Command::new(bin).args(["healthcheck", "--listen", &format!("127.0.0.1:{port}")]))
            {
                ready = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if !ready {
            bail!("the portal did not start for the conformance run");
        }
        let token = output(
            Command::new(bin)
                .args([
                    "create-api-token",
                    "--database-url",
                    &db,
                    "--admin",
                    "admin",
                ])
                .args(["--name", "schemathesis", "--role", "global_admin"]),
        )
        .context("create-api-token failed")?
        .trim()
        .to_string();
        sh(Command::new(&st)
            .args(["run", &format!("{base}/api/v1/openapi.json")])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["-n", EXAMPLES, "--seed", SEED])
            .args(["--no-color"])
            .current_dir(&dir))
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
