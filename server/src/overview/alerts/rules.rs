//! The alert rules: one query (or a few) per area over its tables, answering the conditions
//! found now. `Alerts::evaluate` turns them into alerts.

use super::*;

/// An app in use: id, name, total, available, its own threshold (percent, count).
type LowRow = (i64, String, i64, i64, Option<i64>, Option<i64>);

impl Alerts {
    /// Every rule's conditions, now.
    pub async fn conditions(&self) -> Result<Vec<Condition>, ApiError> {
        let now = self.clock.now();
        let mut out = vec![];
        self.store_conditions(now, &mut out).await?;
        self.license_conditions(now, &mut out).await?;
        self.billing_conditions(now, &mut out).await?;
        Ok(out)
    }

    async fn store_conditions(&self, now: i64, out: &mut Vec<Condition>) -> Result<(), ApiError> {
        let conns: Vec<(i64, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT id, name, expires_at, state FROM store_connections WHERE removed_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, name, expires_at, state) in conns {
            let link = "/store/connections".to_string();
            if state != "valid" {
                out.push(Condition {
                    rule: "token_state",
                    subject: format!("store_connection:{id}"),
                    area: AlertArea::Store,
                    severity: Severity::Critical,
                    params: json!({"name": name, "state": state}),
                    link: link.clone(),
                });
            } else if let Some(exp) = expires_at {
                let days = (exp - now).div_euclid(DAY);
                if exp - now <= TOKEN_WARN_DAYS * DAY {
                    out.push(Condition {
                        rule: "token_expiring",
                        subject: format!("store_connection:{id}"),
                        area: AlertArea::Store,
                        severity: if exp - now <= TOKEN_CRITICAL_DAYS * DAY {
                            Severity::Critical
                        } else {
                            Severity::Warning
                        },
                        params: json!({"name": name, "days": days.max(0), "date": date_text(exp)}),
                        link: link.clone(),
                    });
                }
            }
            // The last two runs failed.
            let last: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT result, error FROM store_sync_runs WHERE connection_id = $1 AND result <> 'running' \
                 ORDER BY id DESC LIMIT 2",
            )
            .bind(id)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
            if last.len() == 2 && last.iter().all(|(r, _)| r == "failed") {
                out.push(Condition {
                    rule: "sync_failing",
                    subject: format!("store_connection:{id}"),
                    area: AlertArea::Store,
                    severity: Severity::Warning,
                    params: json!({"name": name, "error": last[0].1.clone().unwrap_or_default()}),
                    link: "/store/sync-runs".into(),
                });
            }
        }
        // Apps in use with few licenses left (unlimited apps never run low).
        let apps: Vec<LowRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT a.id, a.name, a.total_count, a.total_count - a.used - a.outside_assigned, \
             a.low_percent, a.low_count \
             FROM store_apps a JOIN store_connections c ON c.id = a.connection_id \
             WHERE c.removed_at IS NULL AND a.retired = 0 AND a.used > 0 AND a.total_count < {} \
             ORDER BY a.id",
            app::domain::store::UNLIMITED
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let default = app::domain::reclaim::LowThreshold::default();
        for (id, name, total, available, percent, count) in apps {
            // The app's own threshold (its page's settings), else 10 % or 5 licenses.
            let threshold = app::domain::reclaim::LowThreshold {
                percent: percent.unwrap_or(default.percent),
                count: count.unwrap_or(default.count),
            }
            .limit(total);
            if available <= threshold {
                out.push(Condition {
                    rule: "app_low",
                    subject: format!("store_app:{id}"),
                    area: AlertArea::Store,
                    severity: if available <= 0 {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    params: json!({"name": name, "available": available.max(0), "total": total}),
                    link: format!("/store/apps/{id}"),
                });
            }
        }
        Ok(())
    }

    async fn license_conditions(&self, now: i64, out: &mut Vec<Condition>) -> Result<(), ApiError> {
        let today = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(internal)?
            .date();
        let agreements: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, name, ends_on FROM agreements WHERE ends_on IS NOT NULL AND ends_on <> '' ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, name, ends_on) in agreements {
            let Some(end) = date_of(&ends_on) else {
                continue;
            };
            let days = (end - today).whole_days();
            if (0..=AGREEMENT_INFO_DAYS).contains(&days) {
                out.push(Condition {
                    rule: "agreement_ending",
                    subject: format!("agreement:{id}"),
                    area: AlertArea::Licenses,
                    severity: if days <= AGREEMENT_WARN_DAYS {
                        Severity::Warning
                    } else {
                        Severity::Info
                    },
                    params: json!({"name": name, "days": days, "date": ends_on}),
                    link: "/licenses/agreements".into(),
                });
            }
        }
        // Products installed on more computers than there are licenses (the installation
        // report's rule, `app::domain::licenses::compliance`).
        let licenses = crate::licenses::Licenses {
            db: self.db.clone(),
            clock: self.clock.clone(),
            licensing: None,
        };
        let report = licenses
            .build_installation_report(app::domain::licenses::SoftwareScope::All)
            .await?;
        for line in report.lines {
            if let app::domain::licenses::Compliance::UnderLicensed(missing) = line.status {
                out.push(Condition {
                    rule: "under_licensed",
                    subject: format!(
                        "product:{}\u{1f}{}",
                        line.publisher.to_lowercase(),
                        line.product.to_lowercase()
                    ),
                    area: AlertArea::Licenses,
                    severity: Severity::Warning,
                    params: json!({"publisher": line.publisher, "product": line.product,
                                   "installed": line.installed, "owned": line.owned, "missing": missing}),
                    link: "/licenses/reports".into(),
                });
            }
        }
        Ok(())
    }

    async fn billing_conditions(&self, now: i64, out: &mut Vec<Condition>) -> Result<(), ApiError> {
        let today = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(internal)?
            .date();
        /// id, name, status, renews_on, disabled_reason, disabled_at
        type SubRow = (i64, String, String, String, Option<String>, Option<i64>);
        let subs: Vec<SubRow> =
            sqlx::query_as(
                "SELECT id, app_name, status, renews_on, disabled_reason, disabled_at FROM subscriptions ORDER BY id",
            )
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        for (id, name, status, renews_on, reason, disabled_at) in subs {
            let link = format!("/billing/subscriptions/{id}");
            if status == "disabled" {
                if let Some(at) = disabled_at
                    && now - at <= DISABLED_DAYS * DAY
                {
                    out.push(Condition {
                        rule: "subscription_disabled",
                        subject: format!("subscription:{id}"),
                        area: AlertArea::Billing,
                        severity: Severity::Warning,
                        params: json!({"name": name, "reason": reason.unwrap_or_default(), "date": date_text(at)}),
                        link,
                    });
                }
                continue;
            }
            if status != "active" {
                continue;
            }
            let Some(renews) = date_of(&renews_on) else {
                continue;
            };
            let days = (renews - today).whole_days();
            if (0..=RENEWAL_DAYS).contains(&days) {
                out.push(Condition {
                    rule: "subscription_renewing",
                    subject: format!("subscription:{id}"),
                    area: AlertArea::Billing,
                    severity: Severity::Info,
                    params: json!({"name": name, "days": days, "date": renews_on}),
                    link,
                });
            }
        }
        let overdue: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT i.id, i.number, p.name, i.due_on FROM invoices i JOIN billing_profiles p ON p.id = i.profile_id \
             WHERE i.status = 'overdue' ORDER BY i.id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, number, profile, due_on) in overdue {
            out.push(Condition {
                rule: "invoice_overdue",
                subject: format!("invoice:{id}"),
                area: AlertArea::Billing,
                severity: Severity::Critical,
                params: json!({"number": number, "profile": profile, "date": due_on}),
                link: format!("/billing/invoices/{id}"),
            });
        }
        /// id, profile name, last four digits, expiry month and year
        type CardRow = (i64, String, Option<String>, Option<i64>, Option<i64>);
        let cards: Vec<CardRow> = sqlx::query_as(
            "SELECT m.id, p.name, m.card_last4, m.card_exp_month, m.card_exp_year FROM payment_methods m \
             JOIN billing_profiles p ON p.id = m.profile_id WHERE m.kind = 'card' ORDER BY m.id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, profile, last4, month, year) in cards {
            let (Some(month), Some(year)) = (month, year) else {
                continue;
            };
            // A card is valid through the last day of its expiry month.
            let Ok(month_) = time::Month::try_from(u8::try_from(month).unwrap_or(0)) else {
                continue;
            };
            let Ok(first) =
                time::Date::from_calendar_date(i32::try_from(year).unwrap_or(0), month_, 1)
            else {
                continue;
            };
            let last_day =
                first + time::Duration::days(i64::from(first.month().length(first.year())) - 1);
            let days = (last_day - today).whole_days();
            if days <= CARD_DAYS {
                out.push(Condition {
                    rule: "card_expiring",
                    subject: format!("payment_method:{id}"),
                    area: AlertArea::Billing,
                    severity: if days < 0 {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    params: json!({"profile": profile, "last4": last4.unwrap_or_default(),
                                   "expires": format!("{month:02}/{year}"), "days": days}),
                    link: "/billing/profiles".into(),
                });
            }
        }
        Ok(())
    }
}
