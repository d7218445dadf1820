//! Tablet sync, the push: Replicache's push protocol, and one entry saved directly.
//!
//! Push: each device numbers its mutations 1, 2, 3, …. In one transaction the server
//! applies the ones after the device's `last_mutation_id`, in order, and stores the new
//! last id with them. A batch retried after a lost answer is all `duplicate`s; a batch
//! cut off before its commit rolled back whole and applies once when sent again; a
//! mutation after a missing one is refused (`MUTATION_GAP`) and not consumed. A
//! mutation that is applied, merged or refused is consumed either way, so one bad
//! entry never blocks the queue behind it, and a refused one's payload is kept in the
//! audit log: nothing typed is lost.

use super::context::{LedgerCaller, lock_counters};
use super::entry_rows::EntryRow;
use super::model::*;
use super::sync_decider::{Decider, decider, parse_uuid};
use crate::audit::{self, Entry};
use crate::domain::ledger_entry::Reject;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Writes what the decider decided: new rows, changed rows, their history, conflicts
/// and audit entries.
async fn write(tx: &mut PgConnection, d: &Decider<'_>, ip: Option<&str>) -> Result<(), AppError> {
    let tenant = d.caller.tenant;
    let (new, old): (Vec<&EntryRow>, Vec<&EntryRow>) =
        d.changed.iter().map(|id| &d.entries[id]).partition(|r| !d.existing.contains(&r.client_id));
    if !new.is_empty() {
        sqlx::query(
            "INSERT INTO ledger_entries (tenant_id, market_date, client_id, farmer_id, flower_type_id, slot_id, recorded_at,
                 quantity_kg, rate, total, rate_source, status, version, change_seq, entered_by, device_id, last_device_id,
                 updated_by, updated_at)
             SELECT $1, u.market_date, u.client_id, u.farmer_id, u.flower_type_id, u.slot_id, u.recorded_at, u.quantity_kg,
                    u.rate, u.total, u.rate_source, u.status, u.version, u.change_seq, $2, $3, $3, $2, $4
             FROM unnest($5::date[], $6::uuid[], $7::uuid[], $8::uuid[], $9::uuid[], $10::timestamptz[], $11::numeric[],
                         $12::numeric[], $13::numeric[], $14::text[], $15::text[], $16::int[], $17::int8[])
                  AS u(market_date, client_id, farmer_id, flower_type_id, slot_id, recorded_at, quantity_kg, rate, total,
                       rate_source, status, version, change_seq)",
        )
        .bind(tenant)
        .bind(d.caller.user)
        .bind(d.device)
        .bind(d.now)
        .bind(new.iter().map(|r| r.market_date).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.client_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.farmer_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.flower_type_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.slot_id).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.recorded_at).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.quantity_kg).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.rate).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.total).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.rate_source.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.version).collect::<Vec<_>>())
        .bind(new.iter().map(|r| r.change_seq).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !old.is_empty() {
        sqlx::query(
            "UPDATE ledger_entries e SET farmer_id = u.farmer_id, flower_type_id = u.flower_type_id, slot_id = u.slot_id,
                    quantity_kg = u.quantity_kg, rate = u.rate, total = u.total, rate_source = u.rate_source, status = u.status,
                    version = u.version, change_seq = u.change_seq, last_device_id = $3, updated_by = $2, updated_at = $4
             FROM unnest($5::date[], $6::uuid[], $7::uuid[], $8::uuid[], $9::uuid[], $10::numeric[], $11::numeric[],
                         $12::numeric[], $13::text[], $14::text[], $15::int[], $16::int8[])
                  AS u(market_date, client_id, farmer_id, flower_type_id, slot_id, quantity_kg, rate, total, rate_source,
                       status, version, change_seq)
             WHERE e.tenant_id = $1 AND e.market_date = u.market_date AND e.client_id = u.client_id",
        )
        .bind(tenant)
        .bind(d.caller.user)
        .bind(d.device)
        .bind(d.now)
        .bind(old.iter().map(|r| r.market_date).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.client_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.farmer_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.flower_type_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.slot_id).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.quantity_kg).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.rate).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.total).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.rate_source.as_str()).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.version).collect::<Vec<_>>())
        .bind(old.iter().map(|r| r.change_seq).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !d.history.is_empty() {
        let h = &d.history;
        sqlx::query(
            "INSERT INTO ledger_entry_history (tenant_id, market_date, client_id, version, change, farmer_id, flower_type_id,
                 quantity_kg, rate, total, rate_source, status, actor_id, device_id, mutation_id, at)
             SELECT $1, u.market_date, u.client_id, u.version, u.change, u.farmer_id, u.flower_type_id, u.quantity_kg, u.rate,
                    u.total, u.rate_source, u.status, $2, $3, u.mutation_id, $4
             FROM unnest($5::date[], $6::uuid[], $7::int[], $8::text[], $9::uuid[], $10::uuid[], $11::numeric[],
                         $12::numeric[], $13::numeric[], $14::text[], $15::text[], $16::int8[])
                  AS u(market_date, client_id, version, change, farmer_id, flower_type_id, quantity_kg, rate, total,
                       rate_source, status, mutation_id)",
        )
        .bind(tenant)
        .bind(d.caller.user)
        .bind(d.device)
        .bind(d.now)
        .bind(h.iter().map(|x| x.row.market_date).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.client_id).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.version).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.change).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.farmer_id).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.flower_type_id).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.quantity_kg).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.rate).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.total).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.rate_source.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.row.status.as_str()).collect::<Vec<_>>())
        .bind(h.iter().map(|x| x.mutation_id).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    for c in &d.conflicts {
        sqlx::query(
            "INSERT INTO ledger_sync_conflicts (tenant_id, id, market_date, client_id, device_id, mutation_id, actor_id,
                 base_version, server_version, result_version, resolution, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(tenant)
        .bind(c.view.id)
        .bind(c.market_date)
        .bind(c.view.client_id)
        .bind(d.device.unwrap_or_default())
        .bind(c.view.mutation_id)
        .bind(d.caller.user)
        .bind(c.view.base_version)
        .bind(c.view.server_version)
        .bind((c.view.resolution == "merged").then_some(c.after.version))
        .bind(&c.view.resolution)
        .bind(serde_json::json!({ "reason": c.view.reason, "fields": c.view.fields }))
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(tenant),
                actor: Some(d.caller.user),
                action: "ledger.entry.conflict",
                target: Some(format!("ledger_entry:{}", c.view.client_id)),
                before: serde_json::to_value(&c.before).ok(),
                after: Some(serde_json::json!({ "entry": c.after, "conflict": c.view })),
                ip,
            },
        )
        .await?;
    }
    Ok(())
}

fn bad_request(field: &str, message: impl Into<String>) -> AppError {
    AppError::validation(field, message)
}

/// Applies a device's batch of mutations (see the module notes).
pub async fn push(
    pool: &PgPool,
    caller: &LedgerCaller,
    req: &SyncRequest,
    now: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<SyncResponse, AppError> {
    if req.protocol_version.is_some_and(|v| v != PROTOCOL_VERSION) {
        return Err(bad_request(
            "protocolVersion",
            "This app is out of date: reload to update (your entries are kept)",
        ));
    }
    let device = Uuid::parse_str(req.device_id.trim()).map_err(|_| bad_request("deviceId", "must be a UUID"))?;
    if req.mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(bad_request("mutations", format!("at most {MAX_MUTATIONS_PER_PUSH} mutations per push")));
    }
    if req.mutations.iter().any(|m| m.mutation_id < 1)
        || req.mutations.windows(2).any(|w| w[1].mutation_id <= w[0].mutation_id)
    {
        return Err(bad_request("mutations", "mutationId must start at 1 and rise strictly within a push"));
    }
    if req.app_version.as_deref().is_some_and(|v| v.len() > 100) {
        return Err(bad_request("appVersion", "at most 100 characters"));
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let counters = lock_counters(&mut tx, caller.tenant).await?;
    sqlx::query(
        "INSERT INTO ledger_devices (tenant_id, device_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(caller.tenant)
    .bind(device)
    .bind(caller.user)
    .execute(&mut *tx)
    .await?;
    let (owner, last): (Uuid, i64) = sqlx::query_as(
        "SELECT user_id, last_mutation_id FROM ledger_devices WHERE tenant_id = $1 AND device_id = $2 FOR UPDATE",
    )
    .bind(caller.tenant)
    .bind(device)
    .fetch_one(&mut *tx)
    .await?;
    if owner != caller.user {
        return Err(AppError::Forbidden);
    }
    // Already applied / the contiguous run to apply now / after a gap (not consumed).
    let duplicates: Vec<&MutationInput> = req.mutations.iter().filter(|m| m.mutation_id <= last).collect();
    let mut run: Vec<&MutationInput> = Vec::new();
    let mut expected = last + 1;
    for m in req.mutations.iter().filter(|m| m.mutation_id > last) {
        if m.mutation_id != expected {
            break;
        }
        run.push(m);
        expected += 1;
    }
    let gapped: Vec<&MutationInput> = req
        .mutations
        .iter()
        .filter(|m| m.mutation_id >= expected && !run.iter().any(|r| r.mutation_id == m.mutation_id))
        .collect();

    let all: Vec<&MutationInput> = duplicates.iter().chain(run.iter()).copied().collect();
    let mut d = decider(&mut tx, caller, Some(device), &all, counters.change_seq, now).await?;
    let mut results: Vec<ItemResult> = duplicates
        .iter()
        .map(|m| {
            let entry = parse_uuid(Some(&m.entry.client_id)).and_then(|id| d.entries.get(&id)).map(EntryRow::view);
            ItemResult {
                mutation_id: m.mutation_id,
                status: "duplicate".into(),
                entry,
                reason: None,
                message: None,
                expected_mutation_id: None,
                conflict: None,
            }
        })
        .collect();
    let mut rejected = Vec::new();
    for m in &run {
        let r = d.decide(m);
        if r.status == "rejected" {
            rejected.push(serde_json::json!({ "mutation": m, "reason": r.reason, "message": r.message }));
        }
        results.push(r);
    }
    results.extend(gapped.iter().map(|m| ItemResult {
        mutation_id: m.mutation_id,
        status: "rejected".into(),
        entry: None,
        reason: Some(Reject::MutationGap.code().into()),
        message: Some(Reject::MutationGap.message().into()),
        expected_mutation_id: Some(expected),
        conflict: None,
    }));
    write(&mut tx, &d, ip).await?;
    let last_now = run.last().map_or(last, |m| m.mutation_id);
    sqlx::query(
        "UPDATE ledger_devices SET last_mutation_id = $3, last_push_at = $4, app_version = coalesce($5, app_version)
         WHERE tenant_id = $1 AND device_id = $2",
    )
    .bind(caller.tenant)
    .bind(device)
    .bind(last_now)
    .bind(now)
    .bind(req.app_version.as_deref())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE ledger_counters SET change_seq = $2 WHERE tenant_id = $1")
        .bind(caller.tenant)
        .bind(d.next_seq)
        .execute(&mut *tx)
        .await?;
    if !run.is_empty() {
        let count = |s: &str| results.iter().filter(|r| r.status == s).count();
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(caller.tenant),
                actor: Some(caller.user),
                action: "ledger.sync",
                target: Some(format!("ledger_device:{device}")),
                before: None,
                after: Some(serde_json::json!({
                    "from": run[0].mutation_id, "to": last_now,
                    "applied": count("applied"), "conflict": count("conflict"), "rejected": count("rejected"),
                    "duplicate": duplicates.len(),
                    // What was refused, as typed: never lost, an admin can re-enter it.
                    "refused": rejected,
                })),
                ip,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(SyncResponse {
        device_id: device,
        last_mutation_id: last_now,
        reference_version: counters.reference_version,
        server_time: now,
        results,
    })
}

/// One entry saved directly (a browser online, a REST client): the same rules as a
/// synced create, idempotent on `clientId` (the same entry sent twice is one entry).
pub async fn save_direct(
    pool: &PgPool,
    caller: &LedgerCaller,
    entry: &EntryInput,
    now: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<ItemResult, AppError> {
    let mutation =
        MutationInput { mutation_id: 1, op: "create".into(), base_version: None, base: None, entry: entry.clone() };
    if parse_uuid(Some(&entry.client_id)).is_none() {
        return Err(bad_request("clientId", "must be a UUID"));
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let counters = lock_counters(&mut tx, caller.tenant).await?;
    let mut d = decider(&mut tx, caller, None, &[&mutation], counters.change_seq, now).await?;
    let result = d.decide(&mutation);
    if result.status == "rejected" {
        let code = result.reason.clone().unwrap_or_default();
        let field = match code.as_str() {
            "QUANTITY_INVALID" | "QUANTITY_TOO_LARGE" => "quantityKg",
            "UNKNOWN_FARMER" => "farmerId",
            "UNKNOWN_FLOWER_TYPE" => "flowerTypeId",
            "RECORDED_AT_OUT_OF_RANGE" => "recordedAt",
            "RATE_OVERRIDE_FORBIDDEN" | "RATE_INVALID" => "rateOverride",
            _ => "clientId",
        };
        return Err(bad_request(field, result.message.unwrap_or_default()));
    }
    write(&mut tx, &d, ip).await?;
    sqlx::query("UPDATE ledger_counters SET change_seq = $2 WHERE tenant_id = $1")
        .bind(caller.tenant)
        .bind(d.next_seq)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(result)
}
