//! `Plan::validate` and `Plan::literal` on a hand-written plan.

use super::*;

/// A plan of `{eventId: string, eventTime: long, email: string, page: string}`.
fn plan(own_key: &str, fingerprint: &str) -> Result<Plan, String> {
    let json = format!(
        r#"{{"fingerprint": "{fingerprint}",
        "fields": [{{"name": "eventId", "type": {{"k": "string"}}}},
                   {{"name": "eventTime", "type": {{"k": "long"}}}},
                   {{"name": "email", "type": {{"k": "string"}}}},
                   {{"name": "page", "type": {{"k": "string"}}}}],
        "event_id": 0, "event_time": 1, "app_key": null, "session_id": null, "test": null,
        "name": null, "effect": null, "attributes": null,
        "identity": [["email", 2, "email"]],
        "own": [{{"slot": 3, "keys": ["{own_key}"], "required": false, "table": false}}],
        "signal_type": "pageView", "category": "Cat", "default_name": "Page",
        "default_effect": "up", "effect_zero": null, "event_id_attribute": "id",
        "attribute_keys": ["n", "v"],
        "input_keys": [["app_key", "app"], ["identity", "who"], ["session", "s"],
                       ["content", "what"], ["test", "t"]],
        "content_head": [["signal_type", "type"], ["category", "cat"], ["name", "label"],
                         ["effect", "fx"]],
        "content_tail": [["timestamp", "at"], ["attributes", "attrs"]],
        "checks": {{}}, "required": [], "test_signals": false,
        "notices": [{{"k": "missing_expected_field", "field": "gone"}},
                    {{"k": "missing_expected_field", "field": "{own_key}"}},
                    {{"k": "enum_value_unknown", "field": "{own_key}", "known": ["x"]}},
                    {{"k": "enum_value_unknown", "field": "type", "known": ["pageView"]}}]}}"#
    );
    let plan: Plan = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    plan.validate().map(|()| plan)
}

fn body() -> Vec<u8> {
    let mut out = Vec::new();
    let mut text = |t: &str| {
        out.push((t.len() * 2) as u8); // zig-zag length
        out.extend(t.as_bytes());
    };
    text("e-1");
    text(""); // one zero byte: also eventTime 0 as a long
    text("a@b.co");
    text("home");
    out
}

#[test]
fn every_key_and_constant_comes_from_the_plan() {
    let plan = plan("page", RULES_FINGERPRINT.trim()).unwrap();
    assert_eq!(
        plan.literal(&body(), Some("k")).unwrap().0,
        "{app:\"k\",who:{email:\"a@b.co\"},what:{type:\"pageView\",cat:\"Cat\",\
         label:\"Page\",fx:\"up\",page:\"home\",at:\"1970-01-01T00:00:00.000Z\",\
         attrs:[{n:\"id\",v:\"e-1\"}]}}"
    );
}

#[test]
fn the_notices_a_literal_gives_are_reported_as_a_mask() {
    let plan = plan("page", RULES_FINGERPRINT.trim()).unwrap();
    // "gone" is missing and "home" is off the list ["x"]; "page" is set, "pageView" is known
    assert_eq!(plan.literal(&body(), Some("k")).unwrap().1, 0b0101);
}

#[test]
fn plans_it_cannot_run_exactly_are_refused() {
    let other = plan("page", "sha256:other").unwrap_err();
    assert!(other.contains("fingerprint"), "{other}");
    let dashed = plan("utm-source", RULES_FINGERPRINT.trim()).unwrap_err();
    assert!(dashed.contains("not a GraphQL name"), "{dashed}");
    let unknown = serde_json::from_str::<Plan>(r#"{"surprise": 1}"#).unwrap_err();
    assert!(unknown.to_string().contains("unknown field"), "{unknown}");
}
