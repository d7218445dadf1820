//! Distribution runs: preview a farm's month, approve it once, pay each owner.
//!
//! A preview keeps its figures, its split and a digest of everything they came from
//! (the month's revenue and cost lines, the agreements in force, the fee and TDS
//! rates). Approval takes the farm's row lock, which every writer of those records
//! takes too, recomputes the digest, and refuses (409) when anything changed since the
//! preview; otherwise it writes one payout per owner in one statement. One approved
//! run per farm and month, ever (a unique index); approving again answers the run.

use super::model::*;
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::domain::distribution::{DistributionInputs, Holding, Month, distribute, tds};
use crate::domain::money::Money;
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// A farm by id or slug, in the transaction's tenant.
pub async fn resolve_farm(conn: &mut PgConnection, farm: &str) -> Result<(Uuid, String), AppError> {
    let id = Uuid::parse_str(farm).ok();
    let found: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM farms WHERE ($1::uuid IS NOT NULL AND id = $1) OR slug = $2")
            .bind(id)
            .bind(farm)
            .fetch_optional(conn)
            .await?;
    found.ok_or_else(|| AppError::not_found("Farm"))
}

pub async fn settings(conn: &mut PgConnection, tenant: Uuid) -> Result<OwnershipSettings, sqlx::Error> {
    let row: Option<(Decimal, Decimal)> =
        sqlx::query_as("SELECT platform_fee_percent, tds_percent FROM ownership_settings WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(conn)
            .await?;
    let (platform_fee_percent, tds_percent) = row.unwrap_or((Decimal::ZERO, Decimal::ZERO));
    Ok(OwnershipSettings { platform_fee_percent, tds_percent })
}

/// What one split of a preview holds, kept on the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredShare {
    owner: Uuid,
    unit_days: i64,
    gross: Money,
    tds: Money,
    net: Money,
}

struct Computed {
    settings: OwnershipSettings,
    distribution: crate::domain::distribution::Distribution,
    shares: Vec<StoredShare>,
    digest: String,
}

const DIGEST: &str = "
    SELECT md5(
        coalesce((SELECT string_agg(id::text || ':' || amount::text || ':' || earned_on::text, ',' ORDER BY id)
                  FROM farm_revenue WHERE farm_id = $1 AND earned_on BETWEEN $2 AND $3), '') || '|' ||
        coalesce((SELECT string_agg(id::text || ':' || amount::text || ':' || incurred_on::text, ',' ORDER BY id)
                  FROM farm_costs WHERE farm_id = $1 AND incurred_on BETWEEN $2 AND $3), '') || '|' ||
        coalesce((SELECT string_agg(id::text || ':' || owner_id::text || ':' || units::text || ':' || starts_on::text
                                    || ':' || coalesce(ends_on::text, '-'), ',' ORDER BY id)
                  FROM ownership_agreements
                  WHERE farm_id = $1 AND starts_on <= $3 AND (ends_on IS NULL OR ends_on >= $2)), '') || '|' ||
        $4::text || ':' || $5::text)";

async fn compute(conn: &mut PgConnection, tenant: Uuid, farm: Uuid, month: Month) -> Result<Computed, sqlx::Error> {
    let settings = settings(conn, tenant).await?;
    let (from, to) = (month.first_day(), month.last_day());
    let (revenue, costs): (Decimal, Decimal) = sqlx::query_as(
        "SELECT (SELECT coalesce(sum(amount), 0) FROM farm_revenue WHERE farm_id = $1 AND earned_on BETWEEN $2 AND $3),
                (SELECT coalesce(sum(amount), 0) FROM farm_costs WHERE farm_id = $1 AND incurred_on BETWEEN $2 AND $3)",
    )
    .bind(farm)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<(Uuid, i32, NaiveDate, Option<NaiveDate>)> = sqlx::query_as(
        "SELECT owner_id, units, starts_on, ends_on FROM ownership_agreements
         WHERE farm_id = $1 AND starts_on <= $3 AND (ends_on IS NULL OR ends_on >= $2)",
    )
    .bind(farm)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let holdings: Vec<Holding> = rows
        .into_iter()
        .map(|(owner, units, starts_on, ends_on)| Holding { owner, units: units.max(0) as u32, starts_on, ends_on })
        .collect();
    let distribution = distribute(
        month,
        DistributionInputs {
            revenue: Money::from_decimal(revenue),
            costs: Money::from_decimal(costs),
            platform_fee_percent: settings.platform_fee_percent,
        },
        &holdings,
    );
    let shares = distribution
        .shares
        .iter()
        .map(|s| {
            let deducted = tds(s.amount, settings.tds_percent);
            StoredShare {
                owner: s.owner,
                unit_days: s.unit_days,
                gross: s.amount,
                tds: deducted,
                net: s.amount - deducted,
            }
        })
        .collect();
    let digest: String = sqlx::query_scalar(DIGEST)
        .bind(farm)
        .bind(from)
        .bind(to)
        .bind(settings.platform_fee_percent.to_string())
        .bind(settings.tds_percent.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(Computed { settings, distribution, shares, digest })
}

#[derive(FromRow)]
struct RunRow {
    id: Uuid,
    farm_id: Uuid,
    farm_name: String,
    period: NaiveDate,
    status: String,
    revenue: Decimal,
    platform_fee_percent: Decimal,
    platform_fee: Decimal,
    costs: Decimal,
    distributable: Decimal,
    total_unit_days: i64,
    nothing_to_pay: Option<String>,
    inputs_digest: String,
    shares: serde_json::Value,
    created_at: DateTime<Utc>,
    approved_at: Option<DateTime<Utc>>,
}

const RUN: &str = "
    SELECT r.id, r.farm_id, f.name AS farm_name, r.period, r.status, r.revenue, r.platform_fee_percent,
           r.platform_fee, r.costs, r.distributable, r.total_unit_days, r.nothing_to_pay, r.inputs_digest,
           r.shares, r.created_at, r.approved_at
    FROM distribution_runs r JOIN farms f ON f.tenant_id = r.tenant_id AND f.id = r.farm_id";

async fn load_run(conn: &mut PgConnection, run: &RunRow) -> Result<DistributionRun, sqlx::Error> {
    let payouts = if run.status == "approved" {
        let rows: Vec<(
            Uuid,
            Uuid,
            String,
            i64,
            Decimal,
            Decimal,
            Decimal,
            String,
            Option<String>,
            Option<DateTime<Utc>>,
        )> = sqlx::query_as(
            "SELECT p.id, p.owner_id, u.display_name, p.unit_days, p.gross, p.tds, p.net, p.status,
                        p.bank_reference, p.paid_at
                 FROM payouts p JOIN users u ON u.id = p.owner_id
                 WHERE p.run_id = $1 ORDER BY u.display_name, p.owner_id",
        )
        .bind(run.id)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|(id, owner_id, owner_name, unit_days, gross, tds, net, status, bank_reference, paid_at)| PayoutLine {
                payout_id: Some(id),
                owner_id,
                owner_name,
                unit_days,
                gross: Money::from_decimal(gross),
                tds: Money::from_decimal(tds),
                net: Money::from_decimal(net),
                status,
                bank_reference,
                paid_at,
            })
            .collect()
    } else {
        let shares: Vec<StoredShare> = serde_json::from_value(run.shares.clone()).unwrap_or_default();
        let owners: Vec<Uuid> = shares.iter().map(|s| s.owner).collect();
        let names: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, display_name FROM users WHERE id = ANY($1)")
            .bind(&owners)
            .fetch_all(&mut *conn)
            .await?;
        let names: std::collections::HashMap<Uuid, String> = names.into_iter().collect();
        let mut lines: Vec<PayoutLine> = shares
            .into_iter()
            .map(|s| PayoutLine {
                payout_id: None,
                owner_id: s.owner,
                owner_name: names.get(&s.owner).cloned().unwrap_or_default(),
                unit_days: s.unit_days,
                gross: s.gross,
                tds: s.tds,
                net: s.net,
                status: "preview".into(),
                bank_reference: None,
                paid_at: None,
            })
            .collect();
        lines.sort_by(|a, b| a.owner_name.cmp(&b.owner_name).then(a.owner_id.cmp(&b.owner_id)));
        lines
    };
    Ok(DistributionRun {
        id: run.id,
        farm_id: run.farm_id,
        farm_name: run.farm_name.clone(),
        period: Month::containing(run.period).to_string(),
        status: run.status.clone(),
        revenue: Money::from_decimal(run.revenue),
        platform_fee_percent: run.platform_fee_percent,
        platform_fee: Money::from_decimal(run.platform_fee),
        costs: Money::from_decimal(run.costs),
        distributable: Money::from_decimal(run.distributable),
        total_unit_days: run.total_unit_days,
        nothing_to_pay: run.nothing_to_pay.clone(),
        payouts,
        created_at: run.created_at,
        approved_at: run.approved_at,
    })
}

async fn approved_run(conn: &mut PgConnection, farm: Uuid, month: Month) -> Result<Option<RunRow>, sqlx::Error> {
    sqlx::query_as(&format!("{RUN} WHERE r.farm_id = $1 AND r.period = $2 AND r.status = 'approved'"))
        .bind(farm)
        .bind(month.first_day())
        .fetch_optional(conn)
        .await
}

/// Previews a farm's month. A month already approved answers its approved run; a
/// new preview replaces the month's earlier ones.
pub async fn preview(pool: &PgPool, claims: &Claims, farm: &str, month: Month) -> Result<DistributionRun, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (farm, _) = resolve_farm(&mut tx, farm).await?;
    let id = preview_in(&mut tx, tenant, claims.sub, farm, month).await?;
    let row: RunRow = sqlx::query_as(&format!("{RUN} WHERE r.id = $1")).bind(id).fetch_one(&mut *tx).await?;
    let run = load_run(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(run)
}

/// `preview` within the caller's transaction (the demo loader's too); the run's id.
pub async fn preview_in(
    conn: &mut PgConnection,
    tenant: Uuid,
    actor: Uuid,
    farm: Uuid,
    month: Month,
) -> Result<Uuid, AppError> {
    if let Some(run) = approved_run(conn, farm, month).await? {
        return Ok(run.id);
    }
    let c = compute(conn, tenant, farm, month).await?;
    sqlx::query("DELETE FROM distribution_runs WHERE farm_id = $1 AND period = $2 AND status = 'preview'")
        .bind(farm)
        .bind(month.first_day())
        .execute(&mut *conn)
        .await?;
    let id = Uuid::now_v7();
    let d = &c.distribution;
    sqlx::query(
        "INSERT INTO distribution_runs (tenant_id, id, farm_id, period, status, revenue, platform_fee_percent,
             platform_fee, tds_percent, costs, distributable, total_unit_days, nothing_to_pay, inputs_digest, shares,
             created_by)
         VALUES ($1, $2, $3, $4, 'preview', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(tenant)
    .bind(id)
    .bind(farm)
    .bind(month.first_day())
    .bind(d.revenue.amount())
    .bind(c.settings.platform_fee_percent)
    .bind(d.platform_fee.amount())
    .bind(c.settings.tds_percent)
    .bind(d.costs.amount())
    .bind(d.distributable.amount())
    .bind(d.total_unit_days)
    .bind(d.nothing_to_pay.map(|n| n.code()))
    .bind(&c.digest)
    .bind(serde_json::to_value(&c.shares).expect("shares serialise"))
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Approves a previewed run: one payout per owner, then the owners hear of it (a job
/// fans the messages out, so approval stays one short transaction however many owners).
pub async fn approve(pool: &PgPool, claims: &Claims, run: Uuid, ip: Option<&str>) -> Result<DistributionRun, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let id = approve_in(&mut tx, tenant, claims.sub, run, ip, Tell::Owners).await?;
    let row: RunRow = sqlx::query_as(&format!("{RUN} WHERE r.id = $1")).bind(id).fetch_one(&mut *tx).await?;
    let out = load_run(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(out)
}

/// Whether owners hear of an approval or a payment: always, but for the demo loader
/// writing the estate's past, whose owners heard of it at the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tell {
    Owners,
    Nobody,
}

/// `approve` within the caller's transaction; the approved run's id (another run's,
/// when the month was approved already).
pub async fn approve_in(
    conn: &mut PgConnection,
    tenant: Uuid,
    actor: Uuid,
    run: Uuid,
    ip: Option<&str>,
    tell: Tell,
) -> Result<Uuid, AppError> {
    let farm: Option<Uuid> = sqlx::query_scalar("SELECT farm_id FROM distribution_runs WHERE id = $1")
        .bind(run)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(farm) = farm else { return Err(AppError::not_found("Distribution run")) };
    // The farm's lock first: writers of revenue, costs and agreements take it too.
    sqlx::query("SELECT 1 FROM farms WHERE id = $1 FOR UPDATE").bind(farm).execute(&mut *conn).await?;
    let row: Option<RunRow> =
        sqlx::query_as(&format!("{RUN} WHERE r.id = $1 FOR UPDATE OF r")).bind(run).fetch_optional(&mut *conn).await?;
    let Some(row) = row else {
        // Replaced by a newer preview between the two reads.
        return Err(AppError::conflict("This preview was replaced by a newer one; approve that one."));
    };
    let month = Month::containing(row.period);
    if row.status == "approved" {
        return Ok(row.id);
    }
    if let Some(done) = approved_run(conn, farm, month).await? {
        return Ok(done.id);
    }
    let c = compute(conn, tenant, farm, month).await?;
    if c.digest != row.inputs_digest {
        return Err(AppError::conflict_on(
            &["run"],
            "Revenue, costs, agreements or rates changed since this preview; preview the month again.",
        ));
    }
    let owners: Vec<Uuid> = c.shares.iter().map(|s| s.owner).collect();
    let ids: Vec<Uuid> = c.shares.iter().map(|_| Uuid::now_v7()).collect();
    let unit_days: Vec<i64> = c.shares.iter().map(|s| s.unit_days).collect();
    let gross: Vec<Decimal> = c.shares.iter().map(|s| s.gross.amount()).collect();
    let deducted: Vec<Decimal> = c.shares.iter().map(|s| s.tds.amount()).collect();
    let net: Vec<Decimal> = c.shares.iter().map(|s| s.net.amount()).collect();
    sqlx::query(
        "INSERT INTO payouts (tenant_id, id, run_id, farm_id, period, owner_id, unit_days, gross, tds, net)
         SELECT $1, id, $2, $3, $4, owner, days, gross, tds, net
         FROM unnest($5::uuid[], $6::uuid[], $7::bigint[], $8::numeric[], $9::numeric[], $10::numeric[])
              AS x(id, owner, days, gross, tds, net)",
    )
    .bind(tenant)
    .bind(run)
    .bind(farm)
    .bind(month.first_day())
    .bind(&ids)
    .bind(&owners)
    .bind(&unit_days)
    .bind(&gross)
    .bind(&deducted)
    .bind(&net)
    .execute(&mut *conn)
    .await?;
    let updated = sqlx::query(
        "UPDATE distribution_runs SET status = 'approved', approved_by = $2, approved_at = now() WHERE id = $1",
    )
    .bind(run)
    .bind(actor)
    .execute(&mut *conn)
    .await;
    if let Err(sqlx::Error::Database(e)) = &updated
        && e.constraint() == Some("distribution_runs_paid_once")
    {
        return Err(AppError::conflict("This month of this farm is already distributed."));
    }
    updated?;
    sqlx::query("DELETE FROM distribution_runs WHERE farm_id = $1 AND period = $2 AND status = 'preview'")
        .bind(farm)
        .bind(month.first_day())
        .execute(&mut *conn)
        .await?;
    audit::record(
        &mut *conn,
        Entry {
            after: Some(serde_json::json!({
                "farm": farm, "period": month.to_string(), "distributable": row.distributable,
                "payouts": owners.len(), "nothingToPay": row.nothing_to_pay,
            })),
            ..Entry::event(Some(tenant), Some(actor), "distribution.approved", format!("distribution_run:{run}"), ip)
        },
    )
    .await?;
    if !owners.is_empty() && tell == Tell::Owners {
        crate::jobs::enqueue(
            &mut *conn,
            crate::jobs::NewJob::new(
                crate::jobs::Queue::Notifications,
                NOTIFY_APPROVED,
                serde_json::json!({ "tenant": tenant, "run": run }),
            )
            .tenant(tenant)
            .dedupe_key(format!("distribution-approved:{run}")),
        )
        .await?;
    }
    Ok(run)
}

/// The job that tells each owner of an approved run what they will receive.
pub const NOTIFY_APPROVED: &str = "farms.notify_distribution_approved";

/// Runs `NOTIFY_APPROVED`: one message per payout of the run, in the owner's language.
pub async fn notify_approved(tx: &mut PgConnection, tenant: Uuid, run: Uuid) -> Result<usize, sqlx::Error> {
    let rows: Vec<(Uuid, String, NaiveDate, Decimal)> = sqlx::query_as(
        "SELECT p.owner_id, f.name, p.period, p.net FROM payouts p
         JOIN farms f ON f.tenant_id = p.tenant_id AND f.id = p.farm_id
         WHERE p.tenant_id = $1 AND p.run_id = $2 ORDER BY p.owner_id",
    )
    .bind(tenant)
    .bind(run)
    .fetch_all(&mut *tx)
    .await?;
    for (owner, farm, period, net) in &rows {
        let period = Month::containing(*period).to_string();
        let net = Money::from_decimal(*net);
        let params = vec![farm.clone(), period.clone(), net.to_string()];
        crate::outbox::notify_person(&mut *tx, Some(tenant), *owner, "distribution_approved", params, |language| {
            match language {
                "ta" => format!("{farm} — {period} வருவாய்ப் பகிர்வு ஒப்புதல் பெற்றது: உங்களுக்கு ₹{net} வழங்கப்படும்."),
                _ => format!("{farm}: the {period} distribution is approved; you will receive ₹{net}."),
            }
        })
        .await?;
    }
    Ok(rows.len())
}

/// Marks a payout paid with the bank's reference. Marking it again with the same
/// reference answers the payout; with another, 409.
pub async fn mark_paid(
    pool: &PgPool,
    claims: &Claims,
    payout: Uuid,
    reference: &str,
    ip: Option<&str>,
) -> Result<PayoutLine, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    mark_paid_in(&mut tx, tenant, claims.sub, payout, reference, ip, Tell::Owners).await?;
    let line: (Uuid, Uuid, String, i64, Decimal, Decimal, Decimal, String, Option<String>, Option<DateTime<Utc>>) =
        sqlx::query_as(
            "SELECT p.id, p.owner_id, u.display_name, p.unit_days, p.gross, p.tds, p.net, p.status, p.bank_reference,
                    p.paid_at
             FROM payouts p JOIN users u ON u.id = p.owner_id WHERE p.id = $1",
        )
        .bind(payout)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    let (id, owner_id, owner_name, unit_days, gross, tds, net, status, bank_reference, paid_at) = line;
    Ok(PayoutLine {
        payout_id: Some(id),
        owner_id,
        owner_name,
        unit_days,
        gross: Money::from_decimal(gross),
        tds: Money::from_decimal(tds),
        net: Money::from_decimal(net),
        status,
        bank_reference,
        paid_at,
    })
}

/// `mark_paid` within the caller's transaction.
pub async fn mark_paid_in(
    conn: &mut PgConnection,
    tenant: Uuid,
    actor: Uuid,
    payout: Uuid,
    reference: &str,
    ip: Option<&str>,
    tell: Tell,
) -> Result<(), AppError> {
    let row: Option<(String, Option<String>, Uuid, Uuid, NaiveDate, Decimal)> = sqlx::query_as(
        "SELECT status, bank_reference, owner_id, farm_id, period, net FROM payouts WHERE id = $1 FOR UPDATE",
    )
    .bind(payout)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((status, existing, owner, farm, period, net)) = row else { return Err(AppError::not_found("Payout")) };
    if status == "paid" {
        return if existing.as_deref() == Some(reference) {
            Ok(())
        } else {
            Err(AppError::conflict_on(
                &["bankReference"],
                format!("This payout is already marked paid with reference {}.", existing.unwrap_or_default()),
            ))
        };
    }
    sqlx::query("UPDATE payouts SET status = 'paid', bank_reference = $2, paid_at = now(), paid_by = $3 WHERE id = $1")
        .bind(payout)
        .bind(reference)
        .bind(actor)
        .execute(&mut *conn)
        .await?;
    audit::record(
        &mut *conn,
        Entry {
            before: Some(serde_json::json!({ "status": "pending" })),
            after: Some(serde_json::json!({ "status": "paid", "bankReference": reference })),
            ..Entry::event(Some(tenant), Some(actor), "payout.paid", format!("payout:{payout}"), ip)
        },
    )
    .await?;
    if tell == Tell::Nobody {
        return Ok(());
    }
    let farm_name: String =
        sqlx::query_scalar("SELECT name FROM farms WHERE id = $1").bind(farm).fetch_one(&mut *conn).await?;
    let period = Month::containing(period).to_string();
    let net = Money::from_decimal(net);
    let params = vec![farm_name.clone(), period.clone(), net.to_string(), reference.to_string()];
    crate::outbox::notify_person(conn, Some(tenant), owner, "payout_paid", params, |language| match language {
        "ta" => format!("{farm_name} — {period}: ₹{net} உங்கள் வங்கிக் கணக்கிற்கு அனுப்பப்பட்டது (குறிப்பு {reference})."),
        _ => format!("{farm_name}, {period}: ₹{net} has been paid to your bank account (reference {reference})."),
    })
    .await?;
    Ok(())
}

pub async fn run(pool: &PgPool, claims: &Claims, id: Uuid) -> Result<DistributionRun, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<RunRow> =
        sqlx::query_as(&format!("{RUN} WHERE r.id = $1")).bind(id).fetch_optional(&mut *tx).await?;
    let Some(row) = row else { return Err(AppError::not_found("Distribution run")) };
    let run = load_run(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(run)
}

/// The estate's runs, newest month first, without their payout lines.
pub async fn runs(pool: &PgPool, claims: &Claims, farm: Option<&str>) -> Result<Vec<DistributionRun>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = match farm {
        Some(f) => Some(resolve_farm(&mut tx, f).await?.0),
        None => None,
    };
    let rows: Vec<RunRow> = sqlx::query_as(&format!(
        "{RUN} WHERE ($1::uuid IS NULL OR r.farm_id = $1) ORDER BY r.period DESC, f.name LIMIT 200"
    ))
    .bind(farm)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .iter()
        .map(|r| DistributionRun {
            id: r.id,
            farm_id: r.farm_id,
            farm_name: r.farm_name.clone(),
            period: Month::containing(r.period).to_string(),
            status: r.status.clone(),
            revenue: Money::from_decimal(r.revenue),
            platform_fee_percent: r.platform_fee_percent,
            platform_fee: Money::from_decimal(r.platform_fee),
            costs: Money::from_decimal(r.costs),
            distributable: Money::from_decimal(r.distributable),
            total_unit_days: r.total_unit_days,
            nothing_to_pay: r.nothing_to_pay.clone(),
            payouts: Vec::new(),
            created_at: r.created_at,
            approved_at: r.approved_at,
        })
        .collect())
}
