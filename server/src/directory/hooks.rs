//! How other areas follow the directory. Who a group or device reaches decides ISV licenses
//! (billing) and store licenses (store); when that changes, the directory tells its
//! [`MembershipHooks`] inside the same transaction as the change, and a hook's error rolls the
//! whole change back. The directory imports no other area: the hooks are registered where the
//! services are put together (`Services::directory`).

use crate::db::{Db, Tx};
use app::domain::ApiError;
use std::sync::Arc;

/// How a group's members changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    Added,
    Removed,
    /// Replaced by a CSV import (some may have been added).
    Replaced,
}

impl MemberChange {
    /// Whether the group may reach more users than before.
    pub fn may_grow(self) -> bool {
        !matches!(self, MemberChange::Removed)
    }
}

/// A change in whom the directory's groups and devices reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The members of a group changed.
    Members { group_id: i64, change: MemberChange },
    /// A group is about to be deleted.
    GroupDeleted { group_id: i64 },
    /// Devices changed their primary user (CSV import).
    DeviceOwners,
}

/// One area that follows the directory. Both methods run inside the directory's transaction
/// `tx`; `db` tells the backend (for row locks).
#[async_trait::async_trait]
pub trait MembershipHook: Send + Sync {
    /// Licenses of this area the user holds (the directory refuses to delete a holder).
    async fn licenses_held(&self, tx: &mut Tx, user_id: i64) -> Result<i64, ApiError>;

    /// Follows `reach`; an error (e.g. licenses run short) refuses the directory's change.
    async fn follow(&self, db: &Db, tx: &mut Tx, reach: Reach, now: i64) -> Result<(), ApiError>;
}

/// The registered hooks, called in registration order (which is also the order in which they
/// lock rows, so it is the same for every change).
#[derive(Clone, Default)]
pub struct MembershipHooks(Vec<Arc<dyn MembershipHook>>);

impl MembershipHooks {
    pub fn new(hooks: Vec<Arc<dyn MembershipHook>>) -> MembershipHooks {
        MembershipHooks(hooks)
    }

    pub async fn licenses_held(&self, tx: &mut Tx, user_id: i64) -> Result<i64, ApiError> {
        let mut held = 0;
        for hook in &self.0 {
            held += hook.licenses_held(tx, user_id).await?;
        }
        Ok(held)
    }

    pub async fn follow(
        &self,
        db: &Db,
        tx: &mut Tx,
        reach: Reach,
        now: i64,
    ) -> Result<(), ApiError> {
        for hook in &self.0 {
            hook.follow(db, tx, reach, now).await?;
        }
        Ok(())
    }
}
