//! Secrets at rest (store tokens, client secrets): XChaCha20-Poly1305 with a 256-bit key.
//!
//! The key comes from `LICENSEDESK_SECRET_KEY` (base64 of 32 bytes) or from a key file
//! (`--secret-key-file`, default `licensedesk.key` beside the SQLite database or the binary),
//! which is generated with mode 0600 on first start when it does not exist. Every replica of one
//! installation must use the same key. Stored form: `v1:` + base64(nonce ‖ ciphertext).

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::path::Path;

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    fingerprint: String,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a stored secret could not be decrypted (was the secret key changed?)")]
pub struct DecryptError;

impl SecretBox {
    pub fn new(key: [u8; 32]) -> SecretBox {
        use sha2::Digest;
        let digest = sha2::Sha256::digest([b"licensedesk-installation".as_slice(), &key].concat());
        SecretBox {
            cipher: XChaCha20Poly1305::new(&key.into()),
            fingerprint: digest[..8].iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// A stable, non-secret identity of this installation (derived from the key), used as the
    /// `mdmInfo` id when claiming store tokens: replicas sharing the key share the identity.
    pub fn fingerprint(&self) -> String {
        format!("licensedesk-{}", self.fingerprint)
    }

    /// A random key (tests and first start).
    pub fn generate_key() -> [u8; 32] {
        rand::random()
    }

    /// Reads the base64 key, or the key file, creating the file when it is missing.
    pub fn load(key_b64: Option<&str>, key_file: &Path) -> anyhow::Result<SecretBox> {
        if let Some(k) = key_b64 {
            return Ok(SecretBox::new(
                decode_key(k).context("LICENSEDESK_SECRET_KEY")?,
            ));
        }
        match std::fs::read_to_string(key_file) {
            Ok(text) => Ok(SecretBox::new(
                decode_key(text.trim())
                    .with_context(|| format!("secret key file {}", key_file.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretBox::generate_key();
                write_private(key_file, &B64.encode(key))
                    .with_context(|| format!("cannot create {}", key_file.display()))?;
                tracing::info!(file = %key_file.display(), "generated a new secret key; back it up with the database");
                Ok(SecretBox::new(key))
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", key_file.display())),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce_bytes: [u8; 24] = rand::random();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(nonce, plain.as_bytes())
            .expect("encryption with a valid key cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        format!("v1:{}", B64.encode(out))
    }

    pub fn open(&self, stored: &str) -> Result<String, DecryptError> {
        let raw = stored
            .strip_prefix("v1:")
            .and_then(|b| B64.decode(b).ok())
            .ok_or(DecryptError)?;
        if raw.len() < 24 {
            return Err(DecryptError);
        }
        let (nonce, body) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }
}

fn decode_key(b64: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = B64.decode(b64.trim()).context("the key is not base64")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the key must be 32 bytes (44 base64 characters)"))
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(content.as_bytes())?;
    f.write_all(b"\n")
}

/// The default key file: beside a SQLite database file, else beside the binary.
pub fn default_key_file(database_url: &str) -> std::path::PathBuf {
    let sqlite_path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"));
    if let Some(p) = sqlite_path {
        let p = Path::new(p);
        if let Some(dir) = p.parent() {
            return dir.join("licensedesk.key");
        }
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.to_path_buf()))
        .unwrap_or_else(|| ".".into())
        .join("licensedesk.key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_detects_tampering() {
        let b = SecretBox::new(SecretBox::generate_key());
        let sealed = b.seal("the token");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("the token"));
        assert_ne!(sealed, b.seal("the token"), "a fresh nonce every time");
        assert_eq!(b.open(&sealed).unwrap(), "the token");
        let other = SecretBox::new(SecretBox::generate_key());
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(b.open(&tampered).is_err());
        assert!(b.open("plain").is_err());
    }

    #[test]
    fn key_file_is_generated_once_and_private() {
        let dir = std::env::temp_dir().join(format!("ld-key-{:x}", rand::random::<u64>()));
        let file = dir.join("licensedesk.key");
        let a = SecretBox::load(None, &file).unwrap();
        let b = SecretBox::load(None, &file).unwrap();
        assert_eq!(b.open(&a.seal("x")).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(SecretBox::load(Some("c2hvcnQ="), &file).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn default_key_file_sits_beside_the_sqlite_database() {
        assert_eq!(
            default_key_file("sqlite:///var/lib/ld/ld.db?mode=rwc"),
            Path::new("/var/lib/ld/licensedesk.key")
        );
    }
}
