//! `domain::event_hash` against the vectors GS1 publishes with its reference
//! implementation of the event hash (`event-hash-vectors/`): every event of every
//! document gives the published pre-hash string and hash.
#![cfg(feature = "ssr")]

use app::domain::event_hash::{digest, prefixes, prehash};
use serde_json::Value;
use std::path::Path;

fn events(document: &Value) -> Vec<Value> {
    let body = &document["epcisBody"];
    if let Some(list) = body.get("eventList") {
        return list.as_array().cloned().unwrap_or_default();
    }
    if let Some(results) = body.get("queryResults") {
        return results["resultsBody"]["eventList"].as_array().cloned().unwrap_or_default();
    }
    vec![body["event"].clone()]
}

#[test]
fn every_published_vector_hashes_as_published() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/event-hash-vectors");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "jsonld")) {
        let document: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let ns = prefixes(&document);
        let read = |ext: &str| std::fs::read_to_string(path.with_extension(ext)).unwrap();
        let (hashes, prehashes) = (read("hashes"), read("prehashes"));
        let (hashes, prehashes): (Vec<&str>, Vec<&str>) = (hashes.lines().collect(), prehashes.lines().collect());
        let events = events(&document);
        assert_eq!(events.len(), hashes.len(), "{}", path.display());
        for (i, event) in events.iter().enumerate() {
            let pre = prehash(event, &ns);
            let name = path.file_name().unwrap().to_string_lossy();
            if pre != prehashes[i] {
                failures.push(format!("{name} event {i}\n  got : {pre}\n  want: {}", prehashes[i]));
            } else if digest(&pre) != hashes[i] {
                failures.push(format!("{name} event {i}: hash {} != {}", digest(&pre), hashes[i]));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {checked} events differ:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(checked, 30, "every vector event was checked");
}
