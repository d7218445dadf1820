//! Who may do what: one declared table of role × action, deny by default. Every
//! server function and API handler asks [`grant`]; an action with no row for a role is
//! refused. The ledger rows are the Malar permission matrix of PRODUCT.md, verbatim.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Farmer,
    Staff,
    FieldAgent,
    Ops,
    Admin,
}

/// Something a signed-in person may ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read one's own account.
    AccountRead,
    // The ledger (Malar matrix).
    LedgerCreateEntry,
    LedgerEditOwnEntry,
    LedgerEditAnyEntry,
    SettlementGenerate,
    SettlementApprove,
    ReportsView,
    UsersManage,
    RatesConfigure,
    /// Read the tenant's audit log.
    AuditRead,
    /// Watch the control tower: queues, dead letters, deliveries, provider health.
    OperationsView,
    /// Act in it: retry dead letters and failed messages.
    OperationsManage,
    /// See every order of the store and move them along (packed, shipped, delivered).
    OrdersFulfil,
    /// Approve or reject refunds, full or partial.
    RefundsApprove,
    /// See the farms one holds shares in, their payouts and statements.
    HoldingsView,
    /// Run farm ownership: farms' profiles and units, agreements, revenue and costs,
    /// distributions and payouts.
    FarmsManage,
    /// Send a farm's sensor and weather readings.
    ReadingsRecord,
    /// Set each crop's acceptable ranges of readings.
    ThresholdsManage,
    /// See the tenant's alerts.
    AlertsView,
    /// Acknowledge and resolve them.
    AlertsManage,
    /// See field tasks and complete them (a field agent: their own).
    TasksWork,
    /// Create, assign and reschedule field tasks.
    TasksManage,
    /// Record farm visits (a field agent: their own).
    VisitsRecord,
    BatchesView,
    BatchesRecord,
    /// Set the store's delivery fee, free-delivery threshold, windows and coupons.
    StoreSettingsManage,
    /// See the store's stock, change it by hand with a reason, set low-stock thresholds.
    StockManage,
    /// Add and change products, packs, pictures and lots; receive stock; import CSV.
    CatalogManage,
}

/// How far a grant reaches: everything in the tenant, or only the person's own records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grant {
    Any,
    Own,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Customer, Role::Farmer, Role::Staff, Role::FieldAgent, Role::Ops, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Farmer => "farmer",
            Role::Staff => "staff",
            Role::FieldAgent => "field_agent",
            Role::Ops => "ops",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown role {s:?}"))
    }
}

impl Action {
    pub const ALL: [Action; 28] = [
        Action::AccountRead,
        Action::LedgerCreateEntry,
        Action::LedgerEditOwnEntry,
        Action::LedgerEditAnyEntry,
        Action::SettlementGenerate,
        Action::SettlementApprove,
        Action::ReportsView,
        Action::UsersManage,
        Action::RatesConfigure,
        Action::AuditRead,
        Action::OperationsView,
        Action::OperationsManage,
        Action::OrdersFulfil,
        Action::RefundsApprove,
        Action::HoldingsView,
        Action::FarmsManage,
        Action::ReadingsRecord,
        Action::ThresholdsManage,
        Action::AlertsView,
        Action::AlertsManage,
        Action::TasksWork,
        Action::TasksManage,
        Action::VisitsRecord,
        Action::BatchesView,
        Action::BatchesRecord,
        Action::StoreSettingsManage,
        Action::StockManage,
        Action::CatalogManage,
    ];
}

use Action::*;
use Grant::*;
use Role::*;

/// The table. A (role, action) pair that is not listed is denied.
const TABLE: &[(Role, Action, Grant)] = &[
    (Customer, AccountRead, Own),
    (Farmer, AccountRead, Own),
    (Staff, AccountRead, Own),
    (FieldAgent, AccountRead, Own),
    (Ops, AccountRead, Own),
    (Admin, AccountRead, Own),
    // Malar ledger matrix: admin | staff | farmer.
    (Admin, LedgerCreateEntry, Any),
    (Staff, LedgerCreateEntry, Any),
    (Admin, LedgerEditOwnEntry, Own),
    (Staff, LedgerEditOwnEntry, Own),
    (Admin, LedgerEditAnyEntry, Any),
    (Admin, SettlementGenerate, Any),
    (Admin, SettlementApprove, Any),
    (Staff, SettlementApprove, Any),
    (Farmer, SettlementApprove, Own),
    (Admin, ReportsView, Any),
    (Staff, ReportsView, Any),
    (Farmer, ReportsView, Own),
    (Admin, UsersManage, Any),
    (Admin, RatesConfigure, Any),
    // Operations watch the audit log in the control tower; admins own it.
    (Admin, AuditRead, Any),
    (Ops, AuditRead, Any),
    // The control tower: job queues, dead letters, message delivery, provider health.
    (Admin, OperationsView, Any),
    (Ops, OperationsView, Any),
    (Admin, OperationsManage, Any),
    (Ops, OperationsManage, Any),
    // The store's orders screen; customers reach only their own orders, by ownership.
    (Admin, OrdersFulfil, Any),
    (Staff, OrdersFulfil, Any),
    (Ops, OrdersFulfil, Any),
    (Admin, RefundsApprove, Any),
    // Farm ownership: owners are customers holding shares; the estate's admin runs it.
    (Customer, HoldingsView, Own),
    (Admin, FarmsManage, Any),
    // Field operations: agents and ops send readings; ops and admins run alerts.
    (FieldAgent, ReadingsRecord, Any),
    (Ops, ReadingsRecord, Any),
    (Admin, ReadingsRecord, Any),
    (Ops, ThresholdsManage, Any),
    (Admin, ThresholdsManage, Any),
    (Ops, AlertsView, Any),
    (Admin, AlertsView, Any),
    (Ops, AlertsManage, Any),
    (Admin, AlertsManage, Any),
    (FieldAgent, TasksWork, Own),
    (Ops, TasksWork, Any),
    (Admin, TasksWork, Any),
    (Ops, TasksManage, Any),
    (Admin, TasksManage, Any),
    (FieldAgent, VisitsRecord, Own),
    (Ops, VisitsRecord, Any),
    (Admin, VisitsRecord, Any),
    // Traceability: whoever handles lots records what happened to them.
    (Staff, BatchesView, Any),
    (FieldAgent, BatchesView, Any),
    (Ops, BatchesView, Any),
    (Admin, BatchesView, Any),
    (Staff, BatchesRecord, Any),
    (FieldAgent, BatchesRecord, Any),
    (Ops, BatchesRecord, Any),
    (Admin, BatchesRecord, Any),
    // What the store charges and when it delivers is the admin's to set.
    (Admin, StoreSettingsManage, Any),
    (Staff, StockManage, Any),
    (Admin, StockManage, Any),
    (Staff, CatalogManage, Any),
    (Admin, CatalogManage, Any),
];

/// What `role` may do of `action`; `None` means refused.
pub fn grant(role: Role, action: Action) -> Option<Grant> {
    TABLE.iter().find(|(r, a, _)| *r == role && *a == action).map(|(_, _, g)| *g)
}

/// The widest grant any of a person's roles (in one tenant) gives.
pub fn grant_for_roles(roles: &[Role], action: Action) -> Option<Grant> {
    let grants = roles.iter().filter_map(|r| grant(*r, action));
    grants.fold(None, |best, g| match (best, g) {
        (Some(Any), _) | (_, Any) => Some(Any),
        _ => Some(Own),
    })
}

/// What an endpoint or server function asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person, whatever their roles.
    SignedIn,
    /// A signed-in person one of whose roles (in the tenant they act in) grants this.
    Requires(Action),
    /// A platform operator (CONVENTIONS' `platform_admin`, the `platform_admins` table).
    /// No tenant role grants it: [`decide`] refuses every role, and the enforcement
    /// (`access::enforce`) admits the people the table lists.
    PlatformOperator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// 401: sign in first.
    Unauthenticated,
    /// 403: signed in, but no role grants it.
    Forbidden,
}

/// The one authorization decision: `roles` is `None` for an anonymous caller.
/// Role names that are not roles (a token from an older release, say) grant nothing.
pub fn decide(access: Access, roles: Option<&[String]>) -> Decision {
    match (access, roles) {
        (Access::Public, _) => Decision::Allow,
        (_, None) => Decision::Unauthenticated,
        (Access::SignedIn, Some(_)) => Decision::Allow,
        (Access::PlatformOperator, Some(_)) => Decision::Forbidden,
        (Access::Requires(action), Some(names)) => {
            let roles: Vec<Role> = names.iter().filter_map(|n| n.parse().ok()).collect();
            if grant_for_roles(&roles, action).is_some() { Decision::Allow } else { Decision::Forbidden }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decisions_tell_401_from_403() {
        let admin = vec!["admin".to_string()];
        let customer = vec!["customer".to_string(), "not-a-role".to_string()];
        assert_eq!(decide(Access::Public, None), Decision::Allow);
        assert_eq!(decide(Access::SignedIn, None), Decision::Unauthenticated);
        assert_eq!(decide(Access::SignedIn, Some(&customer)), Decision::Allow);
        assert_eq!(decide(Access::Requires(UsersManage), None), Decision::Unauthenticated);
        assert_eq!(decide(Access::Requires(UsersManage), Some(&customer)), Decision::Forbidden);
        assert_eq!(decide(Access::Requires(UsersManage), Some(&admin)), Decision::Allow);
        assert_eq!(decide(Access::Requires(AuditRead), Some(&["ops".to_string()])), Decision::Allow);
        // Being a platform operator is no tenant role: only its table admits one.
        let every: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
        assert_eq!(decide(Access::PlatformOperator, None), Decision::Unauthenticated);
        assert_eq!(decide(Access::PlatformOperator, Some(&every)), Decision::Forbidden);
        assert_eq!(decide(Access::PlatformOperator, Some(&["platform_admin".to_string()])), Decision::Forbidden);
    }

    /// PRODUCT.md's ledger matrix, row by row: (admin, staff, farmer).
    #[test]
    fn the_ledger_matrix_verbatim() {
        let yes = Some(Any);
        let own = Some(Own);
        let rows: [(Action, [Option<Grant>; 3]); 8] = [
            (LedgerCreateEntry, [yes, yes, None]),
            (LedgerEditOwnEntry, [own, own, None]),
            (LedgerEditAnyEntry, [yes, None, None]),
            (SettlementGenerate, [yes, None, None]),
            (SettlementApprove, [yes, yes, own]),
            (ReportsView, [yes, yes, own]),
            (UsersManage, [yes, None, None]),
            (RatesConfigure, [yes, None, None]),
        ];
        for (action, [admin, staff, farmer]) in rows {
            assert_eq!(grant(Admin, action), admin, "admin {action:?}");
            assert_eq!(grant(Staff, action), staff, "staff {action:?}");
            assert_eq!(grant(Farmer, action), farmer, "farmer {action:?}");
        }
    }

    #[test]
    fn roles_outside_the_ledger_get_none_of_it() {
        for role in [Customer, FieldAgent, Ops] {
            // Operations also work the store's orders.
            let orders = role == Ops;
            for action in Action::ALL
                .into_iter()
                .filter(|a| !matches!(a, AccountRead | AuditRead | OperationsView | OperationsManage))
                .filter(|a| !(orders && *a == OrdersFulfil))
                // Customers who hold farm shares see their holdings.
                .filter(|a| !(role == Customer && *a == HoldingsView))
                // Field operations have their own matrix (below).
                .filter(|a| {
                    !matches!(
                        a,
                        ReadingsRecord
                            | ThresholdsManage
                            | AlertsView
                            | AlertsManage
                            | TasksWork
                            | TasksManage
                            | VisitsRecord
                            | BatchesView
                            | BatchesRecord
                    )
                })
            {
                assert_eq!(grant(role, action), None, "{role} {action:?}");
            }
        }
    }

    #[test]
    fn whoever_handles_lots_records_their_history_and_customers_only_read_the_trace() {
        for role in Role::ALL {
            let handles = matches!(role, Staff | FieldAgent | Ops | Admin).then_some(Any);
            assert_eq!(grant(role, BatchesView), handles, "{role}");
            assert_eq!(grant(role, BatchesRecord), handles, "{role}");
        }
    }

    #[test]
    fn field_agents_send_readings_and_ops_run_ranges_and_alerts() {
        for role in Role::ALL {
            let field = matches!(role, FieldAgent | Ops | Admin).then_some(Any);
            let ops = matches!(role, Ops | Admin).then_some(Any);
            assert_eq!(grant(role, ReadingsRecord), field, "{role}");
            for action in [ThresholdsManage, AlertsView, AlertsManage, TasksManage] {
                assert_eq!(grant(role, action), ops, "{role} {action:?}");
            }
            let own = match role {
                FieldAgent => Some(Own),
                Ops | Admin => Some(Any),
                _ => None,
            };
            assert_eq!(grant(role, TasksWork), own, "{role}");
            assert_eq!(grant(role, VisitsRecord), own, "{role}");
        }
    }

    #[test]
    fn only_operations_and_admins_run_the_control_tower() {
        for role in Role::ALL {
            let expected = matches!(role, Ops | Admin).then_some(Any);
            assert_eq!(grant(role, OperationsView), expected, "{role}");
            assert_eq!(grant(role, OperationsManage), expected, "{role}");
        }
    }

    #[test]
    fn each_pair_is_listed_at_most_once() {
        for (i, (r, a, _)) in TABLE.iter().enumerate() {
            assert!(!TABLE[i + 1..].iter().any(|(r2, a2, _)| r2 == r && a2 == a), "{r} {a:?} twice");
        }
    }

    #[test]
    fn roles_parse() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }

    proptest! {
        /// More roles never take a permission away, and an empty role set has none.
        #[test]
        fn grants_only_grow_with_roles(mask in 0u8..64, extra in 0usize..6, a in 0usize..10) {
            let action = Action::ALL[a];
            let roles: Vec<Role> = Role::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, r)| *r).collect();
            let mut more = roles.clone();
            more.push(Role::ALL[extra]);
            let rank = |g: Option<Grant>| match g { None => 0, Some(Own) => 1, Some(Any) => 2 };
            prop_assert!(rank(grant_for_roles(&more, action)) >= rank(grant_for_roles(&roles, action)));
            prop_assert_eq!(grant_for_roles(&[], action), None);
        }
    }
}
