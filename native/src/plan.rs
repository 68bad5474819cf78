//! One writer schema's plan (built by `consumer/native.py`) and the fast path itself:
//! body bytes -> the signal's GraphQL literal, or `None` for the Python path.
//!
//! The steps follow `Mapper._map_table`, `mapper.assemble`, `rules.validate_input` and
//! `Signal.as_input`; anything this code is not certain about returns `None`. Every key name,
//! key order and constant comes from the plan (`consumer/native_guard.py` reads them off the
//! Python path); the behaviour repeated here is fingerprinted (`rules.fingerprint`).

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::avro::{Field, Reader, V};
use crate::check::{fields_ok, is_e164, is_email, Check, NoticeCheck};
use crate::emit::{is_name, iso_millis, plain, string, value};

/// The fingerprint of the Python rules this code was last checked against.
pub const RULES_FINGERPRINT: &str = include_str!("rules.fingerprint");

/// Where a top-level input key's value comes from (`Signal.as_input`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRole {
    AppKey,
    Identity,
    Session,
    Content,
    Test,
}

/// Where a `signalContent` key that the mapper writes itself gets its value (`assemble`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentRole {
    SignalType,
    Category,
    Name,
    Effect,
    Timestamp,
    Attributes,
}

/// The rule of an identity's value (`rules.IDENTITY_RULES`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdRule {
    Any,
    Email,
    E164,
}

/// `mapper.default_effect` for types whose effect depends on one content value being 0.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectZero {
    pub key: String,
    pub zero: String,
    pub otherwise: String,
}

/// One `signalContent` entry that comes from an event field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Must equal `RULES_FINGERPRINT` (checked by `validate`).
    pub fingerprint: String,
    pub fields: Vec<Field>,
    pub event_id: usize,
    pub event_time: usize,
    pub app_key: Option<usize>,
    pub session_id: Option<usize>,
    pub test: Option<usize>,
    pub name: Option<usize>,
    pub effect: Option<usize>,
    pub attributes: Option<usize>,
    /// (identity kind, writer field index, rule) for the identity fields the schema has.
    pub identity: Vec<(String, usize, IdRule)>,
    pub own: Vec<Own>,
    pub signal_type: String,
    pub category: String,
    pub default_name: String,
    pub default_effect: String,
    pub effect_zero: Option<EffectZero>,
    /// The custom attribute that carries the event id (always last).
    pub event_id_attribute: String,
    /// The keys of a custom attribute object: name, then value.
    pub attribute_keys: (String, String),
    /// The top-level keys, in order.
    pub input_keys: Vec<(InputRole, String)>,
    /// The content keys before the own fields, and after them, in order.
    pub content_head: Vec<(ContentRole, String)>,
    pub content_tail: Vec<(ContentRole, String)>,
    pub checks: HashMap<String, Check>,
    pub required: Vec<String>,
    /// The notices a valid signal of this type may give, in `notices_of`'s order (at most 64:
    /// `literal` reports them as a bit mask).
    pub notices: Vec<NoticeCheck>,
    pub test_signals: bool,
}

fn s(text: &str) -> V {
    V::Str(text.to_owned())
}

impl Plan {
    /// Refuse a plan this build cannot run exactly: another fingerprint, a slot out of range or
    /// used twice, a key that is not a GraphQL name, a fixed content key missing or repeated.
    pub fn validate(&self) -> Result<(), String> {
        if self.fingerprint != RULES_FINGERPRINT.trim() {
            return Err(format!(
                "the plan's rules fingerprint {} is not the one this build mirrors ({}): \
                 rebuild native/ after checking it against the Python rules",
                self.fingerprint,
                RULES_FINGERPRINT.trim()
            ));
        }
        if self.notices.len() > 64 {
            return Err("more than 64 notices".into());
        }
        let width = self.fields.len();
        let slots = [Some(self.event_id), Some(self.event_time), self.app_key]
            .into_iter()
            .chain([self.session_id, self.test, self.name, self.effect])
            .chain([self.attributes])
            .flatten()
            .chain(self.identity.iter().map(|(_, i, _)| *i))
            .chain(self.own.iter().map(|o| o.slot));
        let mut seen = vec![false; width];
        for slot in slots {
            if slot >= width || std::mem::replace(&mut seen[slot], true) {
                return Err(format!("field {slot} used twice or missing"));
            }
        }
        if self.own.iter().any(|o| o.keys.is_empty()) {
            return Err("an own field without a content key".into());
        }
        let keys = self
            .own
            .iter()
            .flat_map(|o| o.keys.iter())
            .chain(self.input_keys.iter().map(|(_, k)| k))
            .chain(self.content_head.iter().map(|(_, k)| k))
            .chain(self.content_tail.iter().map(|(_, k)| k))
            .chain([&self.attribute_keys.0, &self.attribute_keys.1])
            .chain(self.identity.iter().map(|(k, _, _)| k));
        for key in keys {
            if !is_name(key) {
                return Err(format!("{key:?} is not a GraphQL name"));
            }
        }
        use ContentRole::*;
        let has = |part: &[(ContentRole, String)], roles: &[ContentRole]| {
            part.len() == roles.len() && roles.iter().all(|r| part.iter().any(|(p, _)| p == r))
        };
        if !has(&self.content_head, &[SignalType, Category, Name, Effect])
            || !has(&self.content_tail, &[Timestamp, Attributes])
        {
            return Err("the fixed content keys are not the ones this build writes".into());
        }
        Ok(())
    }

    /// The literal of one Avro body (the bytes after the 5-byte frame), and the mask of the
    /// plan's `notices` it gives (bit i: `notices[i]`).
    pub fn literal(&self, body: &[u8], fallback_app_key: Option<&str>) -> Option<(String, u64)> {
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
        let mut identity: Option<(&str, IdRule, String)> = None;
        for (kind, slot, rule) in &self.identity {
            match take(&mut slots, Some(*slot)) {
                V::Null => {}
                V::Str(v) if v.is_empty() => {}
                V::Str(v) if identity.is_none() => identity = Some((kind, *rule, v)),
                _ => return None,
            }
        }
        let (kind, rule, id_value) = identity?;
        let id_ok = match rule {
            IdRule::Email => is_email(&id_value),
            IdRule::Any => true,
            IdRule::E164 => is_e164(&id_value),
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

        // 2. signalContent: the fixed head, own fields, the fixed tail (keys from the plan)
        let mut name = Some(match take(&mut slots, self.name) {
            V::Null => s(&self.default_name),
            other => other,
        });
        let effect = take(&mut slots, self.effect);
        let attributes = take(&mut slots, self.attributes);
        let mut content: Vec<(&str, V)> = Vec::with_capacity(self.own.len() + 8);
        let mut effect_at = None;
        for (role, key) in &self.content_head {
            let v = match role {
                ContentRole::SignalType => s(&self.signal_type),
                ContentRole::Category => s(&self.category),
                ContentRole::Name => name.take()?,
                ContentRole::Effect => {
                    effect_at = Some(content.len());
                    V::Null // decided below, once the own fields are known
                }
                ContentRole::Timestamp | ContentRole::Attributes => return None,
            };
            content.push((key, v));
        }
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
        if let Some(at) = effect_at {
            content[at].1 = match effect {
                V::Null => s(self.effect_of(&content)),
                v => v,
            };
        }
        let mut timestamp = Some(timestamp);
        let mut attributes = Some(attributes);
        for (role, key) in &self.content_tail {
            let v = match role {
                ContentRole::Timestamp => V::Str(timestamp.take()?),
                ContentRole::Attributes => V::Arr(self.custom(attributes.take()?, &event_id)?),
                _ => return None,
            };
            content.push((key, v));
        }

        // 3. validate (rules.validate_input): the identity and app key were checked above
        if !fields_ok(
            content.iter().map(|(k, v)| (*k, v)),
            &self.checks,
            &self.required,
        ) {
            return None;
        }
        let mut notices = 0u64;
        for (bit, notice) in self.notices.iter().enumerate() {
            if notice.found(content.iter().map(|(k, v)| (*k, v))) {
                notices |= 1 << bit;
            }
        }

        // 4. the literal, keys in Signal.as_input's order
        let mut out = String::with_capacity(body.len() * 2 + 256);
        out.push('{');
        let mut first = true;
        for (role, key) in &self.input_keys {
            let present = match role {
                InputRole::Session => session_id.is_some(),
                InputRole::Test => test,
                _ => true,
            };
            if !present {
                continue;
            }
            if !std::mem::replace(&mut first, false) {
                out.push(',');
            }
            out.push_str(key);
            out.push(':');
            match role {
                InputRole::AppKey => string(&mut out, &app_key),
                InputRole::Identity => {
                    out.push('{');
                    out.push_str(kind);
                    out.push(':');
                    string(&mut out, &id_value);
                    out.push('}');
                }
                InputRole::Session => string(&mut out, session_id.as_deref()?),
                InputRole::Content => {
                    out.push('{');
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
                }
                InputRole::Test => out.push_str("true"),
            }
        }
        out.push('}');
        Some((out, notices))
    }

    /// `signalCustomAttributes`: the event's attributes (not the event id's name, no nulls),
    /// then the event id.
    fn custom(&self, attributes: V, event_id: &str) -> Option<Vec<V>> {
        let mut custom = match attributes {
            V::Null => Vec::new(),
            V::Obj(entries) => entries
                .into_iter()
                .filter(|(k, v)| **k != *self.event_id_attribute && *v != V::Null)
                .map(|(k, v)| self.attribute(V::Str(k.to_string()), v))
                .collect(),
            _ => return None,
        };
        custom.push(self.attribute(s(&self.event_id_attribute), s(event_id)));
        Some(custom)
    }

    fn attribute(&self, name: V, value: V) -> V {
        let (name_key, value_key) = &self.attribute_keys;
        V::Obj(vec![
            (Arc::from(name_key.as_str()), name),
            (Arc::from(value_key.as_str()), value),
        ])
    }

    /// `mapper.default_effect`: the zero rule when the type has one, else the type's default.
    fn effect_of(&self, content: &[(&str, V)]) -> &str {
        let Some(rule) = &self.effect_zero else {
            return &self.default_effect;
        };
        let zero = content
            .iter()
            .find(|(k, _)| *k == rule.key)
            .is_some_and(|(_, v)| {
                matches!(v, V::Int(0) | V::Bool(false)) || matches!(v, V::Float(f) if *f == 0.0)
            });
        if zero {
            &rule.zero
        } else {
            &rule.otherwise
        }
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
