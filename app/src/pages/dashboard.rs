//! `/` — the dashboard. Grows with each area (SPEC X-1): the open alerts first (SPEC X-2), then
//! the figures (each card links to the list behind it), the charts (spend per month, licenses
//! in use against owned, what ends or renews in 90 days), the admin's role and the areas.

use crate::api::overview::{get_dashboard_charts, get_dashboard_figures};
use crate::api::reclaim::get_reclaim_totals;
use crate::components::Loaded;
use crate::components::chart::{Mark, Pair, Stack, paired_bars, stacked_bars, timeline};
use crate::domain::Me;
use crate::domain::billing::{format_date, format_money, parse_date};
use crate::domain::overview::{
    DashboardCharts, DashboardFigures, Money, SpendSeries, StoreFigures, TimelineKind, UsageArea,
    UsageBar,
};
use crate::i18n::{Texts, fill, use_texts};
use crate::pages::overview::{OpenAlerts, ReclaimCard, ReclaimTotalsResource, fill_two};
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
        <Charts />
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
    // Created here, not inside the card: a resource created inside another resource's
    // boundary is registered in a different order on the server and in the browser, and
    // hydration then panics on about every second full load.
    let reclaim = Resource::new(|| (), |_| get_reclaim_totals());
    view! {
        <section class="figures" aria-labelledby="figures-title">
            <h2 id="figures-title">{t.overview.fig_title}</h2>
            <Loaded resource=figures let:f>
                <FigureCards f=f reclaim=reclaim />
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
fn FigureCards(f: DashboardFigures, reclaim: ReclaimTotalsResource) -> impl IntoView {
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
            </li> <ReclaimCard totals=reclaim />
        </ul>
    }
}

/// The charts under the figures.
#[component]
fn Charts() -> impl IntoView {
    let t = use_texts();
    let charts = Resource::new(|| (), |_| get_dashboard_charts());
    view! {
        <section class="charts" aria-labelledby="charts-title">
            <h2 id="charts-title">{t.overview.chart_title}</h2>
            <Loaded resource=charts let:c>
                <ChartCards c=c />
            </Loaded>
        </section>
    }
}

/// An amount for a value axis: no currency code (the axis names it) and no zero decimals.
fn axis_money(minor: i64, currency: &str) -> String {
    let text = format_money(minor, currency);
    let text = text.strip_prefix(&format!("{currency} ")).unwrap_or(&text);
    match text.split_once('.') {
        Some((whole, decimals)) if decimals.chars().all(|c| c == '0') => whole.to_string(),
        _ => text.to_string(),
    }
}

fn spend_chart(t: &'static Texts, s: SpendSeries) -> impl IntoView {
    let short: Vec<&str> = t.overview.chart_months.split(' ').collect();
    let bars = s
        .months
        .iter()
        .map(|m| {
            let index = m
                .get(5..7)
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(1);
            let label = short
                .get(index.saturating_sub(1))
                .copied()
                .unwrap_or(m.as_str());
            (label.to_string(), m.clone())
        })
        .collect();
    let total: i64 = s.stacks.iter().flat_map(|st| st.minor.iter()).sum();
    let stacks = s
        .stacks
        .into_iter()
        .map(|st| Stack {
            label: if st.profile_id.is_some() {
                st.name
            } else {
                t.overview.chart_other.into()
            },
            values: st.minor,
        })
        .collect();
    let first = s.months.first().cloned().unwrap_or_default();
    let last = s.months.last().cloned().unwrap_or_default();
    let desc = fill(
        &fill(
            &fill(&fill(t.overview.chart_spend_desc, &s.currency), first),
            last,
        ),
        format_money(total, &s.currency),
    );
    let (c1, c2) = (s.currency.clone(), s.currency.clone());
    stacked_bars(
        format!("chart-spend-{}", s.currency.to_lowercase()),
        (fill(t.overview.chart_spend_title, &s.currency), desc),
        bars,
        stacks,
        move |v| format_money(v, &c1),
        move |v| axis_money(v, &c2),
        s.currency,
    )
}

fn usage_label(t: &'static Texts, u: &UsageBar) -> String {
    match u.area {
        UsageArea::Store => fill(t.overview.usage_store, store_label(t, &u.store)),
        UsageArea::Licenses => t.overview.usage_licenses.into(),
        UsageArea::Isv => t.overview.usage_isv.into(),
        UsageArea::Saas => t.overview.usage_saas.into(),
    }
}

fn kind_texts(t: &'static Texts, kind: TimelineKind) -> (&'static str, &'static str) {
    let o = &t.overview;
    match kind {
        TimelineKind::Token => (o.lane_token, o.kind_token),
        TimelineKind::Agreement => (o.lane_agreement, o.kind_agreement),
        TimelineKind::Renewal => (o.lane_renewal, o.kind_renewal),
        TimelineKind::SubscriptionEnd => (o.lane_subscription_end, o.kind_subscription_end),
        TimelineKind::Card => (o.lane_card, o.kind_card),
    }
}

#[component]
fn ChartCards(c: DashboardCharts) -> impl IntoView {
    let t = use_texts();
    let spend = if c.spend.is_empty() {
        view! {
            <h3 class="chart-caption">{t.overview.fig_spend}</h3>
            <p class="muted">{t.overview.chart_spend_none}</p>
        }
        .into_any()
    } else {
        c.spend
            .into_iter()
            .map(|s| spend_chart(t, s))
            .collect_view()
            .into_any()
    };
    let pairs = c
        .usage
        .iter()
        .map(|u| Pair {
            label: usage_label(t, u),
            used: u.used,
            owned: u.owned,
            link: u.link.clone(),
        })
        .collect();
    let usage = paired_bars(
        "chart-usage".into(),
        (
            t.overview.chart_usage_title.into(),
            t.overview.chart_usage_desc.into(),
        ),
        pairs,
    );
    let horizon = c.horizon_days;
    let timeline_view = if c.timeline.is_empty() {
        view! {
            <h3 class="chart-caption">{fill(t.overview.chart_timeline_title, horizon)}</h3>
            <p class="muted">{fill(t.overview.chart_timeline_none, horizon)}</p>
        }
        .into_any()
    } else {
        let last = parse_date("today", &c.today)
            .map(|d| format_date(d + time::Duration::days(horizon)))
            .unwrap_or_default();
        let desc = fill(
            &fill(
                &fill(t.overview.chart_timeline_desc, c.timeline.len()),
                &c.today,
            ),
            last,
        );
        let lanes = TimelineKind::ALL
            .iter()
            .map(|k| kind_texts(t, *k).0.to_string())
            .collect();
        let marks = c
            .timeline
            .into_iter()
            .map(|e| Mark {
                lane: TimelineKind::ALL
                    .iter()
                    .position(|k| *k == e.kind)
                    .unwrap_or(0),
                day: e.days,
                date: e.date,
                kind: kind_texts(t, e.kind).1.to_string(),
                name: e.name,
                link: e.link,
            })
            .collect();
        timeline(
            "chart-timeline".into(),
            (fill(t.overview.chart_timeline_title, horizon), desc),
            horizon,
            lanes,
            marks,
        )
        .into_any()
    };
    view! {
        <div class="chart-grid">
            <div class="card chart-card">{spend}</div>
            <div class="card chart-card">{usage}</div>
            <div class="card chart-card chart-wide">{timeline_view}</div>
        </div>
    }
}
