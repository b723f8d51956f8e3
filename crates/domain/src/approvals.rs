//! The approvals engine's rules: which roles decide a document, step by step.

use crate::roles::Role;
use serde::Serialize;

/// A configured rule row: documents of `doc_type` whose value lies in `[min, max]` need a step
/// decided by `role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub doc_type: String,
    pub step: i64,
    pub role: Role,
    pub min_value: i64,
    pub max_value: Option<i64>,
}

impl Rule {
    pub fn applies(&self, value: i64) -> bool {
        value >= self.min_value && self.max_value.is_none_or(|max| value <= max)
    }
}

/// The chain of roles that must approve a document of this value, in order (one per step; when
/// two rules share a step, the higher authority wins). Never empty: with no rule, a director.
pub fn chain(rules: &[Rule], doc_type: &str, value: i64) -> Vec<(i64, Role)> {
    let mut steps: Vec<(i64, Role)> = Vec::new();
    let mut applicable: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.doc_type == doc_type && r.applies(value))
        .collect();
    applicable.sort_by_key(|r| (r.step, authority(r.role)));
    for r in applicable {
        match steps.last_mut() {
            Some((step, role)) if *step == r.step => {
                if authority(r.role) > authority(*role) {
                    *role = r.role;
                }
            }
            _ => steps.push((r.step, r.role)),
        }
    }
    if steps.is_empty() {
        steps.push((1, Role::Director));
    }
    steps
}

/// Rank of a role as an approver (higher decides more).
pub fn authority(role: Role) -> i64 {
    match role {
        Role::Director => 4,
        Role::MarketManager => 3,
        Role::Finance => 2,
        Role::AreaManager => 1,
        _ => 0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    SendBack,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::SendBack => "sent_back",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(doc: &str, step: i64, role: Role, min: i64, max: Option<i64>) -> Rule {
        Rule {
            doc_type: doc.into(),
            step,
            role,
            min_value: min,
            max_value: max,
        }
    }

    #[test]
    fn over_limit_goes_up_with_the_amount() {
        let rules = vec![
            rule("credit_hold", 1, Role::MarketManager, 0, Some(1000)),
            rule("credit_hold", 1, Role::Director, 1001, None),
            rule("temp_credit", 1, Role::MarketManager, 0, None),
            rule("temp_credit", 2, Role::Director, 5_000_000, None),
        ];
        assert_eq!(
            chain(&rules, "credit_hold", 1000),
            vec![(1, Role::MarketManager)]
        );
        assert_eq!(
            chain(&rules, "credit_hold", 1001),
            vec![(1, Role::Director)]
        );
        assert_eq!(
            chain(&rules, "temp_credit", 6_000_000),
            vec![(1, Role::MarketManager), (2, Role::Director)]
        );
        assert_eq!(chain(&rules, "unknown", 1), vec![(1, Role::Director)]);
    }
}
