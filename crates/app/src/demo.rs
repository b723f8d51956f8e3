//! The demo company: deterministic, so every install and every test sees the same data.

use crate::audit::{record, snapshot};
use crate::demo_history::{self, HistoryOptions, HistorySummary};
use crate::{password, Actor, App, AppError};
use salesos_domain::org::NodeKind;
use salesos_domain::roles::Role;
use salesos_store::org::{self, NodeRow};
use salesos_store::{people, Conn};
use serde::Serialize;

mod plan;
pub use plan::PlanSummary;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "salesos-demo";
const START: &str = "2024-01-01";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSize {
    /// Two markets, a handful of people: for tests.
    Tiny,
    /// The eight markets, 30 areas, ~150 field staff.
    Standard,
    /// The standard company with ten million order lines of history (for benchmarks).
    Large,
}

/// Order lines of history the standard demo makes (two years, ~2,000 dealers).
pub const STANDARD_HISTORY_LINES: u64 = 150_000;
/// Order lines of history of the large demo.
pub const LARGE_HISTORY_LINES: u64 = 10_000_000;

impl DemoSize {
    pub fn parse(text: &str) -> Option<DemoSize> {
        match text {
            "tiny" => Some(DemoSize::Tiny),
            "standard" | "default" => Some(DemoSize::Standard),
            "large" => Some(DemoSize::Large),
            _ => None,
        }
    }

    /// Order lines of history this size makes by default: none for the tiny company (hundreds
    /// of tests build it and want it small; they ask for history explicitly).
    pub fn history_lines(self) -> u64 {
        match self {
            DemoSize::Tiny => 0,
            DemoSize::Standard => STANDARD_HISTORY_LINES,
            DemoSize::Large => LARGE_HISTORY_LINES,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub role: &'static str,
    pub login: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub created: bool,
    pub nodes: i64,
    pub people: i64,
    pub logins: Vec<DemoLogin>,
    /// What the order-to-cash history holds, when it was made now.
    pub history: Option<HistorySummary>,
    /// The current year's approved plan and the month's focus, made with the history.
    pub plan: Option<PlanSummary>,
}

type City = (&'static str, &'static str);
struct Area {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    cities: &'static [City],
}
struct Market {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    areas: &'static [Area],
}

macro_rules! area {
    ($code:literal, $zh:literal, $en:literal, [$(($czh:literal, $cen:literal)),*]) => {
        Area { code: $code, zh: $zh, en: $en, cities: &[$(($czh, $cen)),*] }
    };
}

const MARKETS: &[Market] = &[
    Market {
        code: "NE",
        zh: "东北市场",
        en: "Northeast",
        areas: &[
            area!(
                "LN",
                "辽宁区域",
                "Liaoning",
                [("沈阳", "Shenyang"), ("大连", "Dalian")]
            ),
            area!("JL", "吉林区域", "Jilin", [("长春", "Changchun")]),
            area!("HL", "黑龙江区域", "Heilongjiang", [("哈尔滨", "Harbin")]),
        ],
    },
    Market {
        code: "N",
        zh: "华北市场",
        en: "North",
        areas: &[
            area!("BJ", "北京区域", "Beijing", [("北京", "Beijing")]),
            area!("TJ", "天津区域", "Tianjin", [("天津", "Tianjin")]),
            area!(
                "HE",
                "河北区域",
                "Hebei",
                [("石家庄", "Shijiazhuang"), ("唐山", "Tangshan")]
            ),
            area!("SX", "山西区域", "Shanxi", [("太原", "Taiyuan")]),
        ],
    },
    Market {
        code: "NW",
        zh: "西北市场",
        en: "Northwest",
        areas: &[
            area!("SN", "陕西区域", "Shaanxi", [("西安", "Xi'an")]),
            area!("GS", "甘肃区域", "Gansu", [("兰州", "Lanzhou")]),
            area!("XJ", "新疆区域", "Xinjiang", [("乌鲁木齐", "Urumqi")]),
        ],
    },
    Market {
        code: "C",
        zh: "华中市场",
        en: "Central",
        areas: &[
            area!(
                "HA",
                "河南区域",
                "Henan",
                [("郑州", "Zhengzhou"), ("洛阳", "Luoyang")]
            ),
            area!(
                "HB",
                "湖北区域",
                "Hubei",
                [("武汉", "Wuhan"), ("宜昌", "Yichang")]
            ),
            area!("HN", "湖南区域", "Hunan", [("长沙", "Changsha")]),
        ],
    },
    Market {
        code: "SD",
        zh: "山东市场",
        en: "Shandong",
        areas: &[
            area!("JN", "济南区域", "Jinan", [("济南", "Jinan")]),
            area!("QD", "青岛区域", "Qingdao", [("青岛", "Qingdao")]),
            area!("YT", "烟台区域", "Yantai", [("烟台", "Yantai")]),
            area!("WF", "潍坊区域", "Weifang", [("潍坊", "Weifang")]),
        ],
    },
    Market {
        code: "E",
        zh: "华东市场",
        en: "East",
        areas: &[
            area!("SH", "上海区域", "Shanghai", [("上海", "Shanghai")]),
            area!(
                "JS",
                "江苏区域",
                "Jiangsu",
                [("南京", "Nanjing"), ("苏州", "Suzhou")]
            ),
            area!(
                "ZJ",
                "浙江区域",
                "Zhejiang",
                [("杭州", "Hangzhou"), ("宁波", "Ningbo")]
            ),
            area!("AH", "安徽区域", "Anhui", [("合肥", "Hefei")]),
            area!("JX", "江西区域", "Jiangxi", [("南昌", "Nanchang")]),
        ],
    },
    Market {
        code: "S",
        zh: "华南市场",
        en: "South",
        areas: &[
            area!(
                "GD",
                "广东区域",
                "Guangdong",
                [("广州", "Guangzhou"), ("深圳", "Shenzhen")]
            ),
            area!("GX", "广西区域", "Guangxi", [("南宁", "Nanning")]),
            area!(
                "FJ",
                "福建区域",
                "Fujian",
                [("福州", "Fuzhou"), ("厦门", "Xiamen")]
            ),
            area!("HI", "海南区域", "Hainan", [("海口", "Haikou")]),
        ],
    },
    Market {
        code: "SW",
        zh: "西南市场",
        en: "Southwest",
        areas: &[
            area!("SC", "四川区域", "Sichuan", [("成都", "Chengdu")]),
            area!("CQ", "重庆区域", "Chongqing", [("重庆", "Chongqing")]),
            area!("YN", "云南区域", "Yunnan", [("昆明", "Kunming")]),
            area!("GZ", "贵州区域", "Guizhou", [("贵阳", "Guiyang")]),
        ],
    },
];

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗",
];
const GIVEN: [&str; 30] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "晨", "浩", "宇", "欣", "婷", "鹏", "斌", "雪",
];

struct Builder<'a> {
    actor: &'a Actor,
    hash: String,
    people: i64,
    nodes: i64,
    logins: Vec<DemoLogin>,
}

impl Builder<'_> {
    fn name(&self) -> String {
        let i = usize::try_from(self.people).unwrap_or(0);
        format!(
            "{}{}",
            SURNAMES[i % SURNAMES.len()],
            GIVEN[(i * 7 + i / 20) % GIVEN.len()]
        )
    }

    async fn node(
        &mut self,
        conn: &mut Conn,
        parent: Option<&NodeRow>,
        kind: NodeKind,
        code: &str,
        zh: &str,
        en: &str,
    ) -> Result<NodeRow, AppError> {
        let node = org::insert(
            conn,
            org::NewNode {
                parent,
                kind,
                code,
                name_zh: zh,
                name_en: en,
                effective_from: START,
            },
        )
        .await?;
        record(
            conn,
            self.actor,
            "demo.create",
            "org_node",
            node.id,
            Some(&node.path),
            None,
            snapshot(&node),
        )
        .await?;
        self.nodes += 1;
        Ok(node)
    }

    async fn person(
        &mut self,
        conn: &mut Conn,
        login: &str,
        role: Role,
        node: &NodeRow,
        printed: bool,
    ) -> Result<(), AppError> {
        let name = self.name();
        let id = people::insert(
            conn,
            people::NewPerson {
                login,
                display_name: &name,
                email: None,
                phone: None,
                password_hash: &self.hash,
                locale: "zh-CN",
            },
        )
        .await?;
        people::assign(conn, id, node.id, &node.path, role.code(), START).await?;
        let after = people::get_unscoped(conn, id).await?;
        record(
            conn,
            self.actor,
            "demo.create",
            "person",
            id,
            Some(&node.path),
            None,
            after.as_ref().and_then(snapshot),
        )
        .await?;
        self.people += 1;
        if printed {
            self.logins.push(DemoLogin {
                role: role.code(),
                login: login.to_string(),
                name,
                unit: node.name_zh.clone(),
            });
        }
        Ok(())
    }
}

/// Creates the demo company if the database has no organisation yet, with the size's default
/// history.
pub async fn ensure(app: &App, size: DemoSize) -> Result<DemoSummary, AppError> {
    ensure_with(app, size, size.history_lines()).await
}

/// Creates the demo company if the database has no organisation yet, with about
/// `history_lines` order lines of two years' order-to-cash history (none when 0).
pub async fn ensure_with(
    app: &App,
    size: DemoSize,
    history_lines: u64,
) -> Result<DemoSummary, AppError> {
    {
        let mut conn = app.store.read().await?;
        if org::count(&mut conn).await? > 0 {
            let people = people::count(&mut conn).await?;
            let nodes = org::count(&mut conn).await?;
            return Ok(DemoSummary {
                created: false,
                nodes,
                people,
                logins: printed_logins(&mut conn).await?,
                history: None,
                plan: None,
            });
        }
    }
    let actor = Actor::system(None, "demo");
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut b = Builder {
        actor: &actor,
        hash,
        people: 0,
        nodes: 0,
        logins: Vec::new(),
    };
    let mut tx = app.store.begin().await?;
    let conn = tx.conn();
    let company = b
        .node(
            conn,
            None,
            NodeKind::Company,
            "HQ",
            "示范消费品公司",
            "Demo Consumer Goods Co.",
        )
        .await?;
    b.person(conn, "admin", Role::Admin, &company, true).await?;
    b.person(conn, "director", Role::Director, &company, true)
        .await?;
    if size != DemoSize::Tiny {
        b.person(conn, "gm", Role::Director, &company, false)
            .await?;
        b.person(conn, "deputy", Role::Director, &company, false)
            .await?;
    }
    for (role, login) in [
        (Role::OrderDesk, "desk"),
        (Role::Billing, "billing"),
        (Role::Finance, "finance"),
        (Role::Warehouse, "warehouse"),
    ] {
        b.person(conn, login, role, &company, true).await?;
        if size != DemoSize::Tiny {
            b.person(conn, &format!("{login}2"), role, &company, false)
                .await?;
        }
    }
    let markets: Vec<&Market> = match size {
        DemoSize::Tiny => MARKETS
            .iter()
            .filter(|m| m.code == "E" || m.code == "N")
            .collect(),
        DemoSize::Standard | DemoSize::Large => MARKETS.iter().collect(),
    };
    for market in markets {
        let m = b
            .node(
                conn,
                Some(&company),
                NodeKind::Market,
                &format!("M-{}", market.code),
                market.zh,
                market.en,
            )
            .await?;
        let mcode = market.code.to_lowercase();
        let show = market.code == "E";
        b.person(conn, &format!("mm.{mcode}"), Role::MarketManager, &m, show)
            .await?;
        if size != DemoSize::Tiny {
            b.person(conn, &format!("desk.{mcode}"), Role::OrderDesk, &m, false)
                .await?;
            b.person(conn, &format!("billing.{mcode}"), Role::Billing, &m, false)
                .await?;
        }
        let areas = match size {
            DemoSize::Tiny => &market.areas[..2],
            DemoSize::Standard | DemoSize::Large => market.areas,
        };
        for (ai, area) in areas.iter().enumerate() {
            let a = b
                .node(
                    conn,
                    Some(&m),
                    NodeKind::Area,
                    &format!("A-{}", area.code),
                    area.zh,
                    area.en,
                )
                .await?;
            let acode = area.code.to_lowercase();
            let show_area = show && ai == 0;
            b.person(
                conn,
                &format!("am.{acode}"),
                Role::AreaManager,
                &a,
                show_area,
            )
            .await?;
            b.person(conn, &format!("kam.{acode}"), Role::Kam, &a, show_area)
                .await?;
            let cities = match size {
                DemoSize::Tiny => &area.cities[..1],
                DemoSize::Standard | DemoSize::Large => area.cities,
            };
            for (ci, (czh, cen)) in cities.iter().enumerate() {
                let c = b
                    .node(
                        conn,
                        Some(&a),
                        NodeKind::City,
                        &format!("C-{}{}", area.code, ci + 1),
                        czh,
                        cen,
                    )
                    .await?;
                let reps = if size == DemoSize::Tiny {
                    1
                } else if cities.len() == 1 {
                    3
                } else {
                    2
                };
                for r in 1..=reps {
                    let login = format!("rep.{acode}{}.{r}", ci + 1);
                    b.person(
                        conn,
                        &login,
                        Role::SalesRep,
                        &c,
                        show_area && ci == 0 && r == 1,
                    )
                    .await?;
                }
            }
        }
    }
    let started = std::time::Instant::now();
    let dealers = demo_dealers_and_catalogue(conn, &actor, size).await?;
    tracing::info!(
        dealers,
        ms = started.elapsed().as_millis() as u64,
        "demo dealers and catalogue created"
    );
    tx.commit().await?;
    let history = if history_lines > 0 {
        let summary = demo_history::generate(app, HistoryOptions::lines(history_lines)).await?;
        tracing::info!(
            orders = summary.orders,
            order_lines = summary.order_lines,
            rows = summary.rows,
            ms = summary.ms,
            "demo order-to-cash history created"
        );
        Some(summary)
    } else {
        None
    };
    // the tiny company (hundreds of tests) stays without a plan even with history
    let plan = if history.is_some() && size != DemoSize::Tiny {
        let summary = plan::make(app).await?;
        if let Some(p) = &summary {
            tracing::info!(
                plan = p.plan_id,
                target_fen = p.target_fen,
                targets = p.targets,
                status = %p.status,
                ms = p.ms,
                "demo plan and month's focus created"
            );
        }
        summary
    } else {
        None
    };
    crate::orders::seed_demo(app).await?;
    Ok(DemoSummary {
        created: true,
        nodes: b.nodes,
        people: b.people,
        logins: b.logins,
        history,
        plan,
    })
}

/// The logins printed at start-up, found again in an existing demo database.
async fn printed_logins(conn: &mut Conn) -> Result<Vec<DemoLogin>, AppError> {
    let mut out = Vec::new();
    for login in [
        "admin",
        "director",
        "mm.e",
        "am.sh",
        "kam.sh",
        "rep.sh1.1",
        "desk",
        "billing",
        "finance",
        "warehouse",
    ] {
        if let Some(p) = people::find_by_login_unscoped(conn, login).await? {
            let role = p
                .role
                .as_deref()
                .and_then(Role::parse)
                .map_or("", Role::code);
            out.push(DemoLogin {
                role,
                login: p.login,
                name: p.display_name,
                unit: p.node_name_zh.unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// dealers & catalogue

/// Product lines of the demo brand: (code, 中文, English, products as (中文, English, unit, case
/// size, base price in fen)).
type DemoProduct = (&'static str, &'static str, &'static str, i64, i64);
const DEMO_LINES: [(&str, &str, &str, [DemoProduct; 8]); 5] = [
    (
        "BEV",
        "饮料",
        "Beverages",
        [
            ("柠檬茶 500ml", "Lemon tea 500ml", "瓶", 15, 350),
            ("绿茶 500ml", "Green tea 500ml", "瓶", 15, 300),
            ("橙汁 1L", "Orange juice 1L", "瓶", 12, 890),
            ("苏打水 330ml", "Soda water 330ml", "罐", 24, 250),
            ("功能饮料 250ml", "Energy drink 250ml", "罐", 24, 550),
            ("矿泉水 550ml", "Mineral water 550ml", "瓶", 24, 150),
            ("椰子水 330ml", "Coconut water 330ml", "瓶", 12, 790),
            ("乌龙茶 500ml", "Oolong tea 500ml", "瓶", 15, 400),
        ],
    ),
    (
        "DAI",
        "乳品",
        "Dairy",
        [
            ("纯牛奶 250ml", "Whole milk 250ml", "盒", 24, 320),
            ("酸奶 200g", "Yoghurt 200g", "杯", 12, 450),
            ("低脂牛奶 1L", "Low-fat milk 1L", "盒", 12, 1280),
            ("儿童成长奶 190ml", "Kids' milk 190ml", "盒", 24, 380),
            ("奶酪棒 18g", "Cheese stick 18g", "袋", 40, 250),
            ("乳饮料 200ml", "Milk drink 200ml", "瓶", 24, 300),
            ("奶粉 800g", "Milk powder 800g", "罐", 6, 16800),
            ("炼乳 350g", "Condensed milk 350g", "罐", 24, 990),
        ],
    ),
    (
        "SNK",
        "休闲食品",
        "Snacks",
        [
            ("原味薯片 70g", "Salted crisps 70g", "袋", 30, 650),
            ("苏打饼干 400g", "Soda crackers 400g", "盒", 12, 1290),
            ("巧克力威化 150g", "Chocolate wafers 150g", "盒", 24, 990),
            ("牛肉干 100g", "Beef jerky 100g", "袋", 20, 2580),
            ("坚果礼盒 750g", "Nut gift box 750g", "盒", 6, 12800),
            ("海苔 30g", "Seaweed snack 30g", "袋", 40, 590),
            ("米饼 150g", "Rice crackers 150g", "袋", 24, 690),
            ("果冻 200g", "Fruit jelly 200g", "袋", 24, 550),
        ],
    ),
    (
        "SEA",
        "调味品",
        "Condiments",
        [
            ("生抽 500ml", "Light soy sauce 500ml", "瓶", 12, 890),
            ("老抽 500ml", "Dark soy sauce 500ml", "瓶", 12, 950),
            ("香醋 500ml", "Aromatic vinegar 500ml", "瓶", 12, 790),
            ("蚝油 700g", "Oyster sauce 700g", "瓶", 12, 1290),
            ("料酒 500ml", "Cooking wine 500ml", "瓶", 12, 650),
            ("鸡精 200g", "Chicken bouillon 200g", "袋", 40, 890),
            ("辣椒酱 280g", "Chilli sauce 280g", "瓶", 24, 990),
            ("食用盐 400g", "Table salt 400g", "袋", 50, 250),
        ],
    ),
    (
        "CAR",
        "个人护理",
        "Personal care",
        [
            ("洗发水 400ml", "Shampoo 400ml", "瓶", 12, 3290),
            ("沐浴露 750ml", "Shower gel 750ml", "瓶", 12, 3590),
            ("牙膏 120g", "Toothpaste 120g", "支", 48, 1290),
            ("洗衣液 2kg", "Laundry liquid 2kg", "瓶", 6, 4590),
            ("洗手液 500ml", "Hand wash 500ml", "瓶", 12, 1990),
            ("护手霜 50g", "Hand cream 50g", "支", 48, 1590),
            ("纸巾 10包", "Tissues 10 packs", "提", 8, 1690),
            ("洗洁精 1.5kg", "Dish soap 1.5kg", "瓶", 8, 1490),
        ],
    ),
];

const DEALER_WORDS: [&str; 30] = [
    "宏达",
    "恒信",
    "永安",
    "金源",
    "华盛",
    "鑫隆",
    "瑞丰",
    "德顺",
    "兴旺",
    "同福",
    "汇通",
    "众诚",
    "天成",
    "福源",
    "嘉禾",
    "长城",
    "新世纪",
    "万家",
    "百佳",
    "利民",
    "顺发",
    "鼎盛",
    "富康",
    "盛世",
    "佳和",
    "远航",
    "金桥",
    "广进",
    "和美",
    "联华",
];
const DEALER_SUFFIXES: [&str; 5] = [
    "商贸有限公司",
    "贸易有限公司",
    "食品有限公司",
    "商行",
    "批发部",
];

/// Products, tier price lists A/B/C (from 2024-01-01, 5% higher from 2025-07-01) and dealers
/// owned by the reps (per city) and KAMs (per area). Returns how many dealers were created.
async fn demo_dealers_and_catalogue(
    conn: &mut Conn,
    actor: &Actor,
    size: DemoSize,
) -> Result<i64, AppError> {
    use salesos_store::{catalogue, dealers};
    let mut product_ids = Vec::new();
    for (code, zh, en, products) in DEMO_LINES {
        let line = catalogue::insert_line(conn, code, zh, en).await?;
        for (i, (pzh, pen, unit, case_size, base)) in products.iter().enumerate() {
            let fields = catalogue::ProductFields {
                name_zh: (*pzh).to_string(),
                name_en: (*pen).to_string(),
                line_id: line,
                unit: (*unit).to_string(),
                case_size: *case_size,
                tax_rate_bp: 1300,
                status: "active".to_string(),
            };
            let id =
                catalogue::insert_product(conn, &format!("{code}-{:03}", i + 1), &fields).await?;
            product_ids.push((id, *base));
        }
    }
    for (tier, zh, markup) in [
        ("A", "A 级价目表", 100),
        ("B", "B 级价目表", 103),
        ("C", "C 级价目表", 106),
    ] {
        let id = catalogue::insert_price_list(conn, &format!("PL-{tier}"), zh, "tier", Some(tier))
            .await?;
        let mut rows = Vec::new();
        for (product, base) in &product_ids {
            let p1 = base * markup / 100;
            let p2 = p1 * 105 / 100;
            rows.push((
                id,
                *product,
                p1,
                START.to_string(),
                Some("2025-07-01".to_string()),
            ));
            rows.push((id, *product, p2, "2025-07-01".to_string(), None));
        }
        catalogue::insert_prices_unchecked(conn, &rows).await?;
    }

    // owners: reps by city, KAMs by area
    let everyone = people::list_all_unscoped(conn).await?;
    let slt = everyone
        .iter()
        .find(|p| p.role.as_deref() == Some("director"))
        .map(|p| p.id);
    let mut plans: Vec<(String, String, i64, String, i64, String, usize)> = Vec::new();
    let mut cities: Vec<(i64, String, String, String, Vec<i64>)> = Vec::new();
    for p in &everyone {
        let (Some(node), Some(path), Some(name)) =
            (p.node_id, p.node_path.clone(), p.node_name_zh.clone())
        else {
            continue;
        };
        match p.role.as_deref() {
            Some("sales_rep") => {
                let code = org::get_unscoped(conn, node)
                    .await?
                    .map(|n| n.code)
                    .unwrap_or_default();
                match cities.iter_mut().find(|c| c.0 == node) {
                    Some(c) => c.4.push(p.id),
                    None => cities.push((node, path, name, code, vec![p.id])),
                }
            }
            Some("kam") => {
                let code = org::get_unscoped(conn, node)
                    .await?
                    .map(|n| n.code)
                    .unwrap_or_default();
                let count = if size == DemoSize::Tiny { 1 } else { 3 };
                let city = name.trim_end_matches("区域").to_string();
                for k in 0..count {
                    plans.push((
                        format!("D-{}-K{}", code.trim_start_matches("A-"), k + 1),
                        city.clone(),
                        node,
                        path.clone(),
                        p.id,
                        "A".to_string(),
                        // names of key accounts never repeat a city dealer's (see the suffixes)
                        100 + k,
                    ));
                }
            }
            _ => {}
        }
    }
    let per_city = if size == DemoSize::Tiny { 3 } else { 50 };
    for (node, path, name, code, reps) in &cities {
        for k in 0..per_city {
            // A 20%, B 40%, C 40%; the first three of a city are A, B, C
            let tier = ["A", "B", "C", "B", "C"][k % 5];
            plans.push((
                format!("D-{}-{:03}", code.trim_start_matches("C-"), k + 1),
                name.clone(),
                *node,
                path.clone(),
                reps[k % reps.len()],
                tier.to_string(),
                k,
            ));
        }
    }
    plans.sort_by(|a, b| a.0.cmp(&b.0));
    let details: Vec<dealers::DealerDetails> = plans
        .iter()
        .enumerate()
        .map(|(i, (_, city, _, _, _, tier, k))| {
            // (word, suffix) is unique for k < 150 within a city; licence numbers by position
            let word = DEALER_WORDS[k % DEALER_WORDS.len()];
            let suffix = DEALER_SUFFIXES[(k / DEALER_WORDS.len()) % DEALER_SUFFIXES.len()];
            let key = u64::try_from(i).unwrap_or(0);
            dealers::DealerDetails {
                name: format!("{city}{word}{suffix}"),
                tier: tier.clone(),
                licence_no: Some(format!("91{:016}", 1_000_000 + key * 7919)),
                legal_representative: Some(format!(
                    "{}{}",
                    SURNAMES[(k + 3) % SURNAMES.len()],
                    GIVEN[(k * 5 + 1) % GIVEN.len()]
                )),
                address: Some(format!(
                    "{city}市{}路{}号",
                    DEALER_WORDS[(k + 11) % DEALER_WORDS.len()],
                    10 + k
                )),
                city: Some(city.clone()),
                delivery_station: Some(format!("{city}货运站")),
                bank_name: Some(format!("中国工商银行{city}分行")),
                bank_account: Some(format!("6222{:012}", 100_000 + key * 104_729)),
                tax_no: Some(format!("91{:016}", 1_000_000 + key * 7919)),
                phone: Some(format!("0{:02}-{:08}", 10 + k % 80, 60_000_000 + key * 37)),
            }
        })
        .collect();
    let rows: Vec<dealers::NewDealer> = plans
        .iter()
        .zip(&details)
        .enumerate()
        .map(|(i, ((code, _, node, path, owner, tier, _), d))| {
            let status = match i % 40 {
                0 | 1 => "prospect",
                2 => "evaluating",
                3 => "suspended",
                _ => "active",
            };
            let (term, limit) = match tier.as_str() {
                "A" => (60, 50_000_000),
                "B" => (45, 20_000_000),
                _ => (30, 8_000_000),
            };
            dealers::NewDealer {
                code,
                status,
                details: d,
                node_id: *node,
                node_path: path,
                owner_id: *owner,
                slt_owner_id: slt,
                price_list_id: None,
                payment_term_days: term,
                credit_limit_fen: limit,
                since: START,
            }
        })
        .collect();
    dealers::insert_many_unscoped(conn, &rows, START).await?;
    let created = dealers::list_all_unscoped(conn).await?;
    for d in &created {
        record(
            conn,
            actor,
            "demo.create",
            "dealer",
            d.id,
            Some(&d.node_path),
            None,
            snapshot(d),
        )
        .await?;
    }
    Ok(i64::try_from(created.len()).unwrap_or(0))
}
