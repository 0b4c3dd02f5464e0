//! `/licenses/reports`: the license purchase report and the license installation
//! report, with their scope and group filters, CSV export and print.

use super::report_views::{InstallationReportView, PurchaseReportView};
use crate::api::licenses::{installation_report, list_license_groups, purchase_report};
use crate::components::{Loaded, PrintButton};
use crate::domain::ApiError;
use crate::domain::licenses::LicenseGroupView;
use crate::i18n::use_texts;
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let which = Memo::new(move |_| {
        query
            .read()
            .get("report")
            .unwrap_or_else(|| "installation".into())
    });
    let scope = Memo::new(move |_| query.read().get("scope").unwrap_or_else(|| "all".into()));
    let chosen = Memo::new(move |_| {
        query
            .read()
            .get_all("group")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|g| g.parse::<i64>().ok())
            .collect::<Vec<_>>()
    });
    let groups = Resource::new(|| (), |_| list_license_groups());
    let installation = Resource::new(move || scope.get(), |s| installation_report(Some(s)));
    let purchase = Resource::new(
        move || (chosen.get(), scope.get()),
        |(g, s)| purchase_report(Some(join(&g)), Some(s)),
    );
    let csv_href = move || {
        format!(
            "/api/licenses/reports/{}.csv?scope={}&groups={}",
            which.get(),
            scope.get(),
            join(&chosen.get())
        )
    };
    let tab = move |id: &'static str, label: &'static str| {
        view! {
            <a
                class="button"
                class:secondary=move || which.get() != id
                role="tab"
                aria-selected=move || (which.get() == id).to_string()
                href=move || format!("/licenses/reports?report={id}&scope={}", scope.get())
            >
                {label}
            </a>
        }
    };
    view! {
        <Title text=t.licenses.reports />
        <AreaTabs area=Area::Licenses current=3 />
        <div class="page-head">
            <h1>{t.licenses.reports}</h1>
            <div class="page-actions">
                <a class="button secondary" href=csv_href download rel="external">
                    {t.common.export_csv}
                </a>
                <PrintButton label=t.licenses.print />
            </div>
        </div>
        <div class="report-tabs" role="tablist">
            {tab("purchase", t.licenses.purchase_report)}
            {tab("installation", t.licenses.installation_report)}
        </div>
        <ReportFilters which=which scope=scope chosen=chosen groups=groups />
        <Show
            when=move || which.get() == "installation"
            fallback=move || {
                view! {
                    <Loaded resource=purchase let:report>
                        <PurchaseReportView report=report />
                    </Loaded>
                }
            }
        >
            <Loaded resource=installation let:report>
                <InstallationReportView report=report />
            </Loaded>
        </Show>
    }
}

/// Scope for both reports; for the purchase report also the license groups (none = all).
#[component]
fn ReportFilters(
    which: Memo<String>,
    scope: Memo<String>,
    chosen: Memo<Vec<i64>>,
    groups: Resource<Result<Vec<LicenseGroupView>, ApiError>>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <Form method="GET" action="" attr:class="filters">
            <input type="hidden" name="report" prop:value=move || which.get() />
            <div class="field">
                <label for="f-scope">{t.licenses.software_scope}</label>
                <select id="f-scope" name="scope">
                    <option value="all" selected=move || scope.get() == "all">
                        {t.licenses.scope_all}
                    </option>
                    <option value="microsoft" selected=move || scope.get() == "microsoft">
                        {t.licenses.scope_microsoft}
                    </option>
                    <option value="other" selected=move || scope.get() == "other">
                        {t.licenses.scope_other}
                    </option>
                </select>
            </div>
            <Show when=move || which.get() == "purchase">
                <fieldset class="group-filter">
                    <legend>{t.licenses.groups}</legend>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            groups
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .map(|g| {
                                    let id = g.id;
                                    view! {
                                        <label class="check">
                                            <input
                                                type="checkbox"
                                                name="group"
                                                value=id
                                                prop:checked=move || chosen.get().contains(&id)
                                            />
                                            {g.name.clone()}
                                        </label>
                                    }
                                })
                                .collect_view()
                        })}
                    </Transition>
                    <p class="hint">{t.licenses.groups_none_means_all}</p>
                </fieldset>
            </Show>
            <div class="form-actions">
                <button type="submit" class="primary">
                    {t.licenses.run_report}
                </button>
            </div>
        </Form>
    }
}
