//! One writer schema's plan (built by `consumer/native.py`) and the fast path itself:
//! body bytes -> the signal's GraphQL literal, or `None` for the Python path.
//!
//! The steps follow `Mapper._map_table`, `mapper.assemble`, `rules.validate_input` and
//! `Signal.as_input`; anything this code is not certain about returns `None`.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::avro::{Field, Reader, V};
use crate::check::{fields_ok, is_e164, is_email, Check};
use crate::emit::{iso_millis, plain, string, value};

/// One `signalContent` entry that comes from an event field.
#[derive(Debug, Deserialize)]
pub struct Own {
    /// Index of the writer field.
    pub slot: usize,
    /// The content key, then the keys given the same value (`FieldMap.also`).
    pub keys: Vec<String>,
    pub required: bool,
    /// A table field (empty lists skipped, lists made plain) or a pass-through one (plain).
    pub table: bool,
}

#[derive(Debug, Deserialize)]
pub struct Plan {
    pub fields: Vec<Field>,
    pub event_id: usize,
    pub event_time: usize,
    pub app_key: Option<usize>,
    pub session_id: Option<usize>,
    pub test: Option<usize>,
    pub name: Option<usize>,
    pub effect: Option<usize>,
    pub attributes: Option<usize>,
    /// (identity kind, writer field index) for the identity fields the schema has.
    pub identity: Vec<(String, usize)>,
    pub own: Vec<Own>,
    pub signal_type: String,
    pub default_name: String,
    pub default_effect: String,
    /// The content key whose value 0 makes the default effect `negative` (onSiteSearch).
    pub effect_zero_key: Option<String>,
    pub checks: HashMap<String, Check>,
    pub required: Vec<String>,
    pub test_signals: bool,
}

fn s(text: &str) -> V {
    V::Str(text.to_owned())
}

impl Plan {
    /// The literal of one Avro body (the bytes after the 5-byte frame).
    pub fn literal(&self, body: &[u8], fallback_app_key: Option<&str>) -> Option<String> {
        let mut reader = Reader::new(body);
        let mut slots = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            slots.push(reader.read(&field.ty)?);
        }
        if !reader.at_end() {
            return None;
        }
        let take = |slots: &mut Vec<V>, i: Option<usize>| match i {
            Some(i) => std::mem::replace(&mut slots[i], V::Null),
            None => V::Null,
        };

        // 1. envelope: eventId, eventTime, identity, appKey, sessionId, test
        let V::Str(event_id) = take(&mut slots, Some(self.event_id)) else {
            return None;
        };
        if event_id.is_empty() {
            return None;
        }
        let timestamp = match take(&mut slots, Some(self.event_time)) {
            V::Ts(ms) | V::Int(ms) => iso_millis(ms)?,
            _ => return None,
        };
        let mut identity: Option<(&str, String)> = None;
        for (kind, slot) in &self.identity {
            match take(&mut slots, Some(*slot)) {
                V::Null => {}
                V::Str(v) if v.is_empty() => {}
                V::Str(v) if identity.is_none() => identity = Some((kind, v)),
                _ => return None,
            }
        }
        let (kind, id_value) = identity?;
        let id_ok = match kind {
            "email" => is_email(&id_value),
            "contactKey" => true,
            _ => is_e164(&id_value),
        };
        if !id_ok {
            return None;
        }
        let app_key = match take(&mut slots, self.app_key) {
            V::Str(k) if !k.is_empty() => k,
            V::Null | V::Str(_) => fallback_app_key.filter(|k| !k.is_empty())?.to_owned(),
            _ => return None,
        };
        let session_id = match take(&mut slots, self.session_id) {
            V::Null => None,
            V::Str(v) if v.is_empty() => None,
            V::Str(v) => Some(v),
            _ => return None,
        };
        let test = matches!(take(&mut slots, self.test), V::Bool(true)) || self.test_signals;

        // 2. signalContent: fixed keys, own fields, timestamp, custom attributes
        let name = match take(&mut slots, self.name) {
            V::Null => s(&self.default_name),
            other => other,
        };
        let effect = take(&mut slots, self.effect);
        let attributes = take(&mut slots, self.attributes);
        let mut content: Vec<(&str, V)> = Vec::with_capacity(self.own.len() + 8);
        content.push(("signalType", s(&self.signal_type)));
        content.push(("category", s("Behavior")));
        content.push(("name", name));
        content.push(("effect", V::Null));
        for own in &self.own {
            let v = match std::mem::replace(&mut slots[own.slot], V::Null) {
                V::Null if own.required => return None,
                V::Null => continue,
                V::Arr(a) if own.table && a.is_empty() => continue,
                v @ V::Arr(_) => plain(v),
                V::Obj(_) | V::Ts(_) if own.table => return None,
                v if own.table => v,
                v => plain(v),
            };
            // the content key, then the keys given the same value (`FieldMap.also`)
            let extras: Vec<(&str, V)> = own.keys[1..]
                .iter()
                .map(|k| (k.as_str(), v.clone()))
                .collect();
            content.push((&own.keys[0], v));
            content.extend(extras);
        }
        content[3].1 = match effect {
            V::Null => s(self.effect_of(&content)),
            v => v,
        };
        content.push(("signalTimestamp", V::Str(timestamp)));
        let mut custom = match attributes {
            V::Null => Vec::new(),
            V::Obj(entries) => entries
                .into_iter()
                .filter(|(k, v)| &**k != "eventId" && *v != V::Null)
                .map(|(k, v)| attribute(V::Str(k.to_string()), v))
                .collect(),
            _ => return None,
        };
        custom.push(attribute(s("eventId"), V::Str(event_id)));
        content.push(("signalCustomAttributes", V::Arr(custom)));

        // 3. validate (rules.validate_input): the identity and app key were checked above
        if !fields_ok(
            content.iter().map(|(k, v)| (*k, v)),
            &self.checks,
            &self.required,
        ) {
            return None;
        }

        // 4. the literal, keys in Signal.as_input's order
        let mut out = String::with_capacity(body.len() * 2 + 256);
        out.push_str("{appKey:");
        string(&mut out, &app_key);
        out.push_str(",identifiableAttributes:{");
        out.push_str(kind);
        out.push(':');
        string(&mut out, &id_value);
        out.push('}');
        if let Some(session) = &session_id {
            out.push_str(",sessionId:");
            string(&mut out, session);
        }
        out.push_str(",signalContent:{");
        for (i, (key, v)) in content.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push(':');
            if !value(&mut out, v) {
                return None;
            }
        }
        out.push('}');
        if test {
            out.push_str(",test:true");
        }
        out.push('}');
        Some(out)
    }

    /// `mapper.default_effect`: the onSiteSearch rule, else the type's default.
    fn effect_of(&self, content: &[(&str, V)]) -> &str {
        let Some(key) = &self.effect_zero_key else {
            return &self.default_effect;
        };
        let zero = content
            .iter()
            .find(|(k, _)| k == key)
            .is_some_and(|(_, v)| {
                matches!(v, V::Int(0) | V::Bool(false)) || matches!(v, V::Float(f) if *f == 0.0)
            });
        if zero {
            "negative"
        } else {
            "positive"
        }
    }
}

fn attribute(name: V, value: V) -> V {
    V::Obj(vec![(Arc::from("name"), name), (Arc::from("value"), value)])
}
