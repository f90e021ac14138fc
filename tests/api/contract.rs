//! Every answer the request helpers receive is checked against the OpenAPI
//! document the server publishes: the path and method are documented, a
//! success status is one the operation names, the content type is one it
//! names, and a JSON body validates against its schema. So every API test
//! is also a test of the document, and a handler that drifts from it fails
//! wherever it is called.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// The document, as the server builds it.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(sovang::http::openapi_document()).expect("the document is JSON")
    })
}

/// The documented path that `path` (below `/api/v1`, without a query)
/// falls under: the one whose literal segments match most, as the router
/// picks `/entries/batch` over `/entries/{seq}`.
pub fn template(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    document()["paths"]
        .as_object()?
        .keys()
        .filter_map(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (p, s) in parts.iter().zip(&segments) {
                if p.starts_with('{') && p.ends_with('}') {
                    if s.is_empty() {
                        return None;
                    }
                } else if p == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, t.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

type Validators = HashMap<String, std::sync::Arc<jsonschema::Validator>>;

/// A validator for the schema at `pointer` in the document, its references
/// resolved against the document's components.
fn validator(pointer: &str) -> std::sync::Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<Validators>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(pointer) {
        return v.clone();
    }
    let doc = document();
    let mut schema = doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("the document has no {pointer}"))
        .clone();
    let root = schema
        .as_object_mut()
        .unwrap_or_else(|| panic!("{pointer} is not a schema object"));
    root.insert("components".into(), doc["components"].clone());
    root.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    let v = std::sync::Arc::new(
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("the schema at {pointer} does not compile: {e}")),
    );
    cache.lock().unwrap().insert(pointer.to_owned(), v.clone());
    v
}

/// Escapes a key for a JSON pointer.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Checks one answer of the API against the document; panics with what
/// differs.
pub fn check(method: &str, api_path: &str, status: u16, content_type: &str, body: &str) {
    // axum answers an unknown route or method itself, with no body.
    let Some(path) = template(api_path) else {
        assert!(
            status == 404 || status == 405,
            "{method} {api_path} answered {status} but is not in the OpenAPI document"
        );
        return;
    };
    let method = method.to_ascii_lowercase();
    let op = &document()["paths"][path][&method];
    if op.is_null() {
        assert_eq!(
            status, 405,
            "{method} {path} answered {status} but is not in the OpenAPI document"
        );
        return;
    }
    let responses = op["responses"].as_object().expect("responses");
    let key = status.to_string();
    let (key, response) = match responses.get(&key) {
        Some(r) => (key, r),
        None => {
            assert!(
                status >= 400,
                "{method} {path} answered {status}, which the document does not name: {body}"
            );
            ("default".to_owned(), &responses["default"])
        }
    };
    let Some(content) = response["content"].as_object().filter(|c| !c.is_empty()) else {
        assert!(
            body.is_empty(),
            "{method} {path} {status} is documented without a body, but has one: {body}"
        );
        return;
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some(documented) = content
        .keys()
        .find(|k| k.split(';').next().unwrap_or_default().trim() == media)
    else {
        panic!(
            "{method} {path} {status} answered {content_type:?}, the document names {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    if media != "application/json" && !media.ends_with("+json") {
        return;
    }
    let value: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{method} {path} {status}: the body is not JSON ({e}): {body}"));
    let pointer = format!(
        "/paths/{}/{method}/responses/{key}/content/{}/schema",
        escape(path),
        escape(documented)
    );
    let v = validator(&pointer);
    let errors: Vec<String> = v
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match its schema:\n{}\nbody: {}",
        errors.join("\n"),
        &body[..body.len().min(2000)]
    );
}
