//! A group's member table (with checkboxes for managers) and the member picker.

use crate::api::directory::{ChangeMembers, search_users};
use crate::components::{
    Column, DataTable, FormError, MultiPicker, Pickable, PickedChips, enabled_pill, join_ids,
    toggle_id,
};
use crate::domain::directory::UserView;
use crate::i18n::{Texts, fill, use_texts};
use leptos::prelude::*;

impl Pickable for UserView {
    type Key = i64;
    fn key(&self) -> i64 {
        self.id
    }
    fn name(&self) -> &str {
        &self.display_name
    }
    fn result_label(&self, _: &'static Texts) -> String {
        format!("{} ({})", self.display_name, self.sign_in_name)
    }
}

#[component]
pub(super) fn MemberTable(
    members: Vec<UserView>,
    selected: RwSignal<Vec<i64>>,
    manage: bool,
) -> impl IntoView {
    let t = use_texts();
    let count = members.len();
    let members = StoredValue::new(members);
    let mut columns = vec![
        Column::new("name", t.common.col_name),
        Column::new("sign_in_name", t.directory.col_sign_in_name),
        Column::new("department", t.directory.col_department),
        Column::new("status", t.common.col_status),
    ];
    if manage {
        columns.insert(0, Column::new("select", t.common.col_select));
    }
    view! {
        <DataTable
            caption=t.directory.col_members
            columns=columns
            row_count=Signal::stored(count)
            empty=t.directory.no_members
        >
            {move || {
                members
                    .get_value()
                    .into_iter()
                    .map(|u| view! { <MemberRow user=u selected=selected manage=manage /> })
                    .collect_view()
            }}
        </DataTable>
    }
}

#[component]
fn MemberRow(user: UserView, selected: RwSignal<Vec<i64>>, manage: bool) -> impl IntoView {
    let t = use_texts();
    let id = user.id;
    let checked = move || selected.read().contains(&id);
    view! {
        <tr>
            {manage
                .then(|| {
                    view! {
                        <td>
                            <input
                                type="checkbox"
                                aria-label=fill(t.common.select_user, &user.display_name)
                                prop:checked=checked
                                on:change=move |_| toggle_id(selected, id)
                            />
                        </td>
                    }
                })} <td>
                <a href=format!("/users/{id}")>{user.display_name.clone()}</a>
            </td> <td>{user.sign_in_name.clone()}</td> <td>{user.department.clone()}</td>
            <td>{enabled_pill(user.enabled)}</td>
        </tr>
    }
}

/// Type a name, pick people from the results (several), then add them all at once.
#[component]
pub(super) fn MemberPicker(group_id: i64, action: ServerAction<ChangeMembers>) -> impl IntoView {
    let t = use_texts();
    let picked = RwSignal::new(Vec::<UserView>::new());
    let value = action.value();
    view! {
        <MultiPicker
            title_id="add-members-title"
            title=t.directory.add_members
            input_id="member-search"
            list_id="member-results"
            label=t.directory.type_a_name
            placeholder=t.directory.type_a_name_placeholder
            mark_picked=true
            search=search_users
            picked=picked
            done=Signal::derive(move || matches!(value.get(), Some(Ok(_))))
        >
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="group_id" value=group_id />
                <input type="hidden" name="add" value="true" />
                <input
                    type="hidden"
                    name="user_ids"
                    value=move || join_ids(picked.read().iter().map(|u| u.id))
                />
                <PickedChips picked=picked />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || picked.read().is_empty()>
                        {move || fill(t.directory.add_n_members, picked.read().len())}
                    </button>
                </div>
            </ActionForm>
        </MultiPicker>
    }
}
