//! Password hashing (Argon2id), session tokens and the sign-in throttle rule.

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::cell::RefCell;

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

type Job = Box<dyn FnOnce() + Send>;

/// The threads that run Argon2: exactly `hashing_permits()` of them, always the same ones.
/// Each 19 MiB block allocation is served by its thread's malloc arena, and an arena keeps what
/// it once grew to; on the runtime's blocking pool every new thread would keep another 19 MiB
/// (a burst of 200 sign-ins grew the process by ~300 MiB that way). With a fixed set of
/// threads the memory for hashing stays at about 19 MiB per slot.
static HASHERS: std::sync::LazyLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
    std::sync::LazyLock::new(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..hashing_permits() {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("start a password-hashing thread");
        }
        std::sync::Mutex::new(tx)
    });

/// Runs `work` on a hashing thread (the caller holds a hashing slot, so it never waits long
/// for a free thread).
async fn on_hasher<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    HASHERS
        .lock()
        .map_err(|_| anyhow::anyhow!("the hashing threads are gone"))?
        .send(job)
        .map_err(|_| anyhow::anyhow!("the hashing threads are gone"))?;
    Ok(rx.await?)
}

/// Hashes a password on a hashing thread (Argon2 takes tens of milliseconds of CPU), within
/// the hashing bound.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    let _slot = hashing_slot(std::time::Duration::from_secs(30)).await?;
    on_hasher(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        phc_string(password.as_bytes(), salt.as_salt()).map_err(|e| anyhow::anyhow!("hash: {e}"))
    })
    .await?
}

thread_local! {
    /// The Argon2 memory of this hashing thread, allocated once and reused: a fresh 19 MiB
    /// allocation per hash is not reliably given back by the allocator (the process grew by
    /// 19 MiB per sign-in), so each hashing thread keeps exactly one.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 of `password` with `salt` under `argon`, in this thread's reusable memory (wiped
/// after use).
fn compute(argon: &Argon2<'_>, password: &[u8], salt: Salt<'_>) -> password_hash::Result<Output> {
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf)?;
    let params = argon.params();
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let blocks = params.block_count();
    BLOCKS.with(|cell| {
        let mut memory = cell.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        let out = Output::init_with(output_len, |out| {
            argon
                .hash_password_into_with_memory(password, salt_bytes, out, &mut memory[..blocks])
                .map_err(Into::into)
        });
        memory.iter_mut().for_each(|b| *b = Block::default());
        out
    })
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
fn phc_string(password: &[u8], salt: Salt<'_>) -> password_hash::Result<String> {
    let argon = argon2();
    let hash = compute(&argon, password, salt)?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params())?,
        salt: Some(salt),
        hash: Some(hash),
    }
    .to_string())
}

/// Whether `password` matches the PHC string `stored` (its own algorithm, version and
/// parameters; the comparison is constant-time).
fn matches(password: &[u8], stored: &str) -> bool {
    let check = || -> password_hash::Result<bool> {
        let parsed = PasswordHash::new(stored)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let argon = Argon2::new(
            Algorithm::try_from(parsed.algorithm)?,
            parsed
                .version
                .map(Version::try_from)
                .transpose()?
                .unwrap_or_default(),
            Params::try_from(&parsed)?,
        );
        Ok(compute(&argon, password, salt)? == expected)
    };
    check().unwrap_or(false)
}

/// Verifies a password on a hashing thread, within the hashing bound (waits at most
/// [`SIGN_IN_QUEUE_WAIT`]). With no stored hash (unknown account) it still spends the same work
/// on a dummy hash, so timing does not reveal which accounts exist.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, Busy> {
    let _slot = hashing_slot(SIGN_IN_QUEUE_WAIT).await?;
    Ok(on_hasher(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        matches(password.as_bytes(), &stored)
    })
    .await
    .unwrap_or(false))
}

static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
    phc_string(b"not a real password", salt.as_salt()).expect("hash")
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
        // Hashes made by the argon2 crate's own API (every stored hash so far) still verify.
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(&[3u8; 16]).unwrap();
        let theirs = argon2()
            .hash_password(b"an older password", &salt)
            .unwrap()
            .to_string();
        assert!(
            verify_password("an older password".into(), Some(theirs.clone()))
                .await
                .unwrap()
        );
        assert_eq!(
            phc_string(b"an older password", salt.as_salt()).unwrap(),
            theirs
        );
        assert!(
            !verify_password("x".into(), Some("$argon2id$garbage".into()))
                .await
                .unwrap()
        );
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
