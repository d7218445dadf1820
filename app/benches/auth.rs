//! What signing in and being signed in cost in CPU, without the network: one Argon2id
//! verification (the bulk of a password sign-in), issuing an RS256 access token, and
//! verifying one (what every authenticated request pays before its revocation lookup).
//! Run by `bench/run`; plain timing loops, no harness, so the build stays lean.

use app::account::passwords;
use app::account::tokens::SigningKeys;
use std::time::{Duration, Instant};

fn time<T>(label: &str, rounds: u32, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..rounds.div_ceil(10) {
        std::hint::black_box(f());
    }
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(f());
    }
    let each = started.elapsed() / rounds;
    println!("{label:<40} {:>10.1} µs", each.as_secs_f64() * 1e6);
    each
}

fn main() {
    let dir = std::env::temp_dir().join(format!("mandi-bench-{}", std::process::id()));
    let keys = SigningKeys::load_or_generate(&dir.join("jwt.pem"), true).expect("key");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stored = passwords::hash_blocking("mandi-demo");

    println!("operation                                 time per op");
    time("argon2id verify (sign-in)", 20, || {
        runtime.block_on(passwords::verify("mandi-demo".into(), Some(stored.clone()))).unwrap()
    });
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let user = uuid::Uuid::now_v7();
    time("RS256 access token issue", 200, || {
        keys.issue(user, user, "greenharvest", vec!["customer".into()], now).unwrap()
    });
    let (token, _) = keys.issue(user, user, "greenharvest", vec!["customer".into()], now).unwrap();
    time("RS256 access token verify (cached, repeat)", 20000, || keys.verify(&token).unwrap());
    // Distinct tokens (one per warm-up and timed round), issued before timing starts.
    let tokens: Vec<String> =
        (0..220).map(|i| keys.issue(user, user, "greenharvest", vec![], now + i).unwrap().0).collect();
    let mut fresh = tokens.iter();
    time("RS256 access token verify (first sight)", 200, || keys.verify(fresh.next().unwrap()).unwrap());
    let _ = std::fs::remove_dir_all(dir);
}
