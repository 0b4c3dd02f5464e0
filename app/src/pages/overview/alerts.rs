//! `/alerts`: the alerts of one state (`?state=`, open by default) and area (`?area=`), most
//! severe first; acknowledge or snooze those of the areas the admin manages.

use super::{alerts_changed, area_label, fill_two, severity_pill, state_label};
use crate::api::overview::{AcknowledgeAlert, SnoozeAlert, list_alerts};
use crate::components::{
    Column, DataTable, FormError, Loaded, field_error, toast_on_success, use_toasts,
};
use crate::domain::overview::{AlertArea, AlertState, AlertView};
use crate::domain::{ApiError, format_time};
use crate::i18n::{Texts, fill, use_texts};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The page's two actions, and the alert and date of the last snooze (its field error shows
/// in that alert's row, its toast names the date).
#[derive(Clone, Copy)]
struct AlertActions {
    ack: ServerAction<AcknowledgeAlert>,
    snooze: ServerAction<SnoozeAlert>,
    last_snooze: RwSignal<Option<(i64, String)>>,
}

/// What one load answered: the filters it was for and their alerts.
type Listed = (AlertState, Option<AlertArea>, Vec<AlertView>);

/// `/alerts` with these filters (the defaults left out).
pub fn alerts_href(state: AlertState, area: Option<AlertArea>) -> String {
    let mut query = vec![];
    if state != AlertState::Open {
        query.push(format!("state={}", state.as_str()));
    }
    if let Some(area) = area {
        query.push(format!("area={}", area.as_str()));
    }
    if query.is_empty() {
        "/alerts".to_string()
    } else {
        format!("/alerts?{}", query.join("&"))
    }
}

/// Whether an action's answer changed what the lists show: a success, or a refusal other than
/// a wrong date (the alert may have closed meanwhile, or be someone else's).
fn reloads(value: Option<Result<(), ApiError>>) -> bool {
    match value {
        Some(Ok(())) => true,
        Some(Err(e)) => !matches!(e, ApiError::Invalid { .. }),
        None => false,
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let state = Memo::new(move |_| {
        query
            .read()
            .get("state")
            .and_then(|s| s.parse::<AlertState>().ok())
            .unwrap_or(AlertState::Open)
    });
    let area = Memo::new(move |_| {
        query
            .read()
            .get("area")
            .and_then(|a| a.parse::<AlertArea>().ok())
    });
    let changed = alerts_changed();
    let actions = AlertActions {
        ack: ServerAction::new(),
        snooze: ServerAction::new(),
        last_snooze: RwSignal::new(None),
    };
    let list = Resource::new(
        move || (state.get(), area.get(), changed.get()),
        |(state, area, _)| async move {
            list_alerts(
                Some(state.as_str().to_string()),
                area.map(|a| a.as_str().to_string()),
            )
            .await
            .map(|items| (state, area, items))
        },
    );
    Effect::new(move |_| {
        if let Some(input) = actions.snooze.input().get() {
            actions.last_snooze.set(Some((input.id, input.until)));
        }
    });
    toast_on_success(actions.ack.value(), t.overview.toast_acknowledged);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = actions.snooze.value().get() {
            let until = actions
                .last_snooze
                .get_untracked()
                .map(|(_, until)| until.trim().to_string())
                .unwrap_or_default();
            toasts.push(if until.is_empty() {
                t.overview.toast_snooze_ended.to_string()
            } else {
                fill(t.overview.toast_snoozed, until)
            });
        }
    });
    // Every alert list on screen and the top bar's count reload after a change.
    Effect::new(move |_| {
        if reloads(actions.ack.value().get()) {
            changed.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if reloads(actions.snooze.value().get()) {
            changed.update(|n| *n += 1);
        }
    });
    let state_links = move || {
        AlertState::ALL
            .iter()
            .copied()
            .map(|s| {
                view! {
                    <a
                        href=move || alerts_href(s, area.get())
                        aria-current=move || (state.get() == s).then_some("true")
                    >
                        {state_label(t, s)}
                    </a>
                }
            })
            .collect_view()
    };
    let area_links = move || {
        std::iter::once(None)
            .chain(AlertArea::ALL.iter().copied().map(Some))
            .map(|a| {
                let label = a.map(|a| area_label(t, a)).unwrap_or(t.overview.area_all);
                view! {
                    <a
                        href=move || alerts_href(state.get(), a)
                        aria-current=move || (area.get() == a).then_some("true")
                    >
                        {label}
                    </a>
                }
            })
            .collect_view()
    };
    view! {
        <Title text=t.overview.alerts />
        <h1>{t.overview.alerts}</h1>
        <p class="lead">{t.overview.alerts_intro}</p>
        <div class="filters alert-filters">
            <div class="link-filter">
                <span class="filter-label" id="alert-state-label">
                    {t.overview.filter_state}
                </span>
                <nav class="filter-links" aria-labelledby="alert-state-label">
                    {state_links()}
                </nav>
            </div>
            <div class="link-filter">
                <span class="filter-label" id="alert-area-label">
                    {t.overview.filter_area}
                </span>
                <nav class="filter-links" aria-labelledby="alert-area-label">
                    {area_links()}
                </nav>
            </div>
        </div>
        <FormError value=actions.ack.value() />
        <FormError value=actions.snooze.value() />
        <Loaded resource=list let:listed>
            <AlertTable listed=listed actions=actions />
        </Loaded>
    }
}

#[component]
fn AlertTable(listed: Listed, actions: AlertActions) -> impl IntoView {
    let t = use_texts();
    let (state, area, items) = listed;
    let empty = if state == AlertState::Open && area.is_none() {
        t.overview.none_open
    } else {
        t.overview.none_match
    };
    let count = items.len();
    let items = StoredValue::new(items);
    view! {
        <DataTable
            caption=t.overview.alerts
            columns=vec![
                Column::new("severity", t.overview.col_severity),
                Column::new("what", t.overview.col_what),
                Column::new("area", t.overview.col_area),
                Column::new("since", t.overview.col_since),
                Column::new("status", t.overview.col_status),
                Column::new("actions", t.overview.col_actions),
            ]
            row_count=Signal::stored(count)
            empty=empty
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|a| view! { <AlertRow alert=a state=state actions=actions /> })
                    .collect_view()
            }}
        </DataTable>
    }
}

/// The date part of a timestamp (a snooze ends at the start of a day).
fn date_only(unix: i64) -> String {
    let time = format_time(unix);
    time.split(' ').next().unwrap_or_default().to_string()
}

/// Whether the alert is snoozed as far as this list knows: the open list holds no snoozed
/// alert (a snooze that has ended leaves its date behind).
fn is_snoozed(a: &AlertView, state: AlertState) -> bool {
    a.closed_at.is_none()
        && a.acknowledged_at.is_none()
        && a.snoozed_until.is_some()
        && state != AlertState::Open
}

fn status_text(t: &'static Texts, a: &AlertView, state: AlertState) -> String {
    if let Some(closed) = a.closed_at {
        fill(t.overview.status_closed, format_time(closed))
    } else if let Some(at) = a.acknowledged_at {
        fill_two(
            t.overview.status_acknowledged,
            a.acknowledged_by.as_deref().unwrap_or("—"),
            format_time(at),
        )
    } else if let Some(until) = a.snoozed_until.filter(|_| is_snoozed(a, state)) {
        fill(t.overview.status_snoozed, date_only(until))
    } else {
        t.overview.status_open.to_string()
    }
}

#[component]
fn AlertRow(alert: AlertView, state: AlertState, actions: AlertActions) -> impl IntoView {
    let t = use_texts();
    let a = alert;
    let id = a.id;
    let title_id = format!("alert-{id}-title");
    let status = status_text(t, &a, state);
    let open = a.closed_at.is_none() && a.acknowledged_at.is_none();
    let snoozed = is_snoozed(&a, state);
    let controls = if !a.can_handle && a.closed_at.is_none() {
        view! { <span class="muted">{t.overview.other_role}</span> }.into_any()
    } else if a.can_handle && open {
        view! { <AlertControls id=id title_id=title_id.clone() snoozed=snoozed actions=actions /> }
            .into_any()
    } else {
        ().into_any()
    };
    view! {
        <tr>
            <td>{severity_pill(t, a.severity)}</td>
            <td class="alert-what">
                <a id=title_id href=a.link.clone()>
                    {a.title.clone()}
                </a>
            </td>
            <td>{area_label(t, a.area)}</td>
            <td class="time">{format_time(a.opened_at)}</td>
            <td>{status}</td>
            <td class="alert-actions">{controls}</td>
        </tr>
    }
}

/// Acknowledge, Snooze until (a date), and End snooze for a snoozed alert.
#[component]
fn AlertControls(id: i64, title_id: String, snoozed: bool, actions: AlertActions) -> impl IntoView {
    let t = use_texts();
    let AlertActions {
        ack,
        snooze,
        last_snooze,
    } = actions;
    let date_id = format!("snooze-{id}");
    let err_id = format!("snooze-{id}-error");
    let until_error = field_error(snooze.value(), "until");
    let error = Signal::derive(move || {
        until_error
            .get()
            .filter(|_| last_snooze.with(|l| l.as_ref().is_some_and(|(i, _)| *i == id)))
    });
    let ack_described = title_id.clone();
    let end_described = title_id.clone();
    let described = {
        let err_id = err_id.clone();
        move || {
            if error.get().is_some() {
                format!("{title_id} {err_id}")
            } else {
                title_id.clone()
            }
        }
    };
    view! {
        <div class="alert-controls">
            <ActionForm action=ack attr:class="inline">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="secondary small" aria-describedby=ack_described>
                    {t.overview.acknowledge}
                </button>
            </ActionForm>
            <ActionForm action=snooze attr:class="inline snooze-form">
                <input type="hidden" name="id" value=id />
                <label for=date_id.clone()>{t.overview.snooze_until}</label>
                <input
                    id=date_id.clone()
                    type="date"
                    name="until"
                    required
                    class:invalid=move || error.get().is_some()
                    aria-invalid=move || error.get().is_some().then_some("true")
                    aria-describedby=described
                />
                <button type="submit" class="secondary small">
                    {t.overview.snooze}
                </button>
            </ActionForm>
            {snoozed
                .then(|| {
                    view! {
                        <ActionForm action=snooze attr:class="inline">
                            <input type="hidden" name="id" value=id />
                            <input type="hidden" name="until" value="" />
                            <button
                                type="submit"
                                class="secondary small"
                                aria-describedby=end_described.clone()
                            >
                                {t.overview.end_snooze}
                            </button>
                        </ActionForm>
                    }
                })}
            {move || {
                error
                    .get()
                    .map(|m| {
                        view! {
                            <p class="field-error" id=err_id.clone()>
                                {m}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_leave_out_the_defaults() {
        assert_eq!(alerts_href(AlertState::Open, None), "/alerts");
        assert_eq!(
            alerts_href(AlertState::All, Some(AlertArea::Billing)),
            "/alerts?state=all&area=billing"
        );
        assert_eq!(
            alerts_href(AlertState::Open, Some(AlertArea::Store)),
            "/alerts?area=store"
        );
    }

    #[test]
    fn only_a_wrong_date_keeps_the_list() {
        assert!(reloads(Some(Ok(()))));
        assert!(reloads(Some(Err(ApiError::NotFound))));
        assert!(!reloads(Some(Err(ApiError::invalid("until", "x")))));
        assert!(!reloads(None));
    }

    fn alert() -> AlertView {
        AlertView {
            id: 1,
            rule: "invoice_overdue".into(),
            severity: crate::domain::overview::Severity::Critical,
            area: AlertArea::Billing,
            title: "Invoice 7 is overdue".into(),
            link: "/billing/invoices/7".into(),
            opened_at: 1_800_000_000,
            closed_at: None,
            acknowledged_by: None,
            acknowledged_at: None,
            snoozed_until: None,
            can_handle: true,
        }
    }

    #[test]
    fn status_texts() {
        let t = &crate::i18n::EN;
        let a = alert();
        assert_eq!(status_text(t, &a, AlertState::Open), "Open");
        let snoozed = AlertView {
            snoozed_until: Some(1_800_057_600),
            ..alert()
        };
        assert_eq!(status_text(t, &snoozed, AlertState::Open), "Open");
        assert_eq!(
            status_text(t, &snoozed, AlertState::Snoozed),
            "Snoozed until 2027-01-16"
        );
        let acked = AlertView {
            acknowledged_by: Some("ada".into()),
            acknowledged_at: Some(1_800_000_060),
            ..alert()
        };
        assert_eq!(
            status_text(t, &acked, AlertState::All),
            "Acknowledged by ada at 2027-01-15 08:01"
        );
        let closed = AlertView {
            closed_at: Some(1_800_000_120),
            ..acked
        };
        assert_eq!(
            status_text(t, &closed, AlertState::All),
            "Closed at 2027-01-15 08:02"
        );
    }
}
