//! `signals_native`: the optional native fast path of connect-signals-consumer.
//!
//! `FastPath.add_plan(schema_id, plan_json)` stores one writer schema's plan (written by
//! `consumer/native.py`); `FastPath.literal(value, app_key)` turns one Confluent-framed value
//! into the signal's GraphQL literal and the bit mask of the plan's notices it gives (signals
//! Connect may discard, counted by the caller), or returns `None` whenever the pure-Python path must
//! decide (unknown schema, malformed bytes, a rule broken, anything unusual). A plan whose rules
//! fingerprint is not `RULES_FINGERPRINT` (the Python rules this build mirrors) is refused.

mod avro;
mod check;
mod emit;
mod plan;

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

#[pyclass(frozen)]
struct FastPath {
    plans: std::sync::RwLock<HashMap<u32, plan::Plan>>,
}

#[pymethods]
impl FastPath {
    #[new]
    fn new() -> Self {
        FastPath {
            plans: std::sync::RwLock::new(HashMap::new()),
        }
    }

    /// Store the plan of `schema_id` (ValueError when the JSON is not a plan).
    fn add_plan(&self, schema_id: u32, plan_json: &str) -> PyResult<()> {
        let plan: plan::Plan = serde_json::from_str(plan_json)
            .map_err(|e| PyValueError::new_err(format!("not a fast-path plan: {e}")))?;
        plan.validate().map_err(PyValueError::new_err)?;
        self.plans
            .write()
            .expect("plans lock")
            .insert(schema_id, plan);
        Ok(())
    }

    /// The schema ids that have a plan.
    fn schema_ids(&self) -> Vec<u32> {
        self.plans
            .read()
            .expect("plans lock")
            .keys()
            .copied()
            .collect()
    }

    /// The literal for one framed value and the mask of its plan's notices that it gives, or
    /// None (the Python path decides).
    #[pyo3(signature = (value, app_key=None))]
    fn literal(&self, value: &[u8], app_key: Option<&str>) -> Option<(String, u64)> {
        if value.len() < 5 || value[0] != 0 {
            return None;
        }
        let schema_id = u32::from_be_bytes([value[1], value[2], value[3], value[4]]);
        let plans = self.plans.read().ok()?;
        plans.get(&schema_id)?.literal(&value[5..], app_key)
    }
}

#[pymodule]
fn signals_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FastPath>()?;
    m.add("RULES_FINGERPRINT", plan::RULES_FINGERPRINT.trim())?;
    Ok(())
}
