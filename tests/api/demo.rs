//! `sovang serve --demo`: a living picture, recorded under every rule, into
//! an empty database only.

use sovang::app::Application;

use crate::helpers::{Db, TestDb};

async fn demo_seeds_an_empty_database_once(db: Db) {
    let Some(db) = TestDb::new(db).await else {
        return;
    };
    let app = Application::build(db.settings()).await.expect("build");
    assert!(
        app.seed_demo().await.expect("demo"),
        "an empty database gets the demo"
    );
    assert!(!app.seed_demo().await.expect("demo again"), "and only once");
    drop(app);
    let store = db.store().await;
    let funds = store.funds().await.unwrap();
    assert_eq!(funds.len(), 11);
    let gifts: u64 = {
        let mut n = 0;
        for (f, _) in &funds {
            let page = store
                .donations(&f.code, &Default::default(), None, 1000)
                .await
                .unwrap();
            n += page.len() as u64;
        }
        n
    };
    assert!(
        (900..=1100).contains(&gifts),
        "about a thousand gifts: {gifts}"
    );
    for (f, head) in &funds {
        let summary = store
            .verify_fund(&f.code, false)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", f.code));
        assert_eq!(summary.balance_vnd, head.balance_vnd, "{}", f.code);
    }
    let tokens = std::fs::read_to_string(db.data_dir().join("demo-tokens.txt")).unwrap();
    assert!(
        tokens.lines().any(|l| l.starts_with("approver HN-PX svt_")),
        "{tokens}"
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_on_sqlite() {
    demo_seeds_an_empty_database_once(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_on_postgres() {
    demo_seeds_an_empty_database_once(Db::Postgres).await;
}
