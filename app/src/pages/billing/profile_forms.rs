//! The billing profile forms: the profile's fields (add and edit), Set role, and the Add
//! payment method dialog.

use super::profiles::ProfileActions;
use super::{role_name, select_field};
use crate::api::billing::{SaveProfile, SetProfileRole};
use crate::components::{ConfirmDialog, DialogActions, Field, FormError, field_error};
use crate::domain::billing::{CARD_BRANDS, ProfileRole, ProfileView, REGIONS};
use crate::i18n::use_texts;
use leptos::prelude::*;

#[component]
pub(super) fn ProfileFields(
    action: ServerAction<SaveProfile>,
    profile: Option<ProfileView>,
) -> impl IntoView {
    let t = use_texts();
    let value = action.value();
    let p = profile.clone().unwrap_or(ProfileView {
        id: 0,
        name: String::new(),
        contact_name: String::new(),
        address_line: String::new(),
        city: String::new(),
        postal_code: String::new(),
        region: "US".into(),
        payment_methods: vec![],
        roles: vec![],
        subscription_count: 0,
        my_role: None,
    });
    let region = p.region.clone();
    view! {
        <ActionForm action=action attr:class="grid-form">
            {profile.as_ref().map(|p| view! { <input type="hidden" name="form[id]" value=p.id /> })}
            <Field
                label=t.billing.profile_name
                name="form[name]"
                required=true
                value=p.name.clone()
                error=field_error(value, "name")
            />
            <Field
                label=t.billing.contact
                name="form[contact_name]"
                required=true
                value=p.contact_name.clone()
                error=field_error(value, "contact_name")
            />
            <Field
                label=t.billing.street
                name="form[address_line]"
                required=true
                value=p.address_line.clone()
                error=field_error(value, "address_line")
            />
            <Field
                label=t.billing.city
                name="form[city]"
                required=true
                value=p.city.clone()
                error=field_error(value, "city")
            />
            <Field
                label=t.billing.postal_code
                name="form[postal_code]"
                required=true
                value=p.postal_code.clone()
                error=field_error(value, "postal_code")
            />
            <div class="field" class:has-error=move || field_error(value, "region").get().is_some()>
                <label for=format!("f-region-{}", p.id)>{t.billing.region}</label>
                <select id=format!("f-region-{}", p.id) name="form[region]">
                    {REGIONS
                        .iter()
                        .map(|(code, name)| {
                            view! {
                                <option value=*code selected=*code == region>
                                    {*name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                {move || {
                    field_error(value, "region")
                        .get()
                        .map(|m| view! { <p class="field-error">{m}</p> })
                }}
            </div>
            <FormError value=value />
            <div class="form-actions">
                <button type="submit" class="primary">
                    {if profile.is_some() { t.common.save } else { t.billing.add_profile }}
                </button>
            </div>
        </ActionForm>
    }
}

/// Give someone a role on this profile (or take it away with "no role").
#[component]
pub(super) fn RoleForm(profile_id: i64, action: ServerAction<SetProfileRole>) -> impl IntoView {
    let t = use_texts();
    let role = action;
    let pid = profile_id;
    view! {
        <ActionForm action=role attr:class="grid-form compact">
            <input type="hidden" name="profile_id" value=pid />
            <Field
                label=t.common.username
                name="username"
                error=field_error(role.value(), "username")
            />
            {select_field(
                t.common.col_role,
                "role",
                ProfileRole::ALL
                    .iter()
                    .map(|r| (r.as_str().to_string(), role_name(t, *r).to_string()))
                    .chain([(String::new(), t.billing.no_role.to_string())])
                    .collect(),
                field_error(role.value(), "role"),
            )}
            <div class="form-actions">
                <button type="submit" class="secondary">
                    {t.billing.set_role}
                </button>
            </div>
        </ActionForm>
    }
}

/// Add a card or wire transfer to the profile in `actions.method_profile`.
#[component]
pub(super) fn PaymentMethodDialog(actions: ProfileActions) -> impl IntoView {
    let t = use_texts();
    let ProfileActions {
        add_method,
        method_open,
        method_profile,
        ..
    } = actions;
    let mvalue = add_method.value();
    view! {
        <ConfirmDialog
            open=method_open
            title=Signal::stored(t.billing.add_payment_method.to_string())
        >
            <ActionForm action=add_method attr:class="stack">
                <input
                    type="hidden"
                    name="form[profile_id]"
                    prop:value=move || method_profile.get().to_string()
                />
                <fieldset class="group-choice">
                    <legend>{t.billing.method_kind}</legend>
                    <label>
                        <input type="radio" name="form[kind]" value="card" checked=true />
                        " "
                        {t.billing.credit_card}
                    </label>
                    <label>
                        <input type="radio" name="form[kind]" value="wire" />
                        " "
                        {t.billing.wire}
                    </label>
                </fieldset>
                {select_field(
                    t.billing.card_brand,
                    "form[brand]",
                    CARD_BRANDS.iter().map(|b| (b.to_string(), b.to_string())).collect(),
                    field_error(mvalue, "brand"),
                )}
                <Field
                    label=t.billing.last4
                    name="form[last4]"
                    hint=t.billing.last4_hint
                    error=field_error(mvalue, "last4")
                    autocomplete="off"
                />
                <div class="two-col">
                    <Field
                        label=t.billing.exp_month
                        name="form[exp_month]"
                        kind="number"
                        error=field_error(mvalue, "exp_month")
                    />
                    <Field
                        label=t.billing.exp_year
                        name="form[exp_year]"
                        kind="number"
                        error=field_error(mvalue, "exp_year")
                    />
                </div>
                <FormError value=mvalue />
                <DialogActions open=method_open>
                    <button type="submit" class="primary">
                        {t.billing.add_payment_method}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}
