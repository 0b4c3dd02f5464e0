//! The application context — database, clock, session settings — and the one place where the
//! areas are put together: the directory gets the hooks through which membership changes reach
//! ISV licenses (billing) and store licenses (store). The admin area (`admin/`) implements
//! `app::api::ssr::Backend` on [`Services`].

use crate::core::clock::Clock;
use crate::db::Db;
use crate::directory::{Directory, DirectoryService, MembershipHooks};
use std::sync::Arc;

pub struct Services {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub sessions: SessionConfig,
}

#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub idle_secs: i64,
    pub max_secs: i64,
    /// Mark the cookie `Secure` (the portal is served over HTTPS).
    pub secure_cookie: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_secs: 30 * 60,
            max_secs: 12 * 3600,
            secure_cookie: false,
        }
    }
}

impl Services {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The directory, with what follows its membership changes, in this order (the order in
    /// which they lock their apps): ISV license capacity, then store license holders.
    pub fn directory(&self) -> DirectoryService {
        DirectoryService {
            directory: Directory {
                db: self.db.clone(),
                clock: self.clock.clone(),
            },
            hooks: MembershipHooks::new(vec![
                Arc::new(crate::billing::isv::IsvLicenses),
                Arc::new(crate::store::deploy::StoreLicenses),
            ]),
        }
    }
}
