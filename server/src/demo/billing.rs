//! Demo billing data: two billing profiles, subscriptions in every state and pricing model with a
//! year of history, the invoices the billing job makes from that history (older ones paid, one
//! overdue), and ISV apps with user and group assignments. Deterministic for a given day.

use crate::billing::Billing;
use crate::core::error::internal;
use crate::db::Tx;
use app::domain::ApiError;
use app::domain::billing::{Frequency, date_of_unix, format_date, proration, shift_months};
use time::Date;

struct Sub {
    app: &'static str,
    publisher: &'static str,
    channel: &'static str,
    pricing: &'static str,
    frequency: &'static str,
    price: i64,
    currency: &'static str,
    quantity: Option<i64>,
    assigned: i64,
    profile: usize,
    /// Months ago it was activated (None = pending activation).
    activated: Option<i32>,
    /// (status, reason, months ago) when disabled.
    disabled: Option<(&'static str, i32)>,
    auto_renew: bool,
}

const SUBS: &[Sub] = &[
    Sub {
        app: "Fabrikam Sign",
        publisher: "Fabrikam",
        channel: "direct",
        pricing: "per_license",
        frequency: "monthly",
        price: 800,
        currency: "USD",
        quantity: Some(120),
        assigned: 96,
        profile: 0,
        activated: Some(13),
        disabled: None,
        auto_renew: true,
    },
    Sub {
        app: "Tailspin Survey",
        publisher: "Tailspin Toys",
        channel: "partner",
        pricing: "flat_rate",
        frequency: "monthly",
        price: 24900,
        currency: "USD",
        quantity: None,
        assigned: 0,
        profile: 0,
        activated: Some(12),
        disabled: None,
        auto_renew: true,
    },
    Sub {
        app: "Northwind Timesheets",
        publisher: "Northwind Traders",
        channel: "proposal",
        pricing: "per_license",
        frequency: "annual",
        price: 6000,
        currency: "EUR",
        quantity: Some(300),
        assigned: 280,
        profile: 1,
        activated: Some(11),
        disabled: None,
        auto_renew: true,
    },
    Sub {
        app: "Litware Whiteboard",
        publisher: "Litware",
        channel: "direct",
        pricing: "per_license",
        frequency: "monthly",
        price: 550,
        currency: "EUR",
        quantity: Some(40),
        assigned: 0,
        profile: 1,
        activated: None,
        disabled: None,
        auto_renew: true,
    },
    Sub {
        app: "Adatum Forms",
        publisher: "Adatum",
        channel: "direct",
        pricing: "flat_rate",
        frequency: "annual",
        price: 180000,
        currency: "USD",
        quantity: None,
        assigned: 0,
        profile: 0,
        activated: Some(14),
        disabled: Some(("cancelled", 5)),
        auto_renew: true,
    },
    Sub {
        app: "Proseware Chat",
        publisher: "Proseware",
        channel: "partner",
        pricing: "per_license",
        frequency: "monthly",
        price: 300,
        currency: "USD",
        quantity: Some(50),
        assigned: 12,
        profile: 0,
        activated: Some(8),
        disabled: Some(("expired", 2)),
        auto_renew: false,
    },
    Sub {
        app: "Woodgrove Expenses",
        publisher: "Woodgrove",
        channel: "direct",
        pricing: "per_license",
        frequency: "monthly",
        price: 400,
        currency: "GBP",
        quantity: Some(25),
        assigned: 20,
        profile: 1,
        activated: Some(10),
        disabled: Some(("payment_overdue", 1)),
        auto_renew: true,
    },
];

fn ts(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp() + 10 * 3600
}

pub async fn seed(billing: &Billing) -> Result<usize, ApiError> {
    let db = &billing.db;
    let now = billing.clock.now();
    let today = date_of_unix(now);
    let admin = |name: &'static str| async move {
        sqlx::query_scalar::<_, i64>("SELECT id FROM admins WHERE username = $1")
            .bind(name)
            .fetch_one(&db.pool)
            .await
            .map_err(internal)
    };
    let (owner, bea) = (admin("admin").await?, admin("billing").await?);
    let mut tx = db.begin_write().await.map_err(internal)?;
    let mut profiles = vec![];
    for (name, contact, street, city, postal, region) in [
        (
            "Contoso Headquarters",
            "Ada Lovelace",
            "1 Harbor Way",
            "Boston",
            "02110",
            "US",
        ),
        (
            "Contoso Europe",
            "Daan de Vries",
            "Rue de la Loi 16",
            "Brussels",
            "1000",
            "WE",
        ),
    ] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO billing_profiles (name, name_key, contact_name, address_line, city, postal_code, region, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(name)
        .bind(name.to_lowercase())
        .bind(contact)
        .bind(street)
        .bind(city)
        .bind(postal)
        .bind(region)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        profiles.push(id);
    }
    let exp_year = today.year() as i64 + 3;
    // The Mastercard runs out at the end of the month 30 days from now: within the 60 days the
    // overview warns about (an alert) and on the dashboard's 90-day timeline.
    let soon = today + time::Duration::days(30);
    let soon = (i64::from(u8::from(soon.month())), i64::from(soon.year()));
    for (profile, kind, brand, last4, default, (exp_month, exp_year)) in [
        (
            profiles[0],
            "card",
            Some("Visa"),
            Some("4242"),
            1,
            (9, exp_year),
        ),
        (profiles[0], "wire", None, None, 0, (9, exp_year)),
        (
            profiles[1],
            "card",
            Some("Mastercard"),
            Some("5454"),
            1,
            soon,
        ),
    ] {
        sqlx::query(
            "INSERT INTO payment_methods (profile_id, kind, card_brand, card_last4, card_exp_month, card_exp_year, \
             is_default, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(profile)
        .bind(kind)
        .bind(brand)
        .bind(last4)
        .bind(brand.map(|_| exp_month))
        .bind(brand.map(|_| exp_year))
        .bind(default as i64)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    }
    for (profile, admin_id, role) in [
        (profiles[0], owner, "owner"),
        (profiles[1], owner, "owner"),
        (profiles[0], bea, "owner"),
        (profiles[1], bea, "contributor"),
    ] {
        sqlx::query(
            "INSERT INTO billing_profile_roles (profile_id, admin_id, role) VALUES ($1, $2, $3)",
        )
        .bind(profile)
        .bind(admin_id)
        .bind(role)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    }
    for s in SUBS {
        let start = shift_months(today, -s.activated.unwrap_or(0)) - time::Duration::days(3);
        let months = if s.frequency == "annual" { 12 } else { 1 };
        let mut renews = shift_months(start, months);
        while renews <= today && s.auto_renew {
            renews = shift_months(renews, months);
        }
        let (status, reason, disabled_at) = match (s.activated, s.disabled) {
            (None, _) => ("pending_activation", None, None),
            (Some(_), None) => ("active", None, None),
            (Some(_), Some((reason, ago))) => {
                let at = shift_months(today, -ago) - time::Duration::days(6);
                if reason == "expired" {
                    renews = at;
                }
                ("disabled", Some(reason), Some(ts(at)))
            }
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO subscriptions (app_name, publisher, channel, pricing, frequency, unit_price_minor, currency, \
             quantity, assigned, term_start_on, renews_on, auto_renew, profile_id, portal_url, status, disabled_reason, \
             activated_at, disabled_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
        )
        .bind(s.app)
        .bind(s.publisher)
        .bind(s.channel)
        .bind(s.pricing)
        .bind(s.frequency)
        .bind(s.price)
        .bind(s.currency)
        .bind(s.quantity)
        .bind(s.assigned)
        .bind(format_date(start))
        .bind(format_date(renews))
        .bind(s.auto_renew as i64)
        .bind(profiles[s.profile])
        .bind(format!("https://portal.{}.example/admin", s.publisher.split(' ').next().unwrap_or("app").to_lowercase()))
        .bind(status)
        .bind(reason)
        .bind(s.activated.map(|_| ts(start)))
        .bind(disabled_at)
        .bind(ts(start) - 86_400)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        if s.activated.is_some() {
            // What activation records: the rest of the first period, for the next invoice.
            let quantity = s.quantity.unwrap_or(1);
            let frequency = Frequency::parse(s.frequency).unwrap_or(Frequency::Monthly);
            let p = proration(frequency, start, start, 0, quantity, s.price);
            sqlx::query(
                "INSERT INTO subscription_adjustments (subscription_id, effective_on, old_quantity, new_quantity, \
                 days_charged, days_in_period, amount_minor, created_at) VALUES ($1, $2, 0, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(format_date(start))
            .bind(quantity)
            .bind(p.days_charged)
            .bind(p.days_in_period)
            .bind(p.amount_minor)
            .bind(ts(start))
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
    }
    seed_isv(&mut tx, now).await?;
    tx.commit().await.map_err(internal)?;

    // A year of invoices from that history; all but the latest paid, one overdue in Europe.
    billing.generate_invoices().await?;
    let current = format_date(today.replace_day(1).unwrap_or(today));
    let overdue = format_date(shift_months(today.replace_day(1).unwrap_or(today), -2));
    sqlx::query("UPDATE invoices SET status = 'paid', paid_at = $1 WHERE issued_on < $2")
        .bind(now)
        .bind(current.clone())
        .execute(&db.pool)
        .await
        .map_err(internal)?;
    sqlx::query("UPDATE invoices SET status = 'overdue', paid_at = NULL WHERE profile_id = $1 AND issued_on = $2")
        .bind(profiles[1])
        .bind(overdue)
        .execute(&db.pool)
        .await
        .map_err(internal)?;
    Ok(SUBS.len())
}

async fn seed_isv(tx: &mut Tx, now: i64) -> Result<(), ApiError> {
    // The smallest demo groups, so that assignments fit what is owned.
    let groups: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT g.id, (SELECT COUNT(*) FROM dir_group_members m WHERE m.group_id = g.id) AS n \
         FROM dir_groups g ORDER BY n, g.id LIMIT 2",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    let users: Vec<i64> = sqlx::query_scalar("SELECT id FROM dir_users ORDER BY id LIMIT 40")
        .fetch_all(&mut **tx)
        .await
        .map_err(internal)?;
    let group_size = |i: usize| groups.get(i).map(|g| g.1).unwrap_or(0);
    let apps = [
        (
            "Tailspin CRM",
            "Tailspin Toys",
            group_size(0) + 15,
            "https://tailspin.example/install",
            "sales@tailspin.example",
        ),
        (
            "Fourth Coffee Analytics",
            "Fourth Coffee",
            group_size(1) + group_size(0) + 5,
            "https://fourthcoffee.example/setup",
            "licensing@fourthcoffee.example",
        ),
        (
            "Relecloud Design",
            "Relecloud",
            25,
            "https://relecloud.example/get",
            "+1 555 0100 (Relecloud sales)",
        ),
    ];
    for (i, (name, vendor, owned, url, contact)) in apps.iter().enumerate() {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO isv_apps (name, name_key, publisher, owned, install_url, vendor_contact, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(*name)
        .bind(name.to_lowercase())
        .bind(*vendor)
        .bind(*owned)
        .bind(*url)
        .bind(*contact)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(internal)?;
        let (group, direct): (Option<i64>, &[i64]) = match i {
            0 => (groups.first().map(|g| g.0), &users[..users.len().min(10)]),
            1 => (groups.get(1).map(|g| g.0), &[]),
            _ => (None, &users[users.len().min(15)..users.len().min(40)]),
        };
        if let Some(g) = group {
            sqlx::query(
                "INSERT INTO isv_assignments (app_id, group_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(g)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
        }
        for u in direct {
            sqlx::query(
                "INSERT INTO isv_assignments (app_id, user_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(*u)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
        }
    }
    Ok(())
}
