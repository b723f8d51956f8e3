//! Dealers (customers): the lifecycle, the opening scorecard and input rules.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// Where a dealer stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DealerStatus {
    Prospect,
    Evaluating,
    Active,
    Suspended,
    Terminated,
}

impl DealerStatus {
    pub const ALL: [DealerStatus; 5] = [
        DealerStatus::Prospect,
        DealerStatus::Evaluating,
        DealerStatus::Active,
        DealerStatus::Suspended,
        DealerStatus::Terminated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DealerStatus::Prospect => "prospect",
            DealerStatus::Evaluating => "evaluating",
            DealerStatus::Active => "active",
            DealerStatus::Suspended => "suspended",
            DealerStatus::Terminated => "terminated",
        }
    }

    pub fn parse(code: &str) -> Option<DealerStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The transition table: every allowed (from, to) pair. Anything else is refused.
pub const TRANSITIONS: [(DealerStatus, DealerStatus); 8] = {
    use DealerStatus::*;
    [
        (Prospect, Evaluating),
        (Prospect, Terminated),
        (Evaluating, Active),
        (Evaluating, Prospect),
        (Evaluating, Terminated),
        (Active, Suspended),
        (Active, Terminated),
        (Suspended, Active),
    ]
};

/// What a transition needs besides a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionNeeds {
    Nothing,
    /// evaluating → active: a passing scorecard.
    Scorecard,
    /// → terminated: a termination report and no money owed.
    TerminationReport,
}

/// Checks a transition and says what else it needs.
pub fn check_transition(
    from: DealerStatus,
    to: DealerStatus,
    reason: &str,
) -> Result<TransitionNeeds, FieldError> {
    if !TRANSITIONS.contains(&(from, to)) {
        return Err(FieldError::new(
            "dealer.transition_not_allowed",
            "status",
            format!("a dealer cannot go from {} to {}", from.code(), to.code()),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(FieldError::new(
            "dealer.reason_required",
            "reason",
            "give a reason (at most 500 characters)",
        ));
    }
    Ok(match to {
        DealerStatus::Active if from == DealerStatus::Evaluating => TransitionNeeds::Scorecard,
        DealerStatus::Terminated => TransitionNeeds::TerminationReport,
        _ => TransitionNeeds::Nothing,
    })
}

/// Termination is refused while the dealer still owes money.
pub fn check_termination(open_receivables_fen: i64, report: &str) -> Result<(), FieldError> {
    if report.trim().is_empty() {
        return Err(FieldError::new(
            "dealer.termination_report_required",
            "termination_report",
            "write the termination report",
        ));
    }
    if open_receivables_fen > 0 {
        return Err(FieldError::new(
            "dealer.money_owed",
            "status",
            "the dealer still owes money; collect it before terminating",
        ));
    }
    Ok(())
}

/// The selection criteria of the opening scorecard (domain digest, "Customers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    LicencePremises,
    LocationFit,
    DistributionReach,
    CreditReputation,
    FinancialStrength,
    LocalStanding,
    Willingness,
}

impl Criterion {
    pub const ALL: [Criterion; 7] = [
        Criterion::LicencePremises,
        Criterion::LocationFit,
        Criterion::DistributionReach,
        Criterion::CreditReputation,
        Criterion::FinancialStrength,
        Criterion::LocalStanding,
        Criterion::Willingness,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Criterion::LicencePremises => "licence_premises",
            Criterion::LocationFit => "location_fit",
            Criterion::DistributionReach => "distribution_reach",
            Criterion::CreditReputation => "credit_reputation",
            Criterion::FinancialStrength => "financial_strength",
            Criterion::LocalStanding => "local_standing",
            Criterion::Willingness => "willingness",
        }
    }
}

/// Weights per criterion (summing to 100) and the pass mark (0–100) of the weighted score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScorecardRules {
    pub weights: Vec<(Criterion, u32)>,
    pub pass_mark: u32,
}

impl Default for ScorecardRules {
    fn default() -> Self {
        use Criterion::*;
        ScorecardRules {
            weights: vec![
                (LicencePremises, 15),
                (LocationFit, 10),
                (DistributionReach, 20),
                (CreditReputation, 20),
                (FinancialStrength, 15),
                (LocalStanding, 10),
                (Willingness, 10),
            ],
            pass_mark: 60,
        }
    }
}

/// Scores 0–100 per criterion.
pub type Scores = std::collections::BTreeMap<Criterion, u32>;

impl ScorecardRules {
    /// Weights must cover every criterion once and sum to 100.
    pub fn validate(&self) -> Result<(), FieldError> {
        let sum: u32 = self.weights.iter().map(|(_, w)| *w).sum();
        let all = Criterion::ALL
            .iter()
            .all(|c| self.weights.iter().filter(|(k, _)| k == c).count() == 1);
        if sum != 100 || !all || self.weights.len() != Criterion::ALL.len() || self.pass_mark > 100
        {
            return Err(FieldError::general(
                "dealer.scorecard_rules_invalid",
                "the scorecard weights must cover every criterion and sum to 100",
            ));
        }
        Ok(())
    }

    /// The weighted score 0–100 (rounded down); every criterion needs a score 0–100.
    pub fn score(&self, scores: &Scores) -> Result<u32, FieldError> {
        let mut total = 0u32;
        for (criterion, weight) in &self.weights {
            let s = scores.get(criterion).copied().ok_or_else(|| {
                FieldError::new(
                    "dealer.scorecard_incomplete",
                    "scorecard",
                    format!("score every criterion (missing {})", criterion.code()),
                )
            })?;
            if s > 100 {
                return Err(FieldError::new(
                    "dealer.score_out_of_range",
                    "scorecard",
                    "a score is between 0 and 100",
                ));
            }
            total += s * weight;
        }
        Ok(total / 100)
    }

    /// The score, or an error when it is below the pass mark.
    pub fn passing_score(&self, scores: &Scores) -> Result<u32, FieldError> {
        let score = self.score(scores)?;
        if score < self.pass_mark {
            return Err(FieldError::new(
                "dealer.scorecard_failed",
                "scorecard",
                format!(
                    "the score {score} is below the pass mark {}",
                    self.pass_mark
                ),
            ));
        }
        Ok(score)
    }
}

pub const TIERS: [&str; 3] = ["A", "B", "C"];

pub fn check_tier(tier: &str) -> Result<String, FieldError> {
    let t = tier.trim().to_ascii_uppercase();
    if TIERS.contains(&t.as_str()) {
        Ok(t)
    } else {
        Err(FieldError::new(
            "dealer.tier_unknown",
            "tier",
            "the tier is A, B or C",
        ))
    }
}

/// A dealer code: 1–32 of letters, digits, '-' or '_'.
pub fn check_code(code: &str) -> Result<String, FieldError> {
    let c = code.trim();
    if c.is_empty()
        || c.len() > 32
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(FieldError::new(
            "dealer.code_invalid",
            "code",
            "a code has 1 to 32 letters, digits, '-' or '_'",
        ));
    }
    Ok(c.to_string())
}

pub fn check_name(name: &str) -> Result<String, FieldError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
        return Err(FieldError::new(
            "dealer.name_invalid",
            "name",
            "a name has 1 to 200 characters",
        ));
    }
    Ok(n.to_string())
}

/// An optional text field: trimmed, empty → None, at most 500 characters, no control characters.
pub fn check_text(value: Option<&str>, field: &'static str) -> Result<Option<String>, FieldError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > 500 || v.chars().any(char::is_control) => {
            Err(FieldError::new(
                "dealer.text_invalid",
                field,
                "at most 500 characters, without control characters",
            ))
        }
        Some(v) => Ok(Some(v.to_string())),
    }
}

pub fn check_payment_term(days: i64) -> Result<i64, FieldError> {
    if (0..=365).contains(&days) {
        Ok(days)
    } else {
        Err(FieldError::new(
            "dealer.payment_term_invalid",
            "payment_term_days",
            "the payment term is 0 to 365 days",
        ))
    }
}

pub fn check_credit_limit(fen: i64) -> Result<i64, FieldError> {
    if (0..=100_000_000_000).contains(&fen) {
        Ok(fen)
    } else {
        Err(FieldError::new(
            "dealer.credit_limit_invalid",
            "credit_limit_fen",
            "the credit limit is between 0 and ¥1,000,000,000",
        ))
    }
}

/// Kinds of market feedback (市场信息反馈).
pub const FEEDBACK_KINDS: [&str; 4] = ["competitor", "price", "complaint", "other"];

pub fn check_feedback(kind: &str, body: &str) -> Result<(String, String), FieldError> {
    let kind = kind.trim();
    if !FEEDBACK_KINDS.contains(&kind) {
        return Err(FieldError::new(
            "feedback.kind_unknown",
            "kind",
            "the kind is competitor, price, complaint or other",
        ));
    }
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 4000 {
        return Err(FieldError::new(
            "feedback.body_invalid",
            "body",
            "write 1 to 4000 characters",
        ));
    }
    Ok((kind.to_string(), body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full(score: u32) -> Scores {
        Criterion::ALL.iter().map(|c| (*c, score)).collect()
    }

    #[test]
    fn default_weights_sum_to_100() {
        ScorecardRules::default().validate().unwrap();
    }

    #[test]
    fn bad_weights_are_refused() {
        let mut rules = ScorecardRules::default();
        rules.weights[0].1 += 1;
        assert!(rules.validate().is_err());
        let mut rules = ScorecardRules::default();
        rules.weights.pop();
        assert!(rules.validate().is_err());
    }

    #[test]
    fn scorecard_pass_and_fail() {
        let rules = ScorecardRules::default();
        assert_eq!(rules.passing_score(&full(80)), Ok(80));
        assert_eq!(
            rules.passing_score(&full(50)).unwrap_err().code,
            "dealer.scorecard_failed"
        );
        let mut partial = full(90);
        partial.remove(&Criterion::Willingness);
        assert_eq!(
            rules.score(&partial).unwrap_err().code,
            "dealer.scorecard_incomplete"
        );
        assert_eq!(
            rules.score(&full(101)).unwrap_err().code,
            "dealer.score_out_of_range"
        );
    }

    #[test]
    fn lifecycle_table() {
        use DealerStatus::*;
        assert_eq!(
            check_transition(Evaluating, Active, "ok"),
            Ok(TransitionNeeds::Scorecard)
        );
        assert_eq!(
            check_transition(Active, Terminated, "ok"),
            Ok(TransitionNeeds::TerminationReport)
        );
        assert_eq!(
            check_transition(Suspended, Active, "paid"),
            Ok(TransitionNeeds::Nothing)
        );
        assert_eq!(
            check_transition(Prospect, Active, "x").unwrap_err().code,
            "dealer.transition_not_allowed"
        );
        assert_eq!(
            check_transition(Terminated, Active, "x").unwrap_err().code,
            "dealer.transition_not_allowed"
        );
        assert_eq!(
            check_transition(Active, Suspended, "  ").unwrap_err().code,
            "dealer.reason_required"
        );
    }

    #[test]
    fn termination_blocked_while_money_owed() {
        assert_eq!(
            check_termination(1, "report").unwrap_err().code,
            "dealer.money_owed"
        );
        assert_eq!(
            check_termination(0, " ").unwrap_err().code,
            "dealer.termination_report_required"
        );
        assert!(check_termination(0, "closed down").is_ok());
    }

    fn status() -> impl Strategy<Value = DealerStatus> {
        proptest::sample::select(DealerStatus::ALL.to_vec())
    }

    proptest! {
        /// Terminated is final; every allowed transition is in the table; nothing moves to itself.
        #[test]
        fn transitions_follow_the_table(from in status(), to in status()) {
            let result = check_transition(from, to, "reason");
            prop_assert_eq!(result.is_ok(), TRANSITIONS.contains(&(from, to)));
            if from == DealerStatus::Terminated || from == to {
                prop_assert!(result.is_err());
            }
        }

        /// Any random walk through the table from prospect only ever reaches active via evaluating
        /// with a scorecard.
        #[test]
        fn active_needs_scorecard(steps in proptest::collection::vec(status(), 1..30)) {
            let mut current = DealerStatus::Prospect;
            for to in steps {
                if let Ok(needs) = check_transition(current, to, "r") {
                    if to == DealerStatus::Active && current != DealerStatus::Suspended {
                        prop_assert_eq!(needs, TransitionNeeds::Scorecard);
                    }
                    current = to;
                }
            }
        }

        /// The weighted score lies between the lowest and the highest single score.
        #[test]
        fn score_is_bounded(scores in proptest::collection::vec(0u32..=100, 7)) {
            let s: Scores = Criterion::ALL.iter().copied().zip(scores.iter().copied()).collect();
            let total = ScorecardRules::default().score(&s).unwrap();
            prop_assert!(total <= *scores.iter().max().unwrap());
            prop_assert!(total + 1 >= *scores.iter().min().unwrap());
        }
    }
}
