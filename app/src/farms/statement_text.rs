//! A statement's words and figures in its owner's language, laid out once for both
//! the printable page and the server's PDF, so the two cannot say different things.

use super::model::{AnnualStatement, Statement};
use crate::domain::money::Money;
use crate::language::{Locale, locale_from, td_string};

/// A statement as text: a title, lines under it, label–value facts, one optional
/// table, and small print.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementDocument {
    pub title: String,
    pub subtitle: Vec<String>,
    pub facts: Vec<(String, String)>,
    pub table: Option<(Vec<String>, Vec<Vec<String>>)>,
    pub footer: Vec<String>,
}

/// `₹12,34,567.89`: rupees with Indian digit grouping (lakhs, crores).
pub fn rupees(m: Money) -> String {
    let paise = m.paise();
    let sign = if paise < 0 { "−" } else { "" };
    let abs = paise.unsigned_abs();
    let (whole, frac) = (abs / 100, abs % 100);
    let digits = whole.to_string();
    let grouped = if digits.len() <= 3 {
        digits
    } else {
        let (head, last3) = digits.split_at(digits.len() - 3);
        let mut groups: Vec<&str> = Vec::new();
        let mut rest = head;
        while rest.len() > 2 {
            let (h, t) = rest.split_at(rest.len() - 2);
            groups.push(t);
            rest = h;
        }
        groups.push(rest);
        groups.reverse();
        format!("{},{last3}", groups.join(","))
    };
    format!("{sign}₹{grouped}.{frac:02}")
}

fn ist(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::domain::distribution::ist_date(at).format("%Y-%m-%d").to_string()
}

pub fn statement_document(s: &Statement) -> StatementDocument {
    let l: Locale = locale_from(&s.language);
    let status = if s.status == "paid" {
        td_string!(l, farms.status_paid).to_string()
    } else {
        td_string!(l, farms.status_pending).to_string()
    };
    let mut facts = vec![
        (td_string!(l, farms.revenue).to_string(), rupees(s.revenue)),
        (
            td_string!(l, farms.platform_fee, percent = s.platform_fee_percent.normalize()).to_string(),
            rupees(-s.platform_fee),
        ),
        (td_string!(l, farms.costs).to_string(), rupees(-s.costs)),
        (td_string!(l, farms.distributable).to_string(), rupees(s.distributable)),
        (td_string!(l, farms.total_unit_days).to_string(), s.total_unit_days.to_string()),
        (td_string!(l, farms.unit_days).to_string(), s.unit_days.to_string()),
        (td_string!(l, farms.gross).to_string(), rupees(s.gross)),
        (td_string!(l, farms.tds).to_string(), rupees(-s.tds)),
        (td_string!(l, farms.net).to_string(), rupees(s.net)),
        (td_string!(l, farms.status).to_string(), status),
        (td_string!(l, farms.approved_on).to_string(), ist(s.approved_at)),
    ];
    if let Some(paid) = s.paid_at {
        facts.push((td_string!(l, farms.paid_on).to_string(), ist(paid)));
    }
    if let Some(r) = &s.bank_reference {
        facts.push((td_string!(l, farms.bank_reference).to_string(), r.clone()));
    }
    StatementDocument {
        title: td_string!(l, farms.statement_title).to_string(),
        subtitle: vec![
            s.estate.clone(),
            format!("{}: {}", td_string!(l, farms.owner), s.owner_name),
            format!("{}: {}", td_string!(l, farms.farm), s.farm_name),
            format!("{}: {}", td_string!(l, farms.period), s.period),
        ],
        facts,
        table: None,
        footer: vec![td_string!(l, farms.footer).to_string()],
    }
}

pub fn annual_document(a: &AnnualStatement) -> StatementDocument {
    let l: Locale = locale_from(&a.language);
    let headers = vec![
        td_string!(l, farms.period).to_string(),
        td_string!(l, farms.farm).to_string(),
        td_string!(l, farms.gross).to_string(),
        td_string!(l, farms.tds).to_string(),
        td_string!(l, farms.net).to_string(),
        td_string!(l, farms.paid_on).to_string(),
    ];
    let rows = a
        .lines
        .iter()
        .map(|line| {
            vec![
                line.period.clone(),
                line.farm_name.clone(),
                rupees(line.gross),
                rupees(line.tds),
                rupees(line.net),
                line.paid_at.map(ist).unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    StatementDocument {
        title: td_string!(l, farms.annual_title).to_string(),
        subtitle: vec![
            a.estate.clone(),
            format!("{}: {}", td_string!(l, farms.owner), a.owner_name),
            format!("{} ({} – {})", td_string!(l, farms.financial_year, year = a.financial_year.clone()), a.from, a.to),
        ],
        facts: vec![
            (td_string!(l, farms.gross).to_string(), rupees(a.gross)),
            (td_string!(l, farms.tds).to_string(), rupees(a.tds)),
            (td_string!(l, farms.net).to_string(), rupees(a.net)),
        ],
        table: Some((headers, rows)),
        footer: vec![td_string!(l, farms.annual_footer).to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupees_group_in_lakhs_and_crores() {
        assert_eq!(rupees(Money::from_paise(5)), "₹0.05");
        assert_eq!(rupees(Money::from_paise(99_999)), "₹999.99");
        assert_eq!(rupees(Money::from_paise(123_456_789)), "₹12,34,567.89");
        assert_eq!(rupees(Money::from_paise(123_456_789_012)), "₹1,23,45,67,890.12");
        assert_eq!(rupees(Money::from_paise(-100_000)), "−₹1,000.00");
    }
}
