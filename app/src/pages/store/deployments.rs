//! An app's deployments (change intent, remove) and its license holders.

use super::app::DeploymentActions;
use super::{intent_label, invitation_label, kind_label};
use crate::components::{Column, DataTable};
use crate::domain::format_time;
use crate::domain::store::{DeploymentView, HolderView, Intent, TargetKind};
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;

#[component]
pub(super) fn DeploymentTable(
    deployments: Vec<DeploymentView>,
    manage: bool,
    actions: DeploymentActions,
) -> impl IntoView {
    let t = use_texts();
    let count = deployments.len();
    let deployments = StoredValue::new(deployments);
    let mut columns = vec![
        Column::new("target", t.store.target),
        Column::new("kind", t.common.col_kind),
        Column::new("intent", t.store.intent),
        Column::new("users", t.store.users_reached),
        Column::new("changed", t.store.changed),
    ];
    if manage {
        columns.push(Column::new("actions", t.common.col_actions));
    }
    view! {
        <DataTable
            caption=t.store.deployments
            columns=columns
            row_count=Signal::stored(count)
            empty=t.store.no_deployments
        >
            {move || {
                deployments
                    .get_value()
                    .into_iter()
                    .map(|dep| view! { <DeploymentRow dep=dep manage=manage actions=actions /> })
                    .collect_view()
            }}
        </DataTable>
    }
}

#[component]
fn DeploymentRow(dep: DeploymentView, manage: bool, actions: DeploymentActions) -> impl IntoView {
    let t = use_texts();
    let DeploymentActions { change, remove, .. } = actions;
    let href = match dep.target_kind {
        TargetKind::User => format!("/users/{}", dep.target_id),
        TargetKind::Group => format!("/groups/{}", dep.target_id),
        TargetKind::Device => format!("/devices/{}", dep.target_id),
    };
    let did = dep.id;
    let current = dep.intent;
    let label = fill(t.store.change_intent_for, &dep.target_name);
    view! {
        <tr>
            <td>
                <a href=href>{dep.target_name.clone()}</a>
            </td>
            <td>{kind_label(t, dep.target_kind)}</td>
            <td>{intent_label(t, dep.intent)}</td>
            <td class="num">{dep.users}</td>
            <td>{format_time(dep.updated_at)}</td>
            {manage
                .then(|| {
                    view! {
                        <td class="row-actions">
                            <ActionForm action=change attr:class="inline">
                                <input type="hidden" name="deployment_id" value=did />
                                <select name="intent" aria-label=label>
                                    {[Intent::Required, Intent::Available, Intent::Uninstall]
                                        .into_iter()
                                        .map(|i| {
                                            view! {
                                                <option value=i.code() selected=i == current>
                                                    {intent_label(t, i)}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button type="submit" class="secondary small">
                                    {t.store.change_intent}
                                </button>
                            </ActionForm>
                            <ActionForm action=remove attr:class="inline">
                                <input type="hidden" name="deployment_id" value=did />
                                <button type="submit" class="link danger small">
                                    {t.store.remove_deployment}
                                </button>
                            </ActionForm>
                        </td>
                    }
                })}
        </tr>
    }
}

/// Who holds a license; for Apple also whether they accepted the invitation.
#[component]
pub(super) fn HolderTable(holders: Vec<HolderView>, apple: bool) -> impl IntoView {
    let t = use_texts();
    let count = holders.len();
    let holders = StoredValue::new(holders);
    let mut columns = vec![
        Column::new("name", t.common.col_name),
        Column::new("sign_in", t.store.sign_in),
        Column::new("granted", t.store.granted),
    ];
    if apple {
        columns.push(Column::new("invitation", t.store.invitation));
    }
    view! {
        <DataTable
            caption=t.store.holders
            columns=columns
            row_count=Signal::stored(count)
            empty=t.store.no_holders
        >
            {move || {
                holders
                    .get_value()
                    .into_iter()
                    .map(|h| {
                        view! {
                            <tr>
                                <td>
                                    <a href=format!(
                                        "/users/{}",
                                        h.user_id,
                                    )>{h.display_name.clone()}</a>
                                </td>
                                <td>{h.sign_in_name.clone()}</td>
                                <td>{format_time(h.granted_at)}</td>
                                {apple
                                    .then(|| {
                                        view! { <td>{invitation_label(t, &h.invitation)}</td> }
                                    })}
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}
