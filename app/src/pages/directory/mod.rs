//! Directory area (SPEC D-1 … D-3): users, groups (with the member picker) and devices.

mod device;
mod devices;
mod group;
mod group_members;
mod groups;
mod user;
mod users;

pub use device::DevicePage;
pub use devices::DevicesPage;
pub use group::GroupPage;
pub use groups::GroupsPage;
pub use user::UserPage;
pub use users::UsersPage;
