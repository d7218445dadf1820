//! One process's fan-out of live events: a single `LISTEN mandi_live` connection,
//! rows read by sequence (so a missed NOTIFY, or a reconnect after the database
//! restarted, costs latency and never an event), and a bounded channel per
//! subscriber. A subscriber that does not keep up is dropped rather than allowed to
//! hold memory; its client reconnects with `Last-Event-ID` and catches up from the table.
//!
//! Every hub also numbers what publishers committed, every [`TICK`] (migration …18):
//! publishers write their events unnumbered, so their commits do not queue on each
//! other, and the numbering transaction notifies every hub.

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    pub seq: i64,
    pub topic: String,
    pub kind: String,
    /// The event's data, already JSON text (serialized once for every subscriber).
    pub data: Arc<str>,
}

struct Subscriber {
    id: u64,
    tx: mpsc::Sender<LiveEvent>,
}

#[derive(Default)]
struct State {
    /// The highest sequence dispatched; subscribers registered now get events above it.
    cursor: i64,
    topics: HashMap<String, Vec<Subscriber>>,
    next_id: u64,
    count: usize,
}

pub struct Hub {
    pool: PgPool,
    capacity: usize,
    state: Mutex<State>,
    /// Called when the catalogue changed (`NOTIFY mandi_catalog`, heard on the hub's
    /// listening connection rather than a connection of its own), and after the
    /// listener reconnected, when a notice may have been missed.
    catalog_watchers: Mutex<Vec<Box<dyn Fn() + Send + Sync>>>,
}

/// A live subscription; dropping it unsubscribes.
pub struct Subscription {
    pub events: mpsc::Receiver<LiveEvent>,
    /// Events at or below this were dispatched before the subscription existed
    /// (read them from the table to resume); later ones arrive on `events`.
    pub from_seq: i64,
    hub: Arc<Hub>,
    topic: String,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(&self.topic, self.id);
    }
}

impl Hub {
    /// `capacity`: events a subscriber may fall behind by before it is dropped.
    pub async fn start(pool: PgPool, capacity: usize) -> Result<Arc<Hub>, sqlx::Error> {
        let cursor: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM live_events").fetch_one(&pool).await?;
        let hub = Arc::new(Hub {
            pool,
            capacity,
            state: Mutex::new(State { cursor, ..State::default() }),
            catalog_watchers: Mutex::default(),
        });
        tokio::spawn(dispatch(Arc::downgrade(&hub)));
        Ok(hub)
    }

    /// Runs `watcher` whenever the catalogue may have changed.
    pub fn on_catalog_change(&self, watcher: impl Fn() + Send + Sync + 'static) {
        self.catalog_watchers.lock().expect("hub lock").push(Box::new(watcher));
    }

    fn catalog_changed(&self) {
        metrics::counter!("catalog_change_notices_total").increment(1);
        for watcher in self.catalog_watchers.lock().expect("hub lock").iter() {
            watcher();
        }
    }

    pub fn subscribe(self: &Arc<Hub>, topic: &str) -> Subscription {
        let (tx, events) = mpsc::channel(self.capacity);
        let mut state = self.state.lock().expect("hub lock");
        state.next_id += 1;
        state.count += 1;
        let id = state.next_id;
        state.topics.entry(topic.to_string()).or_default().push(Subscriber { id, tx });
        metrics::gauge!("live_subscribers").set(state.count as f64);
        Subscription { events, from_seq: state.cursor, hub: self.clone(), topic: topic.to_string(), id }
    }

    fn remove(&self, topic: &str, id: u64) {
        let mut state = self.state.lock().expect("hub lock");
        let mut removed = false;
        if let Some(subs) = state.topics.get_mut(topic) {
            let before = subs.len();
            subs.retain(|s| s.id != id);
            removed = subs.len() < before;
            if subs.is_empty() {
                state.topics.remove(topic);
            }
        }
        if removed {
            state.count -= 1;
        }
        metrics::gauge!("live_subscribers").set(state.count as f64);
    }

    /// The last event number handed to subscribers.
    pub fn cursor(&self) -> i64 {
        self.state.lock().expect("hub lock").cursor
    }

    pub fn subscriber_count(&self) -> usize {
        self.state.lock().expect("hub lock").count
    }

    /// Events on `topic` after `after` up to and including `until`, oldest first (at
    /// most `limit`): what a reconnecting subscriber missed.
    pub async fn backlog(
        &self,
        topic: &str,
        after: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<LiveEvent>, sqlx::Error> {
        let mut tx = app::db::cross_tenant_tx(&self.pool).await?;
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT seq, topic, kind, data::text FROM live_events
             WHERE topic = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        )
        .bind(topic)
        .bind(after)
        .bind(until)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|(seq, topic, kind, data)| LiveEvent { seq, topic, kind, data: data.into() }).collect())
    }

    /// Events on `topic` after `after` up to and including `until`, oldest first, read
    /// [`RESUME_PAGE`] at a time as the stream is consumed: a resume from `0` over days
    /// of a busy tenant's events holds one page in memory, never the whole backlog.
    pub fn replay(
        self: &Arc<Hub>,
        topic: &str,
        after: i64,
        until: i64,
    ) -> impl futures::Stream<Item = LiveEvent> + Send + 'static {
        let (hub, topic) = (self.clone(), topic.to_string());
        paged(after, RESUME_PAGE, move |cursor, limit| {
            let (hub, topic) = (hub.clone(), topic.clone());
            async move { hub.backlog(&topic, cursor, until, limit).await }
        })
    }

    /// Numbers the committed events that have none yet; how many it numbered.
    async fn number(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT number_live_events()").fetch_one(&self.pool).await
    }

    /// Reads events past the cursor and hands them to subscribers; true if a full page
    /// was read (more may be waiting).
    async fn pump(&self) -> Result<bool, sqlx::Error> {
        const PAGE: i64 = 500;
        let cursor = self.state.lock().expect("hub lock").cursor;
        // Subscribers of any tenant are served from here; access was checked per topic
        // when they subscribed.
        let mut tx = app::db::cross_tenant_tx(&self.pool).await?;
        let rows: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT seq, topic, kind, data::text FROM live_events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(cursor)
                .bind(PAGE)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        let full = rows.len() as i64 == PAGE;
        let mut state = self.state.lock().expect("hub lock");
        let mut dropped = 0usize;
        for (seq, topic, kind, data) in rows {
            state.cursor = state.cursor.max(seq);
            let Some(subs) = state.topics.get_mut(&topic) else { continue };
            let event = LiveEvent { seq, topic: topic.clone(), kind, data: data.into() };
            subs.retain(|s| match s.tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    dropped += 1;
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            metrics::counter!("live_events_dispatched_total").increment(1);
        }
        if dropped > 0 {
            tracing::warn!(dropped, "live subscribers that stopped reading were dropped");
            metrics::counter!("live_subscribers_dropped_total").increment(dropped as u64);
        }
        state.topics.retain(|_, subs| !subs.is_empty());
        state.count = state.topics.values().map(Vec::len).sum();
        metrics::gauge!("live_subscribers").set(state.count as f64);
        Ok(full)
    }
}

/// Events a resuming subscriber is sent per read of the table.
pub const RESUME_PAGE: i64 = 500;

/// The events `fetch(after, limit)` yields page after page, each page read only once
/// the previous one was taken, until a short page. A read that fails ends the stream:
/// the client reconnects from the last event it got, so nothing is skipped.
pub fn paged<F, Fut>(after: i64, page: i64, fetch: F) -> impl futures::Stream<Item = LiveEvent> + Send + 'static
where
    F: FnMut(i64, i64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<LiveEvent>, sqlx::Error>> + Send + 'static,
{
    use futures::StreamExt;
    futures::stream::unfold(Some((after, fetch)), move |state| async move {
        let (cursor, mut fetch) = state?;
        match fetch(cursor, page).await {
            Ok(events) => {
                let next = match events.last() {
                    Some(last) if events.len() as i64 >= page => Some((last.seq, fetch)),
                    _ => None,
                };
                Some((events, next))
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading a subscriber's missed events failed; the stream ends");
                None
            }
        }
    })
    .flat_map(futures::stream::iter)
}

/// How often a hub numbers what was published: the longest a published event waits
/// before any hub can deliver it.
pub const TICK: Duration = Duration::from_millis(100);

/// Numbers, then pumps, every [`TICK`] and on every NOTIFY, for as long as the hub lives.
async fn dispatch(hub: std::sync::Weak<Hub>) {
    const SAFETY_POLL: Duration = Duration::from_secs(2);
    let mut listener: Option<PgListener> = None;
    let (mut woken, mut last_pump) = (true, Instant::now());
    loop {
        let Some(strong) = hub.upgrade() else { return };
        if strong.pool.is_closed() {
            // The process is stopping.
            return;
        }
        if listener.is_none() {
            match PgListener::connect_with(&strong.pool).await {
                Ok(mut l) => match l.listen_all(["mandi_live", "mandi_catalog"]).await {
                    Ok(()) => {
                        listener = Some(l);
                        // Whatever changed while nobody listened.
                        strong.catalog_changed();
                    }
                    Err(e) => tracing::warn!(error = %e, "LISTEN mandi_live failed; polling meanwhile"),
                },
                Err(e) => tracing::warn!(error = %e, "live listener cannot connect; polling meanwhile"),
            }
        }
        let numbered = strong.number().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "numbering live events failed; retrying");
            0
        });
        // Another hub's numbering notifies; our own returns a count; and every
        // `SAFETY_POLL` the table is read anyway, in case a notification was lost.
        if woken || numbered > 0 || last_pump.elapsed() >= SAFETY_POLL {
            last_pump = Instant::now();
            loop {
                match strong.pump().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading live events failed; retrying");
                        break;
                    }
                }
            }
        }
        drop(strong);
        woken = match listener.as_mut() {
            Some(l) => match tokio::time::timeout(TICK, l.try_recv()).await {
                Err(_) => false,
                Ok(Ok(Some(n))) if n.channel() == "mandi_catalog" => {
                    if let Some(hub) = hub.upgrade() {
                        hub.catalog_changed();
                    }
                    false
                }
                Ok(Ok(Some(_))) => true,
                // It reconnected: read whatever was published meanwhile, and forget
                // the catalogue, whose notices may have been missed.
                Ok(Ok(None)) => {
                    if let Some(hub) = hub.upgrade() {
                        hub.catalog_changed();
                    }
                    true
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "live listener failed; reconnecting");
                    listener = None;
                    true
                }
            },
            // No listener: poll every tick meanwhile.
            None => {
                tokio::time::sleep(TICK).await;
                true
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn event(seq: i64) -> LiveEvent {
        LiveEvent { seq, topic: "t".into(), kind: "k".into(), data: "{}".into() }
    }

    /// A table of `n` events numbered 3, 6, 9, ... (numbers have gaps: other topics),
    /// read as `Hub::backlog` reads it, counting the reads.
    fn table(
        n: i64,
    ) -> (Arc<AtomicUsize>, impl FnMut(i64, i64) -> futures::future::Ready<Result<Vec<LiveEvent>, sqlx::Error>>) {
        let reads = Arc::new(AtomicUsize::new(0));
        let counted = reads.clone();
        let fetch = move |after: i64, limit: i64| {
            counted.fetch_add(1, Ordering::SeqCst);
            let rows = (1..=n).map(|i| i * 3).filter(|s| *s > after).take(limit as usize).map(event).collect();
            futures::future::ready(Ok(rows))
        };
        (reads, fetch)
    }

    #[tokio::test]
    async fn sse_resume_streams_in_pages() {
        let (reads, fetch) = table(1_201);
        let mut stream = Box::pin(paged(0, RESUME_PAGE, fetch));
        assert_eq!(stream.next().await.map(|e| e.seq), Some(3));
        assert_eq!(reads.load(Ordering::SeqCst), 1, "one page read for the first event, not the whole backlog");
        let rest: Vec<i64> = stream.map(|e| e.seq).collect().await;
        assert_eq!(rest, (2..=1_201).map(|i| i * 3).collect::<Vec<_>>(), "all, in order, once");
        assert_eq!(reads.load(Ordering::SeqCst), 3);

        // Exactly full pages: one more read finds the end.
        let (reads, fetch) = table(1_000);
        assert_eq!(paged(0, RESUME_PAGE, fetch).count().await, 1_000);
        assert_eq!(reads.load(Ordering::SeqCst), 3);

        // Resuming part way.
        let (_, fetch) = table(10);
        let seqs: Vec<i64> = paged(15, 4, fetch).map(|e| e.seq).collect().await;
        assert_eq!(seqs, [18, 21, 24, 27, 30]);
    }

    #[tokio::test]
    async fn a_failed_read_ends_the_replay_after_what_was_sent() {
        let mut calls = 0;
        let fetch = move |after: i64, _limit: i64| {
            calls += 1;
            let result =
                if calls == 1 { Ok(vec![event(after + 1), event(after + 2)]) } else { Err(sqlx::Error::PoolTimedOut) };
            futures::future::ready(result)
        };
        let seqs: Vec<i64> = paged(0, 2, fetch).map(|e| e.seq).collect().await;
        assert_eq!(seqs, [1, 2]);
    }
}
