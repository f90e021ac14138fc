//! The ledger as people read it: `/f/{fund}/so-cai`, newest first, fifty
//! entries to a page, each in words with its hash and a way to check it.

use serde_json::json;

use crate::helpers::{gift, TestApp};

use crate::pages::page;

/// The seqs of the rows of a ledger page, in order.
fn seqs(body: &str) -> Vec<u64> {
    body.split("<tr id=\"e")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

fn row(body: &str, seq: u64) -> &str {
    let start = body
        .find(&format!("<tr id=\"e{seq}\""))
        .unwrap_or_else(|| panic!("no row for entry {seq}"));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").expect("row end")]
}

async fn the_ledger_reads_newest_first_fifty_to_a_page_in_words_with_hashes(app: TestApp) {
    let clerk = app.with_fund().await;
    let entries: Vec<_> = (1..=60)
        .map(|i| gift(json!((i * 10_000).to_string())))
        .collect();
    let written = app.record_batch("HN-VNN", &clerk, entries).await;
    let first_gift = written[0]["seq"].as_u64().expect("seq");
    let reversal = app
        .record(
            "HN-VNN",
            &clerk,
            "reversal",
            json!({"reverses_seq": first_gift, "reason": "Ghi trùng biên lai"}),
        )
        .await;
    let last = reversal["seq"].as_u64().expect("seq");
    let size = last + 1;

    let (status, body) = page(&app, "/f/HN-VNN/so-cai").await;
    assert_eq!(status, 200, "{body}");
    let shown = seqs(&body);
    assert_eq!(shown.len(), 50);
    assert_eq!(shown[0], last);
    assert!(
        shown.windows(2).all(|w| w[0] == w[1] + 1),
        "newest first: {shown:?}"
    );
    assert!(
        body.contains(&format!("{}–{last} / {size}", last - 49)),
        "{body}"
    );
    // The reversal says what it undid and why; its hash is the entry's.
    let r = row(&body, last);
    assert!(r.contains("Bút toán đảo"), "{r}");
    assert!(
        r.contains(&format!("bút toán {first_gift}: Ghi trùng biên lai")),
        "{r}"
    );
    let stored = app.get(&format!("/funds/HN-VNN/entries/{last}")).await;
    let hash = stored.body["hash"].as_str().expect("hash");
    assert!(r.contains(&format!("title=\"{hash}\"")), "{r}");
    assert!(r.contains(&hash[..12]), "{r}");
    // A gift: who gave how much, and its page checks the proof.
    let g = row(&body, last - 1);
    assert!(g.contains("Ủng hộ bằng tiền"), "{g}");
    assert!(
        g.contains("class=\"summary\">Nguyễn Văn A: 600.000\u{a0}₫</td>"),
        "{g}"
    );
    assert!(
        g.contains(&format!("href=\"/f/HN-VNN/g/{}?lang=vi\"", last - 1)),
        "{g}"
    );
    assert!(
        !body.contains("id=\"newer\""),
        "the newest page has nothing newer"
    );

    // Older: the rest, down to the fund's opening, with a way back.
    let older = format!("/f/HN-VNN/so-cai?den={}&#38;lang=vi", last - 50);
    assert!(body.contains(&older), "{body}");
    let (status, body) = page(&app, &format!("/f/HN-VNN/so-cai?den={}", last - 50)).await;
    assert_eq!(status, 200);
    let shown = seqs(&body);
    assert_eq!(shown, (0..=last - 50).rev().collect::<Vec<_>>());
    assert!(row(&body, 0).contains("Mở quỹ"), "{body}");
    assert!(row(&body, 0).contains("/api/v1/funds/HN-VNN/proof/inclusion?seq=0"));
    assert!(body.contains("id=\"newer\"") && !body.contains("id=\"older\""));

    // In English.
    let (_, english) = page(&app, "/f/HN-VNN/so-cai?lang=en").await;
    assert!(row(&english, last).contains("Reversal"), "{english}");
    assert!(english.contains("<h1>Ledger</h1>"));

    // Bad input: a page past the end, not a number; an unknown fund.
    for bad in [
        "abc",
        "-1",
        "1.5",
        &size.to_string(),
        "99999999999999999999",
    ] {
        let (status, body) = page(&app, &format!("/f/HN-VNN/so-cai?den={bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body.contains(&format!("từ 0 đến {last}")), "{bad}: {body}");
        assert!(seqs(&body).is_empty());
    }
    let (status, body) = page(&app, "/f/XX-KHONG/so-cai").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("Không có quỹ nào mang mã “XX-KHONG”."),
        "{body}"
    );
    // The fund page links to it.
    let (_, fund) = page(&app, "/f/HN-VNN").await;
    assert!(fund.contains("href=\"/f/HN-VNN/so-cai?lang=vi\""), "{fund}");
    app.stop().await;
}

crate::both!(the_ledger_reads_newest_first_fifty_to_a_page_in_words_with_hashes);
