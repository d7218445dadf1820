//! A batch's history as a hash chain: each event's own digest (GS1's event hash, see
//! `event_hash`) is chained to everything recorded before it, link by link,
//! `chain = SHA-256(event digest ‖ previous chain)` in lowercase hex (the first link has
//! no previous). The chain follows the order of recording, not the events' own times (a
//! lab result may arrive days late). Verifying recomputes every link from the events as
//! stored, so an event altered, removed or slipped in shows where the history breaks.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The chain digest of an event whose own digest is `event_hash`, after `previous`.
pub fn link(event_hash: &str, previous: Option<&str>) -> String {
    let mut h = Sha256::new();
    h.update(event_hash.as_bytes());
    if let Some(p) = previous {
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

/// Lowercase hex, written without a `format!` per byte: verifying a long history
/// writes two digests per event.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// One stored link: its place in the recording order, the digests stored with it, and
/// the event digest recomputed now from the event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLink {
    pub seq: i64,
    pub stored_event_hash: String,
    pub recomputed_event_hash: String,
    pub stored_chain_hash: String,
}

/// Where and how a history stopped adding up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    /// The event's content no longer gives the digest it was recorded with.
    EventAltered { seq: i64 },
    /// A link's chain digest is not the one its event and predecessor give: an event
    /// was removed before it, slipped in, or the digests were rewritten.
    ChainAltered { seq: i64 },
    /// The recording numbers skip (an event removed) or repeat.
    SequenceGap { expected: i64, found: i64 },
    /// The history ends at `seq`, short of the head the batch recorded at its last
    /// append: the latest events were removed.
    Truncated { seq: i64, recorded: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub events: usize,
    /// The last chain digest, the history's fingerprint (none for an empty history).
    pub head: Option<String>,
    /// The first break, if any: everything before it is intact.
    pub first_break: Option<Break>,
}

impl Verdict {
    pub fn intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Recomputes the chain over `links` in recording order (seq 1, 2, …).
pub fn verify(links: &[StoredLink]) -> Verdict {
    let mut previous: Option<String> = None;
    for (i, l) in links.iter().enumerate() {
        let expected = i as i64 + 1;
        if l.seq != expected {
            return Verdict {
                events: links.len(),
                head: links.last().map(|l| l.stored_chain_hash.clone()),
                first_break: Some(Break::SequenceGap { expected, found: l.seq }),
            };
        }
        if l.recomputed_event_hash != l.stored_event_hash {
            return Verdict {
                events: links.len(),
                head: links.last().map(|l| l.stored_chain_hash.clone()),
                first_break: Some(Break::EventAltered { seq: l.seq }),
            };
        }
        let chain = link(&l.stored_event_hash, previous.as_deref());
        if chain != l.stored_chain_hash {
            return Verdict {
                events: links.len(),
                head: links.last().map(|l| l.stored_chain_hash.clone()),
                first_break: Some(Break::ChainAltered { seq: l.seq }),
            };
        }
        previous = Some(chain);
    }
    Verdict { events: links.len(), head: previous, first_break: None }
}

/// [`verify`], then checks the history reaches the head recorded beside the batch at
/// its last append (`length` events ending in `head`), which removing the newest
/// events would otherwise leave unnoticed.
pub fn verify_to_head(links: &[StoredLink], length: i64, head: Option<&str>) -> Verdict {
    let mut verdict = verify(links);
    if verdict.first_break.is_none() && (links.len() as i64 != length || verdict.head.as_deref() != head) {
        let seq = links.len() as i64;
        verdict.first_break = Some(if seq < length {
            Break::Truncated { seq, recorded: length }
        } else {
            Break::ChainAltered { seq: seq.max(1) }
        });
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn history(events: &[&str]) -> Vec<StoredLink> {
        let mut previous: Option<String> = None;
        events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let chain = link(e, previous.as_deref());
                previous = Some(chain.clone());
                StoredLink {
                    seq: i as i64 + 1,
                    stored_event_hash: e.to_string(),
                    recomputed_event_hash: e.to_string(),
                    stored_chain_hash: chain,
                }
            })
            .collect()
    }

    #[test]
    fn an_untouched_history_verifies_and_each_kind_of_rewrite_is_found_where_it_is() {
        let h = history(&["a", "b", "c", "d"]);
        let v = verify(&h);
        assert!(v.intact());
        assert_eq!((v.events, v.head.as_deref()), (4, Some(h[3].stored_chain_hash.as_str())));
        assert_eq!(verify(&[]), Verdict { events: 0, head: None, first_break: None });

        let mut altered = h.clone();
        altered[2].recomputed_event_hash = "c, but warmer".into();
        assert_eq!(verify(&altered).first_break, Some(Break::EventAltered { seq: 3 }));

        // Removed, and the numbers closed up: the next link's chain no longer follows.
        let mut removed: Vec<StoredLink> = h.iter().filter(|l| l.seq != 2).cloned().collect();
        assert_eq!(verify(&removed).first_break, Some(Break::SequenceGap { expected: 2, found: 3 }));
        for (i, l) in removed.iter_mut().enumerate() {
            l.seq = i as i64 + 1;
        }
        assert_eq!(verify(&removed).first_break, Some(Break::ChainAltered { seq: 2 }));

        // Slipped in with a plausible digest of its own: its chain cannot be right
        // without rewriting every link after it, which the last breaks.
        let mut inserted = h.clone();
        let forged = StoredLink {
            seq: 3,
            stored_event_hash: "x".into(),
            recomputed_event_hash: "x".into(),
            stored_chain_hash: link("x", Some(&h[1].stored_chain_hash)),
        };
        inserted.insert(2, forged);
        for (i, l) in inserted.iter_mut().enumerate() {
            l.seq = i as i64 + 1;
        }
        assert_eq!(verify(&inserted).first_break, Some(Break::ChainAltered { seq: 4 }));
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0, 9, 10, 255, 0x5a]), "00090aff5a");
        assert_eq!(link("a", None).len(), 64);
    }

    #[test]
    fn removing_the_newest_events_is_found_by_the_recorded_head() {
        let h = history(&["a", "b", "c"]);
        let head = h[2].stored_chain_hash.clone();
        assert!(verify_to_head(&h, 3, Some(&head)).intact());
        assert_eq!(verify_to_head(&h[..2], 3, Some(&head)).first_break, Some(Break::Truncated { seq: 2, recorded: 3 }));
        assert_eq!(verify_to_head(&[], 3, Some(&head)).first_break, Some(Break::Truncated { seq: 0, recorded: 3 }));
        assert_eq!(verify_to_head(&h, 3, Some("forged")).first_break, Some(Break::ChainAltered { seq: 3 }));
        assert_eq!(verify_to_head(&h, 2, Some(&head)).first_break, Some(Break::ChainAltered { seq: 3 }));
    }

    proptest! {
        #[test]
        fn changing_any_one_stored_digest_breaks_the_chain_there_or_at_the_next(
            events in prop::collection::vec("[a-z]{1,8}", 1..30),
            at in any::<prop::sample::Index>(),
        ) {
            let names: Vec<&str> = events.iter().map(String::as_str).collect();
            let mut h = history(&names);
            prop_assert!(verify(&h).intact());
            let i = at.index(h.len());
            h[i].stored_chain_hash.push('0');
            let broke = verify(&h).first_break;
            prop_assert_eq!(broke, Some(Break::ChainAltered { seq: i as i64 + 1 }));
        }
    }
}
