//! THE keyset cursor of every list: the last row's sort key and id, opaque to the browser
//! (URL-safe base64 of the JSON `[key, id]`). Lists are paged by keyset, never by OFFSET; a
//! cursor that does not decode, or does not fit the list, is refused with one message.

use app::domain::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The answer to a forged or damaged cursor (HTTP 400).
pub const FORGED: &str = "The page link is not valid; start from the first page.";

pub fn forged() -> ApiError {
    ApiError::BadRequest(FORGED.into())
}

/// A sort key: a number or a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    Int(i64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(Key, i64)", into = "(Key, i64)")]
pub struct Cursor {
    pub key: Key,
    pub id: i64,
}

impl From<(Key, i64)> for Cursor {
    fn from((key, id): (Key, i64)) -> Cursor {
        Cursor { key, id }
    }
}

impl From<Cursor> for (Key, i64) {
    fn from(c: Cursor) -> (Key, i64) {
        (c.key, c.id)
    }
}

impl Cursor {
    pub fn text(key: impl Into<String>, id: i64) -> Cursor {
        Cursor {
            key: Key::Text(key.into()),
            id,
        }
    }

    pub fn int(key: i64, id: i64) -> Cursor {
        Cursor {
            key: Key::Int(key),
            id,
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The cursor a list was called with: none (or empty) for the first page.
    pub fn decode(after: Option<&str>) -> Result<Option<Cursor>, ApiError> {
        let Some(s) = after.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|raw| serde_json::from_slice(&raw).ok())
            .map(Some)
            .ok_or_else(forged)
    }

    /// The text key and id; a number where a text belongs is a forged cursor.
    pub fn into_text(self) -> Result<(String, i64), ApiError> {
        match self.key {
            Key::Text(t) => Ok((t, self.id)),
            Key::Int(_) => Err(forged()),
        }
    }

    /// A text key that must also pass `valid` (e.g. a period); anything else is forged.
    pub fn into_text_where(self, valid: impl Fn(&str) -> bool) -> Result<(String, i64), ApiError> {
        self.into_text().and_then(|(k, id)| {
            if valid(&k) {
                Ok((k, id))
            } else {
                Err(forged())
            }
        })
    }
}

/// One page out of `rows` fetched with `LIMIT size + 1`: the first `size` rows, and the cursor
/// of the last of them when more followed.
pub fn page<T, C>(
    mut rows: Vec<T>,
    size: i64,
    cursor: impl FnOnce(&T) -> C,
) -> (Vec<T>, Option<C>) {
    let size = usize::try_from(size).unwrap_or(0);
    if rows.len() <= size {
        return (rows, None);
    }
    rows.truncate(size);
    let next = rows.last().map(cursor);
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_forgeries() {
        for c in [Cursor::text("ada", 7), Cursor::int(-3, 9)] {
            assert_eq!(Cursor::decode(Some(&c.encode())).unwrap(), Some(c));
        }
        // The directory's cursors from before this type keep working.
        assert_eq!(
            Cursor::decode(Some("WyJhZGEiLDdd")).unwrap(),
            Some(Cursor::text("ada", 7))
        );
        assert_eq!(Cursor::decode(None).unwrap(), None);
        assert_eq!(Cursor::decode(Some(" ")).unwrap(), None);
        for bad in ["not-a-cursor", "drop table", "WyJhZGEiXQ"] {
            assert_eq!(
                Cursor::decode(Some(bad)),
                Err(ApiError::BadRequest(FORGED.into()))
            );
        }
        assert!(Cursor::int(1, 2).into_text().is_err());
        assert!(Cursor::text("x", 2).into_text_where(|k| k == "y").is_err());
    }

    #[test]
    fn pages_split_after_size() {
        assert_eq!(page(vec![1, 2, 3], 2, |r| *r), (vec![1, 2], Some(2)));
        assert_eq!(page(vec![1, 2], 2, |r| *r), (vec![1, 2], None));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::core::arbitrary::{json, text};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any `after` parameter (any text, or base64 of any JSON) is no cursor, a cursor, or
        /// the one "forged" error; never a panic.
        #[test]
        fn any_after_is_a_cursor_or_forged(after in prop_oneof![
            "[A-Za-z0-9_=+/ -]{0,24}",
            text(),
            json().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        ]) {
            match Cursor::decode(Some(&after)) {
                Ok(_) => {}
                Err(e) => prop_assert_eq!(e, forged()),
            }
        }

        /// Every cursor decodes back to itself.
        #[test]
        fn cursors_round_trip(
            key in prop_oneof![any::<i64>().prop_map(Key::Int), text().prop_map(Key::Text)],
            id in any::<i64>(),
        ) {
            let c = Cursor { key, id };
            prop_assert_eq!(Cursor::decode(Some(&c.encode())), Ok(Some(c)));
        }
    }
}
