//! The one translation mechanism: every user-facing string is a field of [`Texts`], grouped by
//! area (`t.store.sync_now`, `t.billing.assign`, `t.common.save`).
//!
//! A key that does not exist does not compile. Each area's file holds its English table (complete)
//! and its Dutch table side by side; Dutch overrides what has been translated and falls back to
//! English for the rest (`..EN`), so adding a key never breaks the Dutch UI. The language comes
//! from the `ld_lang` cookie or `Accept-Language` on the server and from `<html lang>` in the
//! browser, so hydration always sees the server's choice.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Nl,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en") => Some(Lang::En),
            Some("nl") => Some(Lang::Nl),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Lang {
        header
            .split(',')
            .filter_map(|part| Lang::from_code(part.trim()))
            .next()
            .unwrap_or_default()
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Nl => &NL,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Nl,
            Lang::Nl => Lang::En,
        }
    }
}

/// The texts of the current page's language.
pub fn use_texts() -> &'static Texts {
    use_context::<Lang>().unwrap_or_default().texts()
}

/// Replaces `{}` in a template with `arg` (for the few parameterised messages).
pub fn fill(template: &str, arg: impl std::fmt::Display) -> String {
    template.replacen("{}", &arg.to_string(), 1)
}

/// Declares one area's table: the struct (one `&'static str` field per message) and its English
/// values, `EN`, from one list, so a key and its English text are written once.
macro_rules! declare_texts {
    ($name:ident { $($field:ident: $en:literal),* $(,)? }) => {
        pub struct $name {
            $(pub $field: &'static str,)*
        }

        /// English: every message.
        pub const EN: $name = $name {
            $($field: $en,)*
        };

        impl $name {
            /// All values in declaration order (used by tests that check the tables).
            #[cfg(test)]
            pub fn all(&self) -> Vec<&'static str> {
                vec![$(self.$field),*]
            }
        }
    };
}

pub mod billing;
pub mod common;
pub mod directory;
pub mod email;
pub mod licenses;
pub mod overview;
pub mod reclaim;
pub mod settings;
pub mod shell;
pub mod store;
pub mod tokens;

/// Every user-facing string of the UI, one table per area.
pub struct Texts {
    pub common: common::CommonTexts,
    pub shell: shell::ShellTexts,
    pub directory: directory::DirectoryTexts,
    pub licenses: licenses::LicensesTexts,
    pub billing: billing::BillingTexts,
    pub store: store::StoreTexts,
    pub settings: settings::SettingsTexts,
    pub overview: overview::OverviewTexts,
    pub email: email::EmailTexts,
    pub reclaim: reclaim::ReclaimTexts,
    pub tokens: tokens::TokenTexts,
}

pub const EN: Texts = Texts {
    common: common::EN,
    shell: shell::EN,
    directory: directory::EN,
    licenses: licenses::EN,
    billing: billing::EN,
    store: store::EN,
    settings: settings::EN,
    overview: overview::EN,
    email: email::EN,
    reclaim: reclaim::EN,
    tokens: tokens::EN,
};

pub const NL: Texts = Texts {
    common: common::NL,
    shell: shell::NL,
    directory: directory::NL,
    licenses: licenses::NL,
    billing: billing::NL,
    store: store::NL,
    settings: settings::NL,
    overview: overview::NL,
    email: email::NL,
    reclaim: reclaim::NL,
    tokens: tokens::NL,
};

#[cfg(test)]
impl Texts {
    /// Each area's name and values, in declaration order.
    pub fn areas(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![
            ("common", self.common.all()),
            ("shell", self.shell.all()),
            ("directory", self.directory.all()),
            ("licenses", self.licenses.all()),
            ("billing", self.billing.all()),
            ("store", self.store.all()),
            ("settings", self.settings.all()),
            ("overview", self.overview.all()),
            ("email", self.email.all()),
            ("reclaim", self.reclaim.all()),
            ("tokens", self.tokens.all()),
        ]
    }

    /// All values of all areas.
    pub fn all(&self) -> Vec<&'static str> {
        self.areas().into_iter().flat_map(|(_, v)| v).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("nl-NL,nl;q=0.9,en;q=0.8"),
            Lang::Nl
        );
        assert_eq!(Lang::from_accept_language("de-DE,en-US;q=0.7"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn fill_replaces_placeholder() {
        assert_eq!(
            fill(EN.settings.confirm_disable_body, "Ada")
                .split(' ')
                .next(),
            Some("Ada")
        );
    }

    /// A translation keeps every `{}` of its English text, so `fill` puts each value somewhere.
    #[test]
    fn placeholders_match_in_every_language() {
        for ((area, en), (_, nl)) in EN.areas().into_iter().zip(NL.areas()) {
            for (e, n) in en.iter().zip(&nl) {
                assert_eq!(
                    e.matches("{}").count(),
                    n.matches("{}").count(),
                    "{area}: {e:?} / {n:?}"
                );
            }
        }
    }

    /// What the mechanism puts into the WASM binary: the string bytes of both tables plus one
    /// (pointer, length) pair per field on wasm32. Printed per area so the figure is measured.
    #[test]
    fn payload_size_report() {
        let mut keys = 0;
        let mut en_total = 0;
        let mut nl_total = 0;
        for ((area, en), (nl_area, nl)) in EN.areas().into_iter().zip(NL.areas()) {
            assert_eq!(area, nl_area);
            assert_eq!(en.len(), nl.len(), "{area}: both tables have every key");
            assert!(
                en.iter().all(|s| !s.is_empty()),
                "{area}: every English text is filled in"
            );
            let en_bytes: usize = en.iter().map(|s| s.len()).sum();
            let nl_only: usize = nl
                .iter()
                .zip(&en)
                .filter(|(a, b)| a.as_ptr() != b.as_ptr())
                .map(|(a, _)| a.len())
                .sum();
            println!(
                "i18n {area}: {} keys, EN strings {en_bytes} B, NL-only strings {nl_only} B",
                en.len()
            );
            keys += en.len();
            en_total += en_bytes;
            nl_total += nl_only;
        }
        let tables = 2 * keys * 8;
        println!(
            "i18n payload: {keys} keys, EN strings {en_total} B, NL-only strings {nl_total} B, tables {tables} B"
        );
        assert_eq!(EN.all().len(), keys);
    }
}
