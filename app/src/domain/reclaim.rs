//! Reclaim (SPEC X-3): licenses and seats that are paid for and not used, what they cost, and
//! the rules for prices entered by an administrator. The candidates are found by
//! `server/src/overview/reclaim.rs`; freeing them goes through the areas' own code.

use super::ApiError;
use super::billing::{parse_currency, parse_price};
use super::overview::Money;
use serde::{Deserialize, Serialize};

text_enum! {
    /// Why a license or seat is reclaimable.
    pub enum ReclaimKind {
        /// A store license held by a disabled user.
        StoreDisabled = "store_disabled",
        /// A store license of a user whose every device has not checked in for N days.
        StoreInactive = "store_inactive",
        /// A store license whose install has been pending for more than N days.
        StorePending = "store_pending",
        /// An ISV license reaching a disabled user.
        IsvDisabled = "isv_disabled",
        /// Seats of a per-license subscription that are paid for and not assigned.
        SaasUnassigned = "saas_unassigned",
        /// An agreement whose product is installed on no managed computer.
        AgreementUnused = "agreement_unused",
    }
}

impl ReclaimKind {
    /// Whether the portal can free it (an unused agreement is only reported: it ends by not
    /// renewing it).
    pub fn actionable(self) -> bool {
        self != ReclaimKind::AgreementUnused
    }
}

text_enum! {
    /// What a price entered by an administrator is per.
    pub enum PricePeriod {
        Month = "month",
        Year = "year",
    }
}

/// A price per license, entered for a store app or an agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub minor: i64,
    pub currency: String,
    pub period: PricePeriod,
}

impl Price {
    /// What `count` licenses cost per month (a yearly price is spread evenly, rounded to the
    /// nearest minor unit, halves away from zero).
    pub fn monthly(&self, count: i64) -> i64 {
        let total = self.minor as i128 * count as i128;
        match self.period {
            PricePeriod::Month => total as i64,
            PricePeriod::Year => ((total * 2 + 12) / 24) as i64,
        }
    }

    /// What `count` licenses cost per year.
    pub fn yearly(&self, count: i64) -> i64 {
        let total = self.minor * count;
        match self.period {
            PricePeriod::Month => total * 12,
            PricePeriod::Year => total,
        }
    }
}

/// The highest price per license accepted (10 million in major units).
pub const MAX_PRICE_MINOR: i64 = 1_000_000_000;

/// Validates a price form: an empty amount removes the price.
pub fn parse_price_form(
    amount: &str,
    currency: &str,
    period: &str,
) -> Result<Option<Price>, ApiError> {
    if amount.trim().is_empty() {
        return Ok(None);
    }
    let currency = parse_currency(currency)?;
    let minor = parse_price(amount, currency)?;
    if minor > MAX_PRICE_MINOR {
        return Err(ApiError::invalid(
            "price",
            "Enter a price of at most 10,000,000 per license.",
        ));
    }
    let period = period.parse::<PricePeriod>().map_err(|_| {
        ApiError::invalid(
            "period",
            "Choose whether the price is per month or per year.",
        )
    })?;
    Ok(Some(Price {
        minor,
        currency: currency.to_string(),
        period,
    }))
}

/// Per-app alert threshold for "few licenses left": an app alerts when its available licenses
/// are at or below `max(count, total × percent / 100)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowThreshold {
    pub percent: i64,
    pub count: i64,
}

impl Default for LowThreshold {
    fn default() -> Self {
        LowThreshold {
            percent: 10,
            count: 5,
        }
    }
}

impl LowThreshold {
    pub fn limit(self, total: i64) -> i64 {
        self.count.max((total * self.percent).div_euclid(100))
    }

    /// Validates the two form fields (whole numbers: percent 0–100, count 0–1,000,000).
    pub fn parse(percent: &str, count: &str) -> Result<LowThreshold, ApiError> {
        let percent = parse_whole("low_percent", percent, 100, "percentage")?;
        let count = parse_whole("low_count", count, 1_000_000, "number of licenses")?;
        Ok(LowThreshold { percent, count })
    }
}

/// A store app's price and alert threshold (its page's settings panel).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPricing {
    pub price: Option<Price>,
    pub low: LowThreshold,
    /// The threshold differs from the defaults.
    pub custom: bool,
}

fn parse_whole(field: &str, input: &str, max: i64, what: &str) -> Result<i64, ApiError> {
    input
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=max).contains(n))
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("Enter the {what} as a whole number from 0 to {max}."),
            )
        })
}

/// One reclaimable item. `key` names it for [`ReclaimRequest`]: `store:<app>:<user>`,
/// `isv:<app>:<user>`, `saas:<subscription>`, `agreement:<id>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReclaimRow {
    pub key: String,
    pub kind: ReclaimKind,
    /// The app, subscription or agreement.
    pub item: String,
    pub item_link: String,
    /// The user holding it (empty for seats and agreements).
    pub holder: String,
    pub holder_link: String,
    /// When the reason began: last check-in, pending since, disabled (UNIX seconds), if known.
    pub since: Option<i64>,
    pub licenses: i64,
    /// Cost per month and per year when a price is known.
    pub monthly: Option<Money>,
    pub yearly: Option<Money>,
    /// Whether the signed-in admin may reclaim it.
    pub can_reclaim: bool,
}

/// The reclaim page: every candidate, the totals per currency, and the day limits used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReclaimList {
    pub rows: Vec<ReclaimRow>,
    pub monthly_total: Vec<Money>,
    pub yearly_total: Vec<Money>,
    pub inactive_days: i64,
    pub pending_days: i64,
    /// More candidates exist than the page shows (the CSV export has them all).
    pub truncated: bool,
    /// Every candidate, shown or not.
    pub total_items: i64,
}

/// The dashboard's card: how many items are reclaimable and what the priced ones cost a month
/// (default day limits).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReclaimTotals {
    pub items: i64,
    pub monthly: Vec<Money>,
}

/// What a reclaim did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReclaimOutcome {
    pub store_licenses: i64,
    pub isv_licenses: i64,
    pub seats: i64,
    pub monthly_saving: Vec<Money>,
}

/// The day limits for "not checked in" and "pending" (1–365; default 30).
pub fn parse_days(field: &str, input: Option<i64>) -> Result<i64, ApiError> {
    match input {
        None => Ok(DEFAULT_DAYS),
        Some(n) if (1..=365).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(
            field,
            "Enter a number of days from 1 to 365.",
        )),
    }
}

pub const DEFAULT_DAYS: i64 = 30;

/// Adds `minor` in `currency` to a per-currency total (kept sorted by currency).
pub fn add_money(totals: &mut Vec<Money>, currency: &str, minor: i64) {
    match totals.iter_mut().find(|m| m.currency == currency) {
        Some(m) => m.minor += minor,
        None => {
            totals.push(Money {
                currency: currency.to_string(),
                minor,
            });
            totals.sort_by(|a, b| a.currency.cmp(&b.currency));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yearly_prices_spread_over_months_and_round_half_away() {
        let p = Price {
            minor: 1000,
            currency: "EUR".into(),
            period: PricePeriod::Year,
        };
        assert_eq!(p.monthly(1), 83); // 83.33
        assert_eq!(p.monthly(3), 250);
        assert_eq!(p.yearly(3), 3000);
        let half = Price {
            minor: 6,
            ..p.clone()
        };
        assert_eq!(half.monthly(1), 1); // 0.5 → 1
        let m = Price {
            period: PricePeriod::Month,
            ..p
        };
        assert_eq!(m.monthly(2), 2000);
        assert_eq!(m.yearly(2), 24000);
    }

    #[test]
    fn price_forms_name_the_field() {
        assert_eq!(parse_price_form(" ", "", "").unwrap(), None);
        let p = parse_price_form("12.50", "eur", "year").unwrap().unwrap();
        assert_eq!((p.minor, p.currency.as_str()), (1250, "EUR"));
        assert_eq!(p.period, PricePeriod::Year);
        let field = |r: Result<Option<Price>, ApiError>| match r {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(parse_price_form("12", "XYZ", "year")), "currency");
        assert_eq!(field(parse_price_form("1.234", "EUR", "year")), "price");
        assert_eq!(field(parse_price_form("12", "EUR", "week")), "period");
        assert_eq!(field(parse_price_form("99999999", "EUR", "month")), "price");
    }

    #[test]
    fn thresholds_take_the_larger_limit() {
        let t = LowThreshold::default();
        assert_eq!(t.limit(20), 5);
        assert_eq!(t.limit(1000), 100);
        let t = LowThreshold::parse("0", "0").unwrap();
        assert_eq!(t.limit(1000), 0);
        assert!(LowThreshold::parse("101", "1").is_err());
        assert!(LowThreshold::parse("5", "-1").is_err());
        assert!(LowThreshold::parse("x", "1").is_err());
    }

    #[test]
    fn totals_add_per_currency() {
        let mut t = vec![];
        add_money(&mut t, "USD", 5);
        add_money(&mut t, "EUR", 7);
        add_money(&mut t, "USD", 1);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].currency.as_str(), t[0].minor), ("EUR", 7));
        assert_eq!(t[1].minor, 6);
    }
}
