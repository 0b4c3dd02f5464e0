//! Billing rules (SPEC B-1 … B-9), pure and shared by server and browser: the subscription
//! state machine, supported regions, payment-card rules, billing-profile roles, money in
//! integer minor units, periods and proration. No I/O lives here.

use super::ApiError;
use serde::{Deserialize, Serialize};
use time::{Date, Month};

// ---------------------------------------------------------------------------------------------
// Subscription lifecycle (B-2, B-6)

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DisabledReason {
    Cancelled,
    Expired,
    PaymentOverdue,
}

impl DisabledReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisabledReason::Cancelled => "cancelled",
            DisabledReason::Expired => "expired",
            DisabledReason::PaymentOverdue => "payment_overdue",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Cancelled, Self::Expired, Self::PaymentOverdue]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SubscriptionStatus {
    PendingActivation,
    Active,
    Disabled(DisabledReason),
}

/// What can happen to a subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionEvent {
    /// The admin activated it in the publisher's portal.
    Activate,
    /// Cancel subscription (B-6).
    Cancel,
    /// The term ended without renewal (scheduled job).
    Expire,
    /// An invoice stayed unpaid past the grace period (scheduled job).
    PaymentOverdue,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::PendingActivation => "pending_activation",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Disabled(_) => "disabled",
        }
    }

    pub fn from_columns(status: &str, reason: Option<&str>) -> Option<Self> {
        match (status, reason) {
            ("pending_activation", None) => Some(Self::PendingActivation),
            ("active", None) => Some(Self::Active),
            ("disabled", Some(r)) => DisabledReason::parse(r).map(Self::Disabled),
            _ => None,
        }
    }

    pub fn reason(self) -> Option<DisabledReason> {
        match self {
            SubscriptionStatus::Disabled(r) => Some(r),
            _ => None,
        }
    }

    pub fn is_disabled(self) -> bool {
        matches!(self, SubscriptionStatus::Disabled(_))
    }

    /// Refuses any change to a disabled subscription (quantity, profile, assigned count) with
    /// the same message the transition table gives.
    pub fn ensure_changeable(self) -> Result<(), ApiError> {
        match self {
            SubscriptionStatus::Disabled(_) => self.apply(SubscriptionEvent::Cancel).map(|_| ()),
            _ => Ok(()),
        }
    }

    /// The one transition table. Disabled is final: nothing leaves it (B-2).
    pub fn apply(self, event: SubscriptionEvent) -> Result<SubscriptionStatus, ApiError> {
        use SubscriptionEvent as E;
        use SubscriptionStatus as S;
        match (self, event) {
            (S::Disabled(_), _) => Err(ApiError::Conflict(
                "This subscription is disabled and cannot be reactivated or changed. To go on using the app, buy another subscription."
                    .into(),
            )),
            (S::PendingActivation, E::Activate) => Ok(S::Active),
            (S::Active, E::Activate) => Err(ApiError::Conflict(
                "This subscription is already active.".into(),
            )),
            (S::PendingActivation | S::Active, E::Cancel) => {
                Ok(S::Disabled(DisabledReason::Cancelled))
            }
            (S::PendingActivation | S::Active, E::Expire) => {
                Ok(S::Disabled(DisabledReason::Expired))
            }
            (S::Active, E::PaymentOverdue) => Ok(S::Disabled(DisabledReason::PaymentOverdue)),
            (S::PendingActivation, E::PaymentOverdue) => Err(ApiError::Conflict(
                "A subscription that was never activated has no payments to be overdue.".into(),
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Purchase facts (B-1)

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Channel {
    Direct,
    Partner,
    Proposal,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Direct, Channel::Partner, Channel::Proposal];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "direct",
            Channel::Partner => "partner",
            Channel::Proposal => "proposal",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Pricing {
    /// Site-based: one price per period, quantity "Unlimited".
    FlatRate,
    /// Priced per license (seat).
    PerLicense,
}

impl Pricing {
    pub fn as_str(self) -> &'static str {
        match self {
            Pricing::FlatRate => "flat_rate",
            Pricing::PerLicense => "per_license",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Pricing::FlatRate, Pricing::PerLicense]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Frequency {
    Monthly,
    Annual,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Annual => "annual",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Frequency::Monthly, Frequency::Annual]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Annual => 12,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Regions (B-8)

/// The supported regions for third-party apps: (code, English name).
pub const REGIONS: [(&str, &str); 12] = [
    ("AR", "Argentina"),
    ("AU", "Australia"),
    ("CA", "Canada"),
    ("CL", "Chile"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("GR", "Greece"),
    ("PR", "Puerto Rico"),
    ("ZA", "South Africa"),
    ("GB", "United Kingdom"),
    ("US", "United States"),
    ("WE", "Western Europe"),
];

pub fn region_name(code: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Accepts a region code or its English name (any case); anything else is refused by name.
pub fn parse_region(input: &str) -> Result<&'static str, ApiError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ApiError::invalid(
            "region",
            "Choose the billing address's country or region.",
        ));
    }
    REGIONS
        .iter()
        .find(|(c, n)| c.eq_ignore_ascii_case(s) || n.eq_ignore_ascii_case(s))
        .map(|(c, _)| *c)
        .ok_or_else(|| {
            let names: Vec<&str> = REGIONS.iter().map(|(_, n)| *n).collect();
            ApiError::invalid(
                "region",
                format!(
                    "Third-party apps can only be billed to an address in a supported region: {}. \"{s}\" is not one of them.",
                    names.join(", ")
                ),
            )
        })
}

// ---------------------------------------------------------------------------------------------
// Money: integer minor units, never floats (B-5)

/// Currencies accepted for prices, with their number of decimals.
pub const CURRENCIES: [(&str, u32); 8] = [
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("AUD", 2),
    ("CAD", 2),
    ("ZAR", 2),
    ("ARS", 2),
    ("CLP", 0),
];

pub fn currency_decimals(code: &str) -> Option<u32> {
    CURRENCIES.iter().find(|(c, _)| *c == code).map(|(_, d)| *d)
}

pub fn parse_currency(input: &str) -> Result<&'static str, ApiError> {
    let code = input.trim().to_ascii_uppercase();
    CURRENCIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(c, _)| *c)
        .ok_or_else(|| {
            let list: Vec<&str> = CURRENCIES.iter().map(|(c, _)| *c).collect();
            ApiError::invalid(
                "currency",
                format!(
                    "Choose one of the supported currencies: {}.",
                    list.join(", ")
                ),
            )
        })
}

/// Parses a decimal price ("12", "12.5", "1,234.50") into minor units of `currency`, exactly.
pub fn parse_price(input: &str, currency: &str) -> Result<i64, ApiError> {
    let decimals = currency_decimals(currency).unwrap_or(2);
    let bad = || {
        ApiError::invalid(
            "price",
            if decimals == 0 {
                format!("Enter the price as a whole number of {currency}, for example 4500.")
            } else {
                format!(
                    "Enter the price as a number with at most {decimals} decimals, for example 12.50."
                )
            },
        )
    };
    let s: String = input.trim().chars().filter(|c| *c != ',').collect();
    if s.is_empty() {
        return Err(ApiError::invalid("price", "Enter the price."));
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > decimals as usize
        || whole.len() > 12
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    for _ in frac.len()..decimals as usize {
        frac_value *= 10;
    }
    Ok(whole * 10_i64.pow(decimals) + frac_value)
}

/// `USD 1,234.56`, `CLP 45,000`, `EUR -3.10`.
pub fn format_money(minor: i64, currency: &str) -> String {
    let decimals = currency_decimals(currency).unwrap_or(2);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10_u64.pow(decimals);
    let whole = abs / unit;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if decimals == 0 {
        format!("{currency} {sign}{grouped}")
    } else {
        format!(
            "{currency} {sign}{grouped}.{:0width$}",
            abs % unit,
            width = decimals as usize
        )
    }
}

/// `1234.56` / `-3.10` / `45000`: a plain decimal for CSV files (no currency, no grouping).
pub fn format_decimal(minor: i64, currency: &str) -> String {
    let decimals = currency_decimals(currency).unwrap_or(2);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10_u64.pow(decimals);
    if decimals == 0 {
        format!("{sign}{abs}")
    } else {
        format!(
            "{sign}{}.{:0width$}",
            abs / unit,
            abs % unit,
            width = decimals as usize
        )
    }
}

/// `amount × part / whole`, rounded half away from zero, computed in i128 (no floats).
pub fn prorate(amount_minor: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let num = amount_minor as i128 * part as i128;
    let den = whole as i128;
    let q = num / den;
    let r = num % den;
    let adjust = if 2 * r.abs() >= den { num.signum() } else { 0 };
    (q + adjust) as i64
}

// ---------------------------------------------------------------------------------------------
// Dates and periods

pub fn parse_date(field: &str, s: &str) -> Result<Date, ApiError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).map_err(|_| {
        ApiError::invalid(field, "Enter a date as YYYY-MM-DD, for example 2026-12-31.")
    })
}

pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

pub fn date_of_unix(secs: i64) -> Date {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| t.date())
        .unwrap_or(Date::MIN)
}

/// The same day `months` later, clamped to the month's last day (Jan 31 + 1 → Feb 28/29).
pub fn add_months(d: Date, months: u32) -> Date {
    shift_months(d, months as i32)
}

/// Like `add_months`, also backwards.
pub fn shift_months(d: Date, months: i32) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + months;
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let month = Month::try_from(m).unwrap_or(Month::January);
    let last = month.length(y);
    Date::from_calendar_date(y, month, d.day().min(last)).unwrap_or(d)
}

pub fn first_of_month(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

/// Invoice period key `YYYY-MM`.
pub fn period_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month() as u8)
}

pub fn parse_period(s: &str) -> Option<Date> {
    let (y, m) = s.split_once('-')?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, 1).ok()
}

/// The billing period of a subscription that contains `day`: the calendar month for monthly
/// prices, the term year (from the anniversary of `term_start`) for annual prices.
pub fn period_around(frequency: Frequency, term_start: Date, day: Date) -> (Date, Date) {
    match frequency {
        Frequency::Monthly => {
            let start = first_of_month(day);
            (start, add_months(start, 1))
        }
        Frequency::Annual => {
            // Shift from the term start itself each time, so a 29 February start keeps its day.
            let mut years = day.year() - term_start.year();
            if shift_months(term_start, years * 12) > day {
                years -= 1;
            }
            let start = shift_months(term_start, years * 12);
            (start, shift_months(term_start, (years + 1) * 12))
        }
    }
}

/// A prorated charge for a quantity change (or activation, from 0) on `effective`: the price
/// difference for the days left in the current period. Negative for decreases (a credit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proration {
    pub days_charged: i64,
    pub days_in_period: i64,
    pub amount_minor: i64,
}

pub fn proration(
    frequency: Frequency,
    term_start: Date,
    effective: Date,
    old_quantity: i64,
    new_quantity: i64,
    unit_price_minor: i64,
) -> Proration {
    let (start, end) = period_around(frequency, term_start, effective);
    let days_in_period = (end - start).whole_days();
    let days_charged = (end - effective).whole_days();
    let delta = (new_quantity - old_quantity) * unit_price_minor;
    Proration {
        days_charged,
        days_in_period,
        amount_minor: prorate(delta, days_charged, days_in_period),
    }
}

/// Whether an invoice for the period starting `period_start` charges this subscription's
/// recurring price: monthly prices every month, annual prices in the anniversary month.
pub fn charged_in_period(frequency: Frequency, term_start: Date, period_start: Date) -> bool {
    match frequency {
        Frequency::Monthly => true,
        Frequency::Annual => term_start.month() == period_start.month(),
    }
}

// ---------------------------------------------------------------------------------------------
// Payment methods (B-4)

pub const CARD_BRANDS: [&str; 4] = ["Visa", "Mastercard", "American Express", "Discover"];

/// A card as stored: brand, last four digits, expiry. Never a full number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInput {
    pub brand: String,
    pub last4: String,
    pub exp_month: String,
    pub exp_year: String,
}

/// True when the text contains a run of 12 or more digits (spaces and dashes ignored): what a
/// full card number looks like. LicenseDesk refuses such input instead of storing it.
pub fn looks_like_card_number(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if run >= 12 {
                return true;
            }
        } else if c != ' ' && c != '-' {
            run = 0;
        }
    }
    false
}

/// Validates a card against `today`; returns (brand, last4, month, year).
pub fn validate_card(
    card: &CardInput,
    today: Date,
) -> Result<(String, String, i64, i64), ApiError> {
    let brand = CARD_BRANDS
        .iter()
        .find(|b| b.eq_ignore_ascii_case(card.brand.trim()))
        .ok_or_else(|| {
            ApiError::invalid(
                "brand",
                format!("Choose the card brand: {}.", CARD_BRANDS.join(", ")),
            )
        })?;
    let last4 = card.last4.trim();
    if looks_like_card_number(last4) || last4.chars().filter(|c| c.is_ascii_digit()).count() > 4 {
        return Err(ApiError::invalid(
            "last4",
            "Enter only the last four digits. LicenseDesk never accepts or stores a full card number.",
        ));
    }
    if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "last4",
            "Enter the card's last four digits, for example 4242.",
        ));
    }
    let month: i64 = card
        .exp_month
        .trim()
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| ApiError::invalid("exp_month", "Enter the expiry month as 1 to 12."))?;
    let mut year: i64 =
        card.exp_year.trim().parse().map_err(|_| {
            ApiError::invalid("exp_year", "Enter the expiry year, for example 2028.")
        })?;
    if (0..100).contains(&year) {
        year += 2000;
    }
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::invalid(
            "exp_year",
            "Enter the expiry year, for example 2028.",
        ));
    }
    let now = today.year() as i64 * 12 + today.month() as i64;
    if year * 12 + month < now {
        return Err(ApiError::invalid(
            "exp_month",
            format!(
                "This card expired at the end of {month:02}/{year}. Add a card that is still valid."
            ),
        ));
    }
    Ok((brand.to_string(), last4.to_string(), month, year))
}

// ---------------------------------------------------------------------------------------------
// Billing profile roles (B-4)

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ProfileRole {
    Owner,
    Contributor,
    Reader,
    InvoiceManager,
}

/// What a billing profile role may do with the profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileAction {
    /// Change the address, contact and payment methods.
    Change,
    /// Give and take profile roles.
    ManageRoles,
    /// Pay invoices (Mark paid).
    Pay,
    /// Use its payment method for purchases: put subscriptions on it, change quantities.
    Purchase,
}

impl ProfileRole {
    pub const ALL: [ProfileRole; 4] = [
        ProfileRole::Owner,
        ProfileRole::Contributor,
        ProfileRole::Reader,
        ProfileRole::InvoiceManager,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileRole::Owner => "owner",
            ProfileRole::Contributor => "contributor",
            ProfileRole::Reader => "reader",
            ProfileRole::InvoiceManager => "invoice_manager",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// The one table of billing profile rights.
    pub fn allows(self, action: ProfileAction) -> bool {
        use ProfileAction as A;
        match self {
            ProfileRole::Owner => true,
            ProfileRole::Contributor => matches!(action, A::Change | A::Pay | A::Purchase),
            ProfileRole::InvoiceManager => matches!(action, A::Pay),
            ProfileRole::Reader => false,
        }
    }
}

pub fn profile_refusal(action: ProfileAction, profile: &str) -> ApiError {
    let what = match action {
        ProfileAction::Change => "change",
        ProfileAction::ManageRoles => "give or take roles on",
        ProfileAction::Pay => "pay invoices of",
        ProfileAction::Purchase => "buy with",
    };
    ApiError::Conflict(format!(
        "Your role on the billing profile {profile} does not allow you to {what} it. Ask an owner of the profile."
    ))
}

// ---------------------------------------------------------------------------------------------
// Views and forms

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriptionView {
    pub id: i64,
    pub app_name: String,
    pub publisher: String,
    pub channel: Channel,
    pub pricing: Pricing,
    pub frequency: Frequency,
    pub unit_price_minor: i64,
    pub currency: String,
    /// `None` = Unlimited (flat rate).
    pub quantity: Option<i64>,
    /// Licenses assigned in the publisher's portal, as the publisher last reported.
    pub assigned: i64,
    pub term_start_on: String,
    pub renews_on: String,
    pub auto_renew: bool,
    pub profile_id: i64,
    pub profile_name: String,
    pub portal_url: String,
    pub status: SubscriptionStatus,
    pub activated_at: Option<i64>,
    pub disabled_at: Option<i64>,
}

impl SubscriptionView {
    /// What one billing period costs at the current quantity.
    pub fn period_cost_minor(&self) -> i64 {
        self.unit_price_minor * self.quantity.unwrap_or(1)
    }
}

/// A quantity change or activation waiting for the next invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdjustmentView {
    pub effective_on: String,
    pub old_quantity: i64,
    pub new_quantity: i64,
    pub days_charged: i64,
    pub days_in_period: i64,
    pub amount_minor: i64,
    pub invoice_number: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionDetail {
    pub subscription: SubscriptionView,
    pub adjustments: Vec<AdjustmentView>,
    /// Profiles the caller may buy with (for "Edit" billing profile).
    pub profiles: Vec<(i64, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubscriptionForm {
    pub app_name: String,
    pub publisher: String,
    pub channel: String,
    pub pricing: String,
    pub frequency: String,
    pub price: String,
    pub currency: String,
    pub quantity: String,
    pub term_start_on: String,
    pub auto_renew: Option<String>,
    pub profile_id: String,
    pub portal_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentMethodView {
    pub id: i64,
    pub kind: String,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    pub is_default: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProfileRoleView {
    pub admin_id: i64,
    pub username: String,
    pub role: ProfileRole,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProfileView {
    pub id: i64,
    pub name: String,
    pub contact_name: String,
    pub address_line: String,
    pub city: String,
    pub postal_code: String,
    pub region: String,
    pub payment_methods: Vec<PaymentMethodView>,
    pub roles: Vec<ProfileRoleView>,
    pub subscription_count: i64,
    /// The caller's effective role (Global admins act as owners).
    pub my_role: Option<ProfileRole>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileForm {
    pub id: Option<i64>,
    pub name: String,
    pub contact_name: String,
    pub address_line: String,
    pub city: String,
    pub postal_code: String,
    pub region: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethodForm {
    pub profile_id: i64,
    pub kind: String,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<String>,
    pub exp_year: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Total {
    pub currency: String,
    pub amount_minor: i64,
}

text_enum! {
    /// An invoice's payment state (`invoices.status`): the job turns open invoices past their
    /// due date overdue; Mark paid ends both.
    pub enum InvoiceStatus {
        Open = "open",
        Paid = "paid",
        Overdue = "overdue",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvoiceView {
    pub id: i64,
    pub number: String,
    pub profile_id: i64,
    pub profile_name: String,
    pub period: String,
    pub issued_on: String,
    pub due_on: String,
    pub status: InvoiceStatus,
    pub paid_at: Option<i64>,
    pub totals: Vec<Total>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvoiceLineView {
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub amount_minor: i64,
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvoiceDetail {
    pub invoice: InvoiceView,
    pub lines: Vec<InvoiceLineView>,
    pub bill_to: ProfileView,
    pub org_name: String,
}

/// Sums line amounts per currency, currencies in alphabetical order.
pub fn totals(lines: impl IntoIterator<Item = (String, i64)>) -> Vec<Total> {
    let mut map: std::collections::BTreeMap<String, i64> = Default::default();
    for (c, a) in lines {
        *map.entry(c).or_default() += a;
    }
    map.into_iter()
        .map(|(currency, amount_minor)| Total {
            currency,
            amount_minor,
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IsvAppView {
    pub id: i64,
    pub name: String,
    pub publisher: String,
    pub owned: i64,
    pub assigned: i64,
    pub install_url: String,
    pub vendor_contact: String,
}

impl IsvAppView {
    pub fn available(&self) -> i64 {
        (self.owned - self.assigned).max(0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IsvAssignmentView {
    pub id: i64,
    /// "user" or "group".
    pub kind: String,
    pub principal_id: i64,
    pub name: String,
    pub detail: String,
    /// Licenses this assignment reaches: 1 for a user, the member count for a group.
    pub licenses: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IsvAppDetail {
    pub app: IsvAppView,
    pub assignments: Vec<IsvAssignmentView>,
}

/// A user or group found by the Assign licenses panel's search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// "user" or "group".
    pub kind: String,
    pub id: i64,
    pub name: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsvAppForm {
    pub name: String,
    pub publisher: String,
    pub owned: String,
    pub install_url: String,
    pub vendor_contact: String,
}

/// Checks an https/http address the UI links out to (publisher's portal, vendor platform).
pub fn validate_link(field: &str, s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= 500
        && !s.contains(char::is_whitespace)
        && s.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
    if ok {
        Ok(s.to_string())
    } else {
        Err(ApiError::invalid(
            field,
            "Enter a web address that starts with https://, for example https://portal.example.com.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn invoice_statuses_parse_strictly() {
        for s in InvoiceStatus::ALL {
            assert_eq!(s.to_string().parse::<InvoiceStatus>(), Ok(*s));
        }
        assert!("lost".parse::<InvoiceStatus>().is_err());
    }

    #[test]
    fn lifecycle_table() {
        use SubscriptionEvent as E;
        use SubscriptionStatus as S;
        assert_eq!(S::PendingActivation.apply(E::Activate), Ok(S::Active));
        assert_eq!(
            S::Active.apply(E::Cancel),
            Ok(S::Disabled(DisabledReason::Cancelled))
        );
        assert_eq!(
            S::PendingActivation.apply(E::Cancel),
            Ok(S::Disabled(DisabledReason::Cancelled))
        );
        assert_eq!(
            S::Active.apply(E::Expire),
            Ok(S::Disabled(DisabledReason::Expired))
        );
        assert_eq!(
            S::Active.apply(E::PaymentOverdue),
            Ok(S::Disabled(DisabledReason::PaymentOverdue))
        );
        assert!(S::Active.apply(E::Activate).is_err());
        assert!(S::PendingActivation.apply(E::PaymentOverdue).is_err());
        // Disabled is final, whatever the reason and the event.
        for r in [
            DisabledReason::Cancelled,
            DisabledReason::Expired,
            DisabledReason::PaymentOverdue,
        ] {
            for e in [E::Activate, E::Cancel, E::Expire, E::PaymentOverdue] {
                let err = S::Disabled(r).apply(e).unwrap_err();
                assert!(
                    err.to_string().contains("buy another subscription"),
                    "{err}"
                );
            }
        }
        // Columns round trip.
        for s in [
            S::PendingActivation,
            S::Active,
            S::Disabled(DisabledReason::PaymentOverdue),
        ] {
            assert_eq!(
                S::from_columns(s.as_str(), s.reason().map(|r| r.as_str())),
                Some(s)
            );
        }
        assert_eq!(S::from_columns("disabled", None), None);
        assert!(S::Active.ensure_changeable().is_ok());
        assert!(S::PendingActivation.ensure_changeable().is_ok());
        assert!(
            S::Disabled(DisabledReason::Expired)
                .ensure_changeable()
                .is_err()
        );
    }

    #[test]
    fn regions() {
        assert_eq!(parse_region("de"), Ok("DE"));
        assert_eq!(parse_region("western europe"), Ok("WE"));
        assert_eq!(parse_region("Puerto Rico"), Ok("PR"));
        let err = parse_region("Netherlands").unwrap_err();
        assert!(err.field_message("region").is_some());
        assert!(err.to_string().contains("supported region"));
        assert!(parse_region("").is_err());
    }

    #[test]
    fn prices_are_exact_minor_units() {
        assert_eq!(parse_price("12", "USD"), Ok(1200));
        assert_eq!(parse_price("12.5", "USD"), Ok(1250));
        assert_eq!(parse_price("1,234.56", "EUR"), Ok(123456));
        assert_eq!(parse_price("0.07", "USD"), Ok(7));
        assert_eq!(parse_price("4500", "CLP"), Ok(4500));
        assert!(parse_price("45.5", "CLP").is_err());
        assert!(parse_price("1.234", "USD").is_err());
        assert!(parse_price("-3", "USD").is_err());
        assert!(parse_price("1e3", "USD").is_err());
        assert!(parse_price("", "USD").is_err());
        assert_eq!(format_money(123456, "USD"), "USD 1,234.56");
        assert_eq!(format_money(-310, "EUR"), "EUR -3.10");
        assert_eq!(format_money(45000, "CLP"), "CLP 45,000");
        assert_eq!(format_money(5, "GBP"), "GBP 0.05");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(prorate(1000, 1, 3), 333);
        assert_eq!(prorate(1000, 2, 3), 667);
        assert_eq!(prorate(-1000, 2, 3), -667);
        assert_eq!(prorate(5, 1, 2), 3);
        assert_eq!(prorate(-5, 1, 2), -3);
        assert_eq!(
            prorate(i64::MAX / 2, 30, 31),
            ((i64::MAX / 2) as i128 * 30 / 31 + 1) as i64
        );
        assert_eq!(prorate(100, 1, 0), 0);
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2028 - 01 - 31), 1), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 11 - 15), 12), date!(2027 - 11 - 15));
        assert_eq!(add_months(date!(2026 - 12 - 01), 1), date!(2027 - 01 - 01));
    }

    #[test]
    fn proration_for_the_days_left() {
        // 10 → 15 seats at 8.00 on 11 November: 20 of 30 days remain.
        let p = proration(
            Frequency::Monthly,
            date!(2026 - 01 - 01),
            date!(2026 - 11 - 11),
            10,
            15,
            800,
        );
        assert_eq!((p.days_charged, p.days_in_period), (20, 30));
        assert_eq!(p.amount_minor, 2667); // 5 × 800 × 20 / 30 = 2666.67
        // A decrease is a credit.
        let p = proration(
            Frequency::Monthly,
            date!(2026 - 01 - 01),
            date!(2026 - 11 - 11),
            15,
            10,
            800,
        );
        assert_eq!(p.amount_minor, -2667);
        // On the first day of the period the whole period is charged.
        let p = proration(
            Frequency::Monthly,
            date!(2026 - 01 - 01),
            date!(2026 - 02 - 01),
            0,
            3,
            1000,
        );
        assert_eq!(
            (p.days_charged, p.days_in_period, p.amount_minor),
            (28, 28, 3000)
        );
        // Annual: the term year from the anniversary of the term start.
        let p = proration(
            Frequency::Annual,
            date!(2025 - 03 - 01),
            date!(2026 - 09 - 01),
            10,
            12,
            12000,
        );
        assert_eq!((p.days_charged, p.days_in_period), (181, 365));
        assert_eq!(p.amount_minor, prorate(24000, 181, 365));
        assert_eq!(
            period_around(
                Frequency::Annual,
                date!(2025 - 03 - 01),
                date!(2026 - 02 - 28)
            ),
            (date!(2025 - 03 - 01), date!(2026 - 03 - 01))
        );
    }

    #[test]
    fn annual_prices_are_charged_in_the_anniversary_month() {
        assert!(charged_in_period(
            Frequency::Annual,
            date!(2025 - 03 - 10),
            date!(2026 - 03 - 01)
        ));
        assert!(!charged_in_period(
            Frequency::Annual,
            date!(2025 - 03 - 10),
            date!(2026 - 04 - 01)
        ));
        assert!(charged_in_period(
            Frequency::Monthly,
            date!(2025 - 03 - 10),
            date!(2026 - 04 - 01)
        ));
    }

    #[test]
    fn cards() {
        let today = date!(2026 - 11 - 23);
        let card = |brand: &str, last4: &str, m: &str, y: &str| CardInput {
            brand: brand.into(),
            last4: last4.into(),
            exp_month: m.into(),
            exp_year: y.into(),
        };
        assert_eq!(
            validate_card(&card("visa", "4242", "11", "2026"), today),
            Ok(("Visa".into(), "4242".into(), 11, 2026))
        );
        assert_eq!(
            validate_card(&card("Mastercard", "0005", "1", "29"), today).map(|c| c.3),
            Ok(2029)
        );
        let expired = validate_card(&card("Visa", "4242", "10", "2026"), today).unwrap_err();
        assert!(
            expired
                .field_message("exp_month")
                .unwrap()
                .contains("expired")
        );
        let full =
            validate_card(&card("Visa", "4242 4242 4242 4242", "10", "2030"), today).unwrap_err();
        assert!(full.field_message("last4").unwrap().contains("never"));
        assert!(validate_card(&card("Visa", "42424", "10", "2030"), today).is_err());
        assert!(validate_card(&card("Visa", "42a2", "10", "2030"), today).is_err());
        assert!(validate_card(&card("Diners", "4242", "10", "2030"), today).is_err());
        assert!(validate_card(&card("Visa", "4242", "13", "2030"), today).is_err());
        assert!(looks_like_card_number("pay with 4111-1111-1111-1111"));
        assert!(!looks_like_card_number("Main Street 12, 1012 AB"));
    }

    #[test]
    fn profile_role_table() {
        use ProfileAction as A;
        assert!(ProfileRole::Owner.allows(A::ManageRoles));
        assert!(!ProfileRole::Contributor.allows(A::ManageRoles));
        assert!(ProfileRole::Contributor.allows(A::Purchase));
        assert!(ProfileRole::InvoiceManager.allows(A::Pay));
        assert!(!ProfileRole::InvoiceManager.allows(A::Change));
        assert!(!ProfileRole::InvoiceManager.allows(A::Purchase));
        for a in [A::Change, A::ManageRoles, A::Pay, A::Purchase] {
            assert!(!ProfileRole::Reader.allows(a));
        }
    }

    #[test]
    fn totals_per_currency() {
        let t = totals([
            ("USD".to_string(), 100),
            ("EUR".to_string(), 5),
            ("USD".to_string(), -30),
        ]);
        assert_eq!(
            t,
            vec![
                Total {
                    currency: "EUR".into(),
                    amount_minor: 5
                },
                Total {
                    currency: "USD".into(),
                    amount_minor: 70
                }
            ]
        );
    }
}
