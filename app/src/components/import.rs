//! CSV import: pick a file, upload it with a progress bar, then show the result or every problem
//! with its line number and field. The server checks the whole file and stores nothing unless
//! all of it is valid.

use crate::i18n::{Texts, fill, use_texts};
use leptos::prelude::*;
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct RowProblem {
    pub line: u64,
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ImportAnswer {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub errors: Vec<RowProblem>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub rows: Option<u64>,
    #[serde(default)]
    pub created: Option<u64>,
    #[serde(default)]
    pub updated: Option<u64>,
    #[serde(default)]
    pub sets: Option<u64>,
    #[serde(default)]
    pub agreements: Option<u64>,
}

/// Constructed by the browser's upload code only (the server renders `Idle`).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Phase {
    Idle,
    Uploading(f64),
    Checking,
    Done(ImportAnswer),
    Failed(ImportAnswer),
}

/// Import button and result panel. `url` is read when a file is chosen, so it may carry the
/// form's current options as query parameters; the file's name is appended as `file_name`.
/// `on_done` runs after a successful import (to reload the list).
#[component]
pub fn CsvImport(
    /// Used for the input's id.
    kind: &'static str,
    #[prop(into)] url: Signal<String>,
    #[prop(into)] on_done: Callback<()>,
    #[prop(optional, into)] label: Option<String>,
) -> impl IntoView {
    let t = use_texts();
    let phase = RwSignal::new(Phase::Idle);
    let input = NodeRef::<leptos::html::Input>::new();
    let input_id = format!("import-{kind}");
    let start = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if let Some(file) = input
                .get()
                .and_then(|i| i.files())
                .and_then(|files| files.get(0))
            {
                let base = url.get_untracked();
                let sep = if base.contains('?') { '&' } else { '?' };
                let name = crate::components::urlencode(&file.name());
                upload(
                    &format!("{base}{sep}file_name={name}"),
                    file,
                    phase,
                    on_done,
                );
            }
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (&input, &on_done, &url);
        }
    };
    let busy = move || matches!(phase.get(), Phase::Uploading(_) | Phase::Checking);
    view! {
        <div class="import">
            <label for=input_id.clone() class="import-label">
                {label.unwrap_or_else(|| t.common.import_csv.to_string())}
            </label>
            <input
                id=input_id
                type="file"
                accept=".csv,text/csv"
                node_ref=input
                on:change=start
                disabled=busy
            />
            {move || phase_view(t, phase.get())}
        </div>
    }
}

/// What the import panel shows in each phase (nothing before a file is chosen).
fn phase_view(t: &'static Texts, phase: Phase) -> Option<AnyView> {
    match phase {
        Phase::Idle => None,
        Phase::Uploading(p) => Some(
            view! {
                <div
                    class="progress"
                    role="progressbar"
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=format!("{:.0}", p * 100.0)
                >
                    <div class="bar" style=format!("width: {:.0}%", p * 100.0)></div>
                    <span>{fill(t.common.import_uploading, format!("{:.0}%", p * 100.0))}</span>
                </div>
            }
            .into_any(),
        ),
        Phase::Checking => Some(
            view! {
                <div class="progress indeterminate" role="progressbar">
                    <div class="bar"></div>
                    <span>{t.common.import_checking}</span>
                </div>
            }
            .into_any(),
        ),
        Phase::Done(a) => Some(match a.sets {
            Some(sets) => view! {
                <p class="import-ok" role="status">
                    {fill(
                        t.licenses.upload_sets_done,
                        format!("{sets} / {}", a.agreements.unwrap_or(0)),
                    )}
                </p>
            }
            .into_any(),
            None => view! {
                <p class="import-ok" role="status">
                    {fill(t.common.import_done, a.rows.unwrap_or(0))}
                    " "
                    {fill(
                        t.common.import_created_updated,
                        format!("{} / {}", a.created.unwrap_or(0), a.updated.unwrap_or(0)),
                    )}
                </p>
            }
            .into_any(),
        }),
        Phase::Failed(a) => Some(failed_view(t, a)),
    }
}

/// The failed import: the message and, when the server listed them, each problem.
fn failed_view(t: &'static Texts, a: ImportAnswer) -> AnyView {
    let listed = a.errors.len();
    view! {
        <div class="import-errors" role="alert">
            <p class="form-error">
                {a.message.clone().unwrap_or_else(|| t.common.import_failed.to_string())}
            </p>
            {(listed > 0)
                .then(|| {
                    view! {
                        <table class="data compact">
                            <thead>
                                <tr>
                                    <th scope="col">{t.common.col_line}</th>
                                    <th scope="col">{t.common.col_field}</th>
                                    <th scope="col">{t.common.col_problem}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {a
                                    .errors
                                    .iter()
                                    .map(|e| {
                                        view! {
                                            <tr>
                                                <td>{e.line}</td>
                                                <td>
                                                    <code>{e.field.clone()}</code>
                                                </td>
                                                <td>{e.message.clone()}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
        </div>
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
fn upload(url: &str, file: web_sys::File, phase: RwSignal<Phase>, on_done: Callback<()>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        return;
    };
    if xhr.open_with_async("POST", url, true).is_err() {
        return;
    }
    let _ = xhr.set_request_header("content-type", "text/csv");
    phase.set(Phase::Uploading(0.0));
    if let Ok(upload) = xhr.upload() {
        let progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    let p = e.loaded() / e.total();
                    phase.set(if p >= 1.0 {
                        Phase::Checking
                    } else {
                        Phase::Uploading(p)
                    });
                }
            });
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
    }
    let request = xhr.clone();
    let loaded = Closure::<dyn FnMut()>::new(move || {
        let status = request.status().unwrap_or(0);
        let text = request.response_text().ok().flatten().unwrap_or_default();
        let answer: ImportAnswer = serde_json::from_str(&text).unwrap_or_default();
        if status == 200 {
            phase.set(Phase::Done(answer));
            on_done.run(());
        } else {
            phase.set(Phase::Failed(answer));
        }
    });
    xhr.set_onloadend(Some(loaded.as_ref().unchecked_ref()));
    loaded.forget();
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        phase.set(Phase::Failed(ImportAnswer::default()));
    }
}
