//! The two license reports' results: what was bought per group with the coverage
//! gaps, and installations against licenses owned with the compliance of each product.

use crate::components::{Column, DataTable};
use crate::domain::licenses::{
    AgreementKind, Compliance, InstallationLine, InstallationReport, PurchaseReport,
};
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;

#[component]
pub(super) fn PurchaseReportView(report: PurchaseReport) -> impl IntoView {
    let t = use_texts();
    let r = report;
    let count = r.lines.len();
    let gaps = r.gaps.len();
    view! {
        <h2>{t.licenses.purchase_report}</h2>
        <DataTable
            caption=t.licenses.purchase_report
            columns=vec![
                Column::new("group", t.licenses.col_license_group),
                Column::new("agreement", t.licenses.agreement_name),
                Column::new("kind", t.common.col_kind),
                Column::new("product", t.common.col_product),
                Column::new("licenses", t.licenses.number_of_licenses),
            ]
            row_count=Signal::stored(count)
            empty=t.licenses.no_agreements
        >
            {r
                .lines
                .iter()
                .map(|l| {
                    view! {
                        <tr>
                            <td>{l.group_name.clone()}</td>
                            <td>{l.agreement.clone()}</td>
                            <td>
                                {match l.kind {
                                    AgreementKind::Volume => t.licenses.kind_volume,
                                    AgreementKind::Other => t.licenses.kind_other,
                                }}
                            </td>
                            <td>
                                {match (&l.publisher, &l.product) {
                                    (Some(p), Some(q)) => format!("{p} — {q}"),
                                    _ => t.licenses.not_available.to_string(),
                                }}
                            </td>
                            <td class="num">
                                {l.licenses.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
        <h2>{fill(t.licenses.coverage_gaps, gaps)}</h2>
        <p class="muted">{t.licenses.coverage_gaps_help}</p>
        <DataTable
            caption=t.licenses.coverage_gaps_caption
            columns=vec![
                Column::new("publisher", t.common.col_publisher),
                Column::new("product", t.common.col_product),
                Column::new("installed", t.licenses.col_installed),
            ]
            row_count=Signal::stored(gaps)
            empty=t.licenses.no_gaps
        >
            {r
                .gaps
                .iter()
                .map(|(p, q, n)| {
                    view! {
                        <tr>
                            <td>{p.clone()}</td>
                            <td>{q.clone()}</td>
                            <td class="num">{*n}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
}

#[component]
pub(super) fn InstallationReportView(report: InstallationReport) -> impl IntoView {
    let t = use_texts();
    let r = report;
    if r.managed_computers == 0 {
        return view! {
            <div class="notice" role="note">
                <strong>{t.licenses.no_managed_computers_title}</strong>
                " "
                {t.licenses.no_managed_computers_body}
                " "
                <a href="/devices">{t.directory.devices}</a>
            </div>
        }
        .into_any();
    }
    let count = r.lines.len();
    view! {
        <h2>{t.licenses.installation_report}</h2>
        <dl class="facts">
            <div>
                <dt>{t.licenses.managed_computers}</dt>
                <dd>{r.managed_computers}</dd>
            </div>
            <div>
                <dt>{t.licenses.col_installed}</dt>
                <dd>{r.installed_total}</dd>
            </div>
            <div>
                <dt>{t.licenses.owned}</dt>
                <dd>{r.owned_total}</dd>
            </div>
            <div>
                <dt>{t.licenses.missing}</dt>
                <dd class="bad-text">{r.missing_total}</dd>
            </div>
            <div>
                <dt>{t.licenses.unused}</dt>
                <dd>{r.unused_total}</dd>
            </div>
        </dl>
        <InstallationChart lines=r.lines.clone() />
        <p class="muted">{t.licenses.volume_not_counted}</p>
        <DataTable
            caption=t.licenses.installation_report
            columns=vec![
                Column::new("publisher", t.common.col_publisher),
                Column::new("product", t.common.col_product),
                Column::new("installed", t.licenses.col_installed),
                Column::new("owned", t.licenses.owned),
                Column::new("status", t.common.col_status),
            ]
            row_count=Signal::stored(count)
        >
            {r
                .lines
                .iter()
                .map(|l| {
                    view! {
                        <tr>
                            <td>{l.publisher.clone()}</td>
                            <td>{l.product.clone()}</td>
                            <td class="num">{l.installed}</td>
                            <td class="num">{l.owned}</td>
                            <td>{compliance_pill(l.status)}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}

/// Installed against owned for the twelve most installed products.
#[component]
fn InstallationChart(lines: Vec<InstallationLine>) -> impl IntoView {
    let t = use_texts();
    let max = lines
        .iter()
        .map(|l| l.installed.max(l.owned))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut top = lines;
    top.sort_by_key(|l| std::cmp::Reverse(l.installed));
    top.truncate(12);
    view! {
        <figure class="chart" aria-label=t.licenses.chart_label>
            <figcaption>{t.licenses.chart_label}</figcaption>
            {top
                .iter()
                .map(|l| {
                    view! {
                        <div class="chart-row">
                            <span class="chart-label">{l.product.clone()}</span>
                            <span class="chart-bars">
                                <span
                                    class="bar installed"
                                    style=format!("width: {:.1}%", l.installed as f64 / max * 100.0)
                                >
                                    {l.installed}
                                </span>
                                <span
                                    class="bar owned"
                                    style=format!("width: {:.1}%", l.owned as f64 / max * 100.0)
                                >
                                    {l.owned}
                                </span>
                            </span>
                        </div>
                    }
                })
                .collect_view()}
            <p class="legend">
                <span class="swatch installed"></span>
                {t.licenses.col_installed}
                " "
                <span class="swatch owned"></span>
                {t.licenses.owned}
            </p>
        </figure>
    }
}

fn compliance_pill(status: Compliance) -> AnyView {
    let t = use_texts();
    match status {
        Compliance::Compliant => {
            view! { <span class="pill ok">{t.licenses.compliant}</span> }.into_any()
        }
        Compliance::UnderLicensed(n) => {
            view! { <span class="pill bad">{fill(t.licenses.under_licensed, n)}</span> }.into_any()
        }
        Compliance::OverLicensed(n) => {
            view! { <span class="pill">{fill(t.licenses.over_licensed, n)}</span> }.into_any()
        }
    }
}
