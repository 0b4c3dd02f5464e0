//! Delivery: tells the store what the deployments decided (SPEC S-5, S-7). Runs after every
//! successful sync and, in the background, after every deployment change; a failure leaves the
//! installs pending and the next run tries again.
//!
//! Apple: holders become program users (`POST /users/create`, which sends the invitation); once
//! a user has accepted (`Associated`), the asset is associated with them
//! (`POST /assets/associate`, batched within the service-config limits); each install remembers
//! Apple's event and turns `installed` only when `GET /status?eventId=` reports the event
//! COMPLETE, or `failed` with Apple's error (9709 no license left, 9609 unknown user, …) for the
//! users the event's failures name. Microsoft: one
//! seat per holder (`POST …/Seats/{user}`); an offline-licensed app (409) fails the install.

use super::Store;
use super::http::StoreError;
use crate::core::error::internal;
use app::domain::ApiError;
use app::domain::store::{InstallStatus, Store as Store_};
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub invited: usize,
    /// Store assignments (Apple) or seats (Microsoft) taken back.
    pub reclaimed: usize,
    pub installed: u64,
    pub failed: u64,
}

impl Delivered {
    /// Counts `done` installs that turned `status`.
    fn count(&mut self, status: InstallStatus, done: u64) {
        if status == InstallStatus::Installed {
            self.installed += done;
        } else {
            self.failed += done;
        }
    }
}

fn unavailable(e: StoreError) -> ApiError {
    ApiError::Unavailable(e.to_string())
}

/// Shown on an install sent to Apple and not yet confirmed.
const SENT: &str = "Sent to Apple; waiting for Apple to confirm the assignment.";

/// An install that Apple refused, in the admin's words, with Apple's error number.
fn failure_text(number: i64, message: &str) -> String {
    match number {
        9709 => "The store has no license left for this app (error 9709). Sync to see the store's counts, or buy more.".into(),
        9609 => "Apple does not know this person as a program user (error 9609): they may not have accepted the invitation yet.".into(),
        9621 | 9625 => format!("Apple no longer accepts the token (error {number}): upload a new token."),
        _ => {
            let m = message.trim();
            if m.is_empty() {
                format!("Apple could not assign the license (error {number}).")
            } else {
                format!("Apple could not assign the license: {m} (error {number}).")
            }
        }
    }
}

impl Store {
    /// Records the store's program-user statuses (`Registered`, `Associated`, `Retired`).
    pub(crate) async fn record_user_statuses(
        &self,
        conn: &mut sqlx::AnyConnection,
        connection_id: i64,
        users: &[(String, String)],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        for (client_user_id, status) in users {
            let status = match status.as_str() {
                "Associated" => "associated",
                "Retired" => "retired",
                _ => "registered",
            };
            sqlx::query(
                "UPDATE store_users SET status = $1, invited = 1, updated_at = $2 \
                 WHERE connection_id = $3 AND client_user_id = $4 AND status <> $1",
            )
            .bind(status)
            .bind(now)
            .bind(connection_id)
            .bind(client_user_id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    pub async fn deliver(&self, connection_id: i64) -> Result<Delivered, ApiError> {
        let conn = self.connection_secret(connection_id).await?;
        if conn.store == Store_::Apple {
            self.deliver_apple(connection_id, &conn.secret).await
        } else {
            self.deliver_microsoft(connection_id, &conn).await
        }
    }

    async fn deliver_apple(&self, connection_id: i64, token: &str) -> Result<Delivered, ApiError> {
        let client = self.apple_client(token)?;
        let limits = client.service_config().await.map_err(unavailable)?.limits;
        let mut out = Delivered::default();
        let to_invite: Vec<String> = sqlx::query_scalar(
            "SELECT client_user_id FROM store_users WHERE connection_id = $1 AND invited = 0 ORDER BY client_user_id",
        )
        .bind(connection_id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        if !to_invite.is_empty() {
            client
                .create_users(&limits, &to_invite)
                .await
                .map_err(unavailable)?;
            for chunk in to_invite.chunks(500) {
                let list = (0..chunk.len())
                    .map(|i| format!("${}", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut q = sqlx::query(AssertSqlSafe(format!(
                    "UPDATE store_users SET invited = 1 WHERE connection_id = $1 AND client_user_id IN ({list})"
                )))
                .bind(connection_id);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(&self.db.pool).await.map_err(internal)?;
            }
            out.invited = to_invite.len();
            // Some users accept at once (managed accounts): read the statuses back.
            let users = client.users(&|_, _| {}).await.map_err(unavailable)?;
            let users: Vec<(String, String)> = users
                .into_iter()
                .map(|u| (u.client_user_id, u.status))
                .collect();
            let mut c = self.db.pool.acquire().await.map_err(internal)?;
            self.record_user_statuses(&mut c, connection_id, &users, self.clock.now())
                .await
                .map_err(internal)?;
        }
        // Reclaim: store assignments of our program users who no longer hold the license here
        // (Uninstall, removed deployments, left the group) go back to the store's pool.
        let stale: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT s.product_id, s.sku, s.client_user_id FROM store_assignments s \
             JOIN store_users su ON su.connection_id = s.connection_id AND su.client_user_id = s.client_user_id \
             JOIN store_apps a ON a.connection_id = s.connection_id AND a.product_id = s.product_id AND a.sku = s.sku \
             WHERE s.connection_id = $1 AND NOT EXISTS \
               (SELECT 1 FROM store_licenses l WHERE l.app_id = a.id AND l.user_id = su.user_id) \
             ORDER BY s.product_id, s.sku, s.client_user_id",
        )
        .bind(connection_id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut reclaim: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (adam, pricing, user) in stale {
            reclaim.entry((adam, pricing)).or_default().push(user);
        }
        for ((adam, pricing), users) in reclaim {
            client
                .associate(&limits, &adam, &pricing, &users, true)
                .await
                .map_err(unavailable)?;
            for user in &users {
                sqlx::query(
                    "DELETE FROM store_assignments WHERE connection_id = $1 AND product_id = $2 AND sku = $3 AND client_user_id = $4",
                )
                .bind(connection_id)
                .bind(&adam)
                .bind(&pricing)
                .bind(user)
                .execute(&self.db.pool)
                .await
                .map_err(internal)?;
            }
            out.reclaimed += users.len();
        }
        // Associations: sent once (the install remembers Apple's event), then confirmed or
        // failed per user by the event's status — never assumed.
        let pending: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT DISTINCT a.id, a.product_id, a.sku, su.client_user_id FROM store_installs i \
             JOIN store_apps a ON a.id = i.app_id \
             JOIN store_users su ON su.connection_id = a.connection_id AND su.user_id = i.user_id \
             WHERE a.connection_id = $1 AND i.status = 'pending' AND i.device_id <> 0 \
             AND i.event_id IS NULL AND su.status = 'associated' \
             ORDER BY a.id, su.client_user_id",
        )
        .bind(connection_id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut by_app: BTreeMap<(i64, String, String), Vec<String>> = BTreeMap::new();
        for (app_id, adam, pricing, user) in pending {
            by_app
                .entry((app_id, adam, pricing))
                .or_default()
                .push(user);
        }
        for ((app_id, adam, pricing), users) in by_app {
            for chunk in users.chunks(limits.max_client_user_ids.max(1)) {
                let event = match client
                    .associate(&limits, &adam, &pricing, chunk, false)
                    .await
                {
                    Ok(events) => events.into_iter().next().unwrap_or_default(),
                    Err(StoreError::NotEnoughLicenses(m)) => {
                        // Refused at once (not through the event): every user of the call.
                        let done = self
                            .finish_installs(
                                app_id,
                                connection_id,
                                chunk,
                                None,
                                InstallStatus::Failed,
                                &failure_text(9709, &m),
                            )
                            .await?;
                        out.count(InstallStatus::Failed, done);
                        continue;
                    }
                    Err(e) => return Err(unavailable(e)),
                };
                self.mark_sent(app_id, connection_id, chunk, &event).await?;
            }
        }
        self.poll_events(&client, connection_id, &mut out).await?;
        Ok(out)
    }

    /// Marks the pending installs of `users` (program users) of an app as sent in `event`.
    async fn mark_sent(
        &self,
        app_id: i64,
        connection_id: i64,
        users: &[String],
        event: &str,
    ) -> Result<(), ApiError> {
        for user in users {
            sqlx::query(
                "UPDATE store_installs SET event_id = $1, detail = $2, updated_at = $3 \
                 WHERE app_id = $4 AND status = 'pending' AND device_id <> 0 AND event_id IS NULL \
                 AND user_id IN (SELECT user_id FROM store_users WHERE connection_id = $5 AND client_user_id = $6)",
            )
            .bind(event)
            .bind(SENT)
            .bind(self.clock.now())
            .bind(app_id)
            .bind(connection_id)
            .bind(user)
            .execute(&self.db.pool)
            .await
            .map_err(internal)?;
        }
        Ok(())
    }

    /// Ends the pending installs of `users` for an app (those sent in `event`, or not sent when
    /// `None`) as `status` with `detail`; an installed license is recorded as a store
    /// assignment. Answers how many installs ended.
    async fn finish_installs(
        &self,
        app_id: i64,
        connection_id: i64,
        users: &[String],
        event: Option<&str>,
        status: InstallStatus,
        detail: &str,
    ) -> Result<u64, ApiError> {
        let mut done = 0;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        for user in users {
            done += sqlx::query(
                "UPDATE store_installs SET status = $1, detail = $2, updated_at = $3, event_id = NULL \
                 WHERE app_id = $4 AND status = 'pending' AND device_id <> 0 \
                 AND COALESCE(event_id, '') = $7 \
                 AND user_id IN (SELECT user_id FROM store_users WHERE connection_id = $5 AND client_user_id = $6)",
            )
            .bind(status.as_str())
            .bind(detail)
            .bind(self.clock.now())
            .bind(app_id)
            .bind(connection_id)
            .bind(user)
            .bind(event.unwrap_or(""))
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
            if status == InstallStatus::Installed {
                sqlx::query(
                    "INSERT INTO store_assignments (connection_id, product_id, sku, client_user_id, serial_number) \
                     SELECT $1, a.product_id, a.sku, $3, '' FROM store_apps a WHERE a.id = $2 AND NOT EXISTS \
                     (SELECT 1 FROM store_assignments s WHERE s.connection_id = $1 AND s.product_id = a.product_id \
                      AND s.sku = a.sku AND s.client_user_id = $3)",
                )
                .bind(connection_id)
                .bind(app_id)
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            }
        }
        tx.commit().await.map_err(internal)?;
        Ok(done)
    }

    /// Asks Apple how the sent associations went (`GET /status?eventId=`), pausing between
    /// rounds as [`Store::event_poll_waits`] says while any is still PENDING; what stays pending
    /// is asked again by the next delivery (after the next sync at the latest).
    async fn poll_events(
        &self,
        client: &super::apple::AppleClient,
        connection_id: i64,
        out: &mut Delivered,
    ) -> Result<(), ApiError> {
        let mut waits = self.event_poll_waits.iter();
        loop {
            let events: Vec<(String, i64)> = sqlx::query_as(
                "SELECT DISTINCT i.event_id, i.app_id FROM store_installs i JOIN store_apps a ON a.id = i.app_id \
                 WHERE a.connection_id = $1 AND i.status = 'pending' AND i.event_id IS NOT NULL \
                 ORDER BY i.event_id, i.app_id",
            )
            .bind(connection_id)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
            if events.is_empty() {
                return Ok(());
            }
            let mut still_pending = false;
            for (event, app_id) in events {
                let users: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT su.client_user_id FROM store_installs i \
                     JOIN store_users su ON su.connection_id = $1 AND su.user_id = i.user_id \
                     WHERE i.app_id = $2 AND i.event_id = $3 AND i.status = 'pending' ORDER BY su.client_user_id",
                )
                .bind(connection_id)
                .bind(app_id)
                .bind(&event)
                .fetch_all(&self.db.pool)
                .await
                .map_err(internal)?;
                let status = match client.event_status(&event).await {
                    Ok(s) => s,
                    Err(StoreError::Refused { number: 9708, .. }) => {
                        // Apple does not know the event (any more): send it again.
                        sqlx::query(
                            "UPDATE store_installs SET event_id = NULL, detail = '' WHERE app_id = $1 AND event_id = $2 AND status = 'pending'",
                        )
                        .bind(app_id)
                        .bind(&event)
                        .execute(&self.db.pool)
                        .await
                        .map_err(internal)?;
                        continue;
                    }
                    Err(e) => return Err(unavailable(e)),
                };
                if status.is_pending() {
                    still_pending = true;
                    continue;
                }
                // Per user: Apple's error, if the event names them among its failures; an event
                // that FAILED without naming anyone failed for everyone in it.
                let mut failed: BTreeMap<&str, String> = BTreeMap::new();
                for f in &status.failures {
                    for user in &f.error_info.client_user_ids {
                        failed.insert(
                            user.as_str(),
                            failure_text(f.error_number, &f.error_message),
                        );
                    }
                }
                let whole = (status.event_status == "FAILED" && failed.is_empty()).then(|| {
                    status
                        .failures
                        .first()
                        .map(|f| failure_text(f.error_number, &f.error_message))
                        .unwrap_or_else(|| "Apple reported that the assignment failed.".to_string())
                });
                let ok: Vec<String> = users
                    .iter()
                    .filter(|u| whole.is_none() && !failed.contains_key(u.as_str()))
                    .cloned()
                    .collect();
                let done = self
                    .finish_installs(
                        app_id,
                        connection_id,
                        &ok,
                        Some(&event),
                        InstallStatus::Installed,
                        "",
                    )
                    .await?;
                out.count(InstallStatus::Installed, done);
                for user in users.iter().filter(|u| !ok.contains(u)) {
                    let text = whole
                        .clone()
                        .or_else(|| failed.get(user.as_str()).cloned())
                        .unwrap_or_default();
                    let done = self
                        .finish_installs(
                            app_id,
                            connection_id,
                            std::slice::from_ref(user),
                            Some(&event),
                            InstallStatus::Failed,
                            &text,
                        )
                        .await?;
                    out.count(InstallStatus::Failed, done);
                }
            }
            match (still_pending, waits.next()) {
                (true, Some(wait)) => self.http.sleeper.sleep(*wait).await,
                _ => return Ok(()),
            }
        }
    }

    async fn deliver_microsoft(
        &self,
        connection_id: i64,
        conn: &super::ConnSecret,
    ) -> Result<Delivered, ApiError> {
        let client = self.microsoft_client(conn)?;
        let pending: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT DISTINCT a.id, a.product_id, a.sku, u.id, u.sign_in_name FROM store_installs i \
             JOIN store_apps a ON a.id = i.app_id JOIN dir_users u ON u.id = i.user_id \
             WHERE a.connection_id = $1 AND i.status = 'pending' AND i.device_id <> 0 ORDER BY a.id, u.id",
        )
        .bind(connection_id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut out = Delivered::default();
        // Reclaim the seats of users who lost the license: uninstalled rows not reclaimed yet
        // (`update_installs` clears the detail when it uninstalls; taking back a seat nobody
        // holds is harmless).
        let stale: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT DISTINCT a.id, a.product_id, a.sku, u.id, u.sign_in_name FROM store_installs i \
             JOIN store_apps a ON a.id = i.app_id JOIN dir_users u ON u.id = i.user_id \
             WHERE a.connection_id = $1 AND i.status = 'uninstalled' AND i.detail = '' ORDER BY a.id, u.id",
        )
        .bind(connection_id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (app_id, product, sku, user_id, sign_in) in stale {
            let key = super::microsoft::ProductKey {
                product_id: product,
                sku_id: sku,
            };
            client
                .seat(&key, &sign_in, true)
                .await
                .map_err(unavailable)?;
            sqlx::query("UPDATE store_installs SET detail = 'Seat reclaimed in the store' WHERE app_id = $1 AND user_id = $2 AND status = 'uninstalled'")
                .bind(app_id)
                .bind(user_id)
                .execute(&self.db.pool)
                .await
                .map_err(internal)?;
            out.reclaimed += 1;
        }
        for (app_id, product, sku, user_id, sign_in) in pending {
            let key = super::microsoft::ProductKey {
                product_id: product,
                sku_id: sku,
            };
            let (status, detail) = match client.seat(&key, &sign_in, false).await {
                Ok(()) => (InstallStatus::Installed, String::new()),
                Err(StoreError::Refused {
                    number: 409,
                    message,
                }) => (
                    InstallStatus::Failed,
                    format!("The store refused the seat: {message}"),
                ),
                Err(e) => return Err(unavailable(e)),
            };
            let done = sqlx::query(
                "UPDATE store_installs SET status = $1, detail = $2, updated_at = $3 \
                 WHERE app_id = $4 AND user_id = $5 AND status = 'pending' AND device_id <> 0",
            )
            .bind(status.as_str())
            .bind(&detail)
            .bind(self.clock.now())
            .bind(app_id)
            .bind(user_id)
            .execute(&self.db.pool)
            .await
            .map_err(internal)?
            .rows_affected();
            out.count(status, done);
        }
        Ok(out)
    }

    /// Delivers in the background (after a deployment change); failures are logged and retried
    /// by the next sync. At most one delivery per connection runs in this process: a request
    /// that arrives while one runs makes it run once more afterwards, so a burst of deployments
    /// costs two deliveries, not one per deployment.
    pub(crate) fn deliver_later(self: &std::sync::Arc<Self>, app_id: i64) {
        let store = self.clone();
        tokio::spawn(async move {
            let conn: Result<Option<i64>, _> = sqlx::query_scalar(
                "SELECT a.connection_id FROM store_apps a JOIN store_connections c ON c.id = a.connection_id \
                 WHERE a.id = $1 AND c.removed_at IS NULL",
            )
            .bind(app_id)
            .fetch_optional(&store.db.pool)
            .await;
            let Ok(Some(id)) = conn else { return };
            {
                let mut running = store.delivering.lock().unwrap();
                if let Some(again) = running.get_mut(&id) {
                    *again = true;
                    return;
                }
                running.insert(id, false);
            }
            loop {
                if let Err(e) = store.deliver(id).await {
                    tracing::warn!(connection_id = id, error = %e, "delivering deployments to the store failed; the next sync retries");
                }
                let mut running = store.delivering.lock().unwrap();
                match running.get_mut(&id) {
                    Some(again) if *again => *again = false,
                    _ => {
                        running.remove(&id);
                        break;
                    }
                }
            }
        });
    }
}
