//! The OpenAPI document says what the server does: every kind it accepts,
//! every path it serves.

use serde_json::Value;
use sovang::ledger::kinds::EntryKind;

use crate::helpers::TestApp;

async fn the_openapi_document_matches_the_server(app: TestApp) {
    app.with_fund().await;
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
        .map(|k| k.as_str())
        .filter(|k| !matches!(*k, "fund_opened" | "transfer_in"))
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
        } else if path == "/receipts/{code}" {
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
            assert!(a.text.contains("receipt"), "{path} is routed: {}", a.text);
        }
    }
}

crate::both!(the_openapi_document_matches_the_server);
