//! The demo organization's agreements: volume agreements with number sets and other-software
//! agreements across several license groups. Some products are under-licensed (fewer licenses
//! than the demo devices report installations), some over-licensed.

use crate::core::audit::{self, Entry};
use crate::core::error::internal;
use crate::db::Tx;
use crate::licenses::Licenses;
use app::domain::ApiError;
use app::domain::licenses::GroupChoice;
use serde_json::json;

/// (group, agreement name, publisher, product, licenses, start, end)
const OTHER: &[(&str, &str, &str, &str, i64, &str, &str)] = &[
    (
        "Adobe",
        "Adobe Acrobat Pro — team licenses",
        "Adobe",
        "Acrobat Pro",
        120,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Adobe",
        "Adobe Photoshop 2025 — creative studio",
        "Adobe",
        "Photoshop 2025",
        8,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Adobe",
        "Adobe Illustrator 2025 — creative studio",
        "Adobe",
        "Illustrator 2025",
        15,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Adobe",
        "Adobe InDesign 2025",
        "Adobe",
        "InDesign 2025",
        5,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Engineering tools",
        "AutoCAD 2025 network licenses",
        "Autodesk",
        "AutoCAD 2025",
        20,
        "2025-07-01",
        "2027-06-30",
    ),
    (
        "Engineering tools",
        "Revit 2025",
        "Autodesk",
        "Revit 2025",
        10,
        "2025-07-01",
        "2027-06-30",
    ),
    (
        "Engineering tools",
        "JetBrains All Products — IntelliJ",
        "JetBrains",
        "IntelliJ IDEA Ultimate",
        25,
        "2026-03-01",
        "2027-02-28",
    ),
    (
        "Engineering tools",
        "JetBrains All Products — PyCharm",
        "JetBrains",
        "PyCharm Professional",
        25,
        "2026-03-01",
        "2027-02-28",
    ),
    (
        "Engineering tools",
        "Docker Business",
        "Docker",
        "Docker Desktop",
        30,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Statistics and lab",
        "SPSS Statistics site agreement",
        "IBM",
        "SPSS Statistics",
        60,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Statistics and lab",
        "MATLAB campus-wide",
        "MathWorks",
        "MATLAB",
        40,
        "2025-10-01",
        "2026-09-30",
    ),
    (
        "Statistics and lab",
        "Minitab 22",
        "Minitab",
        "Minitab Statistical Software",
        12,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Statistics and lab",
        "GraphPad Prism lab pack",
        "GraphPad Software",
        "GraphPad Prism",
        30,
        "2026-02-01",
        "2027-01-31",
    ),
    (
        "Business applications",
        "Tableau Creator",
        "Tableau Software",
        "Tableau Desktop",
        10,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Business applications",
        "SAP GUI named users",
        "SAP",
        "SAP GUI for Windows",
        150,
        "2024-01-01",
        "2028-12-31",
    ),
    (
        "Business applications",
        "Snagit 2024 volume",
        "TechSmith",
        "Snagit 2024",
        50,
        "2025-01-01",
        "2026-12-31",
    ),
    (
        "Business applications",
        "Foxit PDF Editor",
        "Foxit Software",
        "Foxit PDF Editor",
        40,
        "2026-01-01",
        "2026-12-31",
    ),
    (
        "Microsoft retail",
        "Visio Professional 2021 retail",
        "Microsoft",
        "Visio Professional 2021",
        25,
        "2024-05-01",
        "",
    ),
    (
        "Microsoft retail",
        "Project Professional 2021 retail",
        "Microsoft",
        "Project Professional 2021",
        20,
        "2024-05-01",
        "",
    ),
    (
        "Microsoft retail",
        "Visual Studio Professional 2022",
        "Microsoft",
        "Visual Studio Professional 2022",
        15,
        "2025-01-01",
        "2026-12-31",
    ),
];

/// The agreement (of [`OTHER`]) whose year ends this many days after the demo is created,
/// whatever the date: its dates in [`OTHER`] are not used.
pub const ENDING_SOON: (&str, i64) = ("GraphPad Prism lab pack", 45);

/// A demo volume agreement: license group, agreement name, number sets.
type VolumeSeed = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const VOLUME: &[VolumeSeed] = &[
    (
        "Microsoft EA",
        "Enterprise Agreement 2024–2027",
        &[("8123456", "54123456"), ("8123456", "54123457")],
    ),
    (
        "Microsoft EA",
        "Select Plus — Research",
        &[("3456789", "61234567")],
    ),
    (
        "Microsoft EA",
        "Open Value — Manufacturing plant",
        &[("V9876543", "V9876543")],
    ),
    (
        "Microsoft EA",
        "Open Value — Clinical sites",
        &[("V1122334", "V1122334"), ("V1122335", "V1122335")],
    ),
    (
        "Microsoft retail",
        "Open License 2019 — legacy",
        &[
            ("87654321", "E1234567"),
            ("87654322", "E1234568"),
            ("87654323", "E1234569"),
        ],
    ),
    (
        "Unassigned agreements",
        "Open License — acquired subsidiary",
        &[("65432109", "F7654321")],
    ),
];

pub async fn seed(licenses: &Licenses) -> Result<usize, ApiError> {
    let who = super::who();
    let now = licenses.clock.now();
    let mut tx = licenses.db.begin_write().await.map_err(internal)?;
    let mut groups: Vec<(String, i64)> = vec![];
    let mut count = 0;
    let ensure =
        async |tx: &mut Tx, name: &str, groups: &mut Vec<(String, i64)>| -> Result<i64, ApiError> {
            if let Some((_, id)) = groups.iter().find(|(n, _)| n == name) {
                return Ok(*id);
            }
            let choice = if name == "Unassigned agreements" {
                GroupChoice::Unassigned
            } else {
                GroupChoice::New(name.to_string())
            };
            let id = licenses.resolve_group(tx, &who, &choice).await?;
            groups.push((name.to_string(), id));
            Ok(id)
        };
    for (group, name, sets) in VOLUME {
        let gid = ensure(&mut tx, group, &mut groups).await?;
        let sets: Vec<(String, String)> = sets
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        licenses
            .insert_volume_tx(&mut tx, &who, name, &sets, gid, "demo")
            .await?;
        count += 1;
    }
    let today = app::domain::billing::date_of_unix(now);
    for (group, name, publisher, product, n, start, end) in OTHER {
        let gid = ensure(&mut tx, group, &mut groups).await?;
        let (start, end) = if *name == ENDING_SOON.0 {
            // Ends a few weeks from today whenever the demo starts: the overview has an
            // agreement that is about to end (an alert).
            let end = today + time::Duration::days(ENDING_SOON.1);
            let start = app::domain::billing::shift_months(end, -12) + time::Duration::days(1);
            (
                app::domain::billing::format_date(start),
                Some(app::domain::billing::format_date(end)),
            )
        } else {
            (
                start.to_string(),
                (!end.is_empty()).then(|| end.to_string()),
            )
        };
        sqlx::query(
            "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, \
             starts_on, ends_on, details, created_at, updated_at) \
             VALUES ('other', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(name.to_string())
        .bind(name.to_lowercase())
        .bind(gid)
        .bind(publisher.to_string())
        .bind(product.to_string())
        .bind(*n)
        .bind(start)
        .bind(end)
        .bind("Reseller: Contoso IT Supplies — licensing@contoso-it.example".to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        count += 1;
    }
    audit::record_and_commit(
        tx,
        now,
        &who,
        Entry::new("demo.agreements_created")
            .after(json!({"agreements": count, "groups": groups.len()})),
    )
    .await?;
    Ok(count)
}
