//! Historical orders: one row per order line, the lines of one order next to each other.
//!
//! Built for files of a million lines (the benchmark in BENCHMARKS.md) with every check of
//! the other kinds: each row is checked as it streams (codes resolved once per distinct code),
//! checked orders are written a batch at a time in multi-row inserts, the order numbers met so
//! far live in a temporary table of the transaction instead of memory (so a file whose lines of
//! one order are not together is caught however long it is), and the lines are summed into the
//! rollups as they are written, a few upserts instead of a trigger call per line (on PostgreSQL the
//! foreign keys of the lines are also proven once, set-based; see [`store::HistoryRun`]), all
//! inside the import's one transaction.

use super::kinds::Importer;
use super::{Problem, Problems, Row};
use crate::AppError;
use salesos_store::dealers::DealerRow;
use salesos_store::imports::{self as store, HistoryLine, NewHistoryOrder};
use salesos_store::WriteTx;
use std::collections::HashMap;

/// Orders are checked against the file and the database and written this many at a time…
const ORDER_BATCH: usize = 2_000;
/// …or sooner, once their lines reach this many (memory holds one batch, whatever the file).
const LINE_BATCH: usize = 20_000;

/// Where the import of historical orders stands.
#[derive(Default)]
pub(super) struct OrderState {
    run: Option<store::HistoryRun>,
    pending: Option<PendingOrder>,
    ready: Vec<PendingOrder>,
    ready_lines: usize,
}

/// The order being read, then waiting in a batch.
struct PendingOrder {
    number: String,
    /// The rows of its lines (each is a duplicate when the number was met before).
    rows: Vec<u64>,
    /// The first row's dealer and date cells, which every line must repeat.
    dealer_cell: String,
    date_cell: String,
    dealer: Option<DealerRow>,
    order_date: Option<String>,
    note: Option<String>,
    lines: Vec<HistoryLine>,
    ok: bool,
    /// Its rows' problems, listed once the order is known not to repeat an earlier one.
    problems: Vec<Problem>,
}

impl Importer<'_> {
    pub(super) async fn order_line(
        &mut self,
        tx: &mut WriteTx,
        row: &mut Row<'_>,
        sink: &mut Problems,
    ) -> Result<(), AppError> {
        let Some(number) = row.required_cell("order_no") else {
            return Ok(());
        };
        self.start_orders(tx).await?;
        if self
            .orders
            .pending
            .as_ref()
            .is_some_and(|p| p.number != number)
        {
            if let Some(done) = self.orders.pending.take() {
                self.queue_order(tx, done, sink).await?;
            }
        }
        if let Some(p) = &self.orders.pending {
            // this row continues the order in hand: it repeats the order's dealer and date
            let at = p.rows.first().copied().unwrap_or(row.record.row);
            let dealer_differs = row.raw_cell("dealer") != p.dealer_cell;
            let date_differs = row.raw_cell("order_date") != p.date_cell;
            if dealer_differs || date_differs {
                let message = format!("row {at} gives this order a different value");
                if dealer_differs {
                    row.problem("dealer", "import.conflicting_rows", message.clone());
                }
                if date_differs {
                    row.problem("order_date", "import.conflicting_rows", message);
                }
            }
        } else {
            let dealer_code = row.required_cell("dealer");
            let order_date = row
                .required_cell("order_date")
                .and_then(|_| row.date("order_date"));
            let dealer = match dealer_code {
                Some(code) => self.dealer_by_code(tx, row, "dealer", code).await?,
                None => None,
            };
            self.orders.pending = Some(PendingOrder {
                number: number.to_string(),
                rows: Vec::new(),
                dealer_cell: row.raw("dealer"),
                date_cell: row.raw("order_date"),
                ok: dealer.is_some() && order_date.is_some(),
                dealer,
                order_date,
                note: row.text("note"),
                lines: Vec::new(),
                problems: Vec::new(),
            });
        }
        let product = row.required_cell("product");
        let quantity = row
            .required("quantity")
            .and_then(|_| row.quantity("quantity"));
        let price = row
            .required("unit_price")
            .and_then(|_| row.money("unit_price"));
        let product_id = match product {
            Some(code) => self.product_by_code(tx, row, "product", code).await?,
            None => None,
        };
        let Some(pending) = self.orders.pending.as_mut() else {
            return Ok(());
        };
        pending.rows.push(row.record.row);
        match (product_id, quantity, price) {
            (Some(product_id), Some(quantity), Some(unit_price_fen)) if row.ok() => {
                pending.lines.push(HistoryLine {
                    product_id,
                    quantity,
                    unit_price_fen,
                });
            }
            _ => pending.ok = false,
        }
        pending.problems.append(&mut row.problems);
        Ok(())
    }

    /// The order in hand, the batch waiting, then the rollups of everything written.
    pub(super) async fn finish_orders(
        &mut self,
        tx: &mut WriteTx,
        sink: &mut Problems,
    ) -> Result<(), AppError> {
        if let Some(order) = self.orders.pending.take() {
            self.queue_order(tx, order, sink).await?;
        }
        self.flush_orders(tx, sink).await?;
        if let Some(run) = self.orders.run.take() {
            store::end_history(tx.conn(), run).await?;
        }
        Ok(())
    }

    /// Starts the run on its first row (see [`store::HistoryRun`]).
    async fn start_orders(&mut self, tx: &mut WriteTx) -> Result<(), AppError> {
        if self.orders.run.is_none() {
            let backend = tx.backend();
            self.orders.run = Some(store::begin_history(tx.conn(), backend).await?);
        }
        Ok(())
    }

    async fn queue_order(
        &mut self,
        tx: &mut WriteTx,
        order: PendingOrder,
        sink: &mut Problems,
    ) -> Result<(), AppError> {
        self.orders.ready_lines += order.rows.len();
        self.orders.ready.push(order);
        if self.orders.ready.len() >= ORDER_BATCH || self.orders.ready_lines >= LINE_BATCH {
            self.flush_orders(tx, sink).await?;
        }
        Ok(())
    }

    /// Checks a batch against the file so far (an order number met before is a duplicate) and
    /// against the database (the same order is unchanged, another with its number a problem),
    /// then writes the new orders, their lines and audit entries in a few statements.
    async fn flush_orders(
        &mut self,
        tx: &mut WriteTx,
        sink: &mut Problems,
    ) -> Result<(), AppError> {
        let ready = std::mem::take(&mut self.orders.ready);
        self.orders.ready_lines = 0;
        if ready.is_empty() {
            return Ok(());
        }
        // where each number begins in this batch; those met in earlier batches come back
        let mut began: HashMap<String, u64> = HashMap::new();
        let mut first_seen = Vec::new();
        for o in &ready {
            let first_row = o.rows.first().copied().unwrap_or_default();
            if !began.contains_key(&o.number) {
                began.insert(o.number.clone(), first_row);
                first_seen.push((o.number.clone(), first_row));
            }
        }
        let earlier = store::note_order_numbers(tx.conn(), &first_seen).await?;
        let order_no = self.columns.header_of("order_no");
        let mut checked = Vec::with_capacity(ready.len());
        for o in ready {
            let first_row = o.rows.first().copied().unwrap_or_default();
            let repeats = earlier
                .get(&o.number)
                .or_else(|| began.get(&o.number).filter(|at| **at != first_row));
            if let Some(at) = repeats {
                for row in &o.rows {
                    sink.push(Problem {
                        row: *row,
                        column: order_no.clone(),
                        field: "order_no".into(),
                        value: o.number.clone(),
                        code: "import.duplicate_in_file",
                        message: format!(
                            "this order's lines began in row {at}; keep an order's lines together"
                        ),
                    });
                }
                continue;
            }
            for p in o.problems {
                sink.push(p);
            }
            if let (true, Some(dealer), Some(order_date)) = (o.ok, o.dealer, o.order_date) {
                checked.push((o.number, first_row, dealer, order_date, o.note, o.lines));
            }
        }
        let numbers: Vec<&str> = checked.iter().map(|c| c.0.as_str()).collect();
        let stored = store::orders_by_numbers(tx.conn(), &numbers).await?;
        let mut fresh = Vec::with_capacity(checked.len());
        for order in checked {
            let (number, first_row, dealer, order_date, _, lines) = &order;
            let Some(same_number) = stored.get(number) else {
                fresh.push(order);
                continue;
            };
            if same_number.dealer_id == dealer.id
                && &same_number.order_date == order_date
                && &same_number.lines == lines
            {
                self.counts.unchanged += 1;
            } else {
                sink.push(Problem {
                    row: *first_row,
                    column: order_no.clone(),
                    field: "order_no".into(),
                    value: number.clone(),
                    code: "import.posted_document",
                    message: "an order with this number exists with other figures".into(),
                });
            }
        }
        let Some(run) = self.orders.run.as_mut() else {
            return Ok(());
        };
        if fresh.is_empty() {
            return Ok(());
        }
        let new: Vec<NewHistoryOrder<'_>> = fresh
            .iter()
            .map(
                |(number, _, dealer, order_date, note, lines)| NewHistoryOrder {
                    number,
                    dealer_id: dealer.id,
                    order_date,
                    node_id: dealer.node_id,
                    node_path: &dealer.node_path,
                    owner_id: dealer.owner_id,
                    note: note.as_deref(),
                    created_by: self.actor.person_id(),
                    lines,
                },
            )
            .collect();
        let ids = store::insert_history_orders(tx.conn(), run, &new).await?;
        let by = store::ImportedBy {
            person_id: self.actor.person_id(),
            source: &self.actor.source,
            request_id: &self.actor.request_id,
        };
        let audited =
            fresh
                .iter()
                .zip(&ids)
                .map(|((number, _, dealer, order_date, _, lines), id)| {
                    let after = store::ImportedOrder {
                        dealer_id: dealer.id,
                        lines,
                        number,
                        order_date,
                    };
                    (*id, dealer.node_path.as_str(), after)
                });
        store::audit_imported_orders(tx.conn(), run, &by, audited).await?;
        self.counts.created += ids.len() as u64;
        Ok(())
    }
}

/// The import runs in a spawned task of the web server, so its future must stay `Send`.
#[allow(dead_code)]
fn import_future_is_send(app: &crate::App, actor: &crate::Actor, table: salesos_import::Table) {
    fn send<T: Send>(_: T) {}
    send(super::run(
        app,
        actor,
        super::Kind::Orders,
        table,
        super::Request::default(),
        &mut |_| {},
    ));
}
