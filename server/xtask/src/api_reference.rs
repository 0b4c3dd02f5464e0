//! The API reference page's script: Redoc's standalone bundle, taken from its npm package at a
//! pinned version, checked against a pinned SHA-256, and put into the site (so the binary embeds
//! it and the page loads nothing from elsewhere). Downloaded once into the build cache.

use super::{apt_install, compress, ok, sh, target_dir};
use anyhow::{Result, bail};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

/// Redoc 2.x: one classic script, no telemetry, no fonts or icons fetched at run time.
const REDOC_VERSION: &str = "2.5.4";
/// SHA-256 of `package/bundles/redoc.standalone.js` in `redoc-2.5.4.tgz` from npm.
const REDOC_SHA256: &str = "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `pkg/redoc-<hash>.standalone.js` (and Redoc's licence) into the site's `pkg`.
pub fn add_to_site(pkg: &Path, release: bool) -> Result<()> {
    let cache = target_dir()
        .join("vendor")
        .join(format!("redoc-{REDOC_VERSION}"));
    let bundle = cache.join("package/bundles/redoc.standalone.js");
    let licence = cache.join("package/LICENSE");
    if !bundle.exists() {
        if !ok(Command::new("npm").arg("--version")) {
            apt_install(&["nodejs", "npm"])?;
        }
        std::fs::create_dir_all(&cache)?;
        println!("fetching Redoc {REDOC_VERSION} from npm for the API reference page");
        sh(Command::new("npm")
            .args([
                "pack",
                &format!("redoc@{REDOC_VERSION}"),
                "--silent",
                "--pack-destination",
            ])
            .arg(&cache))?;
        sh(Command::new("tar")
            .arg("-xzf")
            .arg(cache.join(format!("redoc-{REDOC_VERSION}.tgz")))
            .arg("-C")
            .arg(&cache)
            .args(["package/bundles/redoc.standalone.js", "package/LICENSE"]))?;
    }
    let bytes = std::fs::read(&bundle)?;
    let digest = hex(&Sha256::digest(&bytes));
    if digest != REDOC_SHA256 {
        let _ = std::fs::remove_dir_all(&cache);
        bail!("Redoc {REDOC_VERSION}: the bundle's SHA-256 is {digest}, expected {REDOC_SHA256}");
    }
    let out = pkg.join(format!("redoc-{}.standalone.js", &digest[..16]));
    std::fs::write(&out, &bytes)?;
    if licence.exists() {
        std::fs::copy(
            &licence,
            pkg.join(format!("redoc-{REDOC_VERSION}.LICENSE.txt")),
        )?;
    }
    if release {
        compress(&out)?;
    }
    Ok(())
}
