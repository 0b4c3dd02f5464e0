//! `/billing/licenses`: ISV apps with licenses owned, assigned and available, and
//! Add an app.

use crate::api::billing::{AddIsvApp, list_isv_apps};
use crate::components::{Column, DataTable, Field, FormError, Loaded, can, field_error};
use crate::domain::Permission;
use crate::domain::billing::IsvAppView;
use crate::i18n::use_texts;
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IsvLicensesPage() -> impl IntoView {
    let t = use_texts();
    let add = ServerAction::<AddIsvApp>::new();
    let apps = Resource::new(move || add.version().get(), |_| list_isv_apps());
    view! {
        <Title text=t.billing.licenses />
        <AreaTabs area=Area::Billing current=1 />
        <h1>{t.billing.licenses}</h1>
        <p class="lead">{t.billing.isv_intro}</p>
        <Loaded resource=apps let:items>
            <IsvAppTable items=items />
        </Loaded>
        {can(Permission::ManageBilling).then(|| view! { <AddIsvPanel action=add /> })}
    }
}

#[component]
fn IsvAppTable(items: Vec<IsvAppView>) -> impl IntoView {
    let t = use_texts();
    let count = items.len();
    let items = StoredValue::new(items);
    view! {
        <DataTable
            caption=t.billing.licenses
            columns=vec![
                Column::new("app", t.billing.app),
                Column::new("vendor", t.billing.vendor),
                Column::new("owned", t.billing.owned),
                Column::new("assigned", t.billing.assigned),
                Column::new("available", t.billing.available),
            ]
            row_count=Signal::stored(count)
            empty=t.billing.no_isv
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|a| {
                        view! {
                            <tr>
                                <td>
                                    <a href=format!(
                                        "/billing/licenses/{}",
                                        a.id,
                                    )>{a.name.clone()}</a>
                                </td>
                                <td>{a.publisher.clone()}</td>
                                <td class="num">{a.owned}</td>
                                <td class="num">{a.assigned}</td>
                                <td class="num">{a.available()}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}

#[component]
fn AddIsvPanel(action: ServerAction<AddIsvApp>) -> impl IntoView {
    let t = use_texts();
    let value = action.value();
    view! {
        <section class="panel" aria-labelledby="add-isv-title">
            <h2 id="add-isv-title">{t.billing.add_isv}</h2>
            <p class="muted">{t.billing.add_isv_help}</p>
            <ActionForm action=action attr:class="grid-form">
                <Field
                    label=t.billing.app
                    name="form[name]"
                    required=true
                    error=field_error(value, "name")
                />
                <Field
                    label=t.billing.vendor
                    name="form[publisher]"
                    required=true
                    error=field_error(value, "publisher")
                />
                <Field
                    label=t.billing.owned
                    name="form[owned]"
                    kind="number"
                    required=true
                    error=field_error(value, "owned")
                />
                <Field
                    label=t.billing.install_url
                    name="form[install_url]"
                    kind="url"
                    required=true
                    error=field_error(value, "install_url")
                />
                <Field
                    label=t.billing.vendor_contact
                    name="form[vendor_contact]"
                    required=true
                    error=field_error(value, "vendor_contact")
                />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.billing.add_isv}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
