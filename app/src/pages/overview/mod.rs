//! The overview (SPEC X-2): alerts. The `/alerts` page, the top bar's count and the dashboard's
//! open alerts; all three reload together after an alert is acknowledged or snoozed.

mod alerts;
mod pricing;
mod reclaim;
mod reclaim_row;

pub use alerts::AlertsPage;
pub use pricing::AppPricingPanel;
pub use reclaim::{ReclaimCard, ReclaimPage, ReclaimTotalsResource, money_list};
pub use reclaim_row::kind_label;

use crate::api::overview::{count_alerts, list_alerts};
use crate::components::Loaded;
use crate::domain::overview::{AlertArea, AlertCount, AlertState, AlertView, Severity};
use crate::i18n::{Texts, fill, use_texts};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// How many open alerts the dashboard lists.
pub const DASHBOARD_ALERTS: usize = 5;

/// Bumped after an alert changed (acknowledged, snoozed): every alert list and the count reload.
#[derive(Clone, Copy)]
pub struct AlertsChanged(pub RwSignal<u64>);

/// Provides the change counter for the signed-in frame (called once, by the frame).
pub fn provide_alerts_changed() -> AlertsChanged {
    let changed = AlertsChanged(RwSignal::new(0));
    provide_context(changed);
    changed
}

/// The frame's change counter (a private one outside the frame).
pub fn alerts_changed() -> RwSignal<u64> {
    use_context::<AlertsChanged>()
        .map(|c| c.0)
        .unwrap_or_else(|| RwSignal::new(0))
}

pub fn severity_label(t: &'static Texts, severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => t.overview.severity_critical,
        Severity::Warning => t.overview.severity_warning,
        Severity::Info => t.overview.severity_info,
    }
}

/// The severity as a pill: `pill sev-critical`, `sev-warning` or `sev-info`.
pub fn severity_pill(t: &'static Texts, severity: Severity) -> impl IntoView {
    view! { <span class=format!("pill sev-{}", severity.as_str())>{severity_label(t, severity)}</span> }
}

pub fn area_label(t: &'static Texts, area: AlertArea) -> &'static str {
    match area {
        AlertArea::Store => t.overview.area_store,
        AlertArea::Licenses => t.overview.area_licenses,
        AlertArea::Billing => t.overview.area_billing,
    }
}

pub fn state_label(t: &'static Texts, state: AlertState) -> &'static str {
    match state {
        AlertState::Open => t.overview.state_open,
        AlertState::Acknowledged => t.overview.state_acknowledged,
        AlertState::Snoozed => t.overview.state_snoozed,
        AlertState::Closed => t.overview.state_closed,
        AlertState::All => t.overview.state_all,
    }
}

/// Fills a template's two `{}` with `a` then `b`; unlike two calls of [`fill`], a `{}` inside
/// `a` (a name is someone's input) is left alone.
pub fn fill_two(template: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
    match template.split_once("{}") {
        Some((head, tail)) => format!("{head}{a}{}", fill(tail, b)),
        None => template.to_string(),
    }
}

/// The accessible name of the top bar's link: "Alerts: 3 open, 1 critical".
pub fn count_label(t: &'static Texts, count: AlertCount) -> String {
    if count.open <= 0 {
        t.overview.top_none.to_string()
    } else if count.critical > 0 {
        fill_two(t.overview.top_critical, count.open, count.critical)
    } else {
        fill(t.overview.top_open, count.open)
    }
}

/// The top bar's link to `/alerts` with the count of open alerts; the badge turns red (and
/// shows "!") when one of them is critical. Without a count (it failed) the link stays.
#[component]
pub fn AlertsLink() -> impl IntoView {
    let t = use_texts();
    let changed = alerts_changed();
    let count = Resource::new(move || changed.get(), |_| count_alerts());
    let location = use_location();
    let current = move || {
        location
            .pathname
            .get()
            .starts_with("/alerts")
            .then_some("page")
    };
    let link = move |c: Option<AlertCount>| {
        let label = c.map(|c| count_label(t, c));
        let badge = c.filter(|c| c.open > 0).map(|c| {
            let critical = c.critical > 0;
            view! {
                <span class="alert-badge" class:critical=critical aria-hidden="true">
                    {critical.then_some("! ")}
                    {c.open}
                </span>
            }
        });
        view! {
            <a
                class="alerts-link"
                href="/alerts"
                aria-label=label
                aria-current=current
                data-testid="alerts-link"
            >
                <span>{t.overview.alerts}</span>
                {badge}
            </a>
        }
    };
    view! {
        <Transition fallback=move || link(
            None,
        )>{move || Suspend::new(async move { link(count.await.ok()) })}</Transition>
    }
}

/// The dashboard's section: the most severe open alerts, or that nothing needs attention.
#[component]
pub fn OpenAlerts() -> impl IntoView {
    let t = use_texts();
    let changed = alerts_changed();
    let open = Resource::new(
        move || changed.get(),
        |_| list_alerts(Some(AlertState::Open.as_str().to_string()), None),
    );
    view! {
        <section class="open-alerts" aria-labelledby="open-alerts-title">
            <div class="section-head">
                <h2 id="open-alerts-title">{t.overview.open_alerts}</h2>
                <a href="/alerts">{t.overview.see_all}</a>
            </div>
            <Loaded resource=open let:list>
                <OpenAlertList list=list />
            </Loaded>
        </section>
    }
}

#[component]
fn OpenAlertList(list: Vec<AlertView>) -> impl IntoView {
    let t = use_texts();
    if list.is_empty() {
        return view! { <p class="all-clear">{t.overview.none_open}</p> }.into_any();
    }
    let total = list.len();
    let items = list
        .into_iter()
        .take(DASHBOARD_ALERTS)
        .map(|a| {
            view! { <li>{severity_pill(t, a.severity)} <a href=a.link.clone()>{a.title.clone()}</a></li> }
        })
        .collect_view();
    view! {
        <ul class="alert-list">{items}</ul>
        {(total > DASHBOARD_ALERTS)
            .then(|| view! { <p class="muted">{fill(t.overview.most_severe, total)}</p> })}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, NL};

    #[test]
    fn count_labels() {
        let c = |open, critical| AlertCount { open, critical };
        assert_eq!(count_label(&EN, c(0, 0)), "Alerts: none open");
        assert_eq!(count_label(&EN, c(3, 0)), "Alerts: 3 open");
        assert_eq!(count_label(&EN, c(3, 1)), "Alerts: 3 open, 1 critical");
        assert_eq!(count_label(&NL, c(3, 1)), "Meldingen: 3 open, 1 kritiek");
    }

    #[test]
    fn fill_two_leaves_braces_in_the_first_value() {
        assert_eq!(
            fill_two(EN.overview.status_acknowledged, "a{}b", "2026-01-02 03:04"),
            "Acknowledged by a{}b at 2026-01-02 03:04"
        );
    }
}
