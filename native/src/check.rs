//! The rules of `consumer/signals/rules.py`, for values the fast path produced.
//!
//! Every function answers "certainly valid"; `false` sends the event to the Python path, which
//! finds the violation (or, for an input these conservative checks do not accept, passes it).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::avro::V;

/// One `signalContent` field's checker (`consumer.signals.catalog.Kind`).
#[derive(Debug, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Check {
    String {
        required: bool,
        max: Option<usize>,
    },
    Number,
    Integer,
    Boolean,
    OneOf {
        values: HashSet<String>,
    },
    Timestamp,
    StringList,
    AttributeList,
    ObjectList {
        fields: HashMap<String, Check>,
        required: Vec<String>,
    },
}

/// One reason Connect may discard a valid signal that we send anyway
/// (`consumer/signals/notices.py`, `notices_of`), checked on the top-level content.
#[derive(Debug, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum NoticeCheck {
    /// An expected field is missing or null.
    MissingExpectedField { field: String },
    /// An open enumeration holds a non-empty string off its known list.
    EnumValueUnknown {
        field: String,
        known: HashSet<String>,
    },
}

impl NoticeCheck {
    /// True when the content `entries` (unique keys) give this notice.
    pub fn found<'a>(&self, mut entries: impl Iterator<Item = (&'a str, &'a V)>) -> bool {
        match self {
            NoticeCheck::MissingExpectedField { field } => {
                !entries.any(|(k, v)| k == field && *v != V::Null)
            }
            NoticeCheck::EnumValueUnknown { field, known } => entries.any(|(k, v)| {
                k == field && matches!(v, V::Str(s) if !s.is_empty() && !known.contains(s))
            }),
        }
    }
}

fn get<'a>(entries: &'a [(std::sync::Arc<str>, V)], key: &str) -> Option<&'a V> {
    entries.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
}

impl Check {
    /// True when `value` (never `V::Null`: nulls are not checked) passes.
    pub fn ok(&self, value: &V) -> bool {
        match (self, value) {
            (Check::String { required, max }, V::Str(s)) => {
                !(*required && s.is_empty()) && max.is_none_or(|m| s.chars().count() <= m)
            }
            (Check::Number, V::Int(_)) | (Check::Integer, V::Int(_)) => true,
            (Check::Number, V::Float(f)) => f.is_finite(),
            (Check::Boolean, V::Bool(_)) => true,
            (Check::OneOf { values }, V::Str(s)) => values.contains(s.as_str()),
            (Check::Timestamp, V::Str(s)) => is_iso_timestamp(s),
            (Check::StringList, V::Arr(items)) => items.iter().all(|i| matches!(i, V::Str(_))),
            (Check::AttributeList, V::Arr(items)) => items.iter().all(|item| match item {
                V::Obj(e) => {
                    matches!(get(e, "name"), Some(V::Str(n)) if !n.is_empty())
                        && matches!(get(e, "value"), Some(V::Str(_)))
                }
                _ => false,
            }),
            (Check::ObjectList { fields, required }, V::Arr(items)) => {
                items.iter().all(|item| match item {
                    V::Obj(e) => fields_ok(e.iter().map(|(k, v)| (&**k, v)), fields, required),
                    _ => false,
                })
            }
            _ => false,
        }
    }
}

/// Every non-null entry passes its checker (unknown keys pass through); required keys set.
pub fn fields_ok<'a>(
    entries: impl Iterator<Item = (&'a str, &'a V)> + Clone,
    checks: &HashMap<String, Check>,
    required: &[String],
) -> bool {
    for (key, value) in entries.clone() {
        if *value != V::Null {
            if let Some(check) = checks.get(key) {
                if !check.ok(value) {
                    return false;
                }
            }
        }
    }
    required
        .iter()
        .all(|name| entries.clone().any(|(k, v)| k == name && *v != V::Null))
}

/// `local@domain.tld` (rules.is_email), accepted only for printable ASCII without spaces.
pub fn is_email(s: &str) -> bool {
    if s.len() > 254 || !s.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2 && labels.iter().all(|l| !l.is_empty())
}

/// E.164: `+` then 7 to 15 ASCII digits, the first not 0 (rules.is_e164).
pub fn is_e164(s: &str) -> bool {
    let b = s.as_bytes();
    (8..=16).contains(&b.len())
        && b[0] == b'+'
        && b[1] != b'0'
        && b[1..].iter().all(u8::is_ascii_digit)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff](Z|±HH:MM)`: a subset of what Python's
/// `datetime.fromisoformat` accepts with an offset (rules.is_iso_timestamp).
pub fn is_iso_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return false;
    }
    if b[16] != b':' {
        return false;
    }
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        digits(&b[0..4]),
        digits(&b[5..7]),
        digits(&b[8..10]),
        digits(&b[11..13]),
        digits(&b[14..16]),
        digits(&b[17..19]),
    ) else {
        return false;
    };
    if y < 1 || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return false;
    }
    if h > 23 || mi > 59 || sec > 59 {
        return false;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n != 3 && n != 6 {
            return false;
        }
        rest = &rest[1 + n..];
    }
    match rest {
        [b'Z'] => true,
        [sign, hh @ .., b':', m1, m2] if (*sign == b'+' || *sign == b'-') && hh.len() == 2 => {
            matches!((digits(hh), digits(&[*m1, *m2])), (Some(oh), Some(om)) if oh <= 23 && om <= 59)
        }
        _ => false,
    }
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert!(is_iso_timestamp("2025-05-01T10:00:00.000Z"));
        assert!(is_iso_timestamp("2024-02-29T23:59:59+05:30"));
        assert!(is_iso_timestamp("2025-05-01T10:00:00.123456-01:00"));
        assert!(!is_iso_timestamp("2025-02-29T10:00:00Z"));
        assert!(!is_iso_timestamp("2025-05-01T10:00:00"));
        assert!(!is_iso_timestamp("2025-05-01T24:00:00Z"));
        assert!(!is_iso_timestamp("2025-05-01 10:00:00Z"));
    }

    #[test]
    fn identities() {
        assert!(is_email("a.b@example.co.uk"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("a@@example.com"));
        assert!(!is_email("a@example..com"));
        assert!(is_e164("+4915112345678"));
        assert!(!is_e164("+0151123456"));
        assert!(!is_e164("4915112345678"));
    }
}
