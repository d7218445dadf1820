//! The ledger's reports, read in one tenant transaction each: the day book, a grower's
//! statement and the flower-wise summary. Postgres sums (a market day can hold 150,000
//! entries); `domain::ledger_report` turns the sums into totals, averages and shares.
//! Growers read only their own figures (the matrix's "own only").

use super::context::{LedgerCaller, own_farmer};
use super::model::SettlementView;
use super::reference_service::parse_day;
use super::report_model::*;
use super::settlement_service::{SETTLEMENT_SELECT, SettlementRow};
use crate::domain::kilograms::Kg;
use crate::domain::ledger_report::{self, AdvanceMove, Tally, running_balance, share_percent};
use crate::domain::money::Money;
use crate::domain::permissions::Action;
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The longest period a summary or statement covers: a year of market days.
pub const MAX_REPORT_DAYS: i64 = 366;

/// `from`..=`to` as the reader typed them, checked.
pub fn parse_period(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate), AppError> {
    let from = parse_day(from, "from")?;
    let to = parse_day(to, "to")?;
    if to < from {
        return Err(AppError::validation("to", "must be on or after the first day"));
    }
    if (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(AppError::validation("to", format!("a report covers at most {MAX_REPORT_DAYS} days")));
    }
    Ok((from, to))
}

/// The grower a farmer may read (their own), or none for staff and admins.
async fn own_scope(tx: &mut PgConnection, caller: &LedgerCaller) -> Result<Option<Uuid>, AppError> {
    if caller.only_own(Action::ReportsView) {
        // A farmer without a grower record here sees nothing, not everything.
        Ok(Some(own_farmer(tx, caller).await?.unwrap_or_default()))
    } else {
        Ok(None)
    }
}

type TallyRow = (i64, Decimal, Decimal, i64, Decimal);

fn tally((entries, kg, gross, pending, _): &TallyRow) -> Tally {
    Tally::from_sums(*entries, *kg, *gross, *pending)
}

fn priced_kg(row: &TallyRow) -> Kg {
    Kg::from_grams(i64::try_from((row.4 * Decimal::ONE_THOUSAND).trunc()).unwrap_or(0))
}

// Voided entries are kept for history but count for nothing.
const TALLY_COLUMNS: &str = "count(*)::bigint, coalesce(sum(e.quantity_kg), 0), coalesce(sum(e.total), 0),
     count(*) FILTER (WHERE e.rate IS NULL)::bigint, coalesce(sum(e.quantity_kg) FILTER (WHERE e.rate IS NOT NULL), 0)";

pub(crate) async fn flower_tallies(
    tx: &mut PgConnection,
    tenant: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    farmer: Option<Uuid>,
) -> Result<Vec<FlowerTally>, AppError> {
    let rows: Vec<(Uuid, String, String, String, i64, Decimal, Decimal, i64, Decimal)> = sqlx::query_as(&format!(
        "SELECT t.id, t.code, t.name_en, t.name_ta, {TALLY_COLUMNS}
         FROM ledger_entries e JOIN ledger_flower_types t ON t.tenant_id = e.tenant_id AND t.id = e.flower_type_id
         WHERE e.tenant_id = $1 AND e.market_date BETWEEN $2 AND $3 AND e.status = 'recorded'
           AND ($4::uuid IS NULL OR e.farmer_id = $4)
         GROUP BY t.id, t.code, t.name_en, t.name_ta, t.position ORDER BY t.position, t.code"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .bind(farmer)
    .fetch_all(&mut *tx)
    .await?;
    let tallies: Vec<(Uuid, String, String, String, TallyRow)> =
        rows.into_iter().map(|r| (r.0, r.1, r.2, r.3, (r.4, r.5, r.6, r.7, r.8))).collect();
    let whole = ledger_report::total(tallies.iter().map(|t| tally(&t.4))).gross;
    Ok(tallies
        .into_iter()
        .map(|(id, code, name_en, name_ta, row)| {
            let t = tally(&row);
            FlowerTally {
                flower_type_id: id,
                code,
                name_en,
                name_ta,
                tally: t,
                average_rate: t.average_rate(priced_kg(&row)),
                share_percent: share_percent(t.gross, whole).to_string(),
            }
        })
        .collect())
}

/// One market day: each grower's entries, weight and amount, and each flower's.
pub async fn day_book(pool: &PgPool, caller: &LedgerCaller, date: NaiveDate) -> Result<DayBook, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let own = own_scope(&mut tx, caller).await?;
    let rows: Vec<(Uuid, i32, String, String, i64, Decimal, Decimal, i64, Decimal)> = sqlx::query_as(&format!(
        "SELECT f.id, f.farmer_no, f.name_en, f.name_ta, {TALLY_COLUMNS}
         FROM ledger_entries e JOIN ledger_farmers f ON f.tenant_id = e.tenant_id AND f.id = e.farmer_id
         WHERE e.tenant_id = $1 AND e.market_date = $2 AND e.status = 'recorded' AND ($3::uuid IS NULL OR e.farmer_id = $3)
         GROUP BY f.id, f.farmer_no, f.name_en, f.name_ta ORDER BY f.farmer_no"
    ))
    .bind(caller.tenant)
    .bind(date)
    .bind(own)
    .fetch_all(&mut *tx)
    .await?;
    let growers: Vec<GrowerTally> = rows
        .into_iter()
        .map(|r| GrowerTally {
            farmer_id: r.0,
            farmer_no: r.1,
            name_en: r.2,
            name_ta: r.3,
            tally: tally(&(r.4, r.5, r.6, r.7, r.8)),
        })
        .collect();
    let flowers = flower_tallies(&mut tx, caller.tenant, date, date, own).await?;
    tx.commit().await?;
    let total = ledger_report::total(growers.iter().map(|g| g.tally));
    Ok(DayBook { date, growers, flowers, total, own_only: own.is_some() })
}

/// Per flower over `from`..=`to`.
pub async fn flower_summary(
    pool: &PgPool,
    caller: &LedgerCaller,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<FlowerSummary, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let own = own_scope(&mut tx, caller).await?;
    let flowers = flower_tallies(&mut tx, caller.tenant, from, to, own).await?;
    tx.commit().await?;
    let total = ledger_report::total(flowers.iter().map(|f| f.tally));
    Ok(FlowerSummary { from, to, flowers, total, own_only: own.is_some() })
}

/// How a reader names a grower: their number on the market's books, or their id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowerKey {
    No(i32),
    Id(Uuid),
}

impl GrowerKey {
    /// `"17"` or a UUID; empty is none.
    pub fn parse(raw: &str, field: &str) -> Result<Option<GrowerKey>, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if let Ok(no) = raw.parse::<i32>() {
            return if no > 0 {
                Ok(Some(GrowerKey::No(no)))
            } else {
                Err(AppError::validation(field, "must be a grower's number (1 or more) or id"))
            };
        }
        Uuid::parse_str(raw)
            .map(|id| Some(GrowerKey::Id(id)))
            .map_err(|_| AppError::validation(field, "must be a grower's number or id"))
    }
}

/// A grower's account over `from`..=`to`. Growers read their own (`farmer` may be
/// omitted); anyone else's is "not found" to them.
pub async fn farmer_statement(
    pool: &PgPool,
    caller: &LedgerCaller,
    farmer: Option<GrowerKey>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<FarmerStatement, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let own = own_scope(&mut tx, caller).await?;
    let key = match (own, farmer) {
        (Some(own), None) => GrowerKey::Id(own),
        (Some(_), Some(asked)) => asked,
        (None, Some(asked)) => asked,
        (None, None) => return Err(AppError::validation("farmerId", "choose a grower")),
    };
    let (id, no) = match key {
        GrowerKey::Id(id) => (Some(id), None),
        GrowerKey::No(no) => (None, Some(no)),
    };
    let grower: StatementGrower = sqlx::query_as::<_, (Uuid, i32, String, String, String)>(
        "SELECT id, farmer_no, name_en, name_ta, village FROM ledger_farmers
         WHERE tenant_id = $1 AND (id = $2 OR farmer_no = $3)",
    )
    .bind(caller.tenant)
    .bind(id)
    .bind(no)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| StatementGrower { id: r.0, farmer_no: r.1, name_en: r.2, name_ta: r.3, village: r.4 })
    // Another grower's account is not there for a grower, as for a stranger.
    .filter(|g| own.is_none_or(|own| own == g.id))
    .ok_or_else(|| AppError::not_found("Grower"))?;
    let farmer = grower.id;

    let day_rows: Vec<(NaiveDate, Uuid, String, String, i64, Decimal, Decimal, i64, Decimal)> = sqlx::query_as(&format!(
        "SELECT e.market_date, t.id, t.name_en, t.name_ta, {TALLY_COLUMNS}
         FROM ledger_entries e JOIN ledger_flower_types t ON t.tenant_id = e.tenant_id AND t.id = e.flower_type_id
         WHERE e.tenant_id = $1 AND e.farmer_id = $2 AND e.market_date BETWEEN $3 AND $4 AND e.status = 'recorded'
         GROUP BY e.market_date, t.id, t.code, t.name_en, t.name_ta, t.position ORDER BY e.market_date, t.position, t.code"
    ))
    .bind(caller.tenant)
    .bind(farmer)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    let days: Vec<StatementDay> = day_rows
        .into_iter()
        .map(|r| StatementDay {
            date: r.0,
            flower_type_id: r.1,
            flower_en: r.2,
            flower_ta: r.3,
            tally: tally(&(r.4, r.5, r.6, r.7, r.8)),
        })
        .collect();
    let unsettled_row: TallyRow = sqlx::query_as(&format!(
        "SELECT {TALLY_COLUMNS} FROM ledger_entries e
         WHERE e.tenant_id = $1 AND e.farmer_id = $2 AND e.market_date BETWEEN $3 AND $4 AND e.status = 'recorded'
           AND ledger_entry_settlement(e.tenant_id, e.farmer_id, e.market_date, e.change_seq, e.status) IS NULL"
    ))
    .bind(caller.tenant)
    .bind(farmer)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *tx)
    .await?;

    let settlements: Vec<SettlementView> = sqlx::query_as::<_, SettlementRow>(&format!(
        "{SETTLEMENT_SELECT} WHERE s.tenant_id = $1 AND s.farmer_id = $2 AND s.period_to >= $3 AND s.period_from <= $4
         ORDER BY s.period_from, s.number"
    ))
    .bind(caller.tenant)
    .bind(farmer)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(SettlementView::from)
    .collect();

    // Advances given and recovered, dated in market time; a cancelled settlement
    // recovered nothing.
    const MOVES: &str = "
        SELECT a.given_on AS day, 'given' AS change, a.amount, a.note AS detail, a.created_at AS at
        FROM ledger_advances a WHERE a.tenant_id = $1 AND a.farmer_id = $2
        UNION ALL
        SELECT (s.generated_at AT TIME ZONE 'Asia/Kolkata')::date, 'recovered', sum(r.amount), s.number, s.generated_at
        FROM ledger_advance_recoveries r JOIN ledger_settlements s ON s.tenant_id = r.tenant_id AND s.id = r.settlement_id
        WHERE r.tenant_id = $1 AND s.farmer_id = $2 AND s.status <> 'cancelled'
        GROUP BY s.id, s.generated_at, s.number";
    let opening: Decimal = sqlx::query_scalar(&format!(
        "SELECT coalesce(sum(CASE WHEN change = 'given' THEN amount ELSE -amount END), 0) FROM ({MOVES}) m WHERE day < $3"
    ))
    .bind(caller.tenant)
    .bind(farmer)
    .bind(from)
    .fetch_one(&mut *tx)
    .await?;
    let moves: Vec<(NaiveDate, String, Decimal, String)> = sqlx::query_as(&format!(
        "SELECT day, change, amount, detail FROM ({MOVES}) m WHERE day BETWEEN $3 AND $4 ORDER BY day, at, change"
    ))
    .bind(caller.tenant)
    .bind(farmer)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let opening_advance = Money::from_decimal(opening);
    let kinds: Vec<(AdvanceMove, Money)> = moves
        .iter()
        .map(|(_, change, amount, _)| {
            (if change == "given" { AdvanceMove::Given } else { AdvanceMove::Recovered }, Money::from_decimal(*amount))
        })
        .collect();
    let balances = running_balance(opening_advance, &kinds);
    let advances: Vec<AdvanceLine> = moves
        .into_iter()
        .zip(kinds)
        .zip(balances.iter().copied())
        .map(|(((date, _, _, detail), (change, amount)), balance)| AdvanceLine {
            date,
            change,
            amount,
            balance,
            detail,
        })
        .collect();
    let total = ledger_report::total(days.iter().map(|d| d.tally));
    Ok(FarmerStatement {
        grower,
        from,
        to,
        days,
        total,
        unsettled: tally(&unsettled_row),
        settlements,
        opening_advance,
        closing_advance: balances.last().copied().unwrap_or(opening_advance),
        advances,
    })
}
