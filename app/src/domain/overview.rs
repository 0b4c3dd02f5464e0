//! The overview (SPEC X-2): alerts — conditions that need an administrator's action, raised and
//! closed by the alert job (`server/src/overview/alerts.rs`), one per condition.

use crate::domain::{Permission, Role};
use serde::{Deserialize, Serialize};

text_enum! {
    /// How urgent an alert is; lists show the most severe first.
    pub enum Severity {
        Critical = "critical",
        Warning = "warning",
        Info = "info",
    }
}

text_enum! {
    /// The part of the portal an alert belongs to; it decides who may acknowledge it.
    pub enum AlertArea {
        Store = "store",
        Licenses = "licenses",
        Billing = "billing",
    }
}

impl AlertArea {
    /// The permission that manages what the alert is about.
    pub fn permission(self) -> Permission {
        match self {
            AlertArea::Store => Permission::ManageStore,
            AlertArea::Licenses => Permission::ManageAgreements,
            AlertArea::Billing => Permission::ManageBilling,
        }
    }

    pub fn handled_by(self, role: Role) -> bool {
        role.allows(self.permission())
    }
}

text_enum! {
    /// Which alerts a list shows.
    pub enum AlertState {
        /// Open and neither acknowledged nor snoozed: what needs action now.
        Open = "open",
        Acknowledged = "acknowledged",
        Snoozed = "snoozed",
        Closed = "closed",
        All = "all",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertView {
    pub id: i64,
    /// The rule that raised it (`token_expiring`, `invoice_overdue`, …).
    pub rule: String,
    pub severity: Severity,
    pub area: AlertArea,
    /// What is wrong, in a sentence.
    pub title: String,
    /// The page that fixes it.
    pub link: String,
    /// When the condition was (last) found.
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub snoozed_until: Option<i64>,
    /// Whether the signed-in admin may acknowledge or snooze it.
    pub can_handle: bool,
}

/// The top bar's count: open alerts that need action, and how many are critical.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCount {
    pub open: i64,
    pub critical: i64,
}

/// An amount in one currency (minor units, as everywhere in billing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub currency: String,
    pub minor: i64,
}

/// One linked store's licenses (SPEC X-1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreFigures {
    pub connection_id: i64,
    /// `apple` or `microsoft`.
    pub store: String,
    pub name: String,
    /// Licenses of apps with a limited count: owned, held by users here, free to deploy.
    pub owned: i64,
    pub used: i64,
    pub available: i64,
    pub apps: i64,
    /// Apps with a limited count and no license left.
    pub apps_exhausted: i64,
}

/// The dashboard's figures, read in one round of aggregate queries (SPEC X-1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardFigures {
    pub stores: Vec<StoreFigures>,
    /// The installation report's totals (all software).
    pub managed_computers: i64,
    pub products_under_licensed: i64,
    pub licenses_missing: i64,
    pub licenses_unused: i64,
    /// SaaS spend: this month's invoices, and next month's charges of the active subscriptions
    /// (per currency).
    pub spend_this_month: Vec<Money>,
    pub spend_next_month: Vec<Money>,
    pub invoices_open: i64,
    pub invoices_overdue: i64,
    pub overdue_amount: Vec<Money>,
    pub isv_used: i64,
    pub isv_owned: i64,
    pub alerts: AlertCount,
}

/// A webhook that receives alerts (Settings › Notifications).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub created_at: i64,
}

/// A webhook just added, with its signing secret (shown once, stored sealed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhook {
    pub id: i64,
    pub secret: String,
}

/// One attempt to deliver to a webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub event: String,
    pub alert_id: Option<i64>,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: String,
    pub delivered: bool,
    pub at: i64,
}

/// One stack of the spend chart: a billing profile's invoice totals per month, or (`profile_id`
/// `None`) everything beyond the five largest profiles.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendStack {
    pub profile_id: Option<i64>,
    pub name: String,
    /// Minor units, one per month of [`SpendSeries::months`].
    pub minor: Vec<i64>,
}

/// Invoice totals in one currency for the last 12 months (oldest first), stacked per profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendSeries {
    pub currency: String,
    /// Invoice periods, `YYYY-MM`.
    pub months: Vec<String>,
    /// Largest total first; "other" (if any) last.
    pub stacks: Vec<SpendStack>,
}

text_enum! {
    /// What a bar pair of the "used vs owned" chart counts.
    pub enum UsageArea {
        /// Store licenses of limited apps (`store` says which store).
        Store = "store",
        /// Software installed on managed computers vs licenses owned (the installation report).
        Licenses = "licenses",
        /// ISV licenses assigned vs owned.
        Isv = "isv",
        /// Per-license SaaS seats assigned vs bought (active subscriptions).
        Saas = "saas",
    }
}

/// One pair of bars: what is used against what is owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageBar {
    pub area: UsageArea,
    /// For [`UsageArea::Store`]: `apple` or `microsoft`; otherwise empty.
    pub store: String,
    pub used: i64,
    pub owned: i64,
    pub link: String,
}

text_enum! {
    /// What ends or renews on a timeline date.
    pub enum TimelineKind {
        /// A store token expires.
        Token = "token",
        /// An agreement ends.
        Agreement = "agreement",
        /// An active subscription renews (auto-renewal on).
        Renewal = "renewal",
        /// An active subscription ends (auto-renewal off).
        SubscriptionEnd = "subscription_end",
        /// A card on a billing profile expires (the last day of its month).
        Card = "card",
    }
}

/// One thing that ends or renews within the timeline's 90 days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Days from today (0 = today).
    pub days: i64,
    pub kind: TimelineKind,
    pub name: String,
    pub link: String,
}

/// The dashboard's charts (SPEC X-1), read in one round of aggregate queries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardCharts {
    /// Today, `YYYY-MM-DD` (the server's clock).
    pub today: String,
    /// Days the timeline covers from today.
    pub horizon_days: i64,
    /// One series per currency invoiced in the last 12 months.
    pub spend: Vec<SpendSeries>,
    pub usage: Vec<UsageBar>,
    /// Sorted by date, then kind and name.
    pub timeline: Vec<TimelineEvent>,
}
