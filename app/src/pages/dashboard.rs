//! `/` — the dashboard. Grows with each area (SPEC X-1): the open alerts first (SPEC X-2), then
//! the admin's role and the areas.

use crate::domain::Me;
use crate::i18n::use_texts;
use crate::pages::overview::OpenAlerts;
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
