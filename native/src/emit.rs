//! GraphQL literal text (`consumer/signals/graphql_literal.py`) and the ISO timestamp.

use crate::avro::V;

/// Smallest epoch millisecond the fast path renders (1000-01-01T00:00:00.000Z: four-digit
/// years, which the Python path writes alike from a datetime and from epoch milliseconds).
pub const MIN_EPOCH_MS: i64 = -30_610_224_000_000;
/// Largest epoch millisecond the fast path renders (9999-12-31T23:59:59.999Z).
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

/// Epoch milliseconds (MIN_EPOCH_MS ..= MAX_EPOCH_MS) as `2025-05-01T10:00:00.000Z`.
pub fn iso_millis(ms: i64) -> Option<String> {
    if !(MIN_EPOCH_MS..=MAX_EPOCH_MS).contains(&ms) {
        return None;
    }
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z"
    ))
}

/// Howard Hinnant's days-from-civil inverse (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`.
pub fn is_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// A double-quoted string with JSON's escapes (which GraphQL shares).
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// `value` as a GraphQL value literal; false when it cannot be one (NaN, a key not a name).
pub fn value(out: &mut String, v: &V) -> bool {
    match v {
        V::Null => out.push_str("null"),
        V::Bool(true) => out.push_str("true"),
        V::Bool(false) => out.push_str("false"),
        V::Int(n) => out.push_str(itoa::Buffer::new().format(*n)),
        V::Float(f) => {
            if !f.is_finite() {
                return false;
            }
            out.push_str(ryu::Buffer::new().format_finite(*f));
        }
        V::Str(s) => string(out, s),
        V::Ts(_) => return false, // only eventTime carries one, and it is rendered apart
        V::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !value(out, item) {
                    return false;
                }
            }
            out.push(']');
        }
        V::Obj(entries) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if !is_name(k) {
                    return false;
                }
                if i > 0 {
                    out.push(',');
                }
                out.push_str(k);
                out.push(':');
                if !value(out, item) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}

/// fastavro's value made JSON-able as `mapper.plain` does: nulls and empty lists dropped
/// from records and maps (not from lists).
pub fn plain(v: V) -> V {
    match v {
        V::Arr(items) => V::Arr(items.into_iter().map(plain).collect()),
        V::Obj(entries) => V::Obj(
            entries
                .into_iter()
                .filter(|(_, v)| !matches!(v, V::Null) && !matches!(v, V::Arr(a) if a.is_empty()))
                .map(|(k, v)| (k, plain(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso() {
        assert_eq!(iso_millis(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_millis(1_746_093_600_123).unwrap(),
            "2025-05-01T10:00:00.123Z"
        );
        assert_eq!(
            iso_millis(951_782_400_000).unwrap(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            iso_millis(MAX_EPOCH_MS).unwrap(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(iso_millis(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            iso_millis(MIN_EPOCH_MS).unwrap(),
            "1000-01-01T00:00:00.000Z"
        );
        assert!(iso_millis(MIN_EPOCH_MS - 1).is_none());
        assert!(iso_millis(MAX_EPOCH_MS + 1).is_none());
    }

    #[test]
    fn strings() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}é😀");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é😀\"");
    }
}
