//! `/billing/profiles`: billing profiles with their payment methods and roles;
//! add and edit profiles, add and remove payment methods, set roles.

use super::profile_forms::{PaymentMethodDialog, ProfileFields, RoleForm};
use super::role_name;
use crate::api::billing::{
    AddPaymentMethod, RemovePaymentMethod, SaveProfile, SetProfileRole, list_profiles,
};
use crate::components::{FormError, Loaded, can, toast_on_success, use_toasts};
use crate::domain::Permission;
use crate::domain::billing::{PaymentMethodView, ProfileAction, ProfileView, region_name};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The profiles page's actions and the payment method dialog (open, for which profile).
#[derive(Clone, Copy)]
pub(super) struct ProfileActions {
    pub save: ServerAction<SaveProfile>,
    pub add_method: ServerAction<AddPaymentMethod>,
    pub remove_method: ServerAction<RemovePaymentMethod>,
    pub role: ServerAction<SetProfileRole>,
    pub method_open: RwSignal<bool>,
    pub method_profile: RwSignal<i64>,
}

#[component]
pub fn ProfilesPage() -> impl IntoView {
    let t = use_texts();
    let a = ProfileActions {
        save: ServerAction::new(),
        add_method: ServerAction::new(),
        remove_method: ServerAction::new(),
        role: ServerAction::new(),
        method_open: RwSignal::new(false),
        method_profile: RwSignal::new(0),
    };
    let profiles = Resource::new(
        move || {
            (
                a.save.version().get(),
                a.add_method.version().get(),
                a.remove_method.version().get(),
                a.role.version().get(),
            )
        },
        |_| list_profiles(),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = a.add_method.value().get() {
            a.method_open.set(false);
            toasts.push(t.billing.toast_method_added.to_string());
        }
    });
    toast_on_success(a.save.value(), t.common.toast_saved);
    let manage = can(Permission::ManageBilling);
    view! {
        <Title text=t.billing.profiles />
        <AreaTabs area=Area::Billing current=2 />
        <h1>{t.billing.profiles}</h1>
        <p class="lead">{t.billing.profiles_intro}</p>
        <FormError value=a.remove_method.value() />
        <FormError value=a.role.value() />
        <Loaded resource=profiles let:list>
            {if list.is_empty() {
                view! { <p class="empty-state">{t.billing.no_profiles}</p> }.into_any()
            } else {
                list.into_iter()
                    .map(|p| view! { <ProfilePanel p=p manage=manage actions=a /> })
                    .collect_view()
                    .into_any()
            }}
        </Loaded>
        {manage
            .then(|| {
                view! {
                    <section class="panel" aria-labelledby="add-profile-title">
                        <h2 id="add-profile-title">{t.billing.add_profile}</h2>
                        <p class="muted">{t.billing.regions_note}</p>
                        <ProfileFields action=a.save profile=None />
                    </section>
                }
            })}
        <PaymentMethodDialog actions=a />
    }
}

#[component]
fn ProfilePanel(p: ProfileView, manage: bool, actions: ProfileActions) -> impl IntoView {
    let t = use_texts();
    let pid = p.id;
    let may_change = manage && p.my_role.is_some_and(|r| r.allows(ProfileAction::Change));
    let may_roles = manage
        && p.my_role
            .is_some_and(|r| r.allows(ProfileAction::ManageRoles));
    let region = region_name(&p.region).unwrap_or("—").to_string();
    let title_id = format!("profile-{pid}");
    let labelled_by = title_id.clone();
    let ProfileActions {
        method_open,
        method_profile,
        ..
    } = actions;
    view! {
        <section class="panel" aria-labelledby=labelled_by>
            <div class="section-head">
                <h2 id=title_id>{p.name.clone()}</h2>
                <span class="pill">
                    {match p.my_role {
                        Some(r) => fill(t.billing.your_role, role_name(t, r)),
                        None => t.billing.no_role.to_string(),
                    }}
                </span>
            </div>
            <dl class="facts wrap">
                <div>
                    <dt>{t.billing.contact}</dt>
                    <dd>{p.contact_name.clone()}</dd>
                </div>
                <div>
                    <dt>{t.billing.address}</dt>
                    <dd>{format!("{}, {} {}", p.address_line, p.postal_code, p.city)}</dd>
                </div>
                <div>
                    <dt>{t.billing.region}</dt>
                    <dd>{region}</dd>
                </div>
                <div>
                    <dt>{t.billing.subscriptions}</dt>
                    <dd>{p.subscription_count}</dd>
                </div>
            </dl>
            <h3>{t.billing.payment_methods}</h3>
            <ul class="plain">
                {p
                    .payment_methods
                    .iter()
                    .map(|m| {
                        view! {
                            <PaymentMethodItem
                                m=m.clone()
                                may_change=may_change
                                remove=actions.remove_method
                            />
                        }
                    })
                    .collect_view()}
            </ul>
            {may_change
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            on:click=move |_| {
                                method_profile.set(pid);
                                method_open.set(true);
                            }
                        >
                            {t.billing.add_payment_method}
                        </button>
                    }
                })}
            <h3>{t.billing.roles}</h3>
            <ul class="plain">
                {p
                    .roles
                    .iter()
                    .map(|r| view! { <li>{r.username.clone()}" — "{role_name(t, r.role)}</li> })
                    .collect_view()}
            </ul>
            {may_roles.then(|| view! { <RoleForm profile_id=pid action=actions.role /> })}
            {may_change
                .then(|| {
                    view! {
                        <details class="edit">
                            <summary>{t.billing.edit_profile}</summary>
                            <ProfileFields action=actions.save profile=Some(p.clone()) />
                        </details>
                    }
                })}
        </section>
    }
}

#[component]
fn PaymentMethodItem(
    m: PaymentMethodView,
    may_change: bool,
    remove: ServerAction<RemovePaymentMethod>,
) -> impl IntoView {
    let t = use_texts();
    let mid = m.id;
    let text = match m.kind.as_str() {
        "card" => fill(
            &fill(
                &fill(t.billing.card_ending, m.brand.clone().unwrap_or_default()),
                m.last4.clone().unwrap_or_default(),
            ),
            format!(
                "{:02}/{}",
                m.exp_month.unwrap_or(0),
                m.exp_year.unwrap_or(0)
            ),
        ),
        _ => t.billing.wire.to_string(),
    };
    view! {
        <li>
            {text.clone()}
            {m
                .is_default
                .then(|| {
                    view! {
                        " "
                        <span class="pill">{t.billing.default}</span>
                    }
                })}
            {may_change
                .then(|| {
                    view! {
                        " "
                        <button
                            type="button"
                            class="link danger-text"
                            aria-label=fill(t.billing.remove_method, &text)
                            on:click=move |_| {
                                remove.dispatch(RemovePaymentMethod { id: mid });
                            }
                        >
                            {t.common.remove}
                        </button>
                    }
                })}
        </li>
    }
}
