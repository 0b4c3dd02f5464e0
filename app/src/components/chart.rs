//! Charts drawn as plain SVG in `view!` (no chart library): stacked bars, paired bars and a
//! timeline. Each is a `<figure>` whose `<svg role="img">` is named by its `<title>` and
//! described by its `<desc>`, with the same numbers in a table under "Show as table". The SVG
//! scales to its container (viewBox, width 100 %); colours come from the `s0`…`s5` classes in
//! style/main.css (each at least 4.5:1 against the card background).

use crate::i18n::use_texts;
use leptos::prelude::*;

/// Width of every chart's coordinate system (the SVG scales to its container).
const W: f64 = 480.0;

/// A "nice" value axis for values from 0 to `max`: (top, step) with the step 1, 2 or 5 × 10^k
/// and about `ticks` steps up to a top at or above `max`.
pub fn nice_axis(max: i64, ticks: i64) -> (i64, i64) {
    let ticks = ticks.max(1);
    if max <= 0 {
        return (ticks, 1);
    }
    let rough = (max as f64 / ticks as f64).max(1.0);
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude) as i64;
    let step = step.max(1);
    let top = max.div_euclid(step) * step + if max % step == 0 { 0 } else { step };
    (top, step)
}

/// The length of `value` on an axis from 0 to `top` drawn `length` long (clamped to it).
pub fn scale(value: i64, top: i64, length: f64) -> f64 {
    if top <= 0 || value <= 0 {
        return 0.0;
    }
    (value as f64 / top as f64 * length).min(length)
}

/// A whole number with thousands separators ("12,345").
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// The series class (colour) of the `i`-th stack or lane.
fn series(i: usize) -> String {
    format!("s{}", i.min(5))
}

/// The figure around a chart: the SVG (named by its title, described by its description), an
/// optional legend, and the table behind "Show as table".
fn chart_figure(
    id: String,
    height: f64,
    (title, desc): (String, String),
    svg_body: AnyView,
    legend: Option<AnyView>,
    table: AnyView,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <figure class="chart" id=id.clone()>
            <figcaption class="chart-caption">{title.clone()}</figcaption>
            <svg
                role="img"
                aria-labelledby=format!("{id}-title {id}-desc")
                viewBox=format!("0 0 {W} {}", px(height))
                width="100%"
                preserveAspectRatio="xMidYMid meet"
            >
                <title id=format!("{id}-title")>{title}</title>
                <desc id=format!("{id}-desc")>{desc}</desc>
                <g>{svg_body}</g>
            </svg>
            {legend}
            <details class="chart-table">
                <summary>{t.overview.chart_show_table}</summary>
                {table}
            </details>
        </figure>
    }
}

/// One stack of a stacked bar chart: its name and a value per bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    pub label: String,
    pub values: Vec<i64>,
}

/// Bars per period (`bars`: short label, full label), each stacked from `stacks` (bottom first);
/// `fmt` writes a value (e.g. money) for tooltips and the table, `tick` one for the axis.
pub fn stacked_bars(
    id: String,
    (title, desc): (String, String),
    bars: Vec<(String, String)>,
    stacks: Vec<Stack>,
    fmt: impl Fn(i64) -> String + 'static,
    tick: impl Fn(i64) -> String + 'static,
    axis_title: String,
) -> impl IntoView {
    let t = use_texts();
    let (h, left, right, top_m, bottom) = (240.0, 60.0, 8.0, 22.0, 24.0);
    let plot_h = h - top_m - bottom;
    let plot_w = W - left - right;
    let totals: Vec<i64> = (0..bars.len())
        .map(|i| stacks.iter().map(|s| s.values[i].max(0)).sum())
        .collect();
    let (top, step) = nice_axis(totals.iter().copied().max().unwrap_or(0), 4);
    let y = move |v: i64| top_m + plot_h - scale(v, top, plot_h);
    let grid = (0..=top / step)
        .map(|k| {
            let v = k * step;
            view! {
                <line class="grid" x1=px(left) x2=px(W - right) y1=px(y(v)) y2=px(y(v)) />
                <text class="tick" x=px(left - 6.0) y=px(y(v) + 4.0) text-anchor="end">
                    {tick(v)}
                </text>
            }
        })
        .collect_view();
    let slot = plot_w / bars.len().max(1) as f64;
    let bw = slot * 0.62;
    let columns = bars
        .iter()
        .enumerate()
        .map(|(i, (short, full))| {
            let x = left + i as f64 * slot + (slot - bw) / 2.0;
            let mut base = 0;
            let segments = stacks
                .iter()
                .enumerate()
                .filter(|(_, s)| s.values[i] > 0)
                .map(|(si, s)| {
                    let v = s.values[i];
                    let (y0, y1) = (y(base + v), y(base));
                    base += v;
                    view! {
                        <rect class=series(si) x=px(x) y=px(y0) width=px(bw) height=px(y1 - y0)>
                            <title>{format!("{full} · {}: {}", s.label, fmt(v))}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <g>
                    {segments}
                    <text class="tick" x=px(x + bw / 2.0) y=px(h - 8.0) text-anchor="middle">
                        {short.clone()}
                    </text>
                </g>
            }
        })
        .collect_view();
    let body = view! {
        {grid}
        <line class="axis" x1=px(left) x2=px(W - right) y1=px(y(0)) y2=px(y(0)) />
        <text class="axis-title" x=px(left - 6.0) y="12" text-anchor="end">
            {axis_title}
        </text>
        {columns}
    }
    .into_any();
    let legend = stacks
        .iter()
        .enumerate()
        .map(|(si, s)| {
            view! {
                <li>
                    <span class=format!("swatch {}", series(si)) aria-hidden="true"></span>
                    {s.label.clone()}
                </li>
            }
        })
        .collect_view();
    let legend = view! { <ul class="chart-legend">{legend}</ul> }.into_any();
    let head = stacks
        .iter()
        .map(|s| {
            view! {
                <th scope="col" class="num">
                    {s.label.clone()}
                </th>
            }
        })
        .collect_view();
    let rows = bars
        .iter()
        .enumerate()
        .map(|(i, (_, full))| {
            let cells = stacks
                .iter()
                .map(|s| view! { <td class="num">{fmt(s.values[i])}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{full.clone()}</th>
                    {cells}
                    <td class="num">{fmt(totals[i])}</td>
                </tr>
            }
        })
        .collect_view();
    let table = view! {
        <table class="data">
            <caption class="visually-hidden">{title.clone()}</caption>
            <thead>
                <tr>
                    <th scope="col">{t.overview.chart_month}</th>
                    {head}
                    <th scope="col" class="num">
                        {t.overview.chart_total}
                    </th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any();
    chart_figure(id, h, (title, desc), body, Some(legend), table)
}

/// One pair of the paired bar chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub label: String,
    pub used: i64,
    pub owned: i64,
    pub link: String,
}

/// Two bars per row, "in use" over "owned", each row on its own scale (the areas count very
/// different things).
pub fn paired_bars(id: String, (title, desc): (String, String), pairs: Vec<Pair>) -> impl IntoView {
    let t = use_texts();
    let (row_h, bar_h, bar_w) = (64.0, 14.0, 330.0);
    let h = pairs.len() as f64 * row_h + 4.0;
    let rows = pairs
        .iter()
        .enumerate()
        .map(|(r, p)| {
            let y0 = 4.0 + r as f64 * row_h;
            let top = p.used.max(p.owned);
            let (wu, wo) = (scale(p.used, top, bar_w), scale(p.owned, top, bar_w));
            view! {
                <g>
                    <text class="label" x="0" y=px(y0 + 12.0)>
                        {p.label.clone()}
                    </text>
                    <rect class="s0" x="0" y=px(y0 + 20.0) width=px(wu.max(1.0)) height=px(bar_h)>
                        <title>{format!("{}: {}", t.overview.chart_in_use, grouped(p.used))}</title>
                    </rect>
                    <text class="value" x=px(wu.max(1.0) + 6.0) y=px(y0 + 31.0)>
                        {format!("{} {}", grouped(p.used), t.overview.chart_in_use.to_lowercase())}
                    </text>
                    <rect
                        class="owned"
                        x="0"
                        y=px(y0 + 38.0)
                        width=px(wo.max(1.0))
                        height=px(bar_h)
                    >
                        <title>{format!("{}: {}", t.overview.chart_owned, grouped(p.owned))}</title>
                    </rect>
                    <text class="value" x=px(wo.max(1.0) + 6.0) y=px(y0 + 49.0)>
                        {format!("{} {}", grouped(p.owned), t.overview.chart_owned.to_lowercase())}
                    </text>
                </g>
            }
        })
        .collect_view();
    let body = view! { {rows} }.into_any();
    let legend = view! {
        <ul class="chart-legend">
            <li>
                <span class="swatch s0" aria-hidden="true"></span>
                {t.overview.chart_in_use}
            </li>
            <li>
                <span class="swatch owned" aria-hidden="true"></span>
                {t.overview.chart_owned}
            </li>
        </ul>
    }
    .into_any();
    let rows = pairs
        .into_iter()
        .map(|p| {
            view! {
                <tr>
                    <th scope="row">
                        <a href=p.link>{p.label}</a>
                    </th>
                    <td class="num">{grouped(p.used)}</td>
                    <td class="num">{grouped(p.owned)}</td>
                </tr>
            }
        })
        .collect_view();
    let table = view! {
        <table class="data">
            <caption class="visually-hidden">{title.clone()}</caption>
            <thead>
                <tr>
                    <th scope="col">{t.overview.chart_area}</th>
                    <th scope="col" class="num">
                        {t.overview.chart_in_use}
                    </th>
                    <th scope="col" class="num">
                        {t.overview.chart_owned}
                    </th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any();
    chart_figure(id, h, (title, desc), body, Some(legend), table)
}

/// One event on the timeline: its lane, day (from today), date, kind text, name and link.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub lane: usize,
    pub day: i64,
    pub date: String,
    pub kind: String,
    pub name: String,
    pub link: String,
}

/// Events placed by day (0…`horizon`) in one lane per kind, with a tick every 30 days.
pub fn timeline(
    id: String,
    (title, desc): (String, String),
    horizon: i64,
    lanes: Vec<String>,
    marks: Vec<Mark>,
) -> impl IntoView {
    let t = use_texts();
    let (left, right, top_m, lane_h) = (124.0, 12.0, 6.0, 28.0);
    let plot_w = W - left - right;
    let axis_y = top_m + lanes.len() as f64 * lane_h;
    let h = axis_y + 40.0;
    let x = move |day: i64| left + scale(day, horizon, plot_w);
    let lane_y = move |lane: usize| top_m + lane as f64 * lane_h + lane_h / 2.0;
    let lane_views = lanes
        .iter()
        .enumerate()
        .map(|(i, name)| {
            view! {
                <text class="label" x=px(left - 8.0) y=px(lane_y(i) + 4.0) text-anchor="end">
                    {name.clone()}
                </text>
                <line class="lane" x1=px(left) x2=px(W - right) y1=px(lane_y(i)) y2=px(lane_y(i)) />
            }
        })
        .collect_view();
    let ticks = (0..=horizon)
        .step_by(30)
        .map(|d| {
            view! {
                <line class="grid" x1=px(x(d)) x2=px(x(d)) y1=px(top_m) y2=px(axis_y + 4.0) />
                <text class="tick" x=px(x(d)) y=px(axis_y + 16.0) text-anchor="middle">
                    {d.to_string()}
                </text>
            }
        })
        .collect_view();
    let dots = marks
        .iter()
        .map(|m| {
            view! {
                <circle class=series(m.lane) cx=px(x(m.day)) cy=px(lane_y(m.lane)) r="6">
                    <title>{format!("{} · {}: {}", m.date, m.kind, m.name)}</title>
                </circle>
            }
        })
        .collect_view();
    let body = view! {
        {lane_views}
        {ticks}
        <line class="axis" x1=px(left) x2=px(W - right) y1=px(axis_y) y2=px(axis_y) />
        <text class="axis-title" x=px(left + plot_w / 2.0) y=px(h - 4.0) text-anchor="middle">
            {t.overview.chart_days_axis}
        </text>
        {dots}
    }
    .into_any();
    let rows = marks
        .into_iter()
        .map(|m| {
            view! {
                <tr>
                    <td>{m.date}</td>
                    <td class="num">{m.day}</td>
                    <td>{m.kind}</td>
                    <td>
                        <a href=m.link>{m.name}</a>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let table = view! {
        <table class="data">
            <caption class="visually-hidden">{title.clone()}</caption>
            <thead>
                <tr>
                    <th scope="col">{t.overview.chart_date}</th>
                    <th scope="col" class="num">
                        {t.overview.chart_in_days}
                    </th>
                    <th scope="col">{t.overview.chart_kind}</th>
                    <th scope="col">{t.overview.chart_what}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any();
    chart_figure(id, h, (title, desc), body, None, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_one_two_or_five_and_cover_the_maximum() {
        assert_eq!(nice_axis(0, 4), (4, 1));
        assert_eq!(nice_axis(7, 4), (8, 2));
        assert_eq!(nice_axis(100, 4), (100, 50));
        assert_eq!(nice_axis(123_456, 4), (150_000, 50_000));
        assert_eq!(nice_axis(1_000_001, 4), (1_500_000, 500_000));
        assert_eq!(nice_axis(3, 4), (3, 1));
    }

    #[test]
    fn scale_is_proportional_and_clamped() {
        assert_eq!(scale(50, 100, 200.0), 100.0);
        assert_eq!(scale(0, 100, 200.0), 0.0);
        assert_eq!(scale(-5, 100, 200.0), 0.0);
        assert_eq!(scale(150, 100, 200.0), 200.0);
        assert_eq!(scale(5, 0, 200.0), 0.0);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
    }
}
