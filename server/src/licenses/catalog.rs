//! The software catalog LicenseDesk ships: the publishers and products that agreements for
//! other software can name (SPEC L-4), written into `software_catalog` at start. Detected
//! software adds to it at run time (`publishers`, `products`).

use crate::db::Db;

/// (publisher, product, current version). Microsoft and Microsoft Research both contain "soft".
pub const CATALOG: &[(&str, &str, &str)] = &[
    (
        "Microsoft",
        "Microsoft 365 Apps for enterprise",
        "16.0.18129",
    ),
    ("Microsoft", "Office Professional Plus 2021", "16.0.14332"),
    ("Microsoft", "Visio Professional 2021", "16.0.14332"),
    ("Microsoft", "Project Professional 2021", "16.0.14332"),
    ("Microsoft", "Visual Studio Professional 2022", "17.12.3"),
    ("Microsoft", "SQL Server Management Studio", "20.2"),
    ("Microsoft", "Power BI Desktop", "2.138.782"),
    ("Microsoft", "Microsoft Edge", "131.0.2903"),
    ("Microsoft", "Microsoft Teams", "24295.605"),
    ("Microsoft Research", "Z3 Theorem Prover", "4.13.3"),
    ("Microsoft Research", "Infer.NET", "0.4.2403"),
    ("Adobe", "Acrobat Pro", "24.005.20320"),
    ("Adobe", "Photoshop 2025", "26.1"),
    ("Adobe", "Illustrator 2025", "29.1"),
    ("Adobe", "InDesign 2025", "20.0"),
    ("Autodesk", "AutoCAD 2025", "25.0.58"),
    ("Autodesk", "Revit 2025", "25.3"),
    ("Google", "Google Chrome", "131.0.6778"),
    ("Mozilla", "Mozilla Firefox", "133.0"),
    ("Zoom Video Communications", "Zoom Workplace", "6.2.11"),
    ("Slack Technologies", "Slack", "4.41.105"),
    ("Oracle", "Java SE Runtime Environment 8", "8.0.431"),
    ("Igor Pavlov", "7-Zip", "24.08"),
    ("Notepad++ Team", "Notepad++", "8.7.4"),
    ("JetBrains", "IntelliJ IDEA Ultimate", "2024.3"),
    ("JetBrains", "PyCharm Professional", "2024.3"),
    ("Tableau Software", "Tableau Desktop", "2024.3"),
    ("SAP", "SAP GUI for Windows", "8.00"),
    ("Citrix", "Citrix Workspace app", "24.11"),
    ("Cisco", "Cisco Secure Client", "5.1.6"),
    ("Foxit Software", "Foxit PDF Editor", "2024.3"),
    ("TechSmith", "Snagit 2024", "24.3"),
    ("IBM", "SPSS Statistics", "29.0.2"),
    ("MathWorks", "MATLAB", "R2024b"),
    ("Minitab", "Minitab Statistical Software", "22.2"),
    ("GraphPad Software", "GraphPad Prism", "10.4"),
    ("Docker", "Docker Desktop", "4.36"),
    ("Python Software Foundation", "Python 3.12", "3.12.8"),
];

/// Writes the shipped catalog into `software_catalog` (idempotent; run at every start).
pub async fn install_catalog(db: &Db) -> Result<(), sqlx::Error> {
    for (publisher, product, _) in CATALOG {
        sqlx::query("INSERT INTO software_catalog (publisher, product) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(publisher.to_string())
            .bind(product.to_string())
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}
