//! Dealers: create (with duplicate flagging), edit, lifecycle, commercial terms, contacts and
//! market feedback. Each operation is one transaction with a scoped load and an audit entry.
//!
//! Changing the credit limit, payment term, price list or owner needs approval:
//! [`change_terms`] (for holders of [`Capability::ChangeDealerTerms`]: managers, the order desk,
//! directors and admins) opens a `dealer_terms` approval request, and the engine applies the
//! change with [`apply_term_change`] in the approver's transaction; the history rows in
//! `dealer_terms` carry the approval's id.

use crate::audit::{record, snapshot};
use crate::{Actor, App, AppError};
use salesos_domain::dealers::{
    check_code, check_credit_limit, check_feedback, check_name, check_payment_term,
    check_termination, check_text, check_tier, check_transition, Criterion, DealerStatus,
    ScorecardRules, Scores, TransitionNeeds,
};
use salesos_domain::org::NodeKind;
use salesos_domain::roles::{Capability, Role, ScopeKind};
use salesos_domain::scope::Scope;
use salesos_domain::FieldError;
use salesos_store::approvals::{self as approvals_store, RequestRow};
use salesos_store::dealers::{
    self, ContactRow, DealerDetails, DealerFilter, DealerRow, FeedbackRow, OwnerPeriodRow, Term,
    TermChangeRow,
};
use salesos_store::jobs::{self as jobs_store, TermRequestRow};
use salesos_store::{catalogue, org, people, Conn};
use serde::{Deserialize, Serialize};

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &DealerFilter,
) -> Result<(Vec<DealerRow>, i64), AppError> {
    actor.require(Capability::ViewDealers)?;
    let mut conn = app.store.read().await?;
    let rows = dealers::list(&mut conn, &actor.scope, filter).await?;
    let total = dealers::count(&mut conn, &actor.scope, filter).await?;
    Ok((rows, total))
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<DealerRow, AppError> {
    actor.require(Capability::ViewDealers)?;
    let mut conn = app.store.read().await?;
    load(&mut conn, &actor.scope, id).await
}

async fn load(conn: &mut Conn, scope: &Scope, id: i64) -> Result<DealerRow, AppError> {
    dealers::get(conn, scope, id)
        .await?
        .ok_or(AppError::NotFound { entity: "dealer" })
}

/// Everything on the dealer page.
#[derive(Debug, Clone, Serialize)]
pub struct DealerView {
    pub dealer: DealerRow,
    pub contacts: Vec<ContactRow>,
    pub owners: Vec<OwnerPeriodRow>,
    pub terms: Vec<TermChangeRow>,
    /// Requested term changes (through approval), newest first.
    pub term_requests: Vec<TermRequestRow>,
    pub feedback: Vec<FeedbackRow>,
    pub price_list_code: Option<String>,
    pub slt_owner_name: Option<String>,
}

pub async fn view(app: &App, actor: &Actor, id: i64) -> Result<DealerView, AppError> {
    actor.require(Capability::ViewDealers)?;
    let mut conn = app.store.read().await?;
    let dealer = load(&mut conn, &actor.scope, id).await?;
    let price_list_code = match dealer.price_list_id {
        Some(pl) => catalogue::get_price_list(&mut conn, pl)
            .await?
            .map(|l| l.code),
        None => None,
    };
    let slt_owner_name = match dealer.slt_owner_id {
        Some(p) => people::get_unscoped(&mut conn, p)
            .await?
            .map(|p| p.display_name),
        None => None,
    };
    Ok(DealerView {
        contacts: dealers::contacts(&mut conn, id).await?,
        owners: dealers::owner_history(&mut conn, id).await?,
        terms: dealers::term_history(&mut conn, id).await?,
        term_requests: jobs_store::term_requests_for_dealer(&mut conn, id).await?,
        feedback: dealers::feedback_for_dealer(&mut conn, id).await?,
        price_list_code,
        slt_owner_name,
        dealer,
    })
}

/// The descriptive fields as entered.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DetailsInput {
    pub name: String,
    pub tier: Option<String>,
    pub licence_no: Option<String>,
    pub legal_representative: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub delivery_station: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub tax_no: Option<String>,
    pub phone: Option<String>,
}

pub(crate) fn check_details(input: &DetailsInput) -> Result<DealerDetails, AppError> {
    Ok(DealerDetails {
        name: check_name(&input.name)?,
        tier: check_tier(input.tier.as_deref().unwrap_or("C"))?,
        licence_no: check_text(input.licence_no.as_deref(), "licence_no")?,
        legal_representative: check_text(
            input.legal_representative.as_deref(),
            "legal_representative",
        )?,
        address: check_text(input.address.as_deref(), "address")?,
        city: check_text(input.city.as_deref(), "city")?,
        delivery_station: check_text(input.delivery_station.as_deref(), "delivery_station")?,
        bank_name: check_text(input.bank_name.as_deref(), "bank_name")?,
        bank_account: check_text(input.bank_account.as_deref(), "bank_account")?,
        tax_no: check_text(input.tax_no.as_deref(), "tax_no")?,
        phone: check_text(input.phone.as_deref(), "phone")?,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactInput {
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewDealerInput {
    pub code: String,
    // the descriptive fields (as in [`DetailsInput`]; not flattened, so a malformed field is
    // named in the error)
    pub name: String,
    pub tier: Option<String>,
    pub licence_no: Option<String>,
    pub legal_representative: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub delivery_station: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub tax_no: Option<String>,
    pub phone: Option<String>,
    /// Area or city the dealer belongs to; field staff: their own unit (the default).
    pub node_id: Option<i64>,
    /// The responsible rep or KAM; field staff: themselves (the default).
    pub owner_id: Option<i64>,
    pub slt_owner_id: Option<i64>,
    pub price_list_id: Option<i64>,
    pub payment_term_days: Option<i64>,
    pub credit_limit_fen: Option<i64>,
    pub contacts: Option<Vec<ContactInput>>,
    /// Create even when dealers that look the same exist.
    pub confirm_duplicate: Option<bool>,
}

impl NewDealerInput {
    pub fn details(&self) -> DetailsInput {
        DetailsInput {
            name: self.name.clone(),
            tier: self.tier.clone(),
            licence_no: self.licence_no.clone(),
            legal_representative: self.legal_representative.clone(),
            address: self.address.clone(),
            city: self.city.clone(),
            delivery_station: self.delivery_station.clone(),
            bank_name: self.bank_name.clone(),
            bank_account: self.bank_account.clone(),
            tax_no: self.tax_no.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// A created dealer and the dealers that look like it (flagged, not refused, when confirmed).
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub dealer: DealerRow,
    pub duplicates: Vec<i64>,
}

fn bad(code: &'static str, field: &'static str, message: &str) -> AppError {
    AppError::Invalid(FieldError::new(code, field, message))
}

/// The node a dealer may be placed at: an area or city in the actor's scope.
pub(crate) async fn resolve_node(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
) -> Result<org::NodeRow, AppError> {
    let node = match &actor.scope {
        Scope::Own { .. } => actor.node.clone().filter(|n| n.id == node_id),
        _ => org::get(conn, &actor.scope, node_id).await?,
    }
    .filter(|n| n.active)
    .ok_or_else(|| {
        bad(
            "dealer.node_unknown",
            "node_id",
            "choose an area or city in your part of the organisation",
        )
    })?;
    if !matches!(node.node_kind(), Some(NodeKind::Area | NodeKind::City)) {
        return Err(bad(
            "dealer.node_unknown",
            "node_id",
            "a dealer belongs to an area or a city",
        ));
    }
    Ok(node)
}

/// An owner is an active KAM or rep (or area manager) whose unit contains the dealer's unit
/// or lies inside it.
pub(crate) async fn resolve_owner(
    conn: &mut Conn,
    owner_id: i64,
    node: &org::NodeRow,
    field: &'static str,
) -> Result<people::PersonRow, AppError> {
    let person = people::get_unscoped(conn, owner_id)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| bad("dealer.owner_invalid", field, "choose an active person"))?;
    let role = person.role.as_deref().and_then(Role::parse);
    let path = person.node_path.clone().unwrap_or_default();
    let related = node.path.starts_with(&path) || path.starts_with(&node.path);
    if !matches!(role, Some(Role::Kam | Role::SalesRep | Role::AreaManager)) || !related {
        return Err(bad(
            "dealer.owner_invalid",
            field,
            "the owner is a KAM, rep or area manager working where the dealer is",
        ));
    }
    Ok(person)
}

async fn check_price_list(conn: &mut Conn, id: Option<i64>) -> Result<(), AppError> {
    if let Some(id) = id {
        if catalogue::get_price_list(conn, id).await?.is_none() {
            return Err(bad(
                "dealer.price_list_unknown",
                "price_list_id",
                "no such price list",
            ));
        }
    }
    Ok(())
}

async fn check_slt(conn: &mut Conn, id: Option<i64>) -> Result<(), AppError> {
    if let Some(id) = id {
        let ok = people::get_unscoped(conn, id)
            .await?
            .is_some_and(|p| p.active);
        if !ok {
            return Err(bad(
                "dealer.owner_invalid",
                "slt_owner_id",
                "choose an active person",
            ));
        }
    }
    Ok(())
}

pub async fn create(app: &App, actor: &Actor, input: NewDealerInput) -> Result<Created, AppError> {
    actor.require(Capability::ManageDealers)?;
    let code = check_code(&input.code)?;
    let details = check_details(&input.details())?;
    let field_staff = actor.role.map(Role::scope_kind) == Some(ScopeKind::Own);
    // field staff add prospects they own; terms start at zero until approved
    let payment_term_days = check_payment_term(input.payment_term_days.unwrap_or(0))?;
    let credit_limit_fen = check_credit_limit(input.credit_limit_fen.unwrap_or(0))?;
    let mut contacts = Vec::new();
    for c in input.contacts.unwrap_or_default() {
        let name = check_name(&c.name).map_err(|_| {
            bad(
                "dealer.contact_invalid",
                "contacts",
                "a contact needs a name",
            )
        })?;
        contacts.push((
            name,
            check_text(c.title.as_deref(), "contacts")?,
            check_text(c.phone.as_deref(), "contacts")?,
            check_text(c.email.as_deref(), "contacts")?,
        ));
    }

    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let own_node = actor.node.as_ref().map(|n| n.id);
    let node_id = input
        .node_id
        .or(own_node)
        .ok_or_else(|| bad("dealer.node_unknown", "node_id", "choose a unit"))?;
    let node = resolve_node(conn, actor, node_id).await?;
    let owner_id = if field_staff {
        match (input.owner_id, actor.person_id()) {
            (Some(o), Some(me)) if o != me => {
                return Err(bad(
                    "dealer.owner_invalid",
                    "owner_id",
                    "you can add dealers you own yourself",
                ))
            }
            (_, Some(me)) => me,
            (_, None) => return Err(bad("dealer.owner_invalid", "owner_id", "choose an owner")),
        }
    } else {
        input
            .owner_id
            .ok_or_else(|| bad("dealer.owner_invalid", "owner_id", "choose an owner"))?
    };
    resolve_owner(conn, owner_id, &node, "owner_id").await?;
    check_slt(conn, input.slt_owner_id).await?;
    check_price_list(conn, input.price_list_id).await?;
    let duplicates = dealers::find_duplicates(
        conn,
        details.licence_no.as_deref(),
        &details.name,
        details.city.as_deref(),
        None,
    )
    .await?;
    if !duplicates.is_empty() && input.confirm_duplicate != Some(true) {
        return Err(AppError::Conflict(FieldError::new(
            "dealer.possible_duplicate",
            "confirm_duplicate",
            format!(
                "dealers with the same licence number or the same name in the same city exist ({}); confirm to add it anyway",
                duplicates
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )));
    }
    let today = app.today();
    let id = dealers::insert(
        conn,
        dealers::NewDealer {
            code: &code,
            status: DealerStatus::Prospect.code(),
            details: &details,
            node_id: node.id,
            node_path: &node.path,
            owner_id,
            slt_owner_id: input.slt_owner_id,
            price_list_id: input.price_list_id,
            payment_term_days,
            credit_limit_fen,
            since: &today,
        },
    )
    .await?;
    for (i, (name, title, phone, email)) in contacts.iter().enumerate() {
        dealers::add_contact(
            conn,
            id,
            name,
            title.as_deref(),
            phone.as_deref(),
            email.as_deref(),
            i == 0,
        )
        .await?;
    }
    let dealer = dealers::get_unscoped(conn, id)
        .await?
        .ok_or_else(|| AppError::Internal("dealer vanished".into()))?;
    let mut after = snapshot(&dealer);
    if let Some(serde_json::Value::Object(map)) = after.as_mut() {
        map.insert("duplicates".into(), serde_json::json!(duplicates));
    }
    record(
        conn,
        actor,
        "dealer.create",
        "dealer",
        id,
        Some(&dealer.node_path),
        None,
        after,
    )
    .await?;
    tx.commit().await?;
    Ok(Created { dealer, duplicates })
}

pub async fn update_details(
    app: &App,
    actor: &Actor,
    id: i64,
    input: DetailsInput,
) -> Result<DealerRow, AppError> {
    actor.require(Capability::ManageDealers)?;
    let details = check_details(&input)?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let before = load(conn, &actor.scope, id).await?;
    dealers::update_details(conn, id, &details).await?;
    let after = load(conn, &actor.scope, id).await?;
    record(
        conn,
        actor,
        "dealer.update",
        "dealer",
        id,
        Some(&after.node_path),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TransitionInput {
    /// prospect, evaluating, active, suspended or terminated
    pub status: String,
    pub reason: String,
    /// Scores 0–100 per criterion, for evaluating → active.
    pub scorecard: Option<Scores>,
    /// Required for → terminated.
    pub termination_report: Option<String>,
}

/// The scorecard rules in force (configurable; the default set until settings exist).
pub fn scorecard_rules(_app: &App) -> ScorecardRules {
    ScorecardRules::default()
}

pub async fn transition(
    app: &App,
    actor: &Actor,
    id: i64,
    input: TransitionInput,
) -> Result<DealerRow, AppError> {
    actor.require(Capability::ManageDealers)?;
    let to = DealerStatus::parse(input.status.trim()).ok_or_else(|| {
        bad(
            "dealer.status_unknown",
            "status",
            "the status is prospect, evaluating, active, suspended or terminated",
        )
    })?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let before = load(conn, &actor.scope, id).await?;
    let from = DealerStatus::parse(&before.status)
        .ok_or_else(|| AppError::Internal(format!("dealer {id} has an unknown status")))?;
    // field staff put their prospects up for evaluation (and take them back); opening,
    // suspending and terminating are for managers and the order desk
    let field_staff = actor.role.map(Role::scope_kind) == Some(ScopeKind::Own);
    let staff_may = matches!(
        (from, to),
        (DealerStatus::Prospect, DealerStatus::Evaluating)
            | (DealerStatus::Evaluating, DealerStatus::Prospect)
    );
    if field_staff && !staff_may {
        return Err(AppError::Forbidden {
            capability: "manage_dealers",
        });
    }
    let needs = check_transition(from, to, &input.reason).map_err(|e| {
        if e.code == "dealer.transition_not_allowed" {
            AppError::Conflict(e)
        } else {
            AppError::Invalid(e)
        }
    })?;
    let mut scorecard = None;
    let mut reason = input.reason.trim().to_string();
    match needs {
        TransitionNeeds::Nothing => {}
        TransitionNeeds::Scorecard => {
            let scores = input.scorecard.clone().unwrap_or_default();
            let rules = scorecard_rules(app);
            let score = rules.passing_score(&scores)?;
            let json = serde_json::to_string(
                &Criterion::ALL
                    .iter()
                    .map(|c| (c.code(), scores.get(c).copied().unwrap_or(0)))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )
            .map_err(|e| AppError::Internal(e.to_string()))?;
            scorecard = Some((json, i64::from(score)));
        }
        TransitionNeeds::TerminationReport => {
            let report = input.termination_report.clone().unwrap_or_default();
            let owed = dealers::open_receivables_fen(conn, id).await?;
            check_termination(owed, &report).map_err(|e| {
                if e.code == "dealer.money_owed" {
                    AppError::Conflict(e)
                } else {
                    AppError::Invalid(e)
                }
            })?;
            reason = format!("{reason}\n\n{}", report.trim());
        }
    }
    dealers::set_status(
        conn,
        id,
        to.code(),
        &reason,
        scorecard.as_ref().map(|(j, s)| (j.as_str(), *s)),
    )
    .await?;
    let after = load(conn, &actor.scope, id).await?;
    record(
        conn,
        actor,
        "dealer.transition",
        "dealer",
        id,
        Some(&after.node_path),
        snapshot(&before),
        snapshot(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A change of the terms that need approval; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TermsInput {
    pub credit_limit_fen: Option<i64>,
    pub payment_term_days: Option<i64>,
    /// A price list id; `0` removes the dealer's own list (tier prices apply).
    pub price_list_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// The new owner's unit; defaults to the dealer's current unit.
    pub node_id: Option<i64>,
    pub slt_owner_id: Option<i64>,
    /// `YYYY-MM-DD`, default today.
    pub valid_from: Option<String>,
}

/// Asks for a change of terms: the change is checked now (bad input is refused at once), then
/// waits as a `dealer_terms` approval request; the engine applies it through
/// [`apply_term_change`] when the last step approves ([`term_request_decided`]). The amount
/// the rules are keyed on is the credit-limit increase in fen (0 for other changes).
pub async fn change_terms(
    app: &App,
    actor: &Actor,
    id: i64,
    input: TermsInput,
) -> Result<RequestRow, AppError> {
    actor.require(Capability::ViewDealers)?;
    actor.require(Capability::ChangeDealerTerms)?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let before = load(conn, &actor.scope, id).await?;
    // the same checks the approval will run, on a copy undone at once
    jobs_store::savepoint(conn, "term_check").await?;
    apply_term_change(conn, app, actor, &before, &input, None).await?;
    jobs_store::rollback_to_savepoint(conn, "term_check").await?;
    let increase = input
        .credit_limit_fen
        .map_or(0, |v| (v - before.credit_limit_fen).max(0));
    let payload = serde_json::to_string(&input)
        .map_err(|e| AppError::Internal(format!("term request payload: {e}")))?;
    let summary = term_summary(&before, &input);
    let approval_id = open_term_request(
        conn,
        actor,
        &before,
        "dealer_terms",
        &payload,
        None,
        None,
        input.credit_limit_fen,
        increase,
        &summary,
    )
    .await?;
    let request = approvals_store::get_unscoped(conn, approval_id)
        .await?
        .ok_or(AppError::Internal("approval vanished".into()))?;
    record(
        conn,
        actor,
        "dealer.request_terms",
        "dealer",
        id,
        Some(&before.node_path),
        snapshot(&before),
        snapshot(&serde_json::json!({ "approval_id": approval_id, "change": &input })),
    )
    .await?;
    tx.commit().await?;
    Ok(request)
}

/// Records the requested change as a document and opens its approval; returns the approval's id.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open_term_request(
    conn: &mut Conn,
    actor: &Actor,
    dealer: &DealerRow,
    kind: &str,
    payload: &str,
    period: Option<&str>,
    factors: Option<&str>,
    proposed_limit_fen: Option<i64>,
    increase_fen: i64,
    summary: &str,
) -> Result<i64, AppError> {
    let doc = jobs_store::insert_term_request(
        conn,
        jobs_store::NewTermRequest {
            dealer_id: dealer.id,
            kind,
            period,
            payload,
            factors,
            current_limit_fen: dealer.credit_limit_fen,
            proposed_limit_fen,
            requested_by: actor.person_id(),
        },
    )
    .await?;
    let approval_id = crate::approvals::open(
        conn,
        actor,
        crate::approvals::Ask {
            doc_type: kind,
            doc_id: doc,
            dealer_id: Some(dealer.id),
            node_path: &dealer.node_path,
            owner_id: Some(dealer.owner_id),
            value: increase_fen,
            amount_fen: increase_fen,
            summary,
        },
    )
    .await?;
    jobs_store::set_term_request_approval(conn, doc, approval_id).await?;
    Ok(approval_id)
}

fn term_summary(dealer: &DealerRow, input: &TermsInput) -> String {
    let mut parts = Vec::new();
    if let Some(v) = input.credit_limit_fen {
        parts.push(format!(
            "credit_limit_fen {} -> {v}",
            dealer.credit_limit_fen
        ));
    }
    if let Some(v) = input.payment_term_days {
        parts.push(format!(
            "payment_term_days {} -> {v}",
            dealer.payment_term_days
        ));
    }
    if let Some(v) = input.price_list_id {
        parts.push(format!("price_list_id -> {v}"));
    }
    if let Some(v) = input.owner_id {
        parts.push(format!("owner_id {} -> {v}", dealer.owner_id));
    }
    if let Some(v) = input.slt_owner_id {
        parts.push(format!("slt_owner_id -> {v}"));
    }
    format!("{} {}: {}", dealer.code, dealer.name, parts.join(", "))
}

/// The approvals engine's handler for `dealer_terms` and `credit_limit_proposal`: on approval
/// the requested change is applied in the approver's transaction (history rows carry the
/// approval's id); rejection or sending back leaves the dealer as it is.
pub async fn term_request_decided(
    conn: &mut Conn,
    app: &App,
    actor: &Actor,
    approval: &RequestRow,
    outcome: &str,
) -> Result<(), AppError> {
    let doc = jobs_store::term_request_unscoped(conn, approval.doc_id)
        .await?
        .ok_or(AppError::Internal("term request vanished".into()))?;
    if outcome == "approved" {
        let before = dealers::get_unscoped(conn, doc.dealer_id)
            .await?
            .ok_or(AppError::NotFound { entity: "dealer" })?;
        let input: TermsInput = serde_json::from_str(&doc.payload)
            .map_err(|e| AppError::Internal(format!("term request payload: {e}")))?;
        apply_term_change(conn, app, actor, &before, &input, Some(approval.id)).await?;
        let after = dealers::get_unscoped(conn, doc.dealer_id)
            .await?
            .ok_or(AppError::NotFound { entity: "dealer" })?;
        record(
            conn,
            actor,
            "dealer.change_terms",
            "dealer",
            doc.dealer_id,
            Some(&after.node_path),
            snapshot(&before),
            snapshot(&after),
        )
        .await?;
    }
    jobs_store::decide_term_request(conn, doc.id, outcome).await?;
    Ok(())
}

/// A dealer's term requests (pending ones first on the page), for a dealer in scope.
pub async fn term_requests(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Vec<TermRequestRow>, AppError> {
    actor.require(Capability::ViewDealers)?;
    let mut conn = app.store.read().await?;
    load(&mut conn, &actor.scope, id).await?;
    Ok(jobs_store::term_requests_for_dealer(&mut conn, id).await?)
}

/// Applies a (checked, approved) change of terms inside the caller's transaction and writes
/// the history rows; the approvals engine calls this with its approval id.
pub async fn apply_term_change(
    conn: &mut Conn,
    app: &App,
    actor: &Actor,
    before: &DealerRow,
    input: &TermsInput,
    approval_id: Option<i64>,
) -> Result<(), AppError> {
    let on = match input
        .valid_from
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => app.today(),
        Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| d.to_string())
            .map_err(|_| bad("date.invalid", "valid_from", "a date looks like 2025-03-31"))?,
    };
    let by = actor.person_id();
    let id = before.id;
    let mut changed = false;
    if let Some(v) = input.credit_limit_fen {
        let v = check_credit_limit(v)?;
        if v != before.credit_limit_fen {
            dealers::set_term(
                conn,
                id,
                Term::CreditLimit,
                Some(before.credit_limit_fen),
                Some(v),
                &on,
                by,
                approval_id,
            )
            .await?;
            changed = true;
        }
    }
    if let Some(v) = input.payment_term_days {
        let v = check_payment_term(v)?;
        if v != before.payment_term_days {
            dealers::set_term(
                conn,
                id,
                Term::PaymentTerm,
                Some(before.payment_term_days),
                Some(v),
                &on,
                by,
                approval_id,
            )
            .await?;
            changed = true;
        }
    }
    if let Some(v) = input.price_list_id {
        let v = (v != 0).then_some(v);
        check_price_list(conn, v).await?;
        if v != before.price_list_id {
            dealers::set_term(
                conn,
                id,
                Term::PriceList,
                before.price_list_id,
                v,
                &on,
                by,
                approval_id,
            )
            .await?;
            changed = true;
        }
    }
    if let Some(v) = input.slt_owner_id {
        check_slt(conn, Some(v)).await?;
        if Some(v) != before.slt_owner_id {
            dealers::set_term(
                conn,
                id,
                Term::SltOwner,
                before.slt_owner_id,
                Some(v),
                &on,
                by,
                approval_id,
            )
            .await?;
            changed = true;
        }
    }
    if input.owner_id.is_some() || input.node_id.is_some() {
        let owner = input.owner_id.unwrap_or(before.owner_id);
        let node_id = input.node_id.unwrap_or(before.node_id);
        if owner != before.owner_id || node_id != before.node_id {
            let node = resolve_node(conn, actor, node_id).await?;
            resolve_owner(conn, owner, &node, "owner_id").await?;
            let current_start = dealers::owner_history(conn, id)
                .await?
                .into_iter()
                .find(|p| p.valid_to.is_none())
                .map(|p| p.valid_from);
            if current_start.is_some_and(|s| on < s) {
                return Err(bad(
                    "dating.before_current_start",
                    "valid_from",
                    "the date is before the start of the current period",
                ));
            }
            dealers::change_owner(
                conn,
                id,
                before.owner_id,
                owner,
                node.id,
                &node.path,
                &on,
                by,
                approval_id,
            )
            .await?;
            changed = true;
        }
    }
    if !changed {
        return Err(bad(
            "dealer.terms_unchanged",
            "credit_limit_fen",
            "nothing to change",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeedbackInput {
    /// competitor, price, complaint or other
    pub kind: String,
    pub body: String,
    /// For feedback on an area rather than a dealer: the unit (default: the author's unit).
    pub node_id: Option<i64>,
}

/// Files market feedback against a dealer in scope.
pub async fn add_feedback(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
    input: FeedbackInput,
) -> Result<FeedbackRow, AppError> {
    actor.require(Capability::ViewDealers)?;
    let (kind, body) = check_feedback(&input.kind, &input.body)?;
    let author = actor.person_id().ok_or(AppError::Forbidden {
        capability: "view_dealers",
    })?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let dealer = load(conn, &actor.scope, dealer_id).await?;
    let row = dealers::insert_feedback(
        conn,
        dealers::NewFeedback {
            dealer_id: Some(dealer.id),
            node_id: dealer.node_id,
            node_path: &dealer.node_path,
            author_id: author,
            kind: &kind,
            body: &body,
        },
    )
    .await?;
    record(
        conn,
        actor,
        "feedback.create",
        "market_feedback",
        row.id,
        Some(&row.node_path),
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Files market feedback against an area or city (no dealer).
pub async fn add_area_feedback(
    app: &App,
    actor: &Actor,
    input: FeedbackInput,
) -> Result<FeedbackRow, AppError> {
    actor.require(Capability::ViewDealers)?;
    let (kind, body) = check_feedback(&input.kind, &input.body)?;
    let author = actor.person_id().ok_or(AppError::Forbidden {
        capability: "view_dealers",
    })?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let node_id = input
        .node_id
        .or(actor.node.as_ref().map(|n| n.id))
        .ok_or_else(|| bad("dealer.node_unknown", "node_id", "choose a unit"))?;
    let node = match &actor.scope {
        Scope::Own { .. } => actor.node.clone().filter(|n| n.id == node_id),
        _ => org::get(conn, &actor.scope, node_id).await?,
    }
    .ok_or_else(|| {
        bad(
            "dealer.node_unknown",
            "node_id",
            "choose a unit in your part of the organisation",
        )
    })?;
    let row = dealers::insert_feedback(
        conn,
        dealers::NewFeedback {
            dealer_id: None,
            node_id: node.id,
            node_path: &node.path,
            author_id: author,
            kind: &kind,
            body: &body,
        },
    )
    .await?;
    record(
        conn,
        actor,
        "feedback.create",
        "market_feedback",
        row.id,
        Some(&row.node_path),
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Feedback in the person's scope, optionally at or below one unit.
pub async fn feedback(
    app: &App,
    actor: &Actor,
    node_id: Option<i64>,
) -> Result<Vec<FeedbackRow>, AppError> {
    actor.require(Capability::ViewDealers)?;
    let mut conn = app.store.read().await?;
    let path = match node_id {
        Some(n) => Some(
            org::get(&mut conn, &actor.scope, n)
                .await?
                .ok_or(AppError::NotFound { entity: "org_node" })?
                .path,
        ),
        None => None,
    };
    Ok(dealers::feedback_list(&mut conn, &actor.scope, path.as_deref(), 200).await?)
}

pub async fn add_contact(
    app: &App,
    actor: &Actor,
    dealer_id: i64,
    input: ContactInput,
) -> Result<ContactRow, AppError> {
    actor.require(Capability::ManageDealers)?;
    let name = check_name(&input.name)
        .map_err(|_| bad("dealer.contact_invalid", "name", "a contact needs a name"))?;
    let title = check_text(input.title.as_deref(), "title")?;
    let phone = check_text(input.phone.as_deref(), "phone")?;
    let email = check_text(input.email.as_deref(), "email")?;
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let dealer = load(conn, &actor.scope, dealer_id).await?;
    let first = dealers::contacts(conn, dealer_id).await?.is_empty();
    let cid = dealers::add_contact(
        conn,
        dealer_id,
        &name,
        title.as_deref(),
        phone.as_deref(),
        email.as_deref(),
        first,
    )
    .await?;
    let row = dealers::contacts(conn, dealer_id)
        .await?
        .into_iter()
        .find(|c| c.id == cid)
        .ok_or_else(|| AppError::Internal("contact vanished".into()))?;
    record(
        conn,
        actor,
        "dealer.add_contact",
        "dealer",
        dealer_id,
        Some(&dealer.node_path),
        None,
        snapshot(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}
