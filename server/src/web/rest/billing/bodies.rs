//! Request bodies and answers of the billing resources, and how a body becomes the backend's
//! form. Fields default when missing so that the backend's own validation names the field.

use super::super::directory::Named;
use app::domain::ApiError;
use app::domain::billing::{
    AdjustmentView, NewSubscriptionForm, PaymentMethodForm, ProfileForm, SubscriptionDetail,
    SubscriptionView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A subscription with its pending and invoiced quantity changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Subscription {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    pub adjustments: Vec<AdjustmentView>,
    /// Billing profiles the caller may move it to (their profile role allows purchases).
    pub profiles: Vec<Named>,
}

impl From<SubscriptionDetail> for Subscription {
    fn from(d: SubscriptionDetail) -> Subscription {
        Subscription {
            subscription: d.subscription,
            adjustments: d.adjustments,
            profiles: d
                .profiles
                .into_iter()
                .map(|(id, name)| Named { id, name })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// `pending_activation`, `active` or `disabled`.
    pub status: Option<String>,
    /// Search in app name and publisher.
    pub q: Option<String>,
}

/// A subscription bought in a marketplace, through a partner or from a vendor proposal.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(example = json!({"app_name": "Fabrikam Sign", "publisher": "Fabrikam", "channel": "direct",
    "pricing": "per_license", "frequency": "monthly", "price": "8.00", "currency": "USD", "quantity": 10,
    "term_start_on": "2026-11-01", "auto_renew": true, "profile_id": 1,
    "portal_url": "https://portal.fabrikam.example/manage"}))]
pub struct SubscriptionBody {
    pub app_name: String,
    pub publisher: String,
    /// `direct`, `partner` or `proposal`.
    pub channel: String,
    /// `per_license` or `flat_rate`.
    pub pricing: String,
    /// `monthly` or `annual`.
    pub frequency: String,
    /// The unit price as a decimal string (exact: money is never a float), e.g. `"8.00"`.
    pub price: String,
    /// `USD`, `EUR`, `GBP`, `AUD`, `CAD`, `ZAR`, `ARS` or `CLP`.
    pub currency: String,
    /// Licenses bought (per-license pricing only; omit for a flat rate, which is Unlimited).
    pub quantity: Option<i64>,
    /// `YYYY-MM-DD`.
    pub term_start_on: String,
    pub auto_renew: bool,
    pub profile_id: Option<i64>,
    /// The publisher's portal where the subscription is activated and managed.
    pub portal_url: String,
}

impl SubscriptionBody {
    /// The form the UI sends: numbers as text, the checkbox as "on" or absent.
    pub fn form(self) -> NewSubscriptionForm {
        NewSubscriptionForm {
            app_name: self.app_name,
            publisher: self.publisher,
            channel: self.channel,
            pricing: self.pricing,
            frequency: self.frequency,
            price: self.price,
            currency: self.currency,
            quantity: self.quantity.map(|q| q.to_string()).unwrap_or_default(),
            term_start_on: self.term_start_on,
            auto_renew: self.auto_renew.then(|| "on".to_string()),
            profile_id: self.profile_id.map(|p| p.to_string()).unwrap_or_default(),
            portal_url: self.portal_url,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(example = json!({"quantity": 15}))]
pub struct QuantityBody {
    /// The new number of licenses.
    pub quantity: Option<i64>,
}

impl QuantityBody {
    pub fn text(&self) -> String {
        self.quantity.map(|q| q.to_string()).unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(example = json!({"profile_id": 2}))]
pub struct ProfileBody {
    /// The billing profile to bill from now on.
    pub profile_id: Option<i64>,
}

impl ProfileBody {
    pub fn id(&self) -> Result<i64, ApiError> {
        self.profile_id
            .ok_or_else(|| ApiError::invalid("profile_id", "Choose a billing profile."))
    }
}

/// What the publisher's portal activation answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    /// The publisher's portal, where the subscription is managed.
    pub portal_url: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// `open`, `paid` or `overdue`.
    pub status: Option<String>,
    /// Only the invoices of this billing profile.
    pub profile_id: Option<i64>,
    pub cursor: Option<String>,
}

/// Users and groups to give a license of an ISV app (all or none).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(example = json!({"users": [12, 13], "groups": [3]}))]
pub struct AssignBody {
    /// User ids: one license each.
    pub users: Vec<i64>,
    /// Group ids: one license per member.
    pub groups: Vec<i64>,
}

impl AssignBody {
    /// The backend's `(kind, id)` pairs; at least one.
    pub fn principals(self) -> Result<Vec<(String, i64)>, ApiError> {
        let list: Vec<(String, i64)> = (self.users.into_iter().map(|id| ("user".to_string(), id)))
            .chain(self.groups.into_iter().map(|id| ("group".to_string(), id)))
            .collect();
        if list.is_empty() {
            return Err(ApiError::invalid(
                "users",
                "Give at least one user or group id.",
            ));
        }
        Ok(list)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Assigned {
    /// Licenses of the app in use afterwards.
    pub in_use: i64,
}

/// A billing profile's address: where invoices go and which region decides what may be bought.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(example = json!({"name": "Headquarters", "contact_name": "Pat Doe",
    "address_line": "1 Main Street", "city": "Seattle", "postal_code": "98101", "region": "US"}))]
pub struct BillingProfileBody {
    pub name: String,
    pub contact_name: String,
    pub address_line: String,
    pub city: String,
    pub postal_code: String,
    /// A supported region's code or English name, e.g. `US` or `Western Europe`.
    pub region: String,
}

impl BillingProfileBody {
    pub fn form(self, id: Option<i64>) -> ProfileForm {
        ProfileForm {
            id,
            name: self.name,
            contact_name: self.contact_name,
            address_line: self.address_line,
            city: self.city,
            postal_code: self.postal_code,
            region: self.region,
        }
    }
}

/// A card (brand, last four digits and expiry only: never a full number) or a wire transfer.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(example = json!({"kind": "card", "brand": "Visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}))]
pub struct PaymentMethodBody {
    /// `card` or `wire`.
    pub kind: String,
    /// `Visa`, `Mastercard`, `American Express` or `Discover` (cards only).
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
}

impl PaymentMethodBody {
    pub fn form(self, profile_id: i64) -> PaymentMethodForm {
        PaymentMethodForm {
            profile_id,
            kind: self.kind,
            brand: self.brand,
            last4: self.last4,
            exp_month: self.exp_month.map(|m| m.to_string()),
            exp_year: self.exp_year.map(|y| y.to_string()),
        }
    }
}
