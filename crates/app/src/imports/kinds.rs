//! Row by row: checking and writing each kind, inside the import's one transaction.

use super::{Columns, Counts, Kind, Problems, Row};
use crate::audit::{record, snapshot};
use crate::catalogue::{
    check_code as check_catalogue_code, check_label, check_product, ProductInput,
};
use crate::dealers::{check_details, resolve_node, resolve_owner, DetailsInput};
use crate::{Actor, App, AppError};
use salesos_domain::credit::EntryKind;
use salesos_domain::dealers::{
    check_code, check_credit_limit, check_payment_term, check_tier, DealerStatus,
};
use salesos_domain::roles::{Role, ScopeKind};
use salesos_import::Record;
use salesos_store::billing::{self as billing_store, LedgerEntry, NewInvoice};
use salesos_store::catalogue::{self, PriceClash, PriceItemRow};
use salesos_store::credit::{self as credit_store, Posting};
use salesos_store::dealers::{self, DealerRow};
use salesos_store::imports as store;
use salesos_store::{org, people, WriteTx};
use std::collections::HashMap;

/// A code as it is repeated in a file: where first seen and the row's cells then.
struct Seen {
    row: u64,
    cells: Vec<String>,
}

pub(crate) struct Importer<'a> {
    app: &'a App,
    pub(super) actor: &'a Actor,
    kind: Kind,
    pub(super) columns: &'a Columns,
    pub counts: Counts,
    seen: HashMap<String, Seen>,
    dealers_by_code: HashMap<String, Option<DealerRow>>,
    products_by_code: HashMap<String, Option<i64>>,
    price_items: HashMap<i64, Vec<PriceItemRow>>,
    /// Historical orders (`orders.rs`).
    pub(super) orders: super::orders::OrderState,
    /// Units and people are read first and written at the end, parents before children.
    people_org: super::people_org::PeopleOrg,
}

impl<'a> Importer<'a> {
    pub fn new(app: &'a App, actor: &'a Actor, kind: Kind, columns: &'a Columns) -> Self {
        Importer {
            app,
            actor,
            kind,
            columns,
            counts: Counts::default(),
            seen: HashMap::new(),
            dealers_by_code: HashMap::new(),
            products_by_code: HashMap::new(),
            price_items: HashMap::new(),
            orders: Default::default(),
            people_org: Default::default(),
        }
    }

    pub async fn row(
        &mut self,
        tx: &mut WriteTx,
        record: &Record,
        sink: &mut Problems,
    ) -> Result<(), AppError> {
        let columns = self.columns;
        let mut row = Row::new(record, columns);
        match self.kind {
            Kind::Dealers => self.dealer(tx, &mut row).await?,
            Kind::Products => self.product(tx, &mut row).await?,
            Kind::Prices => self.price(tx, &mut row).await?,
            Kind::Receivables => self.receivable(tx, &mut row).await?,
            Kind::Orders => self.order_line(tx, &mut row, sink).await?,
            Kind::People => {
                if let Some(key) = self.people_org.key(&mut row) {
                    if self.first_time(&mut row, "code", key) {
                        self.people_org.read(&mut row);
                    }
                }
            }
        }
        for p in row.problems {
            sink.push(p);
        }
        Ok(())
    }

    pub async fn finish(&mut self, tx: &mut WriteTx, sink: &mut Problems) -> Result<(), AppError> {
        let people_org = std::mem::take(&mut self.people_org);
        people_org
            .write(
                tx,
                self.app,
                self.actor,
                self.columns,
                &mut self.counts,
                sink,
            )
            .await?;
        self.finish_orders(tx, sink).await
    }

    /// Notes a key's first row; a later row with the same key is a duplicate (same cells) or a
    /// conflict (different cells). Returns false for a repeated key.
    fn first_time(&mut self, row: &mut Row<'_>, key_field: &str, key: String) -> bool {
        let cells = row.fingerprint();
        match self.seen.get(&key) {
            None => {
                self.seen.insert(
                    key,
                    Seen {
                        row: row.record.row,
                        cells,
                    },
                );
                true
            }
            Some(first) if first.cells == cells => {
                let at = first.row;
                row.problem(
                    key_field,
                    "import.duplicate_in_file",
                    format!("the same row is already in row {at}"),
                );
                false
            }
            Some(first) => {
                let at = first.row;
                row.problem(
                    key_field,
                    "import.conflicting_rows",
                    format!("row {at} has the same code with different data"),
                );
                false
            }
        }
    }

    pub(super) async fn dealer_by_code(
        &mut self,
        tx: &mut WriteTx,
        row: &mut Row<'_>,
        key: &str,
        code: &str,
    ) -> Result<Option<DealerRow>, AppError> {
        if !self.dealers_by_code.contains_key(code) {
            let found = match store::id_by_code(tx.conn(), "dealers", "code", code).await? {
                None => None,
                Some(id) => Some(dealers::get(tx.conn(), &self.actor.scope, id).await?),
            };
            match found {
                None => {
                    row.problem(key, "import.unknown_code", "no dealer has this code");
                    return Ok(None);
                }
                Some(None) => {
                    row.problem(
                        key,
                        "import.out_of_scope",
                        "this dealer is outside your part of the organisation",
                    );
                    return Ok(None);
                }
                Some(Some(d)) => {
                    self.dealers_by_code.insert(code.to_string(), Some(d));
                }
            }
        }
        Ok(self.dealers_by_code.get(code).cloned().flatten())
    }

    pub(super) async fn product_by_code(
        &mut self,
        tx: &mut WriteTx,
        row: &mut Row<'_>,
        key: &str,
        code: &str,
    ) -> Result<Option<i64>, AppError> {
        let id = match self.products_by_code.get(code) {
            Some(id) => *id,
            None => {
                let id = store::id_by_code(tx.conn(), "products", "code", code).await?;
                self.products_by_code.insert(code.to_string(), id);
                id
            }
        };
        if id.is_none() {
            row.problem(key, "import.unknown_code", "no product has this code");
        }
        Ok(id)
    }

    // ---- dealers ----

    async fn dealer(&mut self, tx: &mut WriteTx, row: &mut Row<'_>) -> Result<(), AppError> {
        let Some(raw_code) = row.required("code") else {
            return Ok(());
        };
        let code = match check_code(&raw_code) {
            Ok(c) => c,
            Err(e) => {
                row.refused("code", e.into());
                return Ok(());
            }
        };
        if !self.first_time(row, "code", code.clone()) {
            return Ok(());
        }
        let details = match check_details(&DetailsInput {
            name: row.raw("name"),
            tier: row.text("tier"),
            licence_no: row.text("licence_no"),
            legal_representative: row.text("legal_representative"),
            address: row.text("address"),
            city: row.text("city"),
            delivery_station: row.text("delivery_station"),
            bank_name: row.text("bank_name"),
            bank_account: row.text("bank_account"),
            tax_no: row.text("tax_no"),
            phone: row.text("phone"),
        }) {
            Ok(d) => Some(d),
            Err(e) => {
                row.refused("name", e);
                None
            }
        };
        let term = row.integer("payment_term_days");
        if let Some(t) = term {
            if let Err(e) = check_payment_term(t) {
                row.refused("payment_term_days", e.into());
            }
        }
        let limit = row.money("credit_limit");
        if let Some(l) = limit {
            if let Err(e) = check_credit_limit(l) {
                row.refused("credit_limit", e.into());
            }
        }
        let price_list = match row.text("price_list") {
            None => None,
            Some(pl) => {
                let id = store::id_by_code(tx.conn(), "price_lists", "code", &pl).await?;
                if id.is_none() {
                    row.problem(
                        "price_list",
                        "import.unknown_code",
                        "no price list has this code",
                    );
                }
                id
            }
        };
        let existing = store::id_by_code(tx.conn(), "dealers", "code", &code).await?;
        let Some(details) = details else {
            return Ok(());
        };
        match existing {
            Some(id) => {
                let Some(before) = dealers::get(tx.conn(), &self.actor.scope, id).await? else {
                    row.problem(
                        "code",
                        "import.out_of_scope",
                        "this dealer is outside your part of the organisation",
                    );
                    return Ok(());
                };
                // ownership, place and terms change on the dealer's page (through approval)
                let area = row.text("area");
                let node_code = org::get_unscoped(tx.conn(), before.node_id)
                    .await?
                    .map(|n| n.code);
                if area.is_some() && area != node_code {
                    row.problem(
                        "area",
                        "import.change_needs_approval",
                        "move a dealer on its page; an import does not change the area",
                    );
                }
                if let Some(owner) = row.text("owner") {
                    let login = people::get_unscoped(tx.conn(), before.owner_id)
                        .await?
                        .map(|p| p.login);
                    if Some(owner) != login {
                        row.problem(
                            "owner",
                            "import.change_needs_approval",
                            "a change of owner goes through approval on the dealer's page",
                        );
                    }
                }
                if term.is_some_and(|t| t != before.payment_term_days) {
                    row.problem(
                        "payment_term_days",
                        "import.change_needs_approval",
                        "a change of payment term goes through approval on the dealer's page",
                    );
                }
                if limit.is_some_and(|l| l != before.credit_limit_fen) {
                    row.problem(
                        "credit_limit",
                        "import.change_needs_approval",
                        "a change of credit limit goes through approval on the dealer's page",
                    );
                }
                if row.text("price_list").is_some() && price_list != before.price_list_id {
                    row.problem(
                        "price_list",
                        "import.change_needs_approval",
                        "a change of price list goes through approval on the dealer's page",
                    );
                }
                if let Some(status) = row.text("status") {
                    if status != before.status {
                        row.problem(
                            "status",
                            "import.change_needs_approval",
                            "change a dealer's status on its page",
                        );
                    }
                }
                if !row.ok() {
                    return Ok(());
                }
                if snapshot(&details) == snapshot(&details_of(&before)) {
                    self.counts.unchanged += 1;
                    return Ok(());
                }
                dealers::update_details(tx.conn(), id, &details).await?;
                let after = dealers::get_unscoped(tx.conn(), id)
                    .await?
                    .ok_or_else(|| AppError::Internal("dealer vanished".into()))?;
                record(
                    tx.conn(),
                    self.actor,
                    "dealer.import_update",
                    "dealer",
                    id,
                    Some(&after.node_path),
                    snapshot(&before),
                    snapshot(&after),
                )
                .await?;
                self.counts.updated += 1;
            }
            None => {
                let status = row.text("status").unwrap_or_else(|| "active".into());
                let Some(status) = DealerStatus::parse(&status) else {
                    row.problem(
                        "status",
                        "import.value_unknown",
                        "the status is prospect, evaluating, active, suspended or terminated",
                    );
                    return Ok(());
                };
                let Some(area) = row.required("area") else {
                    return Ok(());
                };
                let Some(node_id) =
                    store::id_by_code(tx.conn(), "org_nodes", "code", &area).await?
                else {
                    row.problem("area", "import.unknown_code", "no unit has this code");
                    return Ok(());
                };
                let node = match resolve_node(tx.conn(), self.actor, node_id).await {
                    Ok(n) => n,
                    Err(e) => {
                        let within = org::get(tx.conn(), &self.actor.scope, node_id).await?;
                        if within.is_none() {
                            row.problem(
                                "area",
                                "import.out_of_scope",
                                "this area is outside your part of the organisation",
                            );
                        } else {
                            row.refused("area", e);
                        }
                        return Ok(());
                    }
                };
                let field_staff = self.actor.role.map(Role::scope_kind) == Some(ScopeKind::Own);
                let owner_id = match (row.text("owner"), field_staff, self.actor.person_id()) {
                    (None, true, Some(me)) => me,
                    (None, _, _) => {
                        row.problem("owner", "import.required", "this column needs a value");
                        return Ok(());
                    }
                    (Some(login), _, _) => {
                        match people::find_by_login_unscoped(tx.conn(), &login).await? {
                            Some(p) if !field_staff || Some(p.id) == self.actor.person_id() => p.id,
                            Some(_) => {
                                row.problem(
                                    "owner",
                                    "dealer.owner_invalid",
                                    "you can add dealers you own yourself",
                                );
                                return Ok(());
                            }
                            None => {
                                row.problem(
                                    "owner",
                                    "import.unknown_code",
                                    "no person has this login",
                                );
                                return Ok(());
                            }
                        }
                    }
                };
                if let Err(e) = resolve_owner(tx.conn(), owner_id, &node, "owner").await {
                    row.refused("owner", e);
                }
                let duplicates = dealers::find_duplicates(
                    tx.conn(),
                    details.licence_no.as_deref(),
                    &details.name,
                    details.city.as_deref(),
                    None,
                )
                .await?;
                if !duplicates.is_empty() {
                    row.problem(
                        "name",
                        "dealer.possible_duplicate",
                        "a dealer with the same licence number or the same name in the same city exists",
                    );
                }
                if !row.ok() {
                    return Ok(());
                }
                let today = self.app.today();
                let id = dealers::insert(
                    tx.conn(),
                    dealers::NewDealer {
                        code: &code,
                        status: status.code(),
                        details: &details,
                        node_id: node.id,
                        node_path: &node.path,
                        owner_id,
                        slt_owner_id: None,
                        price_list_id: price_list,
                        payment_term_days: term.unwrap_or(0),
                        credit_limit_fen: limit.unwrap_or(0),
                        since: &today,
                    },
                )
                .await?;
                let after = dealers::get_unscoped(tx.conn(), id)
                    .await?
                    .ok_or_else(|| AppError::Internal("dealer vanished".into()))?;
                record(
                    tx.conn(),
                    self.actor,
                    "dealer.import",
                    "dealer",
                    id,
                    Some(&after.node_path),
                    None,
                    snapshot(&after),
                )
                .await?;
                self.counts.created += 1;
            }
        }
        Ok(())
    }

    // ---- products ----

    async fn product(&mut self, tx: &mut WriteTx, row: &mut Row<'_>) -> Result<(), AppError> {
        let Some(raw_code) = row.required("code") else {
            return Ok(());
        };
        let code = match check_catalogue_code(&raw_code) {
            Ok(c) => c,
            Err(e) => {
                row.refused("code", e);
                return Ok(());
            }
        };
        if !self.first_time(row, "code", code.clone()) {
            return Ok(());
        }
        for key in ["name_zh", "name_en", "unit"] {
            row.required(key);
        }
        let line_code = row.required("line");
        let case_size = row
            .required("case_size")
            .and_then(|_| row.integer("case_size"));
        let tax = row
            .required("tax_rate_bp")
            .and_then(|_| row.integer("tax_rate_bp"));
        let line_id = match &line_code {
            Some(l) => {
                let id = store::id_by_code(tx.conn(), "product_lines", "code", l).await?;
                if id.is_none() {
                    row.problem(
                        "line",
                        "import.unknown_code",
                        "no product line has this code",
                    );
                }
                id
            }
            None => None,
        };
        let (Some(line_id), Some(case_size), Some(tax_rate_bp)) = (line_id, case_size, tax) else {
            return Ok(());
        };
        if !row.ok() {
            return Ok(());
        }
        let input = ProductInput {
            name_zh: row.raw("name_zh"),
            name_en: row.raw("name_en"),
            line_id,
            unit: row.raw("unit"),
            case_size,
            tax_rate_bp,
            status: row.text("status"),
        };
        let fields = match check_product(tx.conn(), &input).await {
            Ok(f) => f,
            Err(e) => {
                row.refused("name_zh", e);
                return Ok(());
            }
        };
        match store::id_by_code(tx.conn(), "products", "code", &code).await? {
            Some(id) => {
                let before = catalogue::get_product(tx.conn(), id)
                    .await?
                    .ok_or_else(|| AppError::Internal("product vanished".into()))?;
                let same = before.name_zh == fields.name_zh
                    && before.name_en == fields.name_en
                    && before.line_id == fields.line_id
                    && before.unit == fields.unit
                    && before.case_size == fields.case_size
                    && before.tax_rate_bp == fields.tax_rate_bp
                    && before.status == fields.status;
                if same {
                    self.counts.unchanged += 1;
                    return Ok(());
                }
                catalogue::update_product(tx.conn(), id, &fields).await?;
                let after = catalogue::get_product(tx.conn(), id).await?;
                record(
                    tx.conn(),
                    self.actor,
                    "product.import_update",
                    "product",
                    id,
                    None,
                    snapshot(&before),
                    snapshot(&after),
                )
                .await?;
                self.counts.updated += 1;
            }
            None => {
                let id = catalogue::insert_product(tx.conn(), &code, &fields).await?;
                self.products_by_code.insert(code, Some(id));
                let after = catalogue::get_product(tx.conn(), id).await?;
                record(
                    tx.conn(),
                    self.actor,
                    "product.import",
                    "product",
                    id,
                    None,
                    None,
                    snapshot(&after),
                )
                .await?;
                self.counts.created += 1;
            }
        }
        Ok(())
    }

    // ---- prices ----

    async fn price(&mut self, tx: &mut WriteTx, row: &mut Row<'_>) -> Result<(), AppError> {
        let list_code = row.required("price_list");
        let product_code = row.required("product");
        let price = row.required("price").and_then(|_| row.money("price"));
        let from = row
            .required("valid_from")
            .and_then(|_| row.date("valid_from"));
        if price.is_some_and(|p| p > 100_000_000_000) {
            row.problem(
                "price",
                "price.amount_invalid",
                "a price is between 0 and ¥1,000,000,000",
            );
        }
        let (Some(list_code), Some(product_code), Some(price), Some(from)) =
            (list_code, product_code, price, from)
        else {
            return Ok(());
        };
        let key = format!("{list_code}\u{1f}{product_code}\u{1f}{from}");
        if !self.first_time(row, "product", key) {
            return Ok(());
        }
        let product_id = self
            .product_by_code(tx, row, "product", &product_code)
            .await?;
        let list_id = match store::id_by_code(tx.conn(), "price_lists", "code", &list_code).await? {
            Some(id) => Some(id),
            None => self.new_price_list(tx, row, &list_code).await?,
        };
        let (Some(product_id), Some(list_id)) = (product_id, list_id) else {
            return Ok(());
        };
        if !row.ok() {
            return Ok(());
        }
        let items = match self.price_items.get(&list_id) {
            Some(items) => items.clone(),
            None => catalogue::price_items(tx.conn(), list_id).await?,
        };
        if let Some(same_day) = items
            .iter()
            .find(|i| i.product_id == product_id && i.valid_from == from)
        {
            if same_day.price_fen == price {
                self.counts.unchanged += 1;
            } else {
                row.problem(
                    "price",
                    "import.price_dated",
                    format!(
                        "a price of {} fen from this day exists; prices are dated: add a row from a later day",
                        same_day.price_fen
                    ),
                );
            }
            return Ok(());
        }
        let id = match catalogue::add_price(tx.conn(), list_id, product_id, price, &from).await? {
            Ok(id) => id,
            Err(PriceClash::StartsOnOrAfter { valid_from }) => {
                row.problem(
                    "valid_from",
                    "price.overlap",
                    format!("a price from {valid_from} exists; a new price must start after it"),
                );
                return Ok(());
            }
        };
        let refreshed = catalogue::price_items(tx.conn(), list_id).await?;
        let added = refreshed.iter().find(|i| i.id == id).cloned();
        let closed: Vec<&PriceItemRow> = items
            .iter()
            .filter(|i| i.product_id == product_id && i.valid_to.is_none())
            .collect();
        record(
            tx.conn(),
            self.actor,
            "price_list.import_price",
            "price_list",
            list_id,
            None,
            Some(serde_json::json!({ "open_prices": closed })),
            snapshot(&added),
        )
        .await?;
        self.price_items.insert(list_id, refreshed);
        self.counts.created += 1;
        Ok(())
    }

    /// A price list named in a price row that does not exist yet: created when the row says
    /// what it is (name, kind, tier), with the same rules as the price-list screen.
    async fn new_price_list(
        &mut self,
        tx: &mut WriteTx,
        row: &mut Row<'_>,
        list_code: &str,
    ) -> Result<Option<i64>, AppError> {
        let Some(name) = row.text("price_list_name") else {
            row.problem(
                "price_list",
                "import.unknown_code",
                "no price list has this code (give its name, kind and tier to create it)",
            );
            return Ok(None);
        };
        let code = match check_catalogue_code(list_code) {
            Ok(c) => c,
            Err(e) => {
                row.refused("price_list", e);
                return Ok(None);
            }
        };
        let name = match check_label(&name, "price_list_name") {
            Ok(n) => n,
            Err(e) => {
                row.refused("price_list_name", e);
                return Ok(None);
            }
        };
        let kind = row.text("list_kind").unwrap_or_else(|| "tier".into());
        let tier = match kind.as_str() {
            "tier" => match check_tier(&row.raw("tier")) {
                Ok(t) => Some(t),
                Err(e) => {
                    row.refused("tier", e.into());
                    return Ok(None);
                }
            },
            "dealer" => None,
            _ => {
                row.problem(
                    "list_kind",
                    "price_list.kind_unknown",
                    "the kind is tier or dealer",
                );
                return Ok(None);
            }
        };
        let id =
            catalogue::insert_price_list(tx.conn(), &code, &name, &kind, tier.as_deref()).await?;
        let created = catalogue::get_price_list(tx.conn(), id).await?;
        record(
            tx.conn(),
            self.actor,
            "price_list.import",
            "price_list",
            id,
            None,
            None,
            snapshot(&created),
        )
        .await?;
        Ok(Some(id))
    }

    // ---- opening receivables ----

    async fn receivable(&mut self, tx: &mut WriteTx, row: &mut Row<'_>) -> Result<(), AppError> {
        let dealer_code = row.required("dealer");
        let number = row.required("invoice_no");
        let invoice_date = row
            .required("invoice_date")
            .and_then(|_| row.date("invoice_date"));
        let due = row.date("due_date");
        let amount = row.required("amount").and_then(|_| row.money("amount"));
        if amount == Some(0) {
            row.problem(
                "amount",
                "import.negative_amount",
                "an opening receivable is above zero",
            );
        }
        let (Some(dealer_code), Some(number), Some(invoice_date), Some(amount)) =
            (dealer_code, number, invoice_date, amount)
        else {
            return Ok(());
        };
        if !self.first_time(row, "invoice_no", number.clone()) {
            return Ok(());
        }
        let Some(dealer) = self.dealer_by_code(tx, row, "dealer", &dealer_code).await? else {
            return Ok(());
        };
        let due = match due {
            Some(d) => d,
            None => {
                let day = chrono::NaiveDate::parse_from_str(&invoice_date, "%Y-%m-%d")
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                match salesos_domain::receivables::due_date(day, dealer.payment_term_days) {
                    Ok(d) => d.to_string(),
                    Err(e) => {
                        row.refused("due_date", e.into());
                        return Ok(());
                    }
                }
            }
        };
        if due < invoice_date {
            row.problem(
                "due_date",
                "import.bad_date",
                "the due date is before the invoice date",
            );
        }
        if !row.ok() {
            return Ok(());
        }
        if let Some(existing) = store::invoice_by_number(tx.conn(), &number).await? {
            let same = existing.dealer_id == dealer.id
                && existing.invoice_date == invoice_date
                && existing.due_date == due
                && existing.gross_fen == amount;
            if same {
                self.counts.unchanged += 1;
            } else {
                row.problem(
                    "invoice_no",
                    "import.posted_document",
                    "an invoice with this number is already posted with other figures; correct it with a credit note",
                );
            }
            return Ok(());
        }
        credit_store::lock_balance(tx, dealer.id).await?;
        let id = billing_store::insert_invoice(
            tx.conn(),
            NewInvoice {
                number: &number,
                dealer_id: dealer.id,
                order_id: None,
                shipment_id: None,
                invoice_date: &invoice_date,
                due_date: &due,
                payment_term_days: dealer.payment_term_days,
                net_fen: amount,
                tax_fen: 0,
                gross_fen: amount,
                node_path: &dealer.node_path,
                owner_id: dealer.owner_id,
                created_by: self.actor.person_id(),
            },
        )
        .await?;
        credit_store::post(
            tx.conn(),
            Posting {
                dealer_id: dealer.id,
                kind: EntryKind::InvoiceIssued,
                amount_fen: amount,
                doc_type: "invoice",
                doc_id: id,
                person_id: self.actor.person_id(),
            },
        )
        .await?;
        billing_store::append_ledger(
            tx.conn(),
            LedgerEntry {
                dealer_id: dealer.id,
                entry_date: &invoice_date,
                kind: "invoice",
                doc_type: "invoice",
                doc_id: id,
                doc_number: &number,
                amount_fen: amount,
                node_path: &dealer.node_path,
                owner_id: dealer.owner_id,
                person_id: self.actor.person_id(),
            },
        )
        .await?;
        record(
            tx.conn(),
            self.actor,
            "invoice.import_opening",
            "invoice",
            id,
            Some(&dealer.node_path),
            None,
            Some(serde_json::json!({
                "number": number, "dealer_id": dealer.id, "invoice_date": invoice_date,
                "due_date": due, "gross_fen": amount,
            })),
        )
        .await?;
        self.counts.created += 1;
        Ok(())
    }
}

fn details_of(d: &DealerRow) -> salesos_store::dealers::DealerDetails {
    salesos_store::dealers::DealerDetails {
        name: d.name.clone(),
        tier: d.tier.clone(),
        licence_no: d.licence_no.clone(),
        legal_representative: d.legal_representative.clone(),
        address: d.address.clone(),
        city: d.city.clone(),
        delivery_station: d.delivery_station.clone(),
        bank_name: d.bank_name.clone(),
        bank_account: d.bank_account.clone(),
        tax_no: d.tax_no.clone(),
        phone: d.phone.clone(),
    }
}
