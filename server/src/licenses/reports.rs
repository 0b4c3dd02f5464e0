//! License purchase and installation reports (SPEC L-6). The arithmetic lives in
//! `app::domain::licenses::InstallationReport::build` / `compliance`; this module only gathers.

use super::Licenses;
use crate::core::error::internal;
use app::domain::ApiError;
use app::domain::licenses::*;
use std::collections::HashSet;

type ProductCount = (String, String, i64);

#[derive(sqlx::FromRow)]
struct PurchaseRow {
    id: i64,
    gid: i64,
    group_name: String,
    agreement: String,
    kind: String,
    publisher: Option<String>,
    product: Option<String>,
    licenses: Option<i64>,
}

impl Licenses {
    pub(crate) async fn managed_computers(&self) -> Result<i64, ApiError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM dir_devices WHERE platform = 'windows'")
            .fetch_one(&self.db.pool)
            .await
            .map_err(internal)
    }

    /// Installations per product on managed (Windows) computers: one per computer.
    pub(crate) async fn installations(&self) -> Result<Vec<ProductCount>, ApiError> {
        sqlx::query_as(
            "SELECT s.publisher, s.product, COUNT(DISTINCT s.device_id) FROM detected_software s \
             JOIN dir_devices d ON d.id = s.device_id WHERE d.platform = 'windows' \
             GROUP BY s.publisher, s.product",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)
    }

    /// Licenses owned per product: other-software agreements plus the volume agreements'
    /// entitlements from the last refresh (SPEC L-3).
    pub(crate) async fn owned(&self) -> Result<Vec<ProductCount>, ApiError> {
        let mut owned: Vec<ProductCount> = sqlx::query_as(
            "SELECT publisher, product, CAST(SUM(license_count) AS BIGINT) FROM agreements \
             WHERE kind = 'other' GROUP BY publisher, product",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let entitled: Vec<ProductCount> = sqlx::query_as(
            "SELECT publisher, product, CAST(SUM(quantity) AS BIGINT) FROM agreement_entitlements \
             GROUP BY publisher, product",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        owned.extend(entitled);
        Ok(owned)
    }

    pub(crate) async fn build_installation_report(
        &self,
        scope: SoftwareScope,
    ) -> Result<InstallationReport, ApiError> {
        Ok(InstallationReport::build(
            self.managed_computers().await?,
            self.installations().await?,
            self.owned().await?,
            scope,
        ))
    }

    pub(crate) async fn build_purchase_report(
        &self,
        groups: Vec<i64>,
        scope: SoftwareScope,
    ) -> Result<PurchaseReport, ApiError> {
        let rows: Vec<PurchaseRow> = sqlx::query_as(
            "SELECT a.id, g.id AS gid, g.name AS group_name, a.name AS agreement, a.kind, a.publisher, a.product, \
             a.license_count AS licenses \
             FROM agreements a JOIN license_groups g ON g.id = a.group_id \
             ORDER BY g.builtin DESC, g.name_key, a.name_key",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let selected = |gid: i64| groups.is_empty() || groups.contains(&gid);
        // A volume agreement's products are its entitlements from the last refresh.
        let mut entitled: std::collections::HashMap<i64, Vec<(String, String, i64)>> =
            std::collections::HashMap::new();
        let rows_e: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT agreement_id, publisher, product, quantity FROM agreement_entitlements ORDER BY product",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, p, q, n) in rows_e {
            entitled.entry(id).or_default().push((p, q, n));
        }
        let mut covered: HashSet<(String, String)> = HashSet::new();
        let mut lines = vec![];
        for PurchaseRow {
            id,
            gid,
            group_name,
            agreement,
            kind,
            publisher,
            product,
            licenses,
        } in rows
        {
            if !selected(gid) {
                continue;
            }
            let kind = AgreementKind::parse(&kind).unwrap_or(AgreementKind::Volume);
            // Volume licensing agreements are Microsoft's.
            let in_scope = match &publisher {
                Some(p) => scope.includes(p),
                None => scope != SoftwareScope::NonMicrosoft,
            };
            if !in_scope {
                continue;
            }
            if let (Some(p), Some(q)) = (&publisher, &product) {
                covered.insert((p.clone(), q.clone()));
            }
            match entitled.remove(&id) {
                Some(products) if kind == AgreementKind::Volume => {
                    for (p, q, n) in products.into_iter().filter(|(p, _, _)| scope.includes(p)) {
                        covered.insert((p.clone(), q.clone()));
                        lines.push(PurchaseLine {
                            group_name: group_name.clone(),
                            agreement: agreement.clone(),
                            kind,
                            publisher: Some(p),
                            product: Some(q),
                            licenses: Some(n),
                        });
                    }
                }
                _ => lines.push(PurchaseLine {
                    group_name,
                    agreement,
                    kind,
                    publisher,
                    product,
                    licenses,
                }),
            }
        }
        let mut gaps: Vec<ProductCount> = self
            .installations()
            .await?
            .into_iter()
            .filter(|(p, q, _)| scope.includes(p) && !covered.contains(&(p.clone(), q.clone())))
            .collect();
        gaps.sort();
        Ok(PurchaseReport { lines, gaps })
    }

    /// The installation report as CSV.
    pub async fn installation_csv(&self, scope: SoftwareScope) -> Result<Vec<u8>, ApiError> {
        let r = self.build_installation_report(scope).await?;
        let mut w = csv::Writer::from_writer(vec![]);
        crate::csv_util::write_row(
            &mut w,
            [
                "publisher",
                "product",
                "installed",
                "licenses_owned",
                "status",
                "difference",
            ],
        )
        .map_err(internal)?;
        for l in &r.lines {
            let (status, diff) = match l.status {
                Compliance::Compliant => ("compliant", 0),
                Compliance::UnderLicensed(n) => ("under-licensed", n),
                Compliance::OverLicensed(n) => ("over-licensed", n),
            };
            crate::csv_util::write_row(
                &mut w,
                [
                    l.publisher.clone(),
                    l.product.clone(),
                    l.installed.to_string(),
                    l.owned.to_string(),
                    status.to_string(),
                    diff.to_string(),
                ],
            )
            .map_err(internal)?;
        }
        w.into_inner().map_err(internal)
    }

    /// The purchase report as CSV (agreements, then the coverage gaps).
    pub async fn purchase_csv(
        &self,
        groups: Vec<i64>,
        scope: SoftwareScope,
    ) -> Result<Vec<u8>, ApiError> {
        let r = self.build_purchase_report(groups, scope).await?;
        let mut w = csv::Writer::from_writer(vec![]);
        crate::csv_util::write_row(
            &mut w,
            [
                "license_group",
                "agreement",
                "type",
                "publisher",
                "product",
                "licenses",
            ],
        )
        .map_err(internal)?;
        for l in &r.lines {
            crate::csv_util::write_row(
                &mut w,
                [
                    l.group_name.clone(),
                    l.agreement.clone(),
                    l.kind.as_str().to_string(),
                    l.publisher.clone().unwrap_or_default(),
                    l.product.clone().unwrap_or_else(|| "Not available".into()),
                    l.licenses.map(|n| n.to_string()).unwrap_or_default(),
                ],
            )
            .map_err(internal)?;
        }
        for (publisher, product, installed) in &r.gaps {
            crate::csv_util::write_row(
                &mut w,
                [
                    "(no license in the selected groups)".to_string(),
                    String::new(),
                    "gap".to_string(),
                    publisher.clone(),
                    product.clone(),
                    format!("0 of {installed} installed"),
                ],
            )
            .map_err(internal)?;
        }
        w.into_inner().map_err(internal)
    }
}
