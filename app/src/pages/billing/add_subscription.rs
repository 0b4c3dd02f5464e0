//! Add subscription: a product bought from a vendor, on a billing profile the admin
//! may purchase with.

use super::{channel_label, select_field};
use crate::api::billing::{AddSubscription, list_profiles};
use crate::components::{Field, FormError, field_error};
use crate::domain::billing::{CURRENCIES, Channel, ProfileAction};
use crate::i18n::use_texts;
use leptos::prelude::*;

#[component]
pub(super) fn AddSubscriptionPanel(action: ServerAction<AddSubscription>) -> impl IntoView {
    let t = use_texts();
    let value = action.value();
    view! {
        <section class="panel" aria-labelledby="add-sub-title">
            <h2 id="add-sub-title">{t.billing.add_subscription}</h2>
            <p class="muted">{t.billing.add_subscription_help}</p>
            <ActionForm action=action attr:class="grid-form">
                <Field
                    label=t.billing.app
                    name="form[app_name]"
                    required=true
                    error=field_error(value, "app_name")
                />
                <Field
                    label=t.common.col_publisher
                    name="form[publisher]"
                    required=true
                    error=field_error(value, "publisher")
                />
                {select_field(
                    t.billing.channel,
                    "form[channel]",
                    Channel::ALL
                        .iter()
                        .map(|c| (c.as_str().to_string(), channel_label(t, *c).to_string()))
                        .collect(),
                    field_error(value, "channel"),
                )}
                {select_field(
                    t.billing.pricing,
                    "form[pricing]",
                    vec![
                        ("per_license".into(), t.billing.per_license.into()),
                        ("flat_rate".into(), t.billing.flat_rate.into()),
                    ],
                    field_error(value, "pricing"),
                )}
                {select_field(
                    t.billing.frequency,
                    "form[frequency]",
                    vec![
                        ("monthly".into(), t.billing.monthly.into()),
                        ("annual".into(), t.billing.annual.into()),
                    ],
                    field_error(value, "frequency"),
                )}
                <Field
                    label=t.billing.price
                    name="form[price]"
                    required=true
                    hint=t.billing.price_hint
                    error=field_error(value, "price")
                />
                {select_field(
                    t.billing.currency,
                    "form[currency]",
                    CURRENCIES.iter().map(|(c, _)| (c.to_string(), c.to_string())).collect(),
                    field_error(value, "currency"),
                )}
                <Field
                    label=t.billing.quantity
                    name="form[quantity]"
                    hint=t.billing.quantity_hint
                    error=field_error(value, "quantity")
                />
                <Field
                    label=t.billing.term_start
                    name="form[term_start_on]"
                    kind="date"
                    required=true
                    error=field_error(value, "term_start_on")
                />
                <Field
                    label=t.billing.portal_url
                    name="form[portal_url]"
                    kind="url"
                    required=true
                    error=field_error(value, "portal_url")
                />
                <ProfileSelect error=field_error(value, "profile_id") />
                <div class="field checkbox">
                    <label>
                        <input type="checkbox" name="form[auto_renew]" value="on" checked=true />
                        " "
                        {t.billing.auto_renew}
                    </label>
                </div>
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.billing.add_subscription}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// The billing profiles the admin may purchase with.
#[component]
fn ProfileSelect(error: Signal<Option<String>>) -> impl IntoView {
    let t = use_texts();
    let profiles = Resource::new(|| (), |_| list_profiles());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = profiles.await.unwrap_or_default();
                let options = list
                    .into_iter()
                    .filter(|p| { p.my_role.is_some_and(|r| r.allows(ProfileAction::Purchase)) })
                    .map(|p| (p.id.to_string(), p.name))
                    .collect();
                select_field(t.billing.billing_profile, "form[profile_id]", options, error)
            })}
        </Transition>
    }
}
