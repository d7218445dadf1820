//! The functions of `migrations/functions/`: every file is applied, start-up leaves
//! each function as its file defines it whatever the migrations left, and servers
//! starting together, or again, apply them without harm.

use server::db::functions::{self, FUNCTIONS};
use sqlx::PgPool;
use std::collections::BTreeSet;
use std::path::Path;

const FOLDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/functions");

/// A file left out of the list would never be applied, silently.
#[test]
fn every_file_of_the_folder_is_applied() {
    let files: BTreeSet<String> = std::fs::read_dir(FOLDER)
        .expect("migrations/functions")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = FUNCTIONS.iter().map(|(name, _)| name.to_string()).collect();
    assert_eq!(listed.len(), FUNCTIONS.len(), "a function is listed twice");
    assert_eq!(files, listed, "migrations/functions/ and db::functions::FUNCTIONS differ");
    for (name, sql) in FUNCTIONS {
        let file = std::fs::read_to_string(Path::new(FOLDER).join(format!("{name}.sql"))).unwrap();
        assert_eq!(&file, sql, "{name}: the list embeds another file than {name}.sql");
        assert!(
            sql.contains(&format!("CREATE OR REPLACE FUNCTION {name}(")),
            "{name}.sql does not CREATE OR REPLACE the function {name}"
        );
    }
}

/// sqlx reads only the folder's top-level files; a function file taken for a
/// migration would fail start-up (no version) or be recorded as one.
#[test]
fn the_functions_folder_holds_no_migration() {
    let top_level = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "sql"))
        .count();
    assert_eq!(server::db::MIGRATOR.iter().count(), top_level);
    assert!(
        server::db::MIGRATOR
            .iter()
            .all(|m| !FUNCTIONS.iter().any(|(name, sql)| m.sql == *sql || m.description == *name))
    );
}

/// The body between the file's dollar quotes, as PostgreSQL keeps it (`prosrc`).
fn body(sql: &str) -> &str {
    let start = sql.find("$$").expect("a $$-quoted body") + 2;
    let end = sql.rfind("$$").unwrap();
    &sql[start..end]
}

/// Every version of the function `name` in `public`, as `pg_get_functiondef` prints it,
/// with its body.
async fn installed(pool: &PgPool, name: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT pg_get_functiondef(p.oid), p.prosrc FROM pg_proc p
         WHERE p.proname = $1 AND p.pronamespace = 'public'::regnamespace",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The functions as the files define them, even where what the migrations left
/// differs, and one version of each; applying them again changes nothing.
#[sqlx::test(migrations = false)]
async fn start_up_leaves_each_function_as_its_file_defines_it(pool: PgPool) {
    server::db::MIGRATOR.run(&pool).await.unwrap();
    // What the migrations left, made to differ from every file: a setting no file names.
    for (name, _) in FUNCTIONS {
        let signatures: Vec<String> = sqlx::query_scalar(
            "SELECT p.oid::regprocedure::text FROM pg_proc p
             WHERE p.proname = $1 AND p.pronamespace = 'public'::regnamespace",
        )
        .bind(name)
        .fetch_all(&pool)
        .await
        .unwrap();
        // A function no migration created (a file is its only definition) has nothing to differ.
        assert!(signatures.len() <= 1, "{name}: {signatures:?}");
        let Some(signature) = signatures.first() else { continue };
        sqlx::raw_sql(&format!("ALTER FUNCTION {signature} SET work_mem = '1MB'")).execute(&pool).await.unwrap();
    }

    server::db::migrate(&pool).await.unwrap();
    let mut started = Vec::new();
    for (name, sql) in FUNCTIONS {
        let versions = installed(&pool, name).await;
        assert_eq!(versions.len(), 1, "{name}: more than one version installed");
        let (definition, source) = &versions[0];
        assert_eq!(source, body(sql), "{name}: the installed body is not the file's");
        assert!(!definition.contains("work_mem"), "{name} kept what the migrations left:\n{definition}");
        started.push(definition.clone());
    }

    // Again, as on every start: the same definitions, still one version of each.
    server::db::migrate(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    functions::apply(&mut conn).await.unwrap();
    drop(conn);
    for ((name, _), definition) in FUNCTIONS.iter().zip(&started) {
        let versions = installed(&pool, name).await;
        assert_eq!(versions.len(), 1, "{name}: more than one version installed");
        assert_eq!(&versions[0].0, definition, "{name} changed when applied again");
    }
}

/// Two servers starting at once: both apply the migrations and the functions, neither
/// fails on the other's replacing the same function.
#[sqlx::test(migrations = false)]
async fn servers_starting_together_both_start(pool: PgPool) {
    server::db::migrate(&pool).await.unwrap();
    let (a, b, c) = tokio::join!(server::db::migrate(&pool), server::db::migrate(&pool), async {
        let mut conn = pool.acquire().await?;
        functions::apply(&mut conn).await
    });
    a.unwrap();
    b.unwrap();
    c.unwrap();
}

/// Applying waits for whoever holds the lock (another server's start-up) rather than
/// replacing functions alongside it.
#[sqlx::test(migrations = false)]
async fn applying_waits_for_the_lock(pool: PgPool) {
    server::db::migrate(&pool).await.unwrap();
    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)").bind(functions::LOCK_KEY).execute(&mut *holder).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let applying = functions::apply(&mut conn);
    tokio::pin!(applying);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), &mut applying).await.is_err(),
        "functions were applied while another session held the lock"
    );
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(functions::LOCK_KEY).execute(&mut *holder).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), applying)
        .await
        .expect("applied once the lock was free")
        .unwrap();
}
