//! `GET /api/v1/events?topic=...` (bearer) and `GET /live/events?topic=...` (browser
//! cookies): Server-Sent Events. Access is decided per topic; `Last-Event-ID` (or
//! `lastEventId` in the query, for clients that cannot set headers) resumes after the
//! last event seen, from the table, without gaps or repeats.

use super::routes::Routes;
use crate::live::hub::LiveEvent;
use crate::runtime::Runtime;
use app::account::session::Session;
use app::domain::permissions::Access::SignedIn;
use app::domain::permissions::Role;
use app::error::AppError;
use app::live::Topic;
use app::state::AppState;
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

#[derive(utoipa::OpenApi)]
#[openapi(paths(subscribe))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new().get("/events", SignedIn, subscribe)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    topic: Option<String>,
    last_event_id: Option<String>,
}

#[utoipa::path(get, path = "/events", operation_id = "subscribeEvents",
    summary = "Follow a topic live (Server-Sent Events)",
    description = "Access is decided per topic. `Last-Event-ID` (or `lastEventId`) resumes after the last event seen, without gaps or repeats.",
    params(
        ("topic" = String, Query, description = "What to follow: `ops`, `me`, ..."),
        ("lastEventId" = Option<i64>, Query, description = "Resume after this event (for clients that cannot send `Last-Event-ID`)"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event"),
    ),
    responses(
        (status = 200, description = "Server-Sent Events: `id` is the event's sequence number, `event` its kind, `data` JSON. \
            The stream ends when the access token expires; reconnect with a fresh one.", content_type = "text/event-stream", body = String),
        (status = 403, response = super::responses::Forbidden),
    ))]
/// Also mounted outside `/api` for pages (cookie sessions), where a missing session is
/// answered here rather than by the API's authorization layer.
pub async fn subscribe(
    State(state): State<AppState>,
    Extension(runtime): Extension<Arc<Runtime>>,
    session: Option<Extension<Session>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let Some(Extension(session)) = session else { return Err(AppError::Unauthenticated) };
    let claims = session.claims;
    let params: Params = super::extract::parse_query(raw.as_deref())?;
    let text = params.topic.ok_or_else(|| AppError::validation("topic", "is required (ops, me, ...)"))?;
    let tenant = app::admin::service::tenant_id(&state.pool, &claims).await?;
    let topic = Topic::parse(&text, tenant, claims.sub).map_err(|why| AppError::validation("topic", why))?;
    let roles: Vec<Role> = claims.roles.iter().filter_map(|r| r.parse().ok()).collect();
    let readable = match topic {
        Topic::Platform => app::control::platform::is_operator(&mut *state.pool.acquire().await?, claims.sub).await?,
        _ => topic.readable_by(claims.sub, tenant, &roles),
    };
    if !readable {
        return Err(AppError::Forbidden);
    }
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(params.last_event_id)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| AppError::validation("lastEventId", "must be an event id from this stream"))
        })
        .transpose()?;

    let topic = topic.to_string();
    let subscription = runtime.hub.subscribe(&topic);
    // What the client missed, read a page at a time as it is sent (not gathered first).
    let backlog = match last_seen {
        Some(after) => runtime.hub.replay(&topic, after, subscription.from_seq).left_stream(),
        None => futures::stream::empty().right_stream(),
    };
    let hello = futures::stream::iter([Event::default().retry(Duration::from_secs(2)).comment("subscribed")]);
    let live = futures::stream::unfold(subscription, |mut s| async move { s.events.recv().await.map(|e| (e, s)) });
    let events = backlog.chain(live).map(to_sse);
    // The stream ends when the process shuts down, and when the access token it was
    // opened with expires: the client reconnects (EventSource does so by itself, the
    // session renewing its token) and access is decided again, so a revoked role or
    // session does not keep a stream open.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let token_left = Duration::from_secs(claims.exp.saturating_sub(now));
    let mut closing = runtime.closing.clone();
    let closed = async move {
        tokio::select! {
            _ = closing.wait_for(|c| *c) => {}
            _ = tokio::time::sleep(token_left) => {}
        }
    };
    let stream = hello.chain(events).take_until(closed).map(Ok::<_, Infallible>);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

fn to_sse(e: LiveEvent) -> Event {
    Event::default().id(e.seq.to_string()).event(e.kind).data(&*e.data)
}
