//! The demo company: deterministic, so every install and every test sees the same data.

use crate::audit::{record, snapshot};
use crate::{password, Actor, App, AppError};
use salesos_domain::org::NodeKind;
use salesos_domain::roles::Role;
use salesos_store::org::{self, NodeRow};
use salesos_store::{people, Conn};
use serde::Serialize;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "salesos-demo";
const START: &str = "2024-01-01";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSize {
    /// Two markets, a handful of people: for tests.
    Tiny,
    /// The eight markets, 30 areas, ~150 field staff.
    Standard,
}

impl DemoSize {
    pub fn parse(text: &str) -> Option<DemoSize> {
        match text {
            "tiny" => Some(DemoSize::Tiny),
            "standard" | "default" => Some(DemoSize::Standard),
            _ => None,
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

/// Creates the demo company if the database has no organisation yet.
pub async fn ensure(app: &App, size: DemoSize) -> Result<DemoSummary, AppError> {
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
    if size == DemoSize::Standard {
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
        if size == DemoSize::Standard {
            b.person(conn, &format!("{login}2"), role, &company, false)
                .await?;
        }
    }
    let markets: Vec<&Market> = match size {
        DemoSize::Tiny => MARKETS
            .iter()
            .filter(|m| m.code == "E" || m.code == "N")
            .collect(),
        DemoSize::Standard => MARKETS.iter().collect(),
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
        if size == DemoSize::Standard {
            b.person(conn, &format!("desk.{mcode}"), Role::OrderDesk, &m, false)
                .await?;
            b.person(conn, &format!("billing.{mcode}"), Role::Billing, &m, false)
                .await?;
        }
        let areas = match size {
            DemoSize::Tiny => &market.areas[..2],
            DemoSize::Standard => market.areas,
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
                DemoSize::Standard => area.cities,
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
    tx.commit().await?;
    Ok(DemoSummary {
        created: true,
        nodes: b.nodes,
        people: b.people,
        logins: b.logins,
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
