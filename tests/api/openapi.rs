//! The OpenAPI document says what the server does: every kind it accepts,
//! every path it serves.

use serde_json::Value;
use sovang::ledger::kinds::{EntryKind, WrittenBy};

use crate::helpers::TestApp;

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
    let doc = app.get("/openapi.json").await.body;
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

    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let url = path
            .replace("{fund}", "HN-VNN")
            .replace("{seq}", "0")
            .replace("{code}", "ABCDEFGHJKMN")
            .replace("{id}", "ho-1");
        let url = match url.as_str() {
            "/funds/HN-VNN/proof/inclusion" => format!("{url}?seq=0"),
            "/funds/HN-VNN/proof/consistency" => format!("{url}?from=0&to=1"),
            _ => url,
        };
        let a = app.get(&url).await;
        let secured = item["get"].get("security").is_some();
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

crate::both!(the_openapi_document_matches_the_server);
