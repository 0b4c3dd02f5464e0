//! The request and response bodies of the directory resources (`super`), and the query
//! parameters of their lists.

use app::api::directory::UserInput;
use app::domain::directory::{DeviceView, GroupView, SoftwareItem, UserView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Something named that a resource refers to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// A user with the groups they are in and the devices they use.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[serde(flatten)]
    pub user: UserView,
    pub groups: Vec<Named>,
    pub devices: Vec<Named>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Search in display name, sign-in name and department.
    pub q: Option<String>,
    /// `name` (default), `sign_in_name`, `department` or `created`.
    pub sort: Option<String>,
    /// Sort descending.
    pub desc: Option<bool>,
    pub cursor: Option<String>,
}

/// A user as created or changed.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"display_name": "Ada Lovelace", "sign_in_name": "ada@example.org", "department": "R&D"}))]
pub struct UserBody {
    pub display_name: String,
    pub sign_in_name: String,
    #[serde(default)]
    pub department: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnabledBody {
    pub enabled: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Search text.
    pub q: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Sales", "description": "Everyone in sales"}))]
pub struct GroupBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A group with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    #[serde(flatten)]
    pub group: GroupView,
    pub members: Vec<UserView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"user_ids": [12, 13]}))]
pub struct MembersBody {
    pub user_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    /// How many memberships changed.
    pub changed: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// Search in device name, OS version and primary user.
    pub q: Option<String>,
    /// `windows`, `ios`, `macos` or `android`.
    pub platform: Option<String>,
    pub cursor: Option<String>,
}

/// A device and the software detected on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Device {
    #[serde(flatten)]
    pub device: DeviceView,
    pub software: Vec<SoftwareItem>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"software": [{"publisher": "Microsoft", "product": "Visio Professional 2021", "version": "16.0"}]}))]
pub struct SoftwareReport {
    pub software: Vec<SoftwareLine>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SoftwareLine {
    pub publisher: String,
    pub product: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SoftwareReported {
    pub device: String,
    /// Distinct items stored.
    pub items: usize,
}

impl UserBody {
    pub fn input(self, if_match: Option<String>) -> UserInput {
        UserInput {
            display_name: self.display_name,
            sign_in_name: self.sign_in_name,
            department: self.department,
            enabled: true,
            if_match,
        }
    }
}

pub fn named(list: Vec<(i64, String)>) -> Vec<Named> {
    list.into_iter()
        .map(|(id, name)| Named { id, name })
        .collect()
}
