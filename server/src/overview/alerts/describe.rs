//! The sentence an alert shows, made from its rule and details when it is read (never stored,
//! so a wording change reaches old alerts too).

use serde_json::Value;

pub(super) fn date_text(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

pub(super) fn date_of(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The sentence an alert shows, made from its rule and details when it is read.
pub fn describe(rule: &str, p: &Value) -> String {
    let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
    let n = |k: &str| p[k].as_i64().unwrap_or(0);
    match rule {
        "token_expiring" if n("days") <= 0 => format!(
            "The store token of \u{201c}{}\u{201d} has expired ({}): upload a renewed token.",
            s("name"),
            s("date")
        ),
        "token_expiring" => format!(
            "The store token of \u{201c}{}\u{201d} expires in {} days ({}): upload a renewed token.",
            s("name"),
            n("days"),
            s("date")
        ),
        "token_state" => match s("state").as_str() {
            "revoked" => format!(
                "Apple revoked the token of \u{201c}{}\u{201d}: upload a new token.",
                s("name")
            ),
            "other_product" => format!(
                "Another management product has claimed the token of \u{201c}{}\u{201d}: upload a new token here.",
                s("name")
            ),
            _ => format!(
                "The store reports the token of \u{201c}{}\u{201d} as expired: upload a renewed token.",
                s("name")
            ),
        },
        "sync_failing" => format!(
            "The last two syncs of \u{201c}{}\u{201d} failed: {}",
            s("name"),
            s("error")
        ),
        "app_low" if n("available") <= 0 => format!(
            "\u{201c}{}\u{201d} has no license left ({} owned, all in use).",
            s("name"),
            n("total")
        ),
        "app_low" => format!(
            "\u{201c}{}\u{201d} has {} of {} licenses left.",
            s("name"),
            n("available"),
            n("total")
        ),
        "agreement_ending" => format!(
            "Agreement \u{201c}{}\u{201d} ends in {} days ({}).",
            s("name"),
            n("days"),
            s("date")
        ),
        "subscription_renewing" => format!(
            "\u{201c}{}\u{201d} renews in {} days ({}).",
            s("name"),
            n("days"),
            s("date")
        ),
        "subscription_disabled" => format!(
            "\u{201c}{}\u{201d} was disabled ({}) on {}.",
            s("name"),
            s("reason").replace('_', " "),
            s("date")
        ),
        "invoice_overdue" => format!(
            "Invoice {} (\u{201c}{}\u{201d}) is overdue: it was due on {}.",
            s("number"),
            s("profile"),
            s("date")
        ),
        "card_expiring" if n("days") < 0 => format!(
            "The card ending in {} on \u{201c}{}\u{201d} has expired ({}).",
            s("last4"),
            s("profile"),
            s("expires")
        ),
        "card_expiring" => format!(
            "The card ending in {} on \u{201c}{}\u{201d} expires at the end of {}.",
            s("last4"),
            s("profile"),
            s("expires")
        ),
        "under_licensed" => format!(
            "{} {} is under-licensed: {} installed, {} owned, {} licenses missing.",
            s("publisher"),
            s("product"),
            n("installed"),
            n("owned"),
            n("missing")
        ),
        other => other.replace('_', " "),
    }
}
