//! The cursor of a newest-first list kept in order by (time, id): the last row's time
//! and id, as the REST API's `nextCursor` and the staff pages' "Older" links carry it.

use crate::error::AppError;
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

pub fn encode(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{id}", at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// `None` for an empty or absent cursor; a cursor not made by [`encode`] is a
/// validation error on `cursor`.
pub fn parse(raw: Option<&str>) -> Result<Option<(DateTime<Utc>, Uuid)>, AppError> {
    let Some(c) = raw.map(str::trim).filter(|c| !c.is_empty()) else { return Ok(None) };
    let bad = || AppError::validation("cursor", "is not a cursor from this list");
    let (at, id) = c.split_once('_').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok(Some((at.with_timezone(&Utc), id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_named() {
        let (at, id) = (Utc::now(), Uuid::now_v7());
        let parsed = parse(Some(&encode(at, id))).unwrap().unwrap();
        assert_eq!(parsed.1, id);
        assert_eq!(parsed.0.timestamp_micros(), at.timestamp_micros());
        assert_eq!(parse(Some(" ")).unwrap(), None);
        for junk in ["x", "2026-12-07_nope", "yesterday_00000000-0000-0000-0000-000000000000"] {
            assert!(parse(Some(junk)).unwrap_err().fields().unwrap().contains_key("cursor"), "{junk}");
        }
    }
}
