//! The demo organization's directory: people, groups, devices and detected software, generated
//! from a fixed seed so that screenshots and tests see the same organization every time.

use crate::core::audit::{self, Entry};
use crate::core::error::internal;
use crate::directory::Directory;
use crate::licenses::catalog::CATALOG;
use app::api::directory::UserInput;
use app::domain::ApiError;
use app::domain::directory::SoftwareItem;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

pub const USERS: usize = 540;
pub const GROUPS: usize = 40;
pub const DEVICES: usize = 720;
const DOMAIN: &str = "contoso-pharma.com";

const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Anouk", "Bea", "Bram", "Carlos", "Chen", "Daan", "Dilnoza", "Elif",
    "Emma", "Farah", "Femke", "Gabriel", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jasper",
    "Julia", "Kai", "Karin", "Lars", "Lea", "Lucas", "Maya", "Mehmet", "Mila", "Noah", "Noor",
    "Olga", "Omar", "Priya", "Quinn", "Rafael", "Rita", "Ruben", "Sara", "Sem", "Sofia", "Thijs",
    "Tess", "Umar", "Vera", "Wei", "Yara", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Bakker",
    "de Boer",
    "Brouwer",
    "Chen",
    "Costa",
    "Dekker",
    "Demir",
    "Fischer",
    "Garcia",
    "de Graaf",
    "Hendriks",
    "Hopper",
    "Jansen",
    "de Jong",
    "Kaya",
    "Kowalski",
    "Lovelace",
    "Meijer",
    "Mulder",
    "Nguyen",
    "Okafor",
    "Peters",
    "Raman",
    "Rossi",
    "Smit",
    "Suzuki",
    "Visser",
    "de Vries",
    "van Dijk",
    "van Leeuwen",
    "Vos",
    "Willems",
    "Yilmaz",
    "Zhang",
];
const DEPARTMENTS: &[&str] = &[
    "Research & Development",
    "Clinical Operations",
    "Regulatory Affairs",
    "Manufacturing",
    "Quality Assurance",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Legal",
    "IT",
    "Supply Chain",
    "Customer Service",
    "Executive Office",
];

/// Relative department sizes, in the order of `DEPARTMENTS`.
const DEPARTMENT_WEIGHTS: &[u32] = &[20, 10, 4, 12, 6, 14, 6, 6, 3, 2, 5, 6, 5, 1];
const DEPARTMENT_WEIGHT_TOTAL: u32 = 100;

fn weighted_department(mut roll: u32) -> &'static str {
    for (dept, weight) in DEPARTMENTS.iter().zip(DEPARTMENT_WEIGHTS) {
        if roll < *weight {
            return dept;
        }
        roll -= weight;
    }
    DEPARTMENTS[0]
}

/// Software a department typically uses, by catalog index.
fn department_software(dept: &str) -> &'static [usize] {
    match dept {
        "Research & Development" => &[9, 10, 24, 25, 32, 33, 35, 37, 36],
        "Clinical Operations" => &[32, 35, 2, 11],
        "Regulatory Affairs" => &[11, 30, 2],
        "Manufacturing" => &[15, 16, 27, 34],
        "Quality Assurance" => &[34, 32, 11],
        "Marketing" => &[12, 13, 14, 11],
        "Finance" => &[6, 26, 27, 3],
        "IT" => &[4, 5, 24, 36, 37, 29, 22, 23],
        "Supply Chain" => &[27, 3, 6],
        _ => &[11, 31],
    }
}

/// Fills the directory of an empty database. Returns the numbers created.
pub async fn seed(dir: &Directory) -> Result<(usize, usize, usize), ApiError> {
    let mut rng = StdRng::seed_from_u64(0x11CE_2026);
    let now = dir.clock.now();
    let who = super::who();
    let mut tx = dir.db.begin_write().await.map_err(internal)?;

    // People.
    let mut users: Vec<(i64, String, String)> = vec![]; // id, department, first name
    let mut taken = std::collections::HashSet::new();
    while users.len() < USERS {
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let base = format!(
            "{}.{}",
            first.to_lowercase(),
            last.to_lowercase().replace(' ', "")
        );
        let mut sign_in = format!("{base}@{DOMAIN}");
        let mut n = 2;
        while !taken.insert(sign_in.clone()) {
            sign_in = format!("{base}{n}@{DOMAIN}");
            n += 1;
        }
        // Departments are uneven, as in a real company: R&D and Sales are the big ones.
        let dept = weighted_department(rng.random_range(0..DEPARTMENT_WEIGHT_TOTAL));
        let input = UserInput {
            display_name: format!("{first} {last}"),
            sign_in_name: sign_in,
            department: dept.to_string(),
            enabled: rng.random_range(0..100) >= 4,
            if_match: None,
        };
        let (id, _) = dir
            .upsert_user_tx(&mut tx, &who, None, &input, false)
            .await?;
        users.push((id, dept.to_string(), first.to_string()));
    }

    // Groups: one per department, an all-staff group, and role and project groups.
    let mut group_names: Vec<(String, String)> = DEPARTMENTS
        .iter()
        .map(|d| (format!("{d} (department)"), format!("Everyone in {d}.")))
        .collect();
    group_names.push((
        "All employees".into(),
        "Every person in the organization.".into(),
    ));
    for (name, description) in [
        ("Developers", "People who build and maintain software."),
        ("Data analysts", "Statistics and reporting."),
        ("Creative studio", "Design and brand work."),
        ("CAD users", "Plant and facility engineering drawings."),
        ("Field sales", "Sales representatives on the road."),
        ("Managers", "People managers at every level."),
        ("Remote workers", "Work from home most days."),
        (
            "Contractors",
            "External staff with a time-limited contract.",
        ),
        ("Lab informatics", "Laboratory information systems team."),
        ("Project Aurora", "Oncology trial programme."),
        ("Project Borealis", "Vaccine manufacturing scale-up."),
        ("Project Cirrus", "Cloud migration of the ERP."),
        ("Pilot: Teams Phone", "Pilot group for Teams telephony."),
        (
            "Pilot: new VPN",
            "Pilot group for the Cisco Secure Client roll-out.",
        ),
        ("Help desk", "First-line IT support."),
        ("Security champions", "One per department."),
        ("Finance approvers", "May approve purchase orders."),
        ("Works council", "Elected employee representatives."),
        ("Interns", "Students on an internship."),
        ("Executive assistants", "Support for the executive office."),
        ("Mobile-only staff", "Use a phone or tablet, no computer."),
        ("Mac users", "Work on a Mac."),
        ("Regulatory writers", "Submission documents."),
        ("QA auditors", "Internal and supplier audits."),
        ("Onboarding 2026-Q4", "People who joined this quarter."),
    ] {
        group_names.push((name.into(), description.into()));
    }
    group_names.truncate(GROUPS);
    let mut groups = vec![];
    for (name, description) in &group_names {
        let id = dir
            .upsert_group_tx(&mut tx, &who, None, name, description, false)
            .await?;
        groups.push((id, name.clone()));
    }
    for (gid, name) in &groups {
        let members: Vec<i64> = if name == "All employees" {
            users.iter().map(|u| u.0).collect()
        } else if let Some(dept) = name.strip_suffix(" (department)") {
            users.iter().filter(|u| u.1 == dept).map(|u| u.0).collect()
        } else {
            let size = rng.random_range(4..40);
            let mut picked: Vec<i64> = (0..size)
                .map(|_| users[rng.random_range(0..users.len())].0)
                .collect();
            picked.sort_unstable();
            picked.dedup();
            picked
        };
        for uid in members {
            sqlx::query("INSERT INTO dir_group_members (group_id, user_id) VALUES ($1, $2)")
                .bind(*gid)
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
    }

    // Devices: most people have one, some two; Windows is the majority.
    let mut serial = 10_000;
    for i in 0..DEVICES {
        let (uid, dept, first) = &users[if i < USERS {
            i
        } else {
            rng.random_range(0..USERS)
        }];
        let roll = rng.random_range(0..100);
        let (platform, name, os, join) = if roll < 56 {
            serial += 1;
            let os = ["10.0.22631", "10.0.26100", "10.0.19045"][rng.random_range(0..3)];
            let join = match rng.random_range(0..10) {
                0..=5 => "domain_joined",
                6..=8 => "workplace_joined",
                _ => "none",
            };
            (
                "windows",
                format!("CP-W{serial}"),
                os.to_string(),
                Some(join),
            )
        } else if roll < 76 {
            serial += 1;
            (
                "ios",
                format!("iPhone-{first}-{serial}"),
                ["18.1", "17.7", "18.2"][rng.random_range(0..3)].to_string(),
                None,
            )
        } else if roll < 90 {
            serial += 1;
            (
                "macos",
                format!("CP-MAC{serial}"),
                ["15.1", "14.7"][rng.random_range(0..2)].to_string(),
                None,
            )
        } else {
            serial += 1;
            (
                "android",
                format!("Android-{first}-{serial}"),
                ["15", "14"][rng.random_range(0..2)].to_string(),
                None,
            )
        };
        let check_in = now - rng.random_range(0..14 * 86_400);
        let device_id: i64 = sqlx::query_scalar(
            "INSERT INTO dir_devices (name, name_key, platform, os_version, primary_user_id, join_type, \
             last_check_in, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(name.clone())
        .bind(name.to_lowercase())
        .bind(platform)
        .bind(os)
        .bind(*uid)
        .bind(join)
        .bind(check_in)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        if platform == "windows" {
            let mut items: Vec<usize> = vec![0, 7, 8, 17, 22];
            items.extend_from_slice(department_software(dept));
            for _ in 0..rng.random_range(0..4) {
                items.push(rng.random_range(0..CATALOG.len()));
            }
            items.sort_unstable();
            items.dedup();
            let software: Vec<SoftwareItem> = items
                .into_iter()
                .map(|i| SoftwareItem {
                    publisher: CATALOG[i].0.into(),
                    product: CATALOG[i].1.into(),
                    version: CATALOG[i].2.into(),
                })
                .collect();
            dir.replace_software_tx(&mut tx, device_id, &software, Some(check_in))
                .await?;
        }
    }
    audit::record_and_commit(
        tx,
        now,
        &who,
        Entry::new("demo.directory_created")
            .after(json!({"users": USERS, "groups": groups.len(), "devices": DEVICES})),
    )
    .await?;
    Ok((USERS, groups.len(), DEVICES))
}
