//! Invoices (SPEC B-5) and the scheduled billing job: renewals and expiry (B-2), one invoice per
//! billing profile and calendar month, overdue invoices and what happens past the grace period.
//!
//! Charging rule (billed in advance): the invoice for month P charges every subscription that
//! was active when P began (monthly prices every month, annual prices in the anniversary month)
//! at its quantity at that moment, plus every not-yet-invoiced prorated adjustment (activation,
//! quantity change) that took effect before P. Because the rule reads history, not the state at
//! the moment the job runs, a late or repeated run produces the same invoice; the unique
//! (profile, period) key makes a second run — or a second server — create nothing.

use super::{Billing, Claim, SUB_SELECT, SubRow};
use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::cursor::{Cursor, page};
use crate::core::error::internal;
use crate::core::sql::set_column;
use crate::db::Tx;
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::billing::*;
use app::domain::directory::ListPage;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::HashSet;
use time::Date;

const PAGE_SIZE: i64 = 50;

/// What one run of the scheduled job did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobReport {
    pub renewed: usize,
    pub expired: usize,
    pub invoices_created: usize,
    pub marked_overdue: usize,
    pub disabled_overdue: usize,
}

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    id: i64,
    number: String,
    profile_id: i64,
    profile_name: String,
    period: String,
    issued_on: String,
    due_on: String,
    status: String,
    paid_at: Option<i64>,
}

const INVOICE_SELECT: &str = "SELECT i.id, i.number, i.profile_id, p.name AS profile_name, i.period, \
     i.issued_on, i.due_on, i.status, i.paid_at FROM invoices i JOIN billing_profiles p ON p.id = i.profile_id";

fn midnight(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp()
}

impl Billing {
    /// Runs every time-based billing rule once, at the injected clock's time. Safe to run again
    /// at any moment and on several servers at once.
    pub async fn run_jobs(&self) -> Result<JobReport, ApiError> {
        let mut report = JobReport::default();
        self.renew_or_expire(&mut report).await?;
        report.invoices_created = self.generate_invoices().await?;
        self.overdue(&mut report).await?;
        Ok(report)
    }

    async fn renew_or_expire(&self, report: &mut JobReport) -> Result<(), ApiError> {
        let today = format_date(self.today());
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM subscriptions WHERE status <> 'disabled' AND renews_on <= $1 ORDER BY id",
        )
        .bind(today.clone())
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for id in due {
            let mut tx = self.db.begin_write().await.map_err(internal)?;
            let sub = self.load_sub(&mut tx, id, true).await?;
            if sub.status().is_disabled() || sub.renews_on > today {
                continue; // another server got here first
            }
            if sub.auto_renew != 0 && sub.status() == SubscriptionStatus::Active {
                let next =
                    Self::next_renewal(sub.term_start(), sub.frequency().months(), self.today());
                set_column(
                    &mut tx,
                    "subscriptions",
                    "renews_on",
                    format_date(next),
                    self.now(),
                    id,
                )
                .await?;
                audit::record(
                    &mut tx,
                    self.now(),
                    &Who::system(),
                    Entry::new("subscription.renewed")
                        .target("subscription", id, sub.app_name.clone())
                        .before(json!({"renews_on": sub.renews_on}))
                        .after(json!({"renews_on": format_date(next)})),
                )
                .await?;
                report.renewed += 1;
            } else {
                self.set_status(
                    &mut tx,
                    &Who::system(),
                    &sub,
                    SubscriptionEvent::Expire,
                    "subscription.expired",
                )
                .await?;
                report.expired += 1;
            }
            tx.commit().await.map_err(internal)?;
        }
        Ok(())
    }

    pub(crate) async fn generate_invoices(&self) -> Result<usize, ApiError> {
        let current = first_of_month(self.today());
        let profiles: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT profile_id, MIN(activated_at) FROM subscriptions WHERE activated_at IS NOT NULL \
             GROUP BY profile_id ORDER BY profile_id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut created = 0;
        for (profile_id, first) in profiles {
            let Some(first) = first else { continue };
            let existing: HashSet<String> = sqlx::query_scalar::<_, String>(
                "SELECT period FROM invoices WHERE profile_id = $1",
            )
            .bind(profile_id)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?
            .into_iter()
            .collect();
            // Catch up at most two years (a server that was off for a while).
            let mut period = first_of_month(date_of_unix(first)).max(shift_months(current, -24));
            while period <= current {
                if !existing.contains(&period_key(period))
                    && self.invoice_period(profile_id, period).await?
                {
                    created += 1;
                }
                period = add_months(period, 1);
            }
        }
        Ok(created)
    }

    /// Creates the invoice of one profile for the month starting `period`, if it has lines and
    /// does not exist yet. Returns whether it created one.
    async fn invoice_period(&self, profile_id: i64, period: Date) -> Result<bool, ApiError> {
        let key = period_key(period);
        let number = format!("INV-{}-{profile_id:05}", key.replace('-', ""));
        let start_ts = midnight(period);
        let start = format_date(period);
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO invoices (number, profile_id, period, issued_on, due_on, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6) ON CONFLICT (profile_id, period) DO NOTHING RETURNING id",
        )
        .bind(number.clone())
        .bind(profile_id)
        .bind(key.clone())
        .bind(start.clone())
        .bind(format_date(period + time::Duration::days(self.payment_terms_days)))
        .bind(self.now())
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        let Some(invoice_id) = id else {
            return Ok(false);
        };
        let mut lines = 0;
        let subs: Vec<SubRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{SUB_SELECT} WHERE s.profile_id = $1 AND s.activated_at IS NOT NULL AND s.activated_at < $2 \
             AND (s.disabled_at IS NULL OR s.disabled_at >= $2) ORDER BY lower(s.app_name), s.id"
        )))
        .bind(profile_id)
        .bind(start_ts)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        for sub in subs {
            if !charged_in_period(sub.frequency(), sub.term_start(), period) {
                continue;
            }
            // The quantity when the period began: today's minus what changed since.
            let later: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(new_quantity - old_quantity), 0) AS BIGINT) \
                 FROM subscription_adjustments WHERE subscription_id = $1 AND effective_on >= $2",
            )
            .bind(sub.id)
            .bind(start.clone())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
            let quantity = sub.billed_quantity() - later;
            if quantity <= 0 {
                continue;
            }
            let what = match (sub.pricing(), sub.frequency()) {
                (Pricing::FlatRate, Frequency::Monthly) => "flat rate, monthly".to_string(),
                (Pricing::FlatRate, Frequency::Annual) => "flat rate, annual".to_string(),
                (Pricing::PerLicense, Frequency::Monthly) => {
                    format!("{quantity} licenses, monthly")
                }
                (Pricing::PerLicense, Frequency::Annual) => format!("{quantity} licenses, annual"),
            };
            self.insert_line(
                &mut tx,
                invoice_id,
                sub.id,
                "charge",
                format!("{} ({}) — {what}", sub.app_name, sub.publisher),
                quantity,
                sub.unit_price_minor,
                quantity * sub.unit_price_minor,
                &sub.currency,
            )
            .await?;
            lines += 1;
        }
        type AdjRow = (
            i64,
            i64,
            String,
            i64,
            i64,
            i64,
            i64,
            i64,
            String,
            i64,
            String,
        );
        let adjustments: Vec<AdjRow> = sqlx::query_as(
            "SELECT a.id, a.subscription_id, a.effective_on, a.old_quantity, a.new_quantity, a.days_charged, \
             a.days_in_period, a.amount_minor, s.app_name, s.unit_price_minor, s.currency \
             FROM subscription_adjustments a JOIN subscriptions s ON s.id = a.subscription_id \
             WHERE s.profile_id = $1 AND a.invoice_id IS NULL AND a.effective_on < $2 ORDER BY a.id",
        )
        .bind(profile_id)
        .bind(start.clone())
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        for (adj_id, sub_id, on, old, new, days, of, amount, app_name, unit, currency) in
            adjustments
        {
            let description = if old == 0 {
                format!("{app_name} — activated {on}, prorated {days} of {of} days")
            } else {
                format!(
                    "{app_name} — quantity {old} → {new} from {on}, prorated {days} of {of} days"
                )
            };
            self.insert_line(
                &mut tx,
                invoice_id,
                sub_id,
                "proration",
                description,
                new - old,
                unit,
                amount,
                &currency,
            )
            .await?;
            sqlx::query("UPDATE subscription_adjustments SET invoice_id = $1 WHERE id = $2")
                .bind(invoice_id)
                .bind(adj_id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            lines += 1;
        }
        if lines == 0 {
            return Ok(false); // nothing to bill: the transaction rolls back
        }
        audit::record_and_commit(
            tx,
            self.now(),
            &Who::system(),
            Entry::new("invoice.created")
                .target("invoice", invoice_id, number)
                .after(json!({"period": key, "lines": lines})),
        )
        .await?;
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_line(
        &self,
        tx: &mut Tx,
        invoice_id: i64,
        sub_id: i64,
        kind: &str,
        description: String,
        quantity: i64,
        unit: i64,
        amount: i64,
        currency: &str,
    ) -> Result<(), ApiError> {
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, subscription_id, kind, description, quantity, \
             unit_price_minor, amount_minor, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(invoice_id)
        .bind(sub_id)
        .bind(kind.to_string())
        .bind(description)
        .bind(quantity)
        .bind(unit)
        .bind(amount)
        .bind(currency.to_string())
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn overdue(&self, report: &mut JobReport) -> Result<(), ApiError> {
        let today = self.today();
        let late: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, number FROM invoices WHERE status = 'open' AND due_on < $1 ORDER BY id",
        )
        .bind(format_date(today))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, number) in late {
            let mut tx = self.db.begin_write().await.map_err(internal)?;
            let changed = sqlx::query(
                "UPDATE invoices SET status = 'overdue' WHERE id = $1 AND status = 'open'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
            if changed == 1 {
                audit::record(
                    &mut tx,
                    self.now(),
                    &Who::system(),
                    Entry::new("invoice.overdue")
                        .target("invoice", id, number)
                        .before(json!({"status": InvoiceStatus::Open.as_str()}))
                        .after(json!({"status": InvoiceStatus::Overdue.as_str()})),
                )
                .await?;
                report.marked_overdue += 1;
            }
            tx.commit().await.map_err(internal)?;
        }
        // Past the grace period: the subscriptions billed on the invoice are disabled (B-2).
        let cutoff = today - time::Duration::days(self.grace_days);
        let subs: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT l.subscription_id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
             JOIN subscriptions s ON s.id = l.subscription_id \
             WHERE i.status = 'overdue' AND i.due_on < $1 AND s.status = 'active' ORDER BY l.subscription_id",
        )
        .bind(format_date(cutoff))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for id in subs {
            let mut tx = self.db.begin_write().await.map_err(internal)?;
            let sub = self.load_sub(&mut tx, id, true).await?;
            if sub.status() != SubscriptionStatus::Active {
                continue;
            }
            self.set_status(
                &mut tx,
                &Who::system(),
                &sub,
                SubscriptionEvent::PaymentOverdue,
                "subscription.payment_overdue",
            )
            .await?;
            tx.commit().await.map_err(internal)?;
            report.disabled_overdue += 1;
        }
        Ok(())
    }

    async fn totals_of(&self, ids: &[i64]) -> Result<Vec<(i64, Total)>, ApiError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT invoice_id, currency, CAST(SUM(amount_minor) AS BIGINT) FROM invoice_lines \
             WHERE invoice_id IN ({list}) GROUP BY invoice_id, currency ORDER BY invoice_id, currency"
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|(id, currency, amount_minor)| {
                (
                    id,
                    Total {
                        currency,
                        amount_minor,
                    },
                )
            })
            .collect())
    }

    fn view(row: InvoiceRow, totals: &[(i64, Total)]) -> Result<InvoiceView, ApiError> {
        let status: InvoiceStatus = row.status.parse().map_err(internal)?;
        Ok(InvoiceView {
            totals: totals
                .iter()
                .filter(|(id, _)| *id == row.id)
                .map(|(_, t)| t.clone())
                .collect(),
            id: row.id,
            number: row.number,
            profile_id: row.profile_id,
            profile_name: row.profile_name,
            period: row.period,
            issued_on: row.issued_on,
            due_on: row.due_on,
            status,
            paid_at: row.paid_at,
        })
    }

    pub(crate) async fn invoice_page(
        &self,
        status: String,
        profile_id: Option<i64>,
        after: Option<String>,
    ) -> Result<ListPage<InvoiceView>, ApiError> {
        let status = status.trim().to_string();
        if !status.is_empty() && status.parse::<InvoiceStatus>().is_err() {
            return Err(ApiError::BadRequest("unknown status filter".into()));
        }
        // Newest period first, then id: the cursor holds the period and id of the last row shown.
        let (after_period, after_id) = match Cursor::decode(after.as_deref())? {
            None => ("9999-99".to_string(), i64::MAX),
            Some(c) => c.into_text_where(|p| parse_period(p).is_some())?,
        };
        let filter = "($1 = '' OR i.status = $1) AND ($2 = 0 OR i.profile_id = $2)";
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM invoices i WHERE {filter}"
        )))
        .bind(status.clone())
        .bind(profile_id.unwrap_or(0))
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        let rows: Vec<InvoiceRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{INVOICE_SELECT} WHERE {filter} AND (i.period < $3 OR (i.period = $3 AND i.id < $4)) \
             ORDER BY i.period DESC, i.id DESC LIMIT {}",
            PAGE_SIZE + 1
        )))
        .bind(status)
        .bind(profile_id.unwrap_or(0))
        .bind(after_period)
        .bind(after_id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let (rows, next) = page(rows, PAGE_SIZE, |r| Cursor::text(&r.period, r.id));
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let totals = self.totals_of(&ids).await?;
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(|r| Self::view(r, &totals))
                .collect::<Result<_, _>>()?,
            next: next.map(|c| c.encode()),
            total,
        })
    }

    pub(crate) async fn invoice_detail(&self, id: i64) -> Result<InvoiceDetail, ApiError> {
        let row: InvoiceRow =
            sqlx::query_as(AssertSqlSafe(format!("{INVOICE_SELECT} WHERE i.id = $1")))
                .bind(id)
                .fetch_optional(&self.db.pool)
                .await
                .map_err(internal)?
                .ok_or(ApiError::NotFound)?;
        let lines: Vec<(String, String, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT kind, description, quantity, unit_price_minor, amount_minor, currency FROM invoice_lines \
             WHERE invoice_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let org_name: String =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'org_name'")
                .fetch_optional(&self.db.pool)
                .await
                .map_err(internal)?
                .unwrap_or_default();
        let bill_to = self.profile_view(None, row.profile_id).await?;
        let totals = self.totals_of(&[id]).await?;
        Ok(InvoiceDetail {
            invoice: Self::view(row, &totals)?,
            lines: lines
                .into_iter()
                .map(|l| InvoiceLineView {
                    kind: l.0,
                    description: l.1,
                    quantity: l.2,
                    unit_price_minor: l.3,
                    amount_minor: l.4,
                    currency: l.5,
                })
                .collect(),
            bill_to,
            org_name,
        })
    }

    /// The invoice as CSV: one row per line item, then one total row per currency.
    pub async fn invoice_csv(&self, id: i64) -> Result<(String, Vec<u8>), ApiError> {
        let detail = self.invoice_detail(id).await?;
        let mut w = csv::Writer::from_writer(vec![]);
        let inv = &detail.invoice;
        crate::csv_util::write_row(
            &mut w,
            [
                "invoice",
                "period",
                "billing_profile",
                "kind",
                "description",
                "quantity",
                "unit_price",
                "amount",
                "currency",
            ],
        )
        .map_err(internal)?;
        for l in &detail.lines {
            crate::csv_util::write_row(
                &mut w,
                [
                    inv.number.as_str(),
                    inv.period.as_str(),
                    inv.profile_name.as_str(),
                    l.kind.as_str(),
                    l.description.as_str(),
                    &l.quantity.to_string(),
                    &format_decimal(l.unit_price_minor, &l.currency),
                    &format_decimal(l.amount_minor, &l.currency),
                    l.currency.as_str(),
                ],
            )
            .map_err(internal)?;
        }
        for t in &inv.totals {
            crate::csv_util::write_row(
                &mut w,
                [
                    inv.number.as_str(),
                    inv.period.as_str(),
                    inv.profile_name.as_str(),
                    "total",
                    "Total",
                    "",
                    "",
                    &format_decimal(t.amount_minor, &t.currency),
                    t.currency.as_str(),
                ],
            )
            .map_err(internal)?;
        }
        let body = w.into_inner().map_err(internal)?;
        Ok((format!("{}.csv", inv.number), body))
    }

    pub(crate) async fn pay(
        &self,
        actor: &Actor,
        id: i64,
        key: Option<String>,
    ) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let claim = self
            .claim(&mut tx, actor, &key, &format!("invoice.paid:{id}"))
            .await?;
        if let Claim::Replay(result) = &claim {
            return Self::replayed(result);
        }
        let lock = format!(
            "SELECT profile_id, number, status FROM invoices WHERE id = $1{}",
            self.db.for_update()
        );
        let (profile_id, number, status): (i64, String, String) =
            sqlx::query_as(AssertSqlSafe(lock))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?
                .ok_or(ApiError::NotFound)?;
        let status: InvoiceStatus = status.parse().map_err(internal)?;
        if status == InvoiceStatus::Paid {
            return Err(ApiError::Conflict(format!(
                "Invoice {number} is already paid."
            )));
        }
        self.require(&mut tx, actor, profile_id, ProfileAction::Pay)
            .await?;
        let now = self.now();
        sqlx::query("UPDATE invoices SET status = $1, paid_at = $2 WHERE id = $3")
            .bind(InvoiceStatus::Paid.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record(
            &mut tx,
            now,
            &who_of(actor),
            Entry::new("invoice.paid")
                .target("invoice", id, number)
                .before(json!({"status": status.as_str()}))
                .after(json!({"status": InvoiceStatus::Paid.as_str()})),
        )
        .await?;
        self.remember(&mut tx, &claim, &()).await?;
        tx.commit().await.map_err(internal)
    }
}
