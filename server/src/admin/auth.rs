//! Password hashing (Argon2id), session tokens and the sign-in throttle rule.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use sha2::{Digest, Sha256};

/// OWASP's recommended Argon2id parameters: 19 MiB memory, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How many Argon2 computations run at once. Each takes 19 MiB and tens of milliseconds of a
/// core, so this bounds what a burst of sign-ins can take: about 19 MiB × permits, and the
/// async workers stay free for everything else (`/healthz` included).
pub fn hashing_permits() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(hashing_permits()));

/// How long a sign-in waits for a hashing slot before it is told to come back.
pub const SIGN_IN_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// All hashing slots stayed busy for the whole wait.
#[derive(Debug, thiserror::Error)]
#[error("the server is busy checking other passwords")]
pub struct Busy;

async fn hashing_slot(
    wait: std::time::Duration,
) -> Result<tokio::sync::SemaphorePermit<'static>, Busy> {
    match tokio::time::timeout(wait, HASHING.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Busy),
    }
}

/// Hashes a password on a blocking thread (Argon2 takes tens of milliseconds of CPU), within
/// the hashing bound.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    let _slot = hashing_slot(std::time::Duration::from_secs(30)).await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash: {e}"))
    })
    .await?
}

/// Verifies a password on a blocking thread, within the hashing bound (waits at most
/// [`SIGN_IN_QUEUE_WAIT`]). With no stored hash (unknown account) it still spends the same work
/// on a dummy hash, so timing does not reveal which accounts exist.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, Busy> {
    let _slot = hashing_slot(SIGN_IN_QUEUE_WAIT).await?;
    Ok(tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        match PasswordHash::new(&stored) {
            Ok(parsed) => argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false))
}

static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
    argon2()
        .hash_password(b"not a real password", &salt)
        .expect("hash")
        .to_string()
});

/// A new random session token (256 bits) for the cookie.
pub fn new_session_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database stores for a session token: its SHA-256. A leaked database row cannot be
/// replayed as a cookie.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sign-in throttle: at most `limit` failures per `window_secs` per scope (an account or a
/// client address). `failures_newest_first` are the failure times in the window.
/// Returns the seconds to wait, or `None` when an attempt is allowed.
pub fn throttle_wait(
    failures_newest_first: &[i64],
    limit: usize,
    window_secs: i64,
    now: i64,
) -> Option<u64> {
    let nth = *failures_newest_first.get(limit.checked_sub(1)?)?;
    let until = nth + window_secs;
    (until > now).then(|| (until - now) as u64)
}

pub const ACCOUNT_FAILURE_LIMIT: usize = 5;
pub const ADDRESS_FAILURE_LIMIT: usize = 20;
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify_password("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), Some(h)).await.unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_session_token();
        assert_ne!(a, new_session_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn throttle() {
        let now = 10_000;
        assert_eq!(throttle_wait(&[now - 1; 4], 5, 900, now), None);
        assert_eq!(throttle_wait(&[now - 100; 5], 5, 900, now), Some(800));
        assert_eq!(throttle_wait(&[now - 1000; 5], 5, 900, now), None);
        assert_eq!(throttle_wait(&[], 5, 900, now), None);
    }
}
