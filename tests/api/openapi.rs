//! The OpenAPI document says what the server does: it is a valid OpenAPI
//! 3.1 document, every kind it accepts and every path it serves are in it,
//! and (through [`crate::contract`]) every answer the tests see matches it.
//!
//! `data/oas-3.1-schema.json` is the OpenAPI Initiative's schema for 3.1
//! documents (`schemas/v3.1/schema.yaml`, 2022-10-07, Apache-2.0), as JSON.

use std::collections::HashSet;

use serde_json::Value;
use sovang::ledger::kinds::{EntryKind, WrittenBy};

use crate::contract::document;
use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Every `$ref` in `v`, with where it is.
fn refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(r) = x.as_str() {
                        out.push((at.clone(), r));
                    }
                } else {
                    refs(x, format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                refs(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let doc = document();
    let meta: Value = serde_json::from_str(include_str!("data/oas-3.1-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&meta).expect("the OpenAPI schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));

    // The schema does not follow references: each must name a component.
    let mut found = Vec::new();
    refs(doc, String::new(), &mut found);
    assert!(found.len() > 100, "{} references", found.len());
    for (at, r) in found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: {r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{at}: {r} names nothing");
    }
    // And every schema compiles as JSON Schema 2020-12, as the answers are
    // checked with it.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let mut s = schema.clone();
        s.as_object_mut()
            .unwrap()
            .insert("components".into(), doc["components"].clone());
        jsonschema::validator_for(&s).unwrap_or_else(|e| panic!("schema {name}: {e}"));
    }
}

#[test]
fn every_operation_names_its_parameters_answers_and_schemas() {
    let doc = document();
    let mut ids = HashSet::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let in_path: HashSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            operations += 1;
            let what = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what} has no summary"
            );
            assert!(
                ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "{what}: operationId used twice"
            );
            let declared: HashSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(declared, in_path, "{what}: path parameters");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("default"),
                "{what} does not say how it refuses"
            );
            let success: Vec<(&String, &Value)> = responses
                .iter()
                .filter(|(k, _)| k.starts_with('2'))
                .collect();
            assert!(!success.is_empty(), "{what} names no success");
            for (status, r) in success {
                let content = r["content"].as_object();
                if status == "204" {
                    assert!(content.is_none_or(|c| c.is_empty()), "{what} 204");
                    continue;
                }
                let content = content.unwrap_or_else(|| panic!("{what} {status} has no content"));
                for (media, c) in content {
                    assert!(
                        c.get("schema").is_some(),
                        "{what} {status} {media} has no schema"
                    );
                }
            }
            // Disabling a user is the one action with nothing to send.
            if method == "post" && path != "/users/{username}/disable" {
                assert!(
                    op.get("requestBody").is_some(),
                    "{what} has no request body"
                );
            }
        }
    }
    assert!(operations >= 47, "{operations} operations");
}

async fn the_openapi_document_matches_the_server(app: TestApp) {
    app.with_fund().await;
    let opened = app
        .post(
            "/funds/HN-VNN/bank-accounts",
            Some(&app.admin),
            &serde_json::json!({"bank_bin": "970436", "account_no": "0011001234567", "account_name": "UY BAN MTTQ", "bank_name": "Vietcombank"}),
        )
        .await;
    assert_eq!(opened.status, 201);
    let served = app.get("/openapi.json").await.body;
    assert_eq!(&served, document(), "the server serves the document");
    let doc = document();
    let documented: Vec<&str> = doc["components"]["schemas"]["Append"]["properties"]["kind"]
        ["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let accepted: Vec<&str> = EntryKind::ALL
        .iter()
        .filter(|k| !matches!(k.written_by(), WrittenBy::Server(_)))
        .map(|k| k.as_str())
        .collect();
    assert_eq!(documented, accepted);

    // Every documented GET is served: public ones answer, guarded ones ask
    // for a token. Each answer is checked against its schema on the way.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let url = path
            .replace("{fund}", "HN-VNN")
            .replace("{seq}", "0")
            .replace("{code}", "ABCDEFGHJKMN")
            .replace("{id}", "ho-1")
            .replace("{committee}", "HN");
        let url = match url.as_str() {
            "/funds/HN-VNN/proof/inclusion" => format!("{url}?seq=0"),
            "/funds/HN-VNN/proof/consistency" => format!("{url}?from=0&to=1"),
            _ => url,
        };
        let a = app.get(&url).await;
        let secured = get.get("security").is_some();
        let expected: &[u16] = if secured {
            &[401]
        } else if path == "/receipts/{code}" || path == "/funds/{fund}/gifts/{seq}" {
            &[404]
        } else {
            &[200]
        };
        assert!(
            expected.contains(&a.status.as_u16()),
            "GET {url}: {} {}",
            a.status,
            a.text
        );
        if a.status == 404 {
            assert!(
                a.text.contains("receipt") || a.text.contains("no gift"),
                "{path} is routed: {}",
                a.text
            );
        }
    }
}

/// The check on answers catches an answer that breaks its schema.
#[test]
#[should_panic(expected = "does not match its schema")]
fn an_answer_that_breaks_its_schema_is_caught() {
    crate::contract::check(
        "GET",
        "/funds/HN-VNN/proof/inclusion",
        200,
        "application/json",
        r#"{"seq": "0", "size": 1, "leaf_hash": "00", "path": [], "root": "00"}"#,
    );
}

/// And a success the document does not name.
#[test]
#[should_panic(expected = "does not name")]
fn an_undocumented_success_is_caught() {
    crate::contract::check("POST", "/committees", 200, "application/json", "{}");
}

crate::both!(the_openapi_document_matches_the_server);
