//! `/licenses`: Refresh now, the refresh state and the license groups.

use crate::api::licenses::{RefreshLicenses, list_license_groups, refresh_status};
use crate::components::{FormError, Loaded, can, use_toasts};
use crate::domain::licenses::LicenseGroupView;
use crate::domain::{Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LicensesOverview() -> impl IntoView {
    let t = use_texts();
    let refresh = ServerAction::<RefreshLicenses>::new();
    let groups = Resource::new(move || refresh.version().get(), |_| list_license_groups());
    let status = Resource::new(move || refresh.version().get(), |_| refresh_status());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(r)) = refresh.value().get() {
            let text = [r.sets, r.valid, r.invalid, r.products]
                .into_iter()
                .fold(t.licenses.toast_refreshed.to_string(), |acc, n| {
                    fill(&acc, n)
                });
            toasts.push(text);
        }
    });
    view! {
        <Title text=t.licenses.overview />
        <AreaTabs area=Area::Licenses current=0 />
        <div class="page-head">
            <h1>{t.licenses.overview}</h1>
            {can(Permission::ManageAgreements)
                .then(|| {
                    view! {
                        <ActionForm action=refresh attr:class="inline">
                            <button
                                type="submit"
                                class="primary"
                                disabled=move || refresh.pending().get()
                            >
                                {move || {
                                    if refresh.pending().get() {
                                        t.licenses.refreshing
                                    } else {
                                        t.licenses.refresh_now
                                    }
                                }}
                            </button>
                        </ActionForm>
                    }
                })}
        </div>
        <FormError value=refresh.value() />
        <Loaded resource=status quiet=true let:s>
            {(!s.configured)
                .then(|| {
                    view! {
                        <div class="notice" role="note">
                            {t.licenses.licensing_not_configured}
                        </div>
                    }
                })}
            {s
                .stale
                .then(|| {
                    view! {
                        <div class="notice" role="note">
                            {t.licenses.may_differ}
                        </div>
                    }
                })}
            <p class="muted">
                {match s.refreshed_at {
                    Some(at) => fill(t.licenses.last_refreshed, format_time(at)),
                    None => t.licenses.never_refreshed.to_string(),
                }}
            </p>
        </Loaded>
        <h2>{t.licenses.groups}</h2>
        <Loaded resource=groups let:list>
            <GroupCards groups=list />
        </Loaded>
    }
}

#[component]
fn GroupCards(groups: Vec<LicenseGroupView>) -> impl IntoView {
    let t = use_texts();
    view! {
        <ul class="cards">
            {groups
                .into_iter()
                .map(|g| {
                    view! {
                        <li class="card">
                            <h3>
                                <a href=format!(
                                    "/licenses/agreements?group_id={}",
                                    g.id,
                                )>{g.name.clone()}</a>
                            </h3>
                            <p class="muted">
                                {fill(t.licenses.agreement_count, g.agreement_count)}
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <p>
            <a class="button primary" href="/licenses/agreements/new">
                {t.licenses.add_agreements}
            </a>
        </p>
    }
}
