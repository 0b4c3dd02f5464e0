//! `/licenses/agreements/new`: add a volume agreement (number sets, by hand or by CSV) or
//! another agreement (a catalog product), and choose its license group.

use super::other_form::OtherForm;
use super::volume_form::VolumeForm;
use crate::api::licenses::list_license_groups;
use crate::components::Loaded;
use crate::domain::licenses::LicenseGroupView;
use crate::i18n::use_texts;
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewAgreementPage() -> impl IntoView {
    let t = use_texts();
    let groups = Resource::new(|| (), |_| list_license_groups());
    let kind = RwSignal::new("volume");
    view! {
        <Title text=t.licenses.add_agreements />
        <AreaTabs area=Area::Licenses current=1 />
        <p class="crumbs">
            <a href="/licenses/agreements">{t.licenses.agreements}</a>
        </p>
        <h1>{t.licenses.add_agreements}</h1>
        <div class="segmented" role="tablist">
            <button
                type="button"
                role="tab"
                aria-selected=move || (kind.get() == "volume").to_string()
                on:click=move |_| kind.set("volume")
            >
                {t.licenses.kind_volume_long}
            </button>
            <button
                type="button"
                role="tab"
                aria-selected=move || (kind.get() == "other").to_string()
                on:click=move |_| kind.set("other")
            >
                {t.licenses.kind_other_long}
            </button>
        </div>
        <Loaded resource=groups let:list>
            {
                let list2 = list.clone();
                view! {
                    <Show when=move || kind.get() == "volume">
                        <VolumeForm groups=list.clone() />
                    </Show>
                    <Show when=move || kind.get() == "other">
                        <OtherForm groups=list2.clone() />
                    </Show>
                }
            }
        </Loaded>
    }
}

/// Where new agreements go: Unassigned, a new group named on the spot, or an existing group.
#[derive(Clone, Copy)]
pub(super) struct GroupChoiceState {
    /// "unassigned", "new" or "existing".
    pub choice: RwSignal<String>,
    pub new_group: RwSignal<String>,
    pub group_id: RwSignal<Option<i64>>,
}

impl GroupChoiceState {
    pub fn new() -> Self {
        GroupChoiceState {
            choice: RwSignal::new("unassigned".to_string()),
            new_group: RwSignal::new(String::new()),
            group_id: RwSignal::new(None),
        }
    }
}

/// The radio buttons of [`GroupChoiceState`] (SPEC L-5). `prefix` names the form fields
/// (`form[group]`) and their ids.
#[component]
pub(super) fn GroupChoiceFields(
    state: GroupChoiceState,
    groups: Vec<LicenseGroupView>,
    prefix: &'static str,
) -> impl IntoView {
    let t = use_texts();
    let GroupChoiceState {
        choice,
        new_group,
        group_id,
    } = state;
    let name_of = move |n: &str| {
        if prefix.is_empty() {
            n.to_string()
        } else {
            format!("{prefix}[{n}]")
        }
    };
    let existing: Vec<LicenseGroupView> = groups.into_iter().filter(|g| !g.builtin).collect();
    if group_id.get_untracked().is_none() {
        group_id.set(existing.first().map(|g| g.id));
    }
    let has_existing = !existing.is_empty();
    let radio = move |value: &'static str, label: &'static str| {
        let id = format!("{prefix}-group-{value}");
        let for_id = id.clone();
        view! {
            <label class="radio" for=for_id>
                <input
                    type="radio"
                    id=id
                    name=name_of("group")
                    value=value
                    prop:checked=move || choice.get() == value
                    on:change=move |_| choice.set(value.to_string())
                />
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="group-choice">
            <legend>{t.licenses.put_agreements_in}</legend>
            {radio("unassigned", t.licenses.group_unassigned)}
            {radio("new", t.licenses.group_new)}
            <Show when=move || choice.get() == "new">
                <div class="field indent">
                    <label for=format!("{prefix}-new-group")>{t.licenses.new_group_name}</label>
                    <input
                        id=format!("{prefix}-new-group")
                        name=name_of("new_group")
                        prop:value=move || new_group.get()
                        on:input=move |ev| new_group.set(event_target_value(&ev))
                    />
                </div>
            </Show>
            {has_existing.then(|| radio("existing", t.licenses.group_existing))}
            <Show when=move || choice.get() == "existing">
                <div class="field indent">
                    <label for=format!("{prefix}-group-id")>{t.licenses.col_license_group}</label>
                    <select
                        id=format!("{prefix}-group-id")
                        name=name_of("group_id")
                        on:change=move |ev| group_id.set(event_target_value(&ev).parse().ok())
                    >
                        {existing
                            .iter()
                            .map(|g| {
                                let id = g.id;
                                view! {
                                    <option value=id selected=move || group_id.get() == Some(id)>
                                        {g.name.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </Show>
        </fieldset>
    }
}
