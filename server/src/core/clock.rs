//! The clock, injected so that time-based rules can be tested.

/// Time for every rule; never read the system clock directly.
pub trait Clock: Send + Sync + 'static {
    /// UNIX seconds, UTC.
    fn now(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}
