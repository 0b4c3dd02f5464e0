//! Admin roles (SPEC D-4) and the one table that says what each may do.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Role {
    GlobalAdmin,
    LicenseAdmin,
    UserAdmin,
    BillingAdmin,
    Reader,
}

/// Everything a server function or endpoint can ask permission for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read any page and list (every role).
    Read,
    /// Admin accounts, roles and settings.
    ManageAdmins,
    /// Users, groups and devices.
    ManageDirectory,
    /// Store connections, sync, deployments.
    ManageStore,
    /// Agreements and license groups.
    ManageAgreements,
    /// Assign and unassign licenses to users and groups.
    AssignLicenses,
    /// Subscriptions, quantities, billing profiles, payment methods, invoices.
    ManageBilling,
}

impl Permission {
    pub const ALL: [Permission; 7] = [
        Permission::Read,
        Permission::ManageAdmins,
        Permission::ManageDirectory,
        Permission::ManageStore,
        Permission::ManageAgreements,
        Permission::AssignLicenses,
        Permission::ManageBilling,
    ];
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::GlobalAdmin,
        Role::LicenseAdmin,
        Role::UserAdmin,
        Role::BillingAdmin,
        Role::Reader,
    ];

    /// The single authorisation rule table of LicenseDesk.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::GlobalAdmin => true,
            Role::LicenseAdmin => matches!(
                permission,
                P::Read | P::ManageStore | P::ManageAgreements | P::AssignLicenses
            ),
            Role::UserAdmin => {
                matches!(permission, P::Read | P::ManageDirectory | P::AssignLicenses)
            }
            Role::BillingAdmin => matches!(permission, P::Read | P::ManageBilling),
            Role::Reader => matches!(permission, P::Read),
        }
    }

    /// Stable identifier used in the database, forms and the REST API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GlobalAdmin => "global_admin",
            Role::LicenseAdmin => "license_admin",
            Role::UserAdmin => "user_admin",
            Role::BillingAdmin => "billing_admin",
            Role::Reader => "reader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Everything `other` may do, this role may do too: a role an admin may hand out (to an
    /// API token) is one their own role covers.
    pub fn covers(self, other: Role) -> bool {
        Permission::ALL
            .into_iter()
            .all(|p| !other.allows(p) || self.allows(p))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Strict: an unknown role is an error, never a default.
impl std::str::FromStr for Role {
    type Err = super::UnknownValue;

    fn from_str(s: &str) -> Result<Role, Self::Err> {
        Role::parse(s).ok_or_else(|| super::UnknownValue::new("Role", s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!("reader".parse::<Role>(), Ok(Role::Reader));
        assert_eq!(Role::LicenseAdmin.to_string(), "license_admin");
        assert!("Reader".parse::<Role>().is_err());
    }

    #[test]
    fn a_role_covers_itself_and_what_it_includes() {
        for r in Role::ALL {
            assert!(r.covers(r));
            assert!(r.covers(Role::Reader));
            assert!(Role::GlobalAdmin.covers(r));
        }
        assert!(!Role::Reader.covers(Role::UserAdmin));
        assert!(!Role::LicenseAdmin.covers(Role::UserAdmin));
        assert!(!Role::BillingAdmin.covers(Role::LicenseAdmin));
        assert!(!Role::UserAdmin.covers(Role::GlobalAdmin));
    }

    #[test]
    fn reader_reads_and_changes_nothing() {
        assert!(Role::Reader.allows(Permission::Read));
        for p in [
            Permission::ManageAdmins,
            Permission::ManageDirectory,
            Permission::ManageStore,
            Permission::ManageAgreements,
            Permission::AssignLicenses,
            Permission::ManageBilling,
        ] {
            assert!(!Role::Reader.allows(p), "{p:?}");
        }
    }

    #[test]
    fn only_global_admin_manages_admins() {
        for r in Role::ALL {
            assert_eq!(r.allows(Permission::ManageAdmins), r == Role::GlobalAdmin);
        }
    }

    #[test]
    fn spec_d4_assignment_rights() {
        // B-9: only Global, License and User admins may assign licenses.
        let may: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::AssignLicenses))
            .collect();
        assert_eq!(
            may,
            [Role::GlobalAdmin, Role::LicenseAdmin, Role::UserAdmin]
        );
        assert!(Role::BillingAdmin.allows(Permission::ManageBilling));
        assert!(!Role::LicenseAdmin.allows(Permission::ManageBilling));
    }
}
