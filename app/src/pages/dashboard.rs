//! `/` — the dashboard. Grows with each area (SPEC X-1): the open alerts first (SPEC X-2), then
//! the figures (each card links to the list behind it), the admin's role and the areas.

use crate::api::overview::get_dashboard_figures;
use crate::components::Loaded;
use crate::domain::Me;
use crate::domain::billing::format_money;
use crate::domain::overview::{DashboardFigures, Money, StoreFigures};
use crate::i18n::{Texts, use_texts};
use crate::pages::overview::{OpenAlerts, fill_two};
use crate::pages::{Area, role_label};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Dashboard() -> impl IntoView {
    let t = use_texts();
    let me = expect_context::<Me>();
    let cards = [
        (Area::Store, t.shell.nav_store),
        (Area::Licenses, t.shell.nav_licenses),
        (Area::Billing, t.shell.nav_billing),
        (Area::Directory, t.shell.nav_directory),
    ]
    .into_iter()
    .map(|(area, title)| {
        let text = area.summary(t);
        let href = area.pages(t)[0].0;
        view! {
            <li class="card">
                <h3>
                    <a href=href>{title}</a>
                </h3>
                <p class="muted">{text}</p>
            </li>
        }
    })
    .collect_view();
    view! {
        <Title text=t.shell.dashboard_title />
        <h1>{t.shell.dashboard_title}</h1>
        <p class="lead">{t.shell.dashboard_intro}</p>
        <OpenAlerts />
        <Figures />
        <dl class="facts">
            <div>
                <dt>{t.shell.dashboard_your_role}</dt>
                <dd>{role_label(t, me.role)}</dd>
            </div>
        </dl>
        <h2>{t.shell.dashboard_areas}</h2>
        <ul class="cards">{cards}</ul>
    }
}

/// The dashboard's figures: one card per store connection, compliance, SaaS spend, invoices and
/// ISV licenses.
#[component]
fn Figures() -> impl IntoView {
    let t = use_texts();
    let figures = Resource::new(|| (), |_| get_dashboard_figures());
    view! {
        <section class="figures" aria-labelledby="figures-title">
            <h2 id="figures-title">{t.overview.fig_title}</h2>
            <Loaded resource=figures let:f>
                <FigureCards f=f />
            </Loaded>
        </section>
    }
}

/// One figure: the big number and its label.
fn figure(label: &'static str, value: impl IntoView + 'static) -> impl IntoView {
    view! {
        <div>
            <dt>{label}</dt>
            <dd class="figure">{value}</dd>
        </div>
    }
}

/// Amounts per currency ("EUR 1,234.56", one per line), or "None".
fn amounts(t: &'static Texts, money: &[Money]) -> AnyView {
    if money.is_empty() {
        return view! { <span>{t.overview.fig_none}</span> }.into_any();
    }
    money
        .iter()
        .map(|m| view! { <span class="amount">{format_money(m.minor, &m.currency)}</span> })
        .collect_view()
        .into_any()
}

fn store_label(t: &'static Texts, store: &str) -> String {
    match store {
        "apple" => t.overview.fig_store_apple.to_string(),
        "microsoft" => t.overview.fig_store_microsoft.to_string(),
        other => other.to_string(),
    }
}

fn store_card(t: &'static Texts, s: StoreFigures) -> impl IntoView {
    let title_id = format!("fig-store-{}", s.connection_id);
    let labelled_by = title_id.clone();
    view! {
        <li class="card figure-card" aria-labelledby=labelled_by>
            <h3 id=title_id>
                {s.name} <span class="muted">" · "{store_label(t, &s.store)}</span>
            </h3>
            <dl class="figure-list">
                {figure(t.overview.fig_owned, s.owned)} {figure(t.overview.fig_used, s.used)}
                {figure(t.overview.fig_available, s.available)}
                {figure(t.overview.fig_apps_exhausted, s.apps_exhausted)}
            </dl>
            <a href="/store/apps">{t.overview.fig_see_apps}</a>
        </li>
    }
}

#[component]
fn FigureCards(f: DashboardFigures) -> impl IntoView {
    let t = use_texts();
    let stores = if f.stores.is_empty() {
        view! {
            <li class="card figure-card" aria-labelledby="fig-store">
                <h3 id="fig-store">{t.overview.fig_store}</h3>
                <p class="muted">{t.overview.fig_no_store}</p>
                <a href="/store/connections">{t.overview.fig_connect_store}</a>
            </li>
        }
        .into_any()
    } else {
        f.stores
            .into_iter()
            .map(|s| store_card(t, s))
            .collect_view()
            .into_any()
    };
    view! {
        <ul class="cards figure-cards">
            {stores} <li class="card figure-card" aria-labelledby="fig-compliance">
                <h3 id="fig-compliance">{t.overview.fig_compliance}</h3>
                <dl class="figure-list">
                    {figure(t.overview.fig_under_licensed, f.products_under_licensed)}
                    {figure(t.overview.fig_missing, f.licenses_missing)}
                    {figure(t.overview.fig_unused, f.licenses_unused)}
                    {figure(t.overview.fig_computers, f.managed_computers)}
                </dl>
                <a href="/licenses/reports">{t.overview.fig_see_reports}</a>
            </li> <li class="card figure-card" aria-labelledby="fig-spend">
                <h3 id="fig-spend">{t.overview.fig_spend}</h3>
                <dl class="figure-list">
                    {figure(t.overview.fig_this_month, amounts(t, &f.spend_this_month))}
                    {figure(t.overview.fig_next_month, amounts(t, &f.spend_next_month))}
                </dl>
                <p class="figure-links">
                    <a href="/billing/invoices">{t.overview.fig_see_invoices}</a>
                    <a href="/billing/subscriptions">{t.overview.fig_see_subscriptions}</a>
                </p>
            </li> <li class="card figure-card" aria-labelledby="fig-invoices">
                <h3 id="fig-invoices">{t.overview.fig_invoices}</h3>
                <dl class="figure-list">
                    {figure(t.overview.fig_invoices_open, f.invoices_open)}
                    {figure(t.overview.fig_invoices_overdue, f.invoices_overdue)}
                    {figure(t.overview.fig_overdue_amount, amounts(t, &f.overdue_amount))}
                </dl>
                <a href="/billing/invoices">{t.overview.fig_see_invoices}</a>
            </li> <li class="card figure-card" aria-labelledby="fig-isv">
                <h3 id="fig-isv">{t.overview.fig_isv}</h3>
                <dl class="figure-list">
                    {figure(
                        t.overview.fig_isv_used,
                        fill_two(t.overview.fig_isv_value, f.isv_used, f.isv_owned),
                    )}
                </dl>
                <a href="/billing/licenses">{t.overview.fig_see_isv}</a>
            </li>
        </ul>
    }
}
