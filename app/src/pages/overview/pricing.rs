//! Prices per license (store apps, agreements) and a store app's "few licenses left" threshold
//! (SPEC ): the form both the store app page and the reclaim page use.

use crate::api::reclaim::{SetLicensePrice, SetLowThreshold, get_app_pricing};
use crate::components::{Field, FormError, Loaded, can, field_error, toast_on_success};
use crate::domain::Permission;
use crate::domain::billing::{CURRENCIES, format_money};
use crate::domain::reclaim::{AppPricing, Price, PricePeriod};
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;

/// `EUR 4.00 / month`.
pub fn price_text(p: &Price) -> String {
    let t = use_texts();
    let per = match p.period {
        PricePeriod::Month => t.reclaim.period_month,
        PricePeriod::Year => t.reclaim.period_year,
    };
    format!(
        "{} / {}",
        format_money(p.minor, &p.currency),
        per.to_lowercase()
    )
}

/// The price form's fields for `target` (`store_app` or `agreement`) `id`, inside an
/// `ActionForm` of [`SetLicensePrice`]; `key` keeps element ids unique on a page.
#[component]
pub fn PriceFields(
    target: &'static str,
    id: i64,
    price: Option<Price>,
    action: ServerAction<SetLicensePrice>,
) -> impl IntoView {
    let t = use_texts();
    let amount = price
        .as_ref()
        .map(|p| crate::domain::billing::format_decimal(p.minor, &p.currency))
        .unwrap_or_default();
    let currency = price
        .as_ref()
        .map(|p| p.currency.clone())
        .unwrap_or_else(|| "EUR".into());
    let period = price.map(|p| p.period).unwrap_or(PricePeriod::Year);
    let currency_id = format!("price-currency-{target}-{id}");
    let period_id = format!("price-period-{target}-{id}");
    let currencies = CURRENCIES
        .iter()
        .map(|(code, _)| {
            view! {
                <option value=*code selected=*code == currency>
                    {*code}
                </option>
            }
        })
        .collect_view();
    view! {
        <input type="hidden" name="target" value=target />
        <input type="hidden" name="id" value=id />
        <div class="form-row">
            <Field
                label=t.reclaim.price_amount
                name="amount"
                value=amount
                error=field_error(action.value(), "price")
            />
            <div class="field">
                <label for=currency_id.clone()>{t.reclaim.price_currency}</label>
                <select id=currency_id name="currency">
                    {currencies}
                </select>
                {move || {
                    field_error(action.value(), "currency")
                        .get()
                        .map(|m| view! { <p class="field-error">{m}</p> })
                }}
            </div>
            <div class="field">
                <label for=period_id.clone()>{t.reclaim.price_period}</label>
                <select id=period_id name="period">
                    <option value="month" selected=period == PricePeriod::Month>
                        {t.reclaim.period_month}
                    </option>
                    <option value="year" selected=period == PricePeriod::Year>
                        {t.reclaim.period_year}
                    </option>
                </select>
            </div>
        </div>
    }
}

/// The store app page's panel: price per license and the alert threshold.
#[component]
pub fn AppPricingPanel(#[prop(into)] app_id: Signal<i64>) -> impl IntoView {
    let t = use_texts();
    let price = ServerAction::<SetLicensePrice>::new();
    let threshold = ServerAction::<SetLowThreshold>::new();
    let pricing = Resource::new(
        move || {
            (
                app_id.get(),
                price.version().get(),
                threshold.version().get(),
            )
        },
        |(id, _, _)| get_app_pricing(id),
    );
    toast_on_success(price.value(), t.reclaim.price_saved);
    toast_on_success(threshold.value(), t.reclaim.threshold_saved);
    view! {
        <section class="panel" id="pricing" aria-labelledby="pricing-title">
            <h2 id="pricing-title">{t.reclaim.pricing_title}</h2>
            <Loaded resource=pricing let:p>
                <PricingForms id=app_id.get_untracked() pricing=p price=price threshold=threshold />
            </Loaded>
        </section>
    }
}

#[component]
fn PricingForms(
    id: i64,
    pricing: AppPricing,
    price: ServerAction<SetLicensePrice>,
    threshold: ServerAction<SetLowThreshold>,
) -> impl IntoView {
    let t = use_texts();
    let manage = can(Permission::ManageStore);
    let current = match &pricing.price {
        Some(p) => fill(t.reclaim.price_current, price_text(p)),
        None => t.reclaim.price_none.to_string(),
    };
    let low = pricing.low;
    let low_label = if pricing.custom {
        t.reclaim.threshold_custom
    } else {
        t.reclaim.threshold_default
    };
    let summary = format!("{low_label}: {} % · {}", low.percent, low.count);
    if !manage {
        return view! {
            <p>{current}</p>
            <p>{summary}</p>
        }
        .into_any();
    }
    view! {
        <p class="muted">{t.reclaim.price_intro}</p>
        <p>{current}</p>
        <FormError value=price.value() />
        <ActionForm action=price attr:class="stacked">
            <PriceFields target="store_app" id=id price=pricing.price.clone() action=price />
            <button type="submit">{t.reclaim.price_save}</button>
        </ActionForm>
        <p class="muted">{t.reclaim.threshold_intro}</p>
        <p>{summary}</p>
        <FormError value=threshold.value() />
        <ActionForm action=threshold attr:class="stacked">
            <input type="hidden" name="app_id" value=id />
            <div class="form-row">
                <Field
                    label=t.reclaim.threshold_percent
                    name="low_percent"
                    kind="number"
                    value=if pricing.custom { low.percent.to_string() } else { String::new() }
                    error=field_error(threshold.value(), "low_percent")
                />
                <Field
                    label=t.reclaim.threshold_count
                    name="low_count"
                    kind="number"
                    value=if pricing.custom { low.count.to_string() } else { String::new() }
                    error=field_error(threshold.value(), "low_count")
                />
            </div>
            <button type="submit">{t.reclaim.threshold_save}</button>
        </ActionForm>
    }
    .into_any()
}
