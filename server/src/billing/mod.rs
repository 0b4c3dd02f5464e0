//! The billing service (SPEC B-1 … B-9). Rules live in `app::domain::billing`; this module applies
//! them atomically, checks billing-profile roles, makes money-moving mutations idempotent and
//! records every change in the audit log. Invoices and the scheduled job are in `invoices`, ISV
//! license assignment in `isv`.

pub mod invoices;
pub mod isv;

use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::clock::Clock;
use crate::core::error::internal;
use crate::core::sql::{contains_pattern, execute_for, unique_or};
use crate::db::{Db, Tx};
use app::api::billing::BillingBackend;
use app::api::ssr::Actor;
use app::domain::billing::*;
use app::domain::directory::ListPage;
use app::domain::{ApiError, Role};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::sync::Arc;
use time::Date;

/// The most licenses one per-license subscription may hold.
pub const MAX_QUANTITY: i64 = 1_000_000;

pub struct Billing {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Days after an invoice's due date before its subscriptions are disabled (B-5).
    pub grace_days: i64,
    /// Days between an invoice's issue date and its due date.
    pub payment_terms_days: i64,
}

impl Billing {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Billing {
        Billing {
            db,
            clock,
            grace_days: 14,
            payment_terms_days: 30,
        }
    }
}

pub(crate) const SUB_SELECT: &str = "SELECT s.id, s.app_name, s.publisher, s.channel, s.pricing, \
     s.frequency, s.unit_price_minor, s.currency, s.quantity, s.assigned, s.term_start_on, \
     s.renews_on, s.auto_renew, s.profile_id, p.name AS profile_name, s.portal_url, s.status, \
     s.disabled_reason, s.activated_at, s.disabled_at \
     FROM subscriptions s JOIN billing_profiles p ON p.id = s.profile_id";

#[derive(sqlx::FromRow, Clone)]
pub(crate) struct SubRow {
    pub id: i64,
    pub app_name: String,
    pub publisher: String,
    pub channel: String,
    pub pricing: String,
    pub frequency: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub quantity: Option<i64>,
    pub assigned: i64,
    pub term_start_on: String,
    pub renews_on: String,
    pub auto_renew: i64,
    pub profile_id: i64,
    pub profile_name: String,
    pub portal_url: String,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub activated_at: Option<i64>,
    pub disabled_at: Option<i64>,
}

impl SubRow {
    pub fn view(&self) -> SubscriptionView {
        SubscriptionView {
            id: self.id,
            app_name: self.app_name.clone(),
            publisher: self.publisher.clone(),
            channel: Channel::parse(&self.channel).unwrap_or(Channel::Direct),
            pricing: self.pricing(),
            frequency: self.frequency(),
            unit_price_minor: self.unit_price_minor,
            currency: self.currency.clone(),
            quantity: self.quantity,
            assigned: self.assigned,
            term_start_on: self.term_start_on.clone(),
            renews_on: self.renews_on.clone(),
            auto_renew: self.auto_renew != 0,
            profile_id: self.profile_id,
            profile_name: self.profile_name.clone(),
            portal_url: self.portal_url.clone(),
            status: self.status(),
            activated_at: self.activated_at,
            disabled_at: self.disabled_at,
        }
    }
    pub fn status(&self) -> SubscriptionStatus {
        SubscriptionStatus::from_columns(&self.status, self.disabled_reason.as_deref())
            .unwrap_or(SubscriptionStatus::Disabled(DisabledReason::Cancelled))
    }
    pub fn pricing(&self) -> Pricing {
        Pricing::parse(&self.pricing).unwrap_or(Pricing::PerLicense)
    }
    pub fn frequency(&self) -> Frequency {
        Frequency::parse(&self.frequency).unwrap_or(Frequency::Monthly)
    }
    /// Licenses billed: the seat count, or 1 for a flat rate.
    pub fn billed_quantity(&self) -> i64 {
        self.quantity.unwrap_or(1)
    }
    pub fn term_start(&self) -> Date {
        parse_date("term_start_on", &self.term_start_on).unwrap_or(Date::MIN)
    }
}

/// The outcome of claiming an idempotency key inside a transaction.
pub(crate) enum Claim {
    /// No key given: nothing to remember.
    None,
    /// First use: remember the result under this stored key before committing.
    Fresh(String),
    /// Seen before: this is the stored result of the first request.
    Replay(String),
}

fn text(field: &str, label: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(field, format!("Enter the {label}.")));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("The {label} can be at most {max} characters."),
        ));
    }
    if looks_like_card_number(v) {
        return Err(ApiError::invalid(
            field,
            "This looks like a card number. LicenseDesk never stores card numbers; remove it.",
        ));
    }
    Ok(v.to_string())
}

fn parse_count(field: &str, value: &str, min: i64, max: i64, what: &str) -> Result<i64, ApiError> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("Enter the {what} as a whole number from {min} to {max}."),
            )
        })
}

impl Billing {
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    pub(crate) fn today(&self) -> Date {
        date_of_unix(self.now())
    }

    /// Change license quantity inside `tx` (the rule for the UI, the API and reclaim): a
    /// per-license subscription that is not disabled, never below the assigned licenses, with
    /// the Purchase role on its profile; an active one is charged or credited pro rata.
    pub(crate) async fn set_quantity_tx(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: i64,
        new: i64,
    ) -> Result<AdjustmentView, ApiError> {
        let sub = self.load_sub(tx, id, true).await?;
        sub.status().ensure_changeable()?;
        if sub.pricing() == Pricing::FlatRate {
            return Err(ApiError::Conflict(format!(
                "{} has a flat rate: its quantity is Unlimited and cannot be changed. Only per-license subscriptions have a license quantity.",
                sub.app_name
            )));
        }
        let old = sub.billed_quantity();
        if new == old {
            return Err(ApiError::invalid(
                "quantity",
                format!("The quantity is already {old}."),
            ));
        }
        if new < sub.assigned {
            return Err(ApiError::invalid(
                "quantity",
                format!(
                    "{} licenses are assigned in the publisher's portal, so the quantity cannot go below {}. Unassign licenses there first.",
                    sub.assigned, sub.assigned
                ),
            ));
        }
        self.require(tx, actor, sub.profile_id, ProfileAction::Purchase)
            .await?;
        let adjustment = if sub.status() == SubscriptionStatus::Active {
            self.insert_adjustment(tx, &sub, self.today(), old, new)
                .await?
        } else {
            // Not billed yet: activation will charge the quantity it finds.
            AdjustmentView {
                effective_on: format_date(self.today()),
                old_quantity: old,
                new_quantity: new,
                days_charged: 0,
                days_in_period: 0,
                amount_minor: 0,
                invoice_number: None,
            }
        };
        let prorated = format_money(adjustment.amount_minor, &sub.currency);
        self.set_column(
            tx,
            &who_of(actor),
            &sub,
            "quantity",
            new,
            Entry::new("subscription.quantity_changed")
                .before(json!({"quantity": old}))
                .after(json!({"quantity": new, "prorated": prorated})),
        )
        .await?;
        Ok(adjustment)
    }

    pub(crate) async fn load_sub(
        &self,
        tx: &mut Tx,
        id: i64,
        lock: bool,
    ) -> Result<SubRow, ApiError> {
        let sql = format!(
            "{SUB_SELECT} WHERE s.id = $1{}",
            if lock {
                // Lock only the subscription row (PostgreSQL would otherwise lock the profile too).
                match self.db.backend {
                    crate::db::Backend::Postgres => " FOR UPDATE OF s",
                    crate::db::Backend::Sqlite => "",
                }
            } else {
                ""
            }
        );
        sqlx::query_as::<_, SubRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)
    }

    /// The caller's role on a profile. Global admins act as owners of every profile, so a
    /// profile can never be left without someone who may manage it.
    pub(crate) async fn role_on(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        profile_id: i64,
    ) -> Result<Option<ProfileRole>, ApiError> {
        if actor.admin.role == Role::GlobalAdmin {
            return Ok(Some(ProfileRole::Owner));
        }
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM billing_profile_roles WHERE profile_id = $1 AND admin_id = $2",
        )
        .bind(profile_id)
        .bind(actor.admin.id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?;
        Ok(role.as_deref().and_then(ProfileRole::parse))
    }

    /// Refuses unless the caller's role on the profile allows `action`; returns the profile name.
    pub(crate) async fn require(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        profile_id: i64,
        action: ProfileAction,
    ) -> Result<String, ApiError> {
        let name: String = sqlx::query_scalar("SELECT name FROM billing_profiles WHERE id = $1")
            .bind(profile_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                ApiError::invalid("profile_id", "That billing profile does not exist.")
            })?;
        match self.role_on(tx, actor, profile_id).await? {
            Some(role) if role.allows(action) => Ok(name),
            _ => Err(profile_refusal(action, &name)),
        }
    }

    /// Claims an idempotency key for `operation` (which names the target and the arguments).
    /// On PostgreSQL a concurrent request with the same key waits here until the first commits.
    pub(crate) async fn claim(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        key: &Option<String>,
        operation: &str,
    ) -> Result<Claim, ApiError> {
        let Some(key) = key.as_deref().map(str::trim).filter(|k| !k.is_empty()) else {
            return Ok(Claim::None);
        };
        if key.len() > 100
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::invalid(
                "idempotency_key",
                "An idempotency key is 1 to 100 letters, digits, - or _.",
            ));
        }
        // Keys are the caller's own: an admin's, or an API token's (a script's retries).
        let stored = match actor.admin.token {
            Some(token) => format!("t{token}:{key}"),
            None => format!("{}:{key}", actor.admin.id),
        };
        let inserted = sqlx::query(
            "INSERT INTO billing_requests (key, operation, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(stored.clone())
        .bind(operation.to_string())
        .bind(self.now())
        .execute(&mut **tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::Fresh(stored));
        }
        let (op, result): (String, String) =
            sqlx::query_as("SELECT operation, result FROM billing_requests WHERE key = $1")
                .bind(stored)
                .fetch_one(&mut **tx)
                .await
                .map_err(internal)?;
        if op != operation {
            return Err(ApiError::invalid(
                "idempotency_key",
                "This idempotency key was already used for a different change. Use a new key for a new change.",
            ));
        }
        Ok(Claim::Replay(result))
    }

    /// Stores the result of a fresh claim (inside the same transaction as the change).
    pub(crate) async fn remember<T: Serialize>(
        &self,
        tx: &mut Tx,
        claim: &Claim,
        value: &T,
    ) -> Result<(), ApiError> {
        if let Claim::Fresh(key) = claim {
            sqlx::query("UPDATE billing_requests SET result = $1 WHERE key = $2")
                .bind(serde_json::to_string(value).map_err(internal)?)
                .bind(key.clone())
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    fn replayed<T: DeserializeOwned>(result: &str) -> Result<T, ApiError> {
        serde_json::from_str(result).map_err(internal)
    }

    async fn set_status(
        &self,
        tx: &mut Tx,
        who: &Who,
        sub: &SubRow,
        event: SubscriptionEvent,
        action: &str,
    ) -> Result<SubscriptionStatus, ApiError> {
        let next = sub.status().apply(event)?;
        let now = self.now();
        sqlx::query(
            "UPDATE subscriptions SET status = $1, disabled_reason = $2, \
             activated_at = CASE WHEN $1 = 'active' THEN $3 ELSE activated_at END, \
             disabled_at = CASE WHEN $1 = 'disabled' THEN $3 ELSE disabled_at END, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(next.as_str())
        .bind(next.reason().map(|r| r.as_str()))
        .bind(now)
        .bind(sub.id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
        audit::record(
            tx,
            now,
            who,
            Entry::new(action)
                .target("subscription", sub.id, sub.app_name.clone())
                .before(json!({"status": sub.status, "disabled_reason": sub.disabled_reason}))
                .after(json!({"status": next.as_str(), "disabled_reason": next.reason().map(|r| r.as_str())})),
        )
        .await?;
        Ok(next)
    }

    /// Sets one integer column of a subscription and writes `entry` (targeted at it) in `tx`.
    async fn set_column(
        &self,
        tx: &mut Tx,
        who: &Who,
        sub: &SubRow,
        column: &'static str,
        value: i64,
        entry: Entry<'_>,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let sql = format!("UPDATE subscriptions SET {column} = $1, updated_at = $2 WHERE id = $3");
        sqlx::query(AssertSqlSafe(sql))
            .bind(value)
            .bind(now)
            .bind(sub.id)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
        let entry = entry.target("subscription", sub.id, sub.app_name.clone());
        audit::record(tx, now, who, entry).await
    }

    /// Records a prorated charge (or credit) for the next invoice.
    async fn insert_adjustment(
        &self,
        tx: &mut Tx,
        sub: &SubRow,
        effective: Date,
        old_quantity: i64,
        new_quantity: i64,
    ) -> Result<AdjustmentView, ApiError> {
        let p = proration(
            sub.frequency(),
            sub.term_start(),
            effective,
            old_quantity,
            new_quantity,
            sub.unit_price_minor,
        );
        sqlx::query(
            "INSERT INTO subscription_adjustments (subscription_id, effective_on, old_quantity, \
             new_quantity, days_charged, days_in_period, amount_minor, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(sub.id)
        .bind(format_date(effective))
        .bind(old_quantity)
        .bind(new_quantity)
        .bind(p.days_charged)
        .bind(p.days_in_period)
        .bind(p.amount_minor)
        .bind(self.now())
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
        Ok(AdjustmentView {
            effective_on: format_date(effective),
            old_quantity,
            new_quantity,
            days_charged: p.days_charged,
            days_in_period: p.days_in_period,
            amount_minor: p.amount_minor,
            invoice_number: None,
        })
    }

    async fn profile_views(
        &self,
        actor: Option<&Actor>,
        only: Option<i64>,
    ) -> Result<Vec<ProfileView>, ApiError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            name: String,
            contact_name: String,
            address_line: String,
            city: String,
            postal_code: String,
            region: String,
            subscription_count: i64,
        }
        let mut tx = self.db.pool.begin().await.map_err(internal)?;
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT p.id, p.name, p.contact_name, p.address_line, p.city, p.postal_code, p.region, \
             (SELECT COUNT(*) FROM subscriptions s WHERE s.profile_id = p.id) AS subscription_count \
             FROM billing_profiles p WHERE ($1 = 0 OR p.id = $1) ORDER BY p.name_key",
        )
        .bind(only.unwrap_or(0))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        type MethodRow = (
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
            i64,
        );
        let methods: Vec<MethodRow> = sqlx::query_as(
            "SELECT id, profile_id, kind, card_brand, card_last4, card_exp_month, card_exp_year, is_default \
             FROM payment_methods ORDER BY is_default DESC, id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let roles: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT r.profile_id, r.admin_id, a.username, r.role FROM billing_profile_roles r \
             JOIN admins a ON a.id = r.admin_id ORDER BY a.username",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let mut out = vec![];
        for r in rows {
            let my_role = match actor {
                Some(actor) => self.role_on(&mut tx, actor, r.id).await?,
                None => None,
            };
            out.push(ProfileView {
                id: r.id,
                name: r.name,
                contact_name: r.contact_name,
                address_line: r.address_line,
                city: r.city,
                postal_code: r.postal_code,
                region: r.region,
                payment_methods: methods
                    .iter()
                    .filter(|m| m.1 == r.id)
                    .map(|m| PaymentMethodView {
                        id: m.0,
                        kind: m.2.clone(),
                        brand: m.3.clone(),
                        last4: m.4.clone(),
                        exp_month: m.5,
                        exp_year: m.6,
                        is_default: m.7 != 0,
                    })
                    .collect(),
                roles: roles
                    .iter()
                    .filter(|x| x.0 == r.id)
                    .filter_map(|x| {
                        ProfileRole::parse(&x.3).map(|role| ProfileRoleView {
                            admin_id: x.1,
                            username: x.2.clone(),
                            role,
                        })
                    })
                    .collect(),
                subscription_count: r.subscription_count,
                my_role,
            });
        }
        Ok(out)
    }

    pub(crate) async fn profile_view(
        &self,
        actor: Option<&Actor>,
        id: i64,
    ) -> Result<ProfileView, ApiError> {
        self.profile_views(actor, Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or(ApiError::NotFound)
    }

    /// The first term boundary after `today` (for an auto-renewing term that started earlier).
    fn next_renewal(term_start: Date, months: u32, today: Date) -> Date {
        let mut n = 1;
        loop {
            let d = shift_months(term_start, (months * n) as i32);
            if d > today {
                return d;
            }
            n += 1;
        }
    }
}

#[async_trait::async_trait]
impl BillingBackend for Billing {
    async fn list_subscriptions(
        &self,
        status: String,
        q: String,
    ) -> Result<Vec<SubscriptionView>, ApiError> {
        let status = status.trim();
        if !status.is_empty() && !["pending_activation", "active", "disabled"].contains(&status) {
            return Err(ApiError::BadRequest("unknown status filter".into()));
        }
        let sql = format!(
            "{SUB_SELECT} WHERE ($1 = '' OR s.status = $1) AND ($2 = '%%' OR lower(s.app_name) LIKE $2 \
             OR lower(s.publisher) LIKE $2) ORDER BY lower(s.app_name), s.id LIMIT 500"
        );
        let rows: Vec<SubRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(status.to_string())
            .bind(contains_pattern(&q))
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        Ok(rows.iter().map(SubRow::view).collect())
    }

    async fn get_subscription(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<SubscriptionDetail, ApiError> {
        let mut tx = self.db.pool.begin().await.map_err(internal)?;
        let sub = self.load_sub(&mut tx, id, false).await?;
        type AdjRow = (String, i64, i64, i64, i64, i64, Option<String>);
        let adjustments: Vec<AdjRow> = sqlx::query_as(
            "SELECT a.effective_on, a.old_quantity, a.new_quantity, a.days_charged, a.days_in_period, \
             a.amount_minor, i.number FROM subscription_adjustments a \
             LEFT JOIN invoices i ON i.id = a.invoice_id WHERE a.subscription_id = $1 ORDER BY a.id DESC",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let all: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM billing_profiles ORDER BY name_key")
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?;
        let mut profiles = vec![];
        for (pid, name) in all {
            if self
                .role_on(&mut tx, actor, pid)
                .await?
                .is_some_and(|r| r.allows(ProfileAction::Purchase))
            {
                profiles.push((pid, name));
            }
        }
        Ok(SubscriptionDetail {
            subscription: sub.view(),
            adjustments: adjustments
                .into_iter()
                .map(|a| AdjustmentView {
                    effective_on: a.0,
                    old_quantity: a.1,
                    new_quantity: a.2,
                    days_charged: a.3,
                    days_in_period: a.4,
                    amount_minor: a.5,
                    invoice_number: a.6,
                })
                .collect(),
            profiles,
        })
    }

    async fn add_subscription(
        &self,
        actor: &Actor,
        form: NewSubscriptionForm,
    ) -> Result<i64, ApiError> {
        let app_name = text("app_name", "app name", &form.app_name, 120)?;
        let publisher = text("publisher", "publisher", &form.publisher, 120)?;
        let channel = Channel::parse(form.channel.trim()).ok_or_else(|| {
            ApiError::invalid(
                "channel",
                "Choose how it was bought: direct, through a partner, or from a vendor proposal.",
            )
        })?;
        let pricing = Pricing::parse(form.pricing.trim()).ok_or_else(|| {
            ApiError::invalid(
                "pricing",
                "Choose the pricing model: flat rate or per license.",
            )
        })?;
        let frequency = Frequency::parse(form.frequency.trim())
            .ok_or_else(|| ApiError::invalid("frequency", "Choose monthly or annual billing."))?;
        let currency = parse_currency(&form.currency)?;
        let price = parse_price(&form.price, currency)?;
        let quantity = match pricing {
            Pricing::PerLicense => Some(parse_count(
                "quantity",
                &form.quantity,
                1,
                MAX_QUANTITY,
                "number of licenses",
            )?),
            Pricing::FlatRate if form.quantity.trim().is_empty() => None,
            Pricing::FlatRate => {
                return Err(ApiError::invalid(
                    "quantity",
                    "A flat-rate subscription has an Unlimited quantity; leave the number of licenses empty.",
                ));
            }
        };
        let term_start = parse_date("term_start_on", &form.term_start_on)?;
        let auto_renew = form
            .auto_renew
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "false");
        let today = self.today();
        let first_end = add_months(term_start, frequency.months());
        let renews = if first_end > today {
            first_end
        } else if auto_renew {
            Self::next_renewal(term_start, frequency.months(), today)
        } else {
            return Err(ApiError::invalid(
                "term_start_on",
                format!(
                    "A term that started on {} without automatic renewal has already ended.",
                    format_date(term_start)
                ),
            ));
        };
        let portal_url = validate_link("portal_url", &form.portal_url)?;
        let profile_id: i64 = form
            .profile_id
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid("profile_id", "Choose a billing profile."))?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let profile = self
            .require(&mut tx, actor, profile_id, ProfileAction::Purchase)
            .await?;
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO subscriptions (app_name, publisher, channel, pricing, frequency, unit_price_minor, \
             currency, quantity, assigned, term_start_on, renews_on, auto_renew, profile_id, portal_url, \
             status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, \
             $13, 'pending_activation', $14, $14) RETURNING id",
        )
        .bind(app_name.clone())
        .bind(publisher.clone())
        .bind(channel.as_str())
        .bind(pricing.as_str())
        .bind(frequency.as_str())
        .bind(price)
        .bind(currency)
        .bind(quantity)
        .bind(format_date(term_start))
        .bind(format_date(renews))
        .bind(auto_renew as i64)
        .bind(profile_id)
        .bind(portal_url)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("subscription.created").target("subscription", id, app_name.clone()).after(json!({
                "app": app_name, "publisher": publisher, "channel": channel.as_str(), "pricing": pricing.as_str(),
                "frequency": frequency.as_str(), "price": format_money(price, currency), "quantity": quantity,
                "profile": profile, "status": "pending_activation",
            })),
        )
        .await?;
        Ok(id)
    }

    async fn activate(&self, actor: &Actor, id: i64) -> Result<String, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let sub = self.load_sub(&mut tx, id, true).await?;
        if sub.status() == SubscriptionStatus::Active {
            return Ok(sub.portal_url);
        }
        self.set_status(
            &mut tx,
            &who_of(actor),
            &sub,
            SubscriptionEvent::Activate,
            "subscription.activated",
        )
        .await?;
        // Billing starts now: the rest of the current period goes onto the next invoice.
        self.insert_adjustment(&mut tx, &sub, self.today(), 0, sub.billed_quantity())
            .await?;
        tx.commit().await.map_err(internal)?;
        Ok(sub.portal_url)
    }

    async fn change_quantity(
        &self,
        actor: &Actor,
        id: i64,
        quantity: String,
        key: Option<String>,
    ) -> Result<AdjustmentView, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let claim = self
            .claim(
                &mut tx,
                actor,
                &key,
                &format!("subscription.quantity:{id}:{}", quantity.trim()),
            )
            .await?;
        if let Claim::Replay(result) = &claim {
            return Self::replayed(result);
        }
        let new = parse_count("quantity", &quantity, 1, MAX_QUANTITY, "number of licenses")?;
        let adjustment = self.set_quantity_tx(&mut tx, actor, id, new).await?;
        self.remember(&mut tx, &claim, &adjustment).await?;
        tx.commit().await.map_err(internal)?;
        Ok(adjustment)
    }

    async fn record_assigned(
        &self,
        actor: &Actor,
        id: i64,
        assigned: String,
    ) -> Result<(), ApiError> {
        let n = parse_count(
            "assigned",
            &assigned,
            0,
            MAX_QUANTITY,
            "number of assigned licenses",
        )?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let sub = self.load_sub(&mut tx, id, true).await?;
        sub.status().ensure_changeable()?;
        if let Some(q) = sub.quantity
            && n > q
        {
            return Err(ApiError::invalid(
                "assigned",
                format!("Only {q} licenses are owned; the publisher cannot have assigned {n}."),
            ));
        }
        self.set_column(
            &mut tx,
            &who_of(actor),
            &sub,
            "assigned",
            n,
            Entry::new("subscription.assigned_recorded")
                .before(json!({"assigned": sub.assigned}))
                .after(json!({"assigned": n})),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn change_profile(
        &self,
        actor: &Actor,
        id: i64,
        profile_id: i64,
    ) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let sub = self.load_sub(&mut tx, id, true).await?;
        sub.status().ensure_changeable()?;
        if sub.profile_id == profile_id {
            return Err(ApiError::invalid(
                "profile_id",
                "The subscription already uses this billing profile.",
            ));
        }
        self.require(&mut tx, actor, sub.profile_id, ProfileAction::Purchase)
            .await?;
        let new_name = self
            .require(&mut tx, actor, profile_id, ProfileAction::Purchase)
            .await?;
        let methods: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM payment_methods WHERE profile_id = $1")
                .bind(profile_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?;
        if methods == 0 {
            return Err(ApiError::invalid(
                "profile_id",
                format!(
                    "The billing profile {new_name} has no payment method yet. Add one on Billing profiles first."
                ),
            ));
        }
        self.set_column(
            &mut tx,
            &who_of(actor),
            &sub,
            "profile_id",
            profile_id,
            Entry::new("subscription.profile_changed")
                .before(json!({"profile": sub.profile_name}))
                .after(json!({"profile": new_name})),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn cancel(&self, actor: &Actor, id: i64, key: Option<String>) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let claim = self
            .claim(&mut tx, actor, &key, &format!("subscription.cancel:{id}"))
            .await?;
        if let Claim::Replay(result) = &claim {
            return Self::replayed(result);
        }
        let sub = self.load_sub(&mut tx, id, true).await?;
        // The state machine refuses a second cancel (disabled is final).
        sub.status().apply(SubscriptionEvent::Cancel)?;
        self.require(&mut tx, actor, sub.profile_id, ProfileAction::Purchase)
            .await?;
        self.set_status(
            &mut tx,
            &who_of(actor),
            &sub,
            SubscriptionEvent::Cancel,
            "subscription.cancelled",
        )
        .await?;
        self.remember(&mut tx, &claim, &()).await?;
        tx.commit().await.map_err(internal)
    }

    async fn list_profiles(&self, actor: &Actor) -> Result<Vec<ProfileView>, ApiError> {
        self.profile_views(Some(actor), None).await
    }

    async fn save_profile(&self, actor: &Actor, form: ProfileForm) -> Result<i64, ApiError> {
        let name = text("name", "profile name", &form.name, 80)?;
        let contact = text("contact_name", "contact name", &form.contact_name, 100)?;
        let address = text("address_line", "street address", &form.address_line, 200)?;
        let city = text("city", "city", &form.city, 100)?;
        let postal = text("postal_code", "postal code", &form.postal_code, 20)?;
        let region = parse_region(&form.region)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let now = self.now();
        let who = who_of(actor);
        let duplicate = || {
            ApiError::invalid(
                "name",
                format!("A billing profile named {name} already exists."),
            )
        };
        let after = json!({"name": name, "contact": contact, "address": address, "city": city, "postal_code": postal, "region": region});
        let id = match form.id {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO billing_profiles (name, name_key, contact_name, address_line, city, postal_code, \
                     region, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                )
                .bind(name.clone())
                .bind(name.to_lowercase())
                .bind(contact.clone())
                .bind(address.clone())
                .bind(city.clone())
                .bind(postal.clone())
                .bind(region)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(unique_or(duplicate))?;
                sqlx::query("INSERT INTO billing_profile_roles (profile_id, admin_id, role) VALUES ($1, $2, 'owner')")
                    .bind(id)
                    .bind(actor.admin.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                audit::record(
                    &mut tx,
                    now,
                    &who,
                    Entry::new("billing_profile.created")
                        .target("billing_profile", id, name.clone())
                        .after(after),
                )
                .await?;
                id
            }
            Some(id) => {
                self.require(&mut tx, actor, id, ProfileAction::Change)
                    .await?;
                let before: (String, String, String, String, String, String) = sqlx::query_as(
                    "SELECT name, contact_name, address_line, city, postal_code, region FROM billing_profiles WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?;
                sqlx::query(
                    "UPDATE billing_profiles SET name = $1, name_key = $2, contact_name = $3, address_line = $4, \
                     city = $5, postal_code = $6, region = $7, updated_at = $8 WHERE id = $9",
                )
                .bind(name.clone())
                .bind(name.to_lowercase())
                .bind(contact.clone())
                .bind(address.clone())
                .bind(city.clone())
                .bind(postal.clone())
                .bind(region)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unique_or(duplicate))?;
                audit::record(
                    &mut tx,
                    now,
                    &who,
                    Entry::new("billing_profile.updated")
                        .target("billing_profile", id, name.clone())
                        .before(json!({"name": before.0, "contact": before.1, "address": before.2, "city": before.3, "postal_code": before.4, "region": before.5}))
                        .after(after),
                )
                .await?;
                id
            }
        };
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn add_payment_method(
        &self,
        actor: &Actor,
        form: PaymentMethodForm,
    ) -> Result<i64, ApiError> {
        let card = match form.kind.trim() {
            "card" => Some(validate_card(
                &CardInput {
                    brand: form.brand.unwrap_or_default(),
                    last4: form.last4.unwrap_or_default(),
                    exp_month: form.exp_month.unwrap_or_default(),
                    exp_year: form.exp_year.unwrap_or_default(),
                },
                self.today(),
            )?),
            "wire" => None,
            _ => {
                return Err(ApiError::invalid(
                    "kind",
                    "Choose credit card or check/wire transfer.",
                ));
            }
        };
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let profile = self
            .require(&mut tx, actor, form.profile_id, ProfileAction::Change)
            .await?;
        let existing: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT kind, card_brand, card_last4 FROM payment_methods WHERE profile_id = $1",
        )
        .bind(form.profile_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let duplicate = existing.iter().any(|(kind, brand, last4)| match &card {
            None => kind == "wire",
            Some(c) => {
                brand.as_deref() == Some(c.0.as_str()) && last4.as_deref() == Some(c.1.as_str())
            }
        });
        if duplicate {
            return Err(ApiError::invalid(
                if card.is_some() { "last4" } else { "kind" },
                format!("The billing profile {profile} already has this payment method."),
            ));
        }
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO payment_methods (profile_id, kind, card_brand, card_last4, card_exp_month, card_exp_year, \
             is_default, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(form.profile_id)
        .bind(if card.is_some() { "card" } else { "wire" })
        .bind(card.as_ref().map(|c| c.0.clone()))
        .bind(card.as_ref().map(|c| c.1.clone()))
        .bind(card.as_ref().map(|c| c.2))
        .bind(card.as_ref().map(|c| c.3))
        .bind(existing.is_empty() as i64)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let described = match &card {
            Some(c) => format!("{} ending in {} (expires {:02}/{})", c.0, c.1, c.2, c.3),
            None => "check/wire transfer".to_string(),
        };
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("payment_method.added")
                .target("billing_profile", form.profile_id, profile)
                .after(json!({"payment_method": described})),
        )
        .await?;
        Ok(id)
    }

    async fn remove_payment_method(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let row: Option<(i64, String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT profile_id, kind, card_brand, card_last4, is_default FROM payment_methods WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        let (profile_id, kind, brand, last4, was_default) = row.ok_or(ApiError::NotFound)?;
        let profile = self
            .require(&mut tx, actor, profile_id, ProfileAction::Change)
            .await?;
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payment_methods WHERE profile_id = $1 AND id <> $2",
        )
        .bind(profile_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let paying: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM subscriptions WHERE profile_id = $1 AND status <> 'disabled'",
        )
        .bind(profile_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        if others == 0 && paying > 0 {
            return Err(ApiError::Conflict(format!(
                "{profile} pays for {paying} subscription(s) and this is its only payment method. Add another payment method first."
            )));
        }
        execute_for(&mut tx, "DELETE FROM payment_methods WHERE id = $1", id).await?;
        if was_default != 0 {
            execute_for(&mut tx, "UPDATE payment_methods SET is_default = 1 WHERE id = (SELECT MIN(id) FROM payment_methods WHERE profile_id = $1)", profile_id).await?;
        }
        let described = match kind.as_str() {
            "card" => format!(
                "{} ending in {}",
                brand.unwrap_or_default(),
                last4.unwrap_or_default()
            ),
            _ => "check/wire transfer".to_string(),
        };
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("payment_method.removed")
                .target("billing_profile", profile_id, profile)
                .before(json!({"payment_method": described})),
        )
        .await
    }

    async fn set_profile_role(
        &self,
        actor: &Actor,
        profile_id: i64,
        username: String,
        role: String,
    ) -> Result<(), ApiError> {
        let role = match role.trim() {
            "" => None,
            r => Some(ProfileRole::parse(r).ok_or_else(|| {
                ApiError::invalid(
                    "role",
                    "Choose owner, contributor, reader or invoice manager.",
                )
            })?),
        };
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let profile = self
            .require(&mut tx, actor, profile_id, ProfileAction::ManageRoles)
            .await?;
        let admin: Option<(i64, String)> =
            sqlx::query_as("SELECT id, username FROM admins WHERE username = $1 AND enabled = 1")
                .bind(username.trim().to_lowercase())
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?;
        let (admin_id, username) = admin.ok_or_else(|| {
            ApiError::invalid(
                "username",
                "There is no enabled admin account with this sign-in name.",
            )
        })?;
        let lock = format!(
            "SELECT id FROM billing_profiles WHERE id = $1{}",
            self.db.for_update()
        );
        sqlx::query(AssertSqlSafe(lock))
            .bind(profile_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let before: Option<String> = sqlx::query_scalar(
            "SELECT role FROM billing_profile_roles WHERE profile_id = $1 AND admin_id = $2",
        )
        .bind(profile_id)
        .bind(admin_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        if before.as_deref() == Some("owner") && role != Some(ProfileRole::Owner) {
            let owners: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM billing_profile_roles WHERE profile_id = $1 AND role = 'owner'",
            )
            .bind(profile_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
            if owners <= 1 {
                return Err(ApiError::Conflict(format!(
                    "{username} is the only owner of {profile}. Make someone else an owner first."
                )));
            }
        }
        sqlx::query("DELETE FROM billing_profile_roles WHERE profile_id = $1 AND admin_id = $2")
            .bind(profile_id)
            .bind(admin_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        if let Some(r) = role {
            sqlx::query("INSERT INTO billing_profile_roles (profile_id, admin_id, role) VALUES ($1, $2, $3)")
                .bind(profile_id)
                .bind(admin_id)
                .bind(r.as_str())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("billing_profile.role_changed")
                .target("billing_profile", profile_id, profile)
                .before(json!({"admin": username, "role": before}))
                .after(json!({"admin": username, "role": role.map(|r| r.as_str())})),
        )
        .await
    }

    async fn list_invoices(
        &self,
        status: String,
        profile_id: Option<i64>,
        after: Option<String>,
    ) -> Result<ListPage<InvoiceView>, ApiError> {
        self.invoice_page(status, profile_id, after).await
    }

    async fn get_invoice(&self, id: i64) -> Result<InvoiceDetail, ApiError> {
        self.invoice_detail(id).await
    }

    async fn mark_paid(&self, actor: &Actor, id: i64, key: Option<String>) -> Result<(), ApiError> {
        self.pay(actor, id, key).await
    }

    async fn list_isv_apps(&self) -> Result<Vec<IsvAppView>, ApiError> {
        self.isv_apps().await
    }

    async fn get_isv_app(&self, id: i64) -> Result<IsvAppDetail, ApiError> {
        self.isv_detail(id).await
    }

    async fn add_isv_app(&self, actor: &Actor, form: IsvAppForm) -> Result<i64, ApiError> {
        let name = text("name", "app name", &form.name, 120)?;
        let publisher = text("publisher", "vendor", &form.publisher, 120)?;
        let owned = parse_count(
            "owned",
            &form.owned,
            0,
            MAX_QUANTITY,
            "number of licenses the vendor states",
        )?;
        let install_url = validate_link("install_url", &form.install_url)?;
        let contact = text(
            "vendor_contact",
            "vendor contact",
            &form.vendor_contact,
            200,
        )?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO isv_apps (name, name_key, publisher, owned, install_url, vendor_contact, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(name.clone())
        .bind(name.to_lowercase())
        .bind(publisher.clone())
        .bind(owned)
        .bind(install_url)
        .bind(contact)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_or(|| ApiError::invalid("name", format!("An ISV app named {name} is already recorded."))))?;
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("isv_app.created")
                .target("isv_app", id, name.clone())
                .after(json!({"name": name, "vendor": publisher, "owned": owned})),
        )
        .await?;
        Ok(id)
    }

    async fn search_principals(&self, q: String) -> Result<Vec<Principal>, ApiError> {
        self.principals(q).await
    }

    async fn assign(
        &self,
        actor: &Actor,
        app_id: i64,
        principals: Vec<(String, i64)>,
    ) -> Result<i64, ApiError> {
        self.assign_tx(actor, app_id, principals).await
    }

    async fn unassign(&self, actor: &Actor, app_id: i64, ids: Vec<i64>) -> Result<i64, ApiError> {
        self.unassign_tx(actor, app_id, ids).await
    }
}
