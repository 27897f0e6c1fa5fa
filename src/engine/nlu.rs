//! TEMPORARY STUB: replaced by the real matcher.
use serde_json::Value;
use std::collections::BTreeMap;
#[derive(Debug, Clone, PartialEq)]
pub enum SlotType {
    Values(Vec<SlotValue>),
    Number,
    Email,
    Any,
}
#[derive(Debug, Clone, PartialEq)]
pub struct SlotValue {
    pub value: String,
    pub synonyms: Vec<String>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct IntentSpec {
    pub name: String,
    pub utterances: Vec<String>,
    pub slots: BTreeMap<String, SlotType>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct IntentMatch {
    pub intent: String,
    pub confidence: f64,
    pub slots: BTreeMap<String, Value>,
}
#[derive(Debug, Clone)]
pub struct Matcher {
    intents: Vec<IntentSpec>,
}
impl Matcher {
    pub fn new(intents: &[IntentSpec], _threshold: f64) -> Result<Matcher, String> {
        Ok(Matcher { intents: intents.to_vec() })
    }
    pub fn classify(&self, text: &str) -> Option<IntentMatch> {
        let t = text.to_lowercase();
        self.intents.iter().find(|i| i.utterances.iter().any(|u| u.to_lowercase() == t)).map(|i| IntentMatch {
            intent: i.name.clone(),
            confidence: 1.0,
            slots: BTreeMap::new(),
        })
    }
    pub fn classify_among(&self, text: &str, _intents: &[&str]) -> Option<IntentMatch> {
        self.classify(text)
    }
}
pub fn extract_slot(slot: &SlotType, text: &str) -> Option<Value> {
    match slot {
        SlotType::Any => Some(Value::String(text.trim().into())),
        _ => None,
    }
}
pub fn parse_slot_type(_v: &Value) -> Result<SlotType, String> {
    Ok(SlotType::Any)
}
pub fn tokens(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}
