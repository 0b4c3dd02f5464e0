//! Pure types and rules shared by the server and the browser. No I/O lives here.

/// A closed set of values stored (and sent) as text: `as_str` gives the text, `FromStr` reads it
/// back strictly (anything else is an [`UnknownValue`], never a silent default), `Display`
/// writes `as_str`, and `ALL` lists the values in order.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // On the wire and in the database: the same text as `as_str`.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        // In the REST API's OpenAPI document: a string, one of the texts.
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::domain::text_schema(&[$($text,)+])
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::domain::UnknownValue::new(stringify!($name), s))
            }
        }
    };
}

pub mod billing;
pub mod directory;
pub mod error;
pub mod licenses;
pub mod overview;
pub mod reclaim;
pub mod role;
pub mod store;
pub mod tokens;
pub mod validate;

pub use error::{ApiError, UnknownValue};

/// The OpenAPI schema of a closed set of texts (the `text_enum!` types).
#[cfg(feature = "ssr")]
pub fn text_schema(values: &[&str]) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.iter().copied()))
        .into()
}
pub use role::{Permission, Role};

use serde::{Deserialize, Serialize};

/// Formats a UNIX timestamp (seconds, UTC) the way every page shows times.
pub fn format_time(unix: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "—".to_string())
}

/// A readable form of an audit entry's before/after JSON: `role: reader → global_admin`.
pub fn describe_change(before: Option<&str>, after: Option<&str>) -> String {
    use serde_json::{Map, Value};
    let parse = |s: Option<&str>| -> Map<String, Value> {
        s.and_then(|s| serde_json::from_str::<Value>(s).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_string(),
        other => other.to_string(),
    };
    let (b, a) = (parse(before), parse(after));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| match (b.get(k), a.get(k)) {
            (Some(x), Some(y)) if x == y => format!("{k}: {}", show(y)),
            (Some(x), Some(y)) => format!("{k}: {} → {}", show(x), show(y)),
            (None, Some(y)) => format!("{k}: {}", show(y)),
            (Some(x), None) => format!("{k}: {} → —", show(x)),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The signed-in administrator as the pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_name: String,
}

/// An administrator account as listed on `/settings/admins`. Never carries the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub enabled: bool,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// One line of the append-only audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub client_ip: Option<String>,
}

/// Filters for the audit log; every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Substring of the actor's sign-in name.
    pub actor: Option<String>,
    /// Action prefix, e.g. `admin.` or `auth.sign_in_failed`.
    pub action: Option<String>,
    /// Substring of the target or the before/after values.
    pub text: Option<String>,
    /// Keyset cursor: only entries with an id below this one.
    pub before_id: Option<i64>,
}

/// One page of a keyset-paginated list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Cursor for the next (older / further) page, if there is one.
    pub next: Option<i64>,
}

/// Whether first-run setup is still open and what the organization is called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupStatus {
    pub needs_setup: bool,
    pub org_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_descriptions() {
        assert_eq!(
            describe_change(
                Some(r#"{"role":"reader"}"#),
                Some(r#"{"role":"global_admin"}"#)
            ),
            "role: reader → global_admin"
        );
        assert_eq!(
            describe_change(None, Some(r#"{"username":"ada","enabled":true}"#)),
            "enabled: true · username: ada"
        );
        assert_eq!(describe_change(None, None), "");
    }

    #[test]
    fn times_are_utc_minutes() {
        assert_eq!(format_time(0), "1970-01-01 00:00");
    }
}
