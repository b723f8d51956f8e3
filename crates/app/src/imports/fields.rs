//! What each kind of file holds: its fields, the header names people use for them (Chinese and
//! English, as Chinese Excel exports and our own exports write them), and the column mapping
//! that ties a file's headers to fields.

use super::{Kind, Problem};
use std::collections::BTreeMap;

/// One field of an import: its key, whether each row needs it, its labels (the headers our
/// exports write) and further header names recognised.
#[derive(Debug)]
pub struct Field {
    pub key: &'static str,
    pub required: bool,
    pub en: &'static str,
    pub zh: &'static str,
    pub aliases: &'static [&'static str],
}

const fn f(
    key: &'static str,
    required: bool,
    en: &'static str,
    zh: &'static str,
    aliases: &'static [&'static str],
) -> Field {
    Field {
        key,
        required,
        en,
        zh,
        aliases,
    }
}

pub const DEALERS: &[Field] = &[
    f(
        "code",
        true,
        "Dealer code",
        "经销商编码",
        &["code", "编码", "客户编码", "经销商代码", "客户代码"],
    ),
    f(
        "name",
        true,
        "Name",
        "名称",
        &["dealer name", "dealer", "经销商名称", "客户名称", "经销商"],
    ),
    f("tier", false, "Tier", "级别", &["等级", "客户级别"]),
    f("status", false, "Status", "状态", &[]),
    f(
        "area",
        true,
        "Area code",
        "区域编码",
        &["area", "city code", "unit", "区域", "片区", "城市编码"],
    ),
    f(
        "owner",
        true,
        "Owner login",
        "负责人账号",
        &["owner", "rep", "负责人", "业务员", "业务员账号"],
    ),
    f(
        "licence_no",
        false,
        "Licence no.",
        "营业执照号",
        &[
            "licence",
            "license no",
            "license",
            "营业执照",
            "统一社会信用代码",
        ],
    ),
    f(
        "legal_representative",
        false,
        "Legal representative",
        "法人代表",
        &["法定代表人", "法人"],
    ),
    f("address", false, "Address", "地址", &["详细地址"]),
    f("city", false, "City", "城市", &[]),
    f(
        "delivery_station",
        false,
        "Delivery station",
        "到站",
        &["送货站点", "收货站"],
    ),
    f(
        "bank_name",
        false,
        "Bank",
        "开户行",
        &["bank name", "开户银行"],
    ),
    f("bank_account", false, "Bank account", "银行账号", &["账号"]),
    f(
        "tax_no",
        false,
        "Tax no.",
        "税号",
        &["tax number", "纳税人识别号"],
    ),
    f("phone", false, "Phone", "电话", &["telephone", "联系电话"]),
    f(
        "price_list",
        false,
        "Price list",
        "价格表",
        &["price list code", "价格表编码"],
    ),
    f(
        "payment_term_days",
        false,
        "Payment term (days)",
        "账期(天)",
        &["payment term", "账期", "付款期限"],
    ),
    f(
        "credit_limit",
        false,
        "Credit limit (yuan)",
        "信用额度(元)",
        &["credit limit", "信用额度", "授信额度"],
    ),
];

pub const PRODUCTS: &[Field] = &[
    f(
        "code",
        true,
        "Product code",
        "产品编码",
        &["code", "sku", "编码", "物料编码", "产品代码"],
    ),
    f(
        "name_zh",
        true,
        "Name (Chinese)",
        "中文名称",
        &["产品名称", "品名", "name zh"],
    ),
    f(
        "name_en",
        true,
        "Name (English)",
        "英文名称",
        &["english name", "name en", "name"],
    ),
    f(
        "line",
        true,
        "Product line",
        "产品线",
        &["line", "line code", "产品线编码", "品类"],
    ),
    f("unit", true, "Unit", "单位", &["uom", "计量单位"]),
    f(
        "case_size",
        true,
        "Case size",
        "箱规",
        &["units per case", "每箱数量", "装箱数"],
    ),
    f(
        "tax_rate_bp",
        true,
        "Tax rate (basis points)",
        "税率(基点)",
        &["tax rate bp", "税率基点"],
    ),
    f("status", false, "Status", "状态", &[]),
];

pub const PRICES: &[Field] = &[
    f(
        "price_list",
        true,
        "Price list",
        "价格表",
        &["price list code", "价格表编码", "list"],
    ),
    f(
        "price_list_name",
        false,
        "Price list name",
        "价格表名称",
        &["list name"],
    ),
    f("list_kind", false, "List kind", "价格表类型", &["kind"]),
    f("tier", false, "Tier", "级别", &["等级"]),
    f(
        "product",
        true,
        "Product code",
        "产品编码",
        &["product", "sku", "产品", "物料编码"],
    ),
    f(
        "price",
        true,
        "Price (yuan)",
        "价格(元)",
        &["price", "unit price", "价格", "单价"],
    ),
    f(
        "valid_from",
        true,
        "Valid from",
        "生效日期",
        &["from", "start date", "开始日期", "起始日期"],
    ),
];

pub const RECEIVABLES: &[Field] = &[
    f(
        "dealer",
        true,
        "Dealer code",
        "经销商编码",
        &["dealer", "customer code", "客户编码", "经销商"],
    ),
    f(
        "invoice_no",
        true,
        "Invoice no.",
        "发票号",
        &["invoice", "invoice number", "发票号码", "单据号"],
    ),
    f(
        "invoice_date",
        true,
        "Invoice date",
        "开票日期",
        &["date", "发票日期", "日期"],
    ),
    f(
        "due_date",
        false,
        "Due date",
        "到期日",
        &["due", "到期日期", "应收日期"],
    ),
    f(
        "amount",
        true,
        "Open amount (yuan)",
        "未收金额(元)",
        &[
            "amount",
            "open amount",
            "balance",
            "金额",
            "未收金额",
            "应收余额",
        ],
    ),
];

pub const ORDERS: &[Field] = &[
    f(
        "order_no",
        true,
        "Order no.",
        "订单号",
        &["order", "order number", "订单编号", "单号"],
    ),
    f(
        "dealer",
        true,
        "Dealer code",
        "经销商编码",
        &["dealer", "customer code", "客户编码", "经销商"],
    ),
    f(
        "order_date",
        true,
        "Order date",
        "订单日期",
        &["date", "日期", "下单日期"],
    ),
    f(
        "product",
        true,
        "Product code",
        "产品编码",
        &["product", "sku", "产品", "物料编码"],
    ),
    f("quantity", true, "Quantity", "数量", &["qty", "订货数量"]),
    f(
        "unit_price",
        true,
        "Unit price (yuan)",
        "单价(元)",
        &["unit price", "price", "单价", "价格"],
    ),
    f(
        "note",
        false,
        "Note",
        "备注",
        &["remark", "remarks", "说明"],
    ),
];

/// People and organisation: one row per unit (`record` = unit) or person (`record` = person);
/// units come before the people placed in them whatever the order of the file.
pub const PEOPLE: &[Field] = &[
    f(
        "record",
        true,
        "Record",
        "记录类型",
        &["record type", "row type", "type", "行类型", "类型"],
    ),
    f(
        "code",
        true,
        "Code / login",
        "编码/账号",
        &[
            "code",
            "login",
            "编码",
            "账号",
            "登录名",
            "单位编码",
            "工号",
        ],
    ),
    f(
        "name",
        true,
        "Name",
        "名称/姓名",
        &["display name", "name zh", "名称", "姓名", "中文名称"],
    ),
    f(
        "name_en",
        false,
        "Name (English)",
        "英文名称",
        &["english name", "name en"],
    ),
    f(
        "unit_kind",
        false,
        "Unit kind",
        "单位层级",
        &["kind", "node kind", "层级", "单位类型"],
    ),
    f(
        "parent",
        false,
        "Parent unit",
        "上级单位编码",
        &["parent", "parent code", "上级", "上级编码", "上级单位"],
    ),
    f(
        "unit",
        false,
        "Unit",
        "所属单位编码",
        &["unit code", "org unit", "node", "所属单位", "部门编码"],
    ),
    f("role", false, "Role", "角色", &["岗位", "职位"]),
    f(
        "email",
        false,
        "Email",
        "邮箱",
        &["e-mail", "mail", "电子邮件", "电子邮箱"],
    ),
    f(
        "phone",
        false,
        "Phone",
        "电话",
        &["mobile", "telephone", "手机", "联系电话"],
    ),
    f(
        "active",
        false,
        "Active",
        "启用",
        &["status", "状态", "在职", "有效"],
    ),
];

impl Kind {
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Dealers => DEALERS,
            Kind::Products => PRODUCTS,
            Kind::Prices => PRICES,
            Kind::Receivables => RECEIVABLES,
            Kind::Orders => ORDERS,
            Kind::People => PEOPLE,
        }
    }
}

/// Header text compared loosely: case, spaces, `_`, `-`, `.` and full-width brackets ignored.
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '*' | ':' | '：'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn names(field: &Field) -> impl Iterator<Item = &'static str> + '_ {
    [field.key, field.en, field.zh]
        .into_iter()
        .chain(field.aliases.iter().copied())
}

/// Which column holds each field.
#[derive(Debug, Clone)]
pub struct Columns {
    pub kind: Kind,
    /// Per field (in the kind's order): the column index.
    pub index: Vec<Option<usize>>,
    pub headers: Vec<String>,
}

impl Columns {
    /// Maps headers to fields: first the person's mapping (field -> header), then the known
    /// header names. Problems: a mapping naming an unknown field or a header not in the file,
    /// a header claimed by two fields, and a required field without a column.
    pub fn resolve(
        kind: Kind,
        headers: &[String],
        mapping: &BTreeMap<String, String>,
    ) -> (Columns, Vec<Problem>) {
        let fields = kind.fields();
        let mut problems = Vec::new();
        let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
        let mut index: Vec<Option<usize>> = vec![None; fields.len()];
        for (key, header) in mapping {
            let Some(fi) = fields.iter().position(|f| f.key == key) else {
                problems.push(Problem::header(
                    key,
                    header,
                    "import.mapping_invalid",
                    format!("there is no field {key} in this kind of file"),
                ));
                continue;
            };
            if header.trim().is_empty() {
                continue;
            }
            match normalised.iter().position(|h| *h == normalise(header)) {
                Some(col) => index[fi] = Some(col),
                None => problems.push(Problem::header(
                    key,
                    header,
                    "import.mapping_invalid",
                    format!("the file has no column {header}"),
                )),
            }
        }
        for (fi, field) in fields.iter().enumerate() {
            if index[fi].is_some() || mapping.contains_key(field.key) {
                continue;
            }
            let known: Vec<String> = names(field).map(normalise).collect();
            index[fi] = normalised
                .iter()
                .enumerate()
                .find(|(col, h)| known.contains(h) && !index.contains(&Some(*col)))
                .map(|(col, _)| col);
        }
        for (fi, field) in fields.iter().enumerate() {
            if let Some(col) = index[fi] {
                if index.iter().filter(|c| **c == Some(col)).count() > 1 {
                    problems.push(Problem::header(
                        field.key,
                        &headers[col],
                        "import.mapping_invalid",
                        format!(
                            "the column {} is mapped to more than one field",
                            headers[col]
                        ),
                    ));
                }
            } else if field.required {
                problems.push(Problem::header(
                    field.key,
                    "",
                    "import.column_missing",
                    format!(
                        "no column for {} ({}); name a column {} or map one",
                        field.en, field.zh, field.en
                    ),
                ));
            }
        }
        (
            Columns {
                kind,
                index,
                headers: headers.to_vec(),
            },
            problems,
        )
    }

    pub fn field_index(&self, key: &str) -> Option<usize> {
        self.kind.fields().iter().position(|f| f.key == key)
    }

    /// The column of a field, if the file has one.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.field_index(key).and_then(|fi| self.index[fi])
    }

    /// The header a problem with `key` is reported under: the file's own header, else the
    /// field's English label.
    pub fn header_of(&self, key: &str) -> String {
        match (self.column(key), self.field_index(key)) {
            (Some(col), _) => self.headers[col].clone(),
            (None, Some(fi)) => self.kind.fields()[fi].en.to_string(),
            (None, None) => key.to_string(),
        }
    }

    /// Field -> header for every mapped field (what the person sees and may correct).
    pub fn used(&self) -> BTreeMap<String, String> {
        self.kind
            .fields()
            .iter()
            .zip(&self.index)
            .filter_map(|(f, c)| c.map(|c| (f.key.to_string(), self.headers[c].clone())))
            .collect()
    }

    /// Headers no field reads.
    pub fn ignored(&self) -> Vec<String> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.index.contains(&Some(*i)))
            .map(|(_, h)| h.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_and_english_headers_are_recognised() {
        let (c, p) = Columns::resolve(
            Kind::Receivables,
            &headers(&["客户编码", "发票号码", "开票日期", "Open Amount"]),
            &BTreeMap::new(),
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(c.column("dealer"), Some(0));
        assert_eq!(c.column("amount"), Some(3));
        assert_eq!(c.column("due_date"), None);
    }

    #[test]
    fn a_mapping_wins_and_missing_columns_are_problems() {
        let mut m = BTreeMap::new();
        m.insert("amount".to_string(), "Saldo".to_string());
        let (c, p) = Columns::resolve(
            Kind::Receivables,
            &headers(&["dealer", "Saldo", "Belegdatum"]),
            &m,
        );
        assert_eq!(c.column("amount"), Some(1));
        let codes: Vec<(&str, &str)> = p.iter().map(|p| (p.code, p.field.as_str())).collect();
        assert_eq!(
            codes,
            vec![
                ("import.column_missing", "invoice_no"),
                ("import.column_missing", "invoice_date")
            ]
        );
    }
}
