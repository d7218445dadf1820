//! Settlements: generate (one grower or all, over a period), approve (which sends the
//! slip on WhatsApp in the grower's language), mark paid, and read the slip.
//!
//! Generation reads the period's unsettled entries as sums per grower (one query),
//! figures each grower with `domain::settlement::settle_totals`, and writes every
//! settlement and recovery with one statement each, under the ledger's counter lock so
//! no entry arrives half way. No entry is written: a settlement records the change
//! sequence it settled through (migration 0014), and the slip's lines per flower and
//! rate are summed from the entries it took, which never change once settled.

use super::context::{LedgerCaller, lock_counters, own_farmer};
use super::model::*;
use super::reference_service::{self, parse_day};
use crate::audit::{self, Entry};
use crate::domain::kilograms::Kg;
use crate::domain::money::Money;
use crate::domain::permissions::Action;
use crate::domain::settlement::{OutstandingAdvance, settle_totals};
use crate::error::AppError;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use std::collections::HashMap;
use uuid::Uuid;

/// Longest period one settlement may cover.
const MAX_PERIOD_DAYS: i64 = 62;
/// How long the slip link sent on WhatsApp works without signing in.
const SLIP_LINK_DAYS: i64 = 90;

#[derive(FromRow)]
struct Aggregate {
    farmer_id: Uuid,
    entries: i64,
    quantity: Decimal,
    amount: Decimal,
}

fn grams(kg: Decimal) -> i64 {
    i64::try_from((kg * Decimal::ONE_THOUSAND).trunc()).unwrap_or(i64::MAX)
}

struct Planned {
    id: Uuid,
    number: String,
    farmer_id: Uuid,
    language: String,
    figures: crate::domain::settlement::SettlementFigures,
}

pub async fn generate(
    pool: &PgPool,
    caller: &LedgerCaller,
    input: &GenerateInput,
    now: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<GenerateOutcome, AppError> {
    let from = parse_day(&input.from, "from")?;
    let to = parse_day(&input.to, "to")?;
    if to < from {
        return Err(AppError::validation("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_PERIOD_DAYS {
        return Err(AppError::validation("to", format!("a settlement covers at most {MAX_PERIOD_DAYS} days")));
    }
    let farmer = match input.farmer_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(Uuid::parse_str(raw).map_err(|_| AppError::validation("farmerId", "must be a UUID"))?),
        None => None,
    };
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let counters = lock_counters(&mut tx, caller.tenant).await?;
    if let Some(f) = farmer {
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ledger_farmers WHERE tenant_id = $1 AND id = $2)")
                .bind(caller.tenant)
                .bind(f)
                .fetch_one(&mut *tx)
                .await?;
        if !known {
            return Err(AppError::validation("farmerId", "is not a farmer of this market"));
        }
    }
    let terms = reference_service::settings(&mut tx, caller.tenant).await?.terms;
    // A grower with an entry still waiting for its rate is skipped: a slip missing an
    // entry would underpay them.
    let pending: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT farmer_id FROM ledger_entries
         WHERE tenant_id = $1 AND market_date BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR farmer_id = $4)
           AND status = 'recorded' AND rate_source = 'pending'",
    )
    .bind(caller.tenant)
    .bind(from)
    .bind(to)
    .bind(farmer)
    .fetch_all(&mut *tx)
    .await?;
    let aggregates: Vec<Aggregate> = sqlx::query_as(
        "SELECT e.farmer_id, count(*) AS entries, sum(e.quantity_kg) AS quantity, sum(e.total) AS amount
         FROM ledger_entries e
         WHERE e.tenant_id = $1 AND e.market_date BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR e.farmer_id = $4)
           AND e.status = 'recorded' AND e.rate IS NOT NULL AND NOT (e.farmer_id = ANY($5))
           -- ledger_entry_settlement(..) IS NULL, written as one anti-join: called per row it
           -- would be 150,000 index probes on a market day.
           AND NOT EXISTS (SELECT 1 FROM ledger_settlements s
                           WHERE s.tenant_id = e.tenant_id AND s.farmer_id = e.farmer_id AND s.status <> 'cancelled'
                             AND e.market_date BETWEEN s.period_from AND s.period_to AND e.change_seq <= s.entries_through_seq)
         GROUP BY e.farmer_id
         ORDER BY e.farmer_id",
    )
    .bind(caller.tenant)
    .bind(from)
    .bind(to)
    .bind(farmer)
    .bind(&pending)
    .fetch_all(&mut *tx)
    .await?;
    let farmer_ids: Vec<Uuid> = aggregates.iter().map(|a| a.farmer_id).collect();
    let advances: Vec<(Uuid, Uuid, NaiveDate, Decimal)> = sqlx::query_as(
        "SELECT id, farmer_id, given_on, outstanding FROM ledger_advance_balances
         WHERE tenant_id = $1 AND farmer_id = ANY($2) AND outstanding > 0",
    )
    .bind(caller.tenant)
    .bind(&farmer_ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut owed: HashMap<Uuid, Vec<OutstandingAdvance>> = HashMap::new();
    for (id, f, given_on, outstanding) in advances {
        owed.entry(f).or_default().push(OutstandingAdvance {
            id,
            given_on,
            outstanding: Money::from_decimal(outstanding),
        });
    }
    let languages: HashMap<Uuid, String> = sqlx::query_as::<_, (Uuid, String)>(
        "SELECT id, language FROM ledger_farmers WHERE tenant_id = $1 AND id = ANY($2)",
    )
    .bind(caller.tenant)
    .bind(&farmer_ids)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();

    let year = to.year();
    let planned: Vec<Planned> = aggregates
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let f = &a.farmer_id;
            let weight = Kg::from_grams(grams(a.quantity));
            let figures = settle_totals(
                a.entries as u32,
                weight,
                Money::from_decimal(a.amount),
                &terms,
                owed.get(f).map_or(&[][..], Vec::as_slice),
            );
            Planned {
                id: Uuid::now_v7(),
                number: format!("S-{year}-{:06}", counters.settlement_no + 1 + i as i64),
                farmer_id: *f,
                language: languages.get(f).cloned().unwrap_or_else(|| "ta".into()),
                figures,
            }
        })
        .collect();
    let ids: Vec<Uuid> = planned.iter().map(|p| p.id).collect();
    if !planned.is_empty() {
        let m = |f: fn(&Planned) -> Money| planned.iter().map(|p| f(p).amount()).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO ledger_settlements (tenant_id, id, number, farmer_id, period_from, period_to, status, entry_count,
                 quantity_kg, gross, commission_percent, commission, fee_per_entry, fee_per_kg, fees, advance_recovered,
                 shortfall, net_payable, language, generated_by, generated_at, entries_through_seq)
             SELECT $1, u.id, u.number, u.farmer_id, $2, $3, 'generated', u.entry_count, u.quantity_kg, u.gross, $4,
                    u.commission, $5, $6, u.fees, u.recovered, u.shortfall, u.net, u.language, $7, $8, $21
             FROM unnest($9::uuid[], $10::text[], $11::uuid[], $12::int[], $13::numeric[], $14::numeric[], $15::numeric[],
                         $16::numeric[], $17::numeric[], $18::numeric[], $19::numeric[], $20::text[])
                  AS u(id, number, farmer_id, entry_count, quantity_kg, gross, commission, fees, recovered, shortfall, net, language)",
        )
        .bind(caller.tenant)
        .bind(from)
        .bind(to)
        .bind(terms.commission_percent)
        .bind(terms.fee_per_entry.amount())
        .bind(terms.fee_per_kg.amount())
        .bind(caller.user)
        .bind(now)
        .bind(&ids)
        .bind(planned.iter().map(|p| p.number.as_str()).collect::<Vec<_>>())
        .bind(&farmer_ids)
        .bind(planned.iter().map(|p| p.figures.entry_count as i32).collect::<Vec<_>>())
        .bind(planned.iter().map(|p| p.figures.weight.amount()).collect::<Vec<_>>())
        .bind(m(|p| p.figures.gross))
        .bind(m(|p| p.figures.commission))
        .bind(m(|p| p.figures.fees))
        .bind(m(|p| p.figures.advance_recovered))
        .bind(m(|p| p.figures.shortfall))
        .bind(m(|p| p.figures.net_payable))
        .bind(planned.iter().map(|p| p.language.as_str()).collect::<Vec<_>>())
        // The entries taken are those counted above: nothing can change below this mark
        // while the counters lock is held, and a settled entry is never edited
        // (migration 0014 says why that makes the mark exact).
        .bind(counters.change_seq)
        .execute(&mut *tx)
        .await?;
        let recoveries: Vec<(Uuid, Uuid, Decimal)> = planned
            .iter()
            .flat_map(|p| p.figures.recoveries.iter().map(|r| (p.id, r.advance_id, r.amount.amount())))
            .collect();
        sqlx::query(
            "INSERT INTO ledger_advance_recoveries (tenant_id, settlement_id, advance_id, amount)
             SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::numeric[]) AS u",
        )
        .bind(caller.tenant)
        .bind(recoveries.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(recoveries.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(recoveries.iter().map(|r| r.2).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        // Deductions beyond gross are owed by the grower: recovered from a later slip.
        let short: Vec<&Planned> = planned.iter().filter(|p| p.figures.shortfall > Money::ZERO).collect();
        sqlx::query(
            "INSERT INTO ledger_advances (tenant_id, id, farmer_id, given_on, amount, kind, origin_settlement_id, note, created_by)
             SELECT $1, gen_random_uuid(), u.farmer_id, $2, u.amount, 'carry_forward', u.settlement_id, 'Deductions beyond gross, carried forward', $3
             FROM unnest($4::uuid[], $5::numeric[], $6::uuid[]) AS u(farmer_id, amount, settlement_id)",
        )
        .bind(caller.tenant)
        .bind(to)
        .bind(caller.user)
        .bind(short.iter().map(|p| p.farmer_id).collect::<Vec<_>>())
        .bind(short.iter().map(|p| p.figures.shortfall.amount()).collect::<Vec<_>>())
        .bind(short.iter().map(|p| p.id).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE ledger_counters SET settlement_no = settlement_no + $2 WHERE tenant_id = $1")
            .bind(caller.tenant)
            .bind(planned.len() as i64)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(caller.tenant),
                actor: Some(caller.user),
                action: "ledger.settlement.generated",
                target: Some(format!("ledger_settlements:{from}..{to}")),
                before: None,
                after: Some(serde_json::json!({
                    "settlements": planned.iter().map(|p| serde_json::json!({"id": p.id, "number": p.number, "farmerId": p.farmer_id, "net": p.figures.net_payable})).collect::<Vec<_>>(),
                    "skippedPendingRates": pending,
                })),
                ip,
            },
        )
        .await?;
    }
    let settlements = views(&mut tx, caller.tenant, &ids).await?;
    tx.commit().await?;
    Ok(GenerateOutcome {
        settlements,
        skipped: pending
            .into_iter()
            .map(|farmer_id| SkippedFarmer {
                farmer_id,
                reason: "Some entries have no rate yet; set the rate for their slot, then generate again".into(),
            })
            .collect(),
    })
}

#[derive(FromRow)]
pub(super) struct SettlementRow {
    id: Uuid,
    number: String,
    farmer_id: Uuid,
    farmer_no: i32,
    name_en: String,
    name_ta: String,
    period_from: NaiveDate,
    period_to: NaiveDate,
    status: String,
    entry_count: i32,
    quantity_kg: Decimal,
    gross: Decimal,
    commission_percent: Decimal,
    commission: Decimal,
    fees: Decimal,
    advance_recovered: Decimal,
    shortfall: Decimal,
    net_payable: Decimal,
    language: String,
    generated_at: DateTime<Utc>,
    approved_at: Option<DateTime<Utc>>,
    paid_at: Option<DateTime<Utc>>,
    message_status: Option<String>,
}

impl From<SettlementRow> for SettlementView {
    fn from(r: SettlementRow) -> SettlementView {
        SettlementView {
            id: r.id,
            number: r.number,
            farmer_id: r.farmer_id,
            farmer_no: r.farmer_no,
            farmer_name_en: r.name_en,
            farmer_name_ta: r.name_ta,
            period_from: r.period_from,
            period_to: r.period_to,
            status: r.status,
            entry_count: r.entry_count,
            quantity_kg: format!("{:.3}", r.quantity_kg),
            gross: Money::from_decimal(r.gross),
            commission_percent: format!("{:.2}", r.commission_percent),
            commission: Money::from_decimal(r.commission),
            fees: Money::from_decimal(r.fees),
            advance_recovered: Money::from_decimal(r.advance_recovered),
            shortfall: Money::from_decimal(r.shortfall),
            net_payable: Money::from_decimal(r.net_payable),
            language: r.language,
            generated_at: r.generated_at,
            approved_at: r.approved_at,
            paid_at: r.paid_at,
            message_status: r.message_status,
        }
    }
}

pub(super) const SETTLEMENT_SELECT: &str = "
    SELECT s.id, s.number, s.farmer_id, f.farmer_no, f.name_en, f.name_ta, s.period_from, s.period_to, s.status,
           s.entry_count, s.quantity_kg, s.gross, s.commission_percent, s.commission, s.fees, s.advance_recovered,
           s.shortfall, s.net_payable, s.language, s.generated_at, s.approved_at, s.paid_at, m.status AS message_status
    FROM ledger_settlements s
    JOIN ledger_farmers f ON f.tenant_id = s.tenant_id AND f.id = s.farmer_id
    LEFT JOIN notification_outbox m ON m.id = s.message_id";

async fn views(tx: &mut PgConnection, tenant: Uuid, ids: &[Uuid]) -> Result<Vec<SettlementView>, AppError> {
    let rows: Vec<SettlementRow> =
        sqlx::query_as(&format!("{SETTLEMENT_SELECT} WHERE s.tenant_id = $1 AND s.id = ANY($2) ORDER BY s.number"))
            .bind(tenant)
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows.into_iter().map(SettlementView::from).collect())
}

/// Loads a settlement the caller may see: anyone with the report grant, a farmer
/// only their own (others are "not found", not "forbidden": no probing for ids).
async fn visible(
    tx: &mut PgConnection,
    caller: &LedgerCaller,
    id: Uuid,
    action: Action,
) -> Result<SettlementView, AppError> {
    let row: Option<SettlementRow> =
        sqlx::query_as(&format!("{SETTLEMENT_SELECT} WHERE s.tenant_id = $1 AND s.id = $2"))
            .bind(caller.tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let view = row.map(SettlementView::from).ok_or_else(|| AppError::not_found("Settlement"))?;
    if caller.only_own(action) && own_farmer(tx, caller).await? != Some(view.farmer_id) {
        return Err(AppError::not_found("Settlement"));
    }
    Ok(view)
}

pub async fn list(
    pool: &PgPool,
    caller: &LedgerCaller,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<SettlementView>, AppError> {
    if let Some(s) = status
        && !["generated", "approved", "paid", "cancelled"].contains(&s)
    {
        return Err(AppError::validation("status", "must be generated, approved, paid or cancelled"));
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let own = if caller.only_own(Action::ReportsView) {
        Some(own_farmer(&mut tx, caller).await?.unwrap_or_default())
    } else {
        None
    };
    let rows: Vec<SettlementRow> = sqlx::query_as(&format!(
        "{SETTLEMENT_SELECT} WHERE s.tenant_id = $1 AND ($2::text IS NULL OR s.status = $2) AND ($3::uuid IS NULL OR s.farmer_id = $3)
         ORDER BY s.generated_at DESC, s.number DESC LIMIT $4"
    ))
    .bind(caller.tenant)
    .bind(status)
    .bind(own)
    .bind(limit.clamp(1, 500))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(SettlementView::from).collect())
}

pub async fn slip(pool: &PgPool, caller: &LedgerCaller, id: Uuid) -> Result<SlipView, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let settlement = visible(&mut tx, caller, id, Action::ReportsView).await?;
    let slip = slip_parts(&mut tx, caller.tenant, &caller.market_name, settlement).await?;
    tx.commit().await?;
    Ok(slip)
}

async fn slip_parts(
    tx: &mut PgConnection,
    tenant: Uuid,
    market_name: &str,
    settlement: SettlementView,
) -> Result<SlipView, AppError> {
    let lines = sqlx::query_as::<_, (Uuid, String, String, Decimal, i32, Decimal, Decimal)>(
        "SELECT e.flower_type_id, t.name_en, t.name_ta, e.rate, count(*)::int, sum(e.quantity_kg), sum(e.total)
         FROM ledger_settlements s
         JOIN ledger_entries e ON e.tenant_id = s.tenant_id AND e.farmer_id = s.farmer_id AND e.status = 'recorded'
                              AND e.market_date BETWEEN s.period_from AND s.period_to AND e.change_seq <= s.entries_through_seq
         JOIN ledger_flower_types t ON t.tenant_id = e.tenant_id AND t.id = e.flower_type_id
         WHERE s.tenant_id = $1 AND s.id = $2
           AND ledger_entry_settlement(e.tenant_id, e.farmer_id, e.market_date, e.change_seq, e.status) = s.id
         GROUP BY e.flower_type_id, t.name_en, t.name_ta, t.position, t.code, e.rate
         ORDER BY t.position, t.code, e.rate",
    )
    .bind(tenant)
    .bind(settlement.id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(flower_type_id, flower_en, flower_ta, rate, entry_count, q, amount)| SlipLine {
        flower_type_id,
        flower_en,
        flower_ta,
        rate: Money::from_decimal(rate),
        entry_count,
        quantity_kg: format!("{q:.3}"),
        amount: Money::from_decimal(amount),
    })
    .collect();
    let approvals = sqlx::query_as::<_, (String, String, DateTime<Utc>)>(
        "SELECT a.role, u.display_name, a.at FROM ledger_settlement_approvals a JOIN users u ON u.id = a.user_id
         WHERE a.tenant_id = $1 AND a.settlement_id = $2 ORDER BY a.at",
    )
    .bind(tenant)
    .bind(settlement.id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(role, display_name, at)| SlipApproval { role, display_name, at })
    .collect();
    Ok(SlipView { market_name: market_name.to_string(), settlement, lines, approvals })
}

/// The WhatsApp text of a slip, in the grower's language.
pub fn whatsapp_text(lang: &str, market: &str, s: &SettlementView, slip_url: &str) -> String {
    use crate::language::{Locale, locale_from, td_string};
    let l = locale_from(lang);
    let period = if s.period_from == s.period_to {
        s.period_from.format("%d-%m-%Y").to_string()
    } else {
        format!("{} – {}", s.period_from.format("%d-%m-%Y"), s.period_to.format("%d-%m-%Y"))
    };
    let name = match l {
        Locale::ta if !s.farmer_name_ta.is_empty() => &s.farmer_name_ta,
        _ if s.farmer_name_en.is_empty() => &s.farmer_name_ta,
        _ => &s.farmer_name_en,
    };
    td_string!(
        l,
        whatsapp.settlement,
        market = market,
        name = name,
        number = s.number.clone(),
        period = period,
        gross = s.gross.format_inr(),
        commission = s.commission.format_inr(),
        fees = s.fees.format_inr(),
        recovered = s.advance_recovered.format_inr(),
        net = s.net_payable.format_inr(),
        url = slip_url
    )
    .to_string()
}

/// Approves a settlement (staff, admin, or the grower their own). The first approval
/// makes it `approved` and queues the slip on WhatsApp (SMS without a WhatsApp
/// number) in the grower's language, with a link that opens the slip without signing
/// in; later approvals are added to the slip.
pub async fn approve(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    public_base_url: &str,
    ip: Option<&str>,
) -> Result<SlipView, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let settlement = visible(&mut tx, caller, id, Action::SettlementApprove).await?;
    let status: String =
        sqlx::query_scalar("SELECT status FROM ledger_settlements WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(caller.tenant)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if !["generated", "approved"].contains(&status.as_str()) {
        return Err(AppError::conflict(format!("This settlement is {status}; it can no longer be approved")));
    }
    sqlx::query(
        "INSERT INTO ledger_settlement_approvals (tenant_id, settlement_id, user_id, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(caller.tenant)
    .bind(id)
    .bind(caller.user)
    .bind(caller.ledger_role())
    .execute(&mut *tx)
    .await?;
    if status == "generated" {
        let (user_id, whatsapp, phone): (Option<Uuid>, Option<String>, Option<String>) =
            sqlx::query_as("SELECT user_id, whatsapp, phone FROM ledger_farmers WHERE tenant_id = $1 AND id = $2")
                .bind(caller.tenant)
                .bind(settlement.farmer_id)
                .fetch_one(&mut *tx)
                .await?;
        let token = crate::account::tokens::new_refresh_token();
        let slip_url = format!("{}/ledger/slip/{token}", public_base_url.trim_end_matches('/'));
        let target = match (whatsapp, phone) {
            (Some(number), _) => Some((crate::outbox::Channel::Whatsapp, number)),
            (None, Some(number)) => Some((crate::outbox::Channel::Sms, number)),
            (None, None) => None,
        };
        let message_id = match target {
            Some((channel, number)) => {
                let body = whatsapp_text(&settlement.language, &caller.market_name, &settlement, &slip_url);
                Some(
                    crate::outbox::enqueue(
                        &mut tx,
                        crate::outbox::NewMessage {
                            tenant: Some(caller.tenant),
                            user: user_id,
                            channel,
                            recipient: &number,
                            template: "ledger_settlement",
                            language: &settlement.language,
                            body,
                            params: vec![
                                settlement.farmer_name_en.clone(),
                                settlement.number.clone(),
                                settlement.net_payable.to_api_string(),
                                slip_url.clone(),
                            ],
                        },
                    )
                    .await?,
                )
            }
            None => None,
        };
        sqlx::query(
            "UPDATE ledger_settlements SET status = 'approved', approved_at = now(), message_id = $3, slip_token_hash = $4
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(caller.tenant)
        .bind(id)
        .bind(message_id)
        .bind(crate::account::tokens::refresh_token_hash(&token))
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut *tx,
        Entry::event(
            Some(caller.tenant),
            Some(caller.user),
            "ledger.settlement.approved",
            format!("ledger_settlement:{id}"),
            ip,
        ),
    )
    .await?;
    let settlement = visible(&mut tx, caller, id, Action::SettlementApprove).await?;
    let slip = slip_parts(&mut tx, caller.tenant, &caller.market_name, settlement).await?;
    tx.commit().await?;
    Ok(slip)
}

/// The slip behind a WhatsApp link, for whoever holds the link (the grower need not
/// have an account). The link names no market, so the lookup spans tenants, by the
/// token's hash only.
pub async fn slip_by_token(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<SlipView, AppError> {
    if token.len() != 43 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(AppError::not_found("Slip"));
    }
    let mut tx = crate::db::cross_tenant_tx(pool).await?;
    let found: Option<(Uuid, Uuid, String, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT s.tenant_id, s.id, t.name, s.approved_at FROM ledger_settlements s JOIN tenants t ON t.id = s.tenant_id
         WHERE s.slip_token_hash = $1 AND s.status <> 'cancelled'",
    )
    .bind(crate::account::tokens::refresh_token_hash(token))
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some((tenant, id, market_name, approved_at)) = found else { return Err(AppError::not_found("Slip")) };
    if approved_at.is_none_or(|at| now - at > chrono::Duration::days(SLIP_LINK_DAYS)) {
        return Err(AppError::not_found("Slip"));
    }
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let view = views(&mut tx, tenant, &[id]).await?.pop().ok_or_else(|| AppError::not_found("Slip"))?;
    let slip = slip_parts(&mut tx, tenant, &market_name, view).await?;
    tx.commit().await?;
    Ok(slip)
}

/// Records that the grower was paid (admin): only an approved settlement.
pub async fn mark_paid(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    input: &PaidInput,
    ip: Option<&str>,
) -> Result<SettlementView, AppError> {
    let method = input.method.trim();
    if !["cash", "upi", "bank"].contains(&method) {
        return Err(AppError::validation("method", "must be cash, upi or bank"));
    }
    let reference = input.reference.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reference.is_some_and(|r| r.chars().count() > 100) {
        return Err(AppError::validation("reference", "at most 100 characters"));
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM ledger_settlements WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(caller.tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(AppError::not_found("Settlement")),
        Some("approved") => {}
        Some(other) => {
            return Err(AppError::conflict(format!(
                "This settlement is {other}; only an approved settlement can be paid"
            )));
        }
    }
    sqlx::query(
        "UPDATE ledger_settlements SET status = 'paid', paid_at = now(), paid_by = $3, payment_method = $4, payment_reference = $5
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(caller.tenant)
    .bind(id)
    .bind(caller.user)
    .bind(method)
    .bind(reference)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry {
            after: Some(serde_json::json!({ "method": method, "reference": reference })),
            ..Entry::event(
                Some(caller.tenant),
                Some(caller.user),
                "ledger.settlement.paid",
                format!("ledger_settlement:{id}"),
                ip,
            )
        },
    )
    .await?;
    let view = views(&mut tx, caller.tenant, &[id]).await?.pop().ok_or_else(|| AppError::not_found("Settlement"))?;
    tx.commit().await?;
    Ok(view)
}

/// Sends a slip's message again after it failed (staff or admin).
pub async fn resend(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    ip: Option<&str>,
) -> Result<SettlementView, AppError> {
    if caller.only_own(Action::SettlementApprove) {
        return Err(AppError::Forbidden);
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let found: Option<(Option<Uuid>, Option<String>)> = sqlx::query_as(
        "SELECT s.message_id, m.status FROM ledger_settlements s LEFT JOIN notification_outbox m ON m.id = s.message_id
         WHERE s.tenant_id = $1 AND s.id = $2 FOR UPDATE OF s",
    )
    .bind(caller.tenant)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((message, status)) = found else { return Err(AppError::not_found("Settlement")) };
    let (Some(message), Some("failed")) = (message, status.as_deref()) else {
        return Err(AppError::conflict("Only a message that failed can be sent again"));
    };
    crate::outbox::retry_failed(&mut tx, message).await?;
    audit::record(
        &mut *tx,
        Entry::event(
            Some(caller.tenant),
            Some(caller.user),
            "ledger.settlement.resent",
            format!("ledger_settlement:{id}"),
            ip,
        ),
    )
    .await?;
    let view = views(&mut tx, caller.tenant, &[id]).await?.pop().ok_or_else(|| AppError::not_found("Settlement"))?;
    tx.commit().await?;
    Ok(view)
}
