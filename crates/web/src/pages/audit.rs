//! A record's history: who changed what, when, from where, with the values before and after.

use super::{fail, format_time, render, Layout};
use crate::export::Cell;
use crate::i18n::Tr;
use crate::session::PageActor;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use salesos_app::{audit, org, people, AppError};
use salesos_domain::org::NodeKind;
use salesos_domain::roles::Role;
use salesos_store::audit::EntryRow;
use serde_json::Value;
use std::collections::BTreeSet;

/// One field that differs between before and after.
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

pub struct EntryView {
    pub at: String,
    pub who: String,
    pub who_id: Option<i64>,
    pub source: String,
    pub request_id: String,
    pub op: String,
    pub op_code: String,
    pub changes: Vec<Change>,
    /// Which value columns to show: both, or only the side that exists.
    pub show_before: bool,
    pub show_after: bool,
    /// The whole record, when only one side exists (created, or values not kept).
    pub full_json: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    entity: String,
    record: String,
    record_href: String,
    /// this history's export, without the format
    export_href: String,
    entries: Vec<EntryView>,
}

const EMPTY: &str = "—";

fn field_label(tr: &Tr, field: &str) -> String {
    if tr.has(&format!("field.{field}")) {
        tr.tk("field", field)
    } else {
        field.to_string()
    }
}

/// A value as a person reads it: roles and kinds by name, times in the company's zone.
fn value_text(tr: &Tr, field: &str, value: Option<&Value>, tz: chrono_tz::Tz) -> String {
    match value {
        None | Some(Value::Null) => EMPTY.to_string(),
        Some(Value::Bool(true)) => tr.t("common.yes").to_string(),
        Some(Value::Bool(false)) => tr.t("common.no").to_string(),
        Some(Value::String(s)) if field == "role" && Role::parse(s).is_some() => tr.tk("role", s),
        Some(Value::String(s)) if field == "kind" && NodeKind::parse(s).is_some() => {
            tr.tk("kind", s)
        }
        Some(Value::String(s)) if s.is_empty() => EMPTY.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if field.ends_with("_at") => n
            .as_i64()
            .map(|m| format_time(m, tz))
            .unwrap_or_else(|| n.to_string()),
        Some(other) => other.to_string(),
    }
}

/// The fields that changed (both sides present), or every field of the one side there is.
fn changes(
    tr: &Tr,
    before: Option<&Value>,
    after: Option<&Value>,
    tz: chrono_tz::Tz,
) -> Vec<Change> {
    let row = |field: &str, b: Option<&Value>, a: Option<&Value>| Change {
        field: field_label(tr, field),
        before: value_text(tr, field, b, tz),
        after: value_text(tr, field, a, tz),
    };
    match (before, after) {
        (None, None) => Vec::new(),
        (b, a) => {
            let b_obj = b.and_then(Value::as_object);
            let a_obj = a.and_then(Value::as_object);
            if (b.is_some() && b_obj.is_none()) || (a.is_some() && a_obj.is_none()) {
                return if b == a {
                    Vec::new()
                } else {
                    vec![row("value", b, a)]
                };
            }
            let keys: BTreeSet<&String> = b_obj
                .iter()
                .chain(a_obj.iter())
                .flat_map(|m| m.keys())
                .collect();
            keys.into_iter()
                .filter_map(|k| {
                    let (bv, av) = (b_obj.and_then(|m| m.get(k)), a_obj.and_then(|m| m.get(k)));
                    (bv != av).then(|| row(k, bv, av))
                })
                .collect()
        }
    }
}

fn entry_view(tr: &Tr, e: &EntryRow, tz: chrono_tz::Tz) -> EntryView {
    let op_key = format!("op.{}", e.operation);
    let one_sided = match (&e.before, &e.after) {
        (Some(v), None) | (None, Some(v)) => serde_json::to_string_pretty(v).ok(),
        _ => None,
    };
    EntryView {
        at: format_time(e.at, tz),
        who: match (&e.person_name, e.person_id) {
            (Some(name), _) => name.clone(),
            (None, Some(id)) => format!("#{id}"),
            (None, None) => tr.t("audit.system").to_string(),
        },
        who_id: e.person_id,
        source: e.source.clone(),
        request_id: e.request_id.clone(),
        op: if tr.has(&op_key) {
            tr.tk("op", &e.operation)
        } else {
            e.operation.clone()
        },
        op_code: e.operation.clone(),
        changes: changes(tr, e.before.as_ref(), e.after.as_ref(), tz),
        show_before: e.before.is_some(),
        show_after: e.after.is_some(),
        full_json: one_sided,
    }
}

pub async fn history(
    State(s): State<AppState>,
    pa: PageActor,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let tr = pa.tr();
    let Some((entity, id)) = path
        .ok()
        .and_then(|Path((entity, id))| id.trim().parse::<i64>().ok().map(|id| (entity, id)))
    else {
        return fail(&pa, AppError::NotFound { entity: "record" });
    };
    let rows = match audit::history(&s.app, &pa.actor, &entity, id).await {
        Ok(rows) => rows,
        Err(e) => return fail(&pa, e),
    };
    let (entity_label, record, record_href) = match entity.as_str() {
        "person" => (
            tr.t("audit.entity_person"),
            people::get(&s.app, &pa.actor, id)
                .await
                .map(|p| p.display_name)
                .unwrap_or_else(|_| format!("#{id}")),
            format!("/people/{id}"),
        ),
        "org_node" => (
            tr.t("audit.entity_org_node"),
            org::get(&s.app, &pa.actor, id)
                .await
                .map(|n| tr.name(&n.name_zh, &n.name_en).to_string())
                .unwrap_or_else(|_| format!("#{id}")),
            format!("/org/{id}"),
        ),
        // records of the order-to-cash rooms: their own pages name them
        "dealer" => (
            tr.t("audit.entity_dealer"),
            format!("#{id}"),
            format!("/dealers/{id}"),
        ),
        "order" => (
            tr.t("audit.entity_order"),
            format!("#{id}"),
            format!("/orders/{id}"),
        ),
        "product" => (
            tr.t("audit.entity_product"),
            format!("#{id}"),
            "/catalogue".to_string(),
        ),
        "price_list" => (
            tr.t("audit.entity_price_list"),
            format!("#{id}"),
            format!("/price-lists/{id}"),
        ),
        _ => return fail(&pa, AppError::NotFound { entity: "record" }),
    };
    let tz = s.app.config.time_zone;
    let mut l = Layout::new(&pa, "audit.title", "");
    l.title = format!("{} · {record}", l.title);
    let page = AuditPage {
        l,
        entity: entity_label.to_string(),
        record,
        record_href,
        export_href: format!("/audit/{entity}/{id}/export"),
        entries: rows.iter().rev().map(|e| entry_view(&tr, e, tz)).collect(),
    };
    render(&page)
}

/// The record's history as on its page (newest first), one row per change, as XLSX or CSV.
pub async fn history_export(
    State(s): State<AppState>,
    pa: PageActor,
    path: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<crate::export::FormatQuery>, QueryRejection>,
) -> Response {
    let Some((entity, id)) = path
        .ok()
        .and_then(|Path((entity, id))| id.trim().parse::<i64>().ok().map(|id| (entity, id)))
    else {
        return fail(&pa, AppError::NotFound { entity: "record" });
    };
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let rows = match audit::history(&s.app, &pa.actor, &entity, id).await {
        Ok(rows) => rows,
        Err(e) => return fail(&pa, e),
    };
    let tr = pa.tr();
    let tz = s.app.config.time_zone;
    let lines = rows
        .iter()
        .rev()
        .map(|e| entry_view(&tr, e, tz))
        .flat_map(|v| {
            let head = [
                Cell::DateTime(v.at),
                Cell::from(v.who),
                Cell::from(v.op),
                Cell::from(v.source),
                Cell::from(v.request_id),
            ];
            let changes = if v.changes.is_empty() {
                vec![(String::new(), String::new(), String::new())]
            } else {
                v.changes
                    .into_iter()
                    .map(|c| (c.field, c.before, c.after))
                    .collect()
            };
            changes
                .into_iter()
                .map(move |(field, before, after)| {
                    let mut row = head.to_vec();
                    row.extend([field.into(), before.into(), after.into()]);
                    row
                })
                .collect::<Vec<_>>()
        })
        .collect();
    crate::export::list_download(
        &tr,
        "audit.title",
        &[
            "audit.when",
            "audit.who",
            "audit.operation",
            "audit.source",
            "audit.request",
            "audit.field",
            "audit.before",
            "audit.after",
        ],
        lines,
        &format,
        &format!(
            "audit-{}-{id}",
            entity
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use salesos_domain::people::Locale;
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_listed() {
        let tr = Tr::new(Locale::En);
        let tz = chrono_tz::Asia::Shanghai;
        let before = json!({"display_name": "A", "email": null, "active": true});
        let after = json!({"display_name": "B", "email": null, "active": false});
        let rows = changes(&tr, Some(&before), Some(&after), tz);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|c| c.field != "email"));
    }

    #[test]
    fn one_side_lists_every_field() {
        let tr = Tr::new(Locale::En);
        let tz = chrono_tz::Asia::Shanghai;
        let after = json!({"login": "li.na", "role": "sales_rep"});
        let rows = changes(&tr, None, Some(&after), tz);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|c| c.before == EMPTY));
        assert!(changes(&tr, None, None, tz).is_empty());
    }
}
