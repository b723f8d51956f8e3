//! A small SQL builder that numbers placeholders `$1, $2…` (understood by both SQLite and
//! PostgreSQL) and applies scopes in one place.

use salesos_domain::org::OrgPath;
use salesos_domain::scope::Scope;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::Any;

#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    Text(String),
    NullInt,
    NullText,
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::NullInt, Value::Int)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::NullText, Value::Text)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Value::NullText, |s| Value::Text(s.to_string()))
    }
}

#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    args: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Appends `AND <path within>` for a materialised-path column: a byte range, so an index on
    /// the column serves it (`/1/4/` ≤ path < `/1/40`, `0` being the byte after `/`).
    pub fn path_within(&mut self, column: &str, ancestor: &OrgPath) -> &mut Self {
        let low = ancestor.as_str().to_string();
        let mut high = low.clone();
        high.pop();
        high.push('0');
        self.push(&format!(" AND {column} >= "))
            .bind(low)
            .push(&format!(" AND {column} < "))
            .bind(high)
    }

    /// Appends the scope filter: `path_column` is where the record sits in the tree,
    /// `owner_column` the person who owns it.
    pub fn scope(&mut self, scope: &Scope, path_column: &str, owner_column: &str) -> &mut Self {
        match scope {
            Scope::Subtree { path } => self.path_within(path_column, path),
            Scope::Own { person, .. } => {
                self.push(&format!(" AND {owner_column} = ")).bind(person.0)
            }
            Scope::Nothing => self.push(" AND 1 = 0"),
        }
    }

    /// Appends ` LIMIT … OFFSET …` for one page of a list: 1 to 1000 rows, offset never negative.
    pub fn page(&mut self, limit: i64, offset: i64) -> &mut Self {
        self.push(" LIMIT ")
            .bind(limit.clamp(1, 1000))
            .push(" OFFSET ")
            .bind(offset.max(0))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for arg in &self.args {
            query = match arg {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_str()),
                Value::NullInt => query.bind(None::<i64>),
                Value::NullText => query.bind(None::<String>),
            };
        }
        query
    }

    pub async fn fetch_all(
        &self,
        conn: &mut crate::Conn,
    ) -> Result<Vec<AnyRow>, crate::StoreError> {
        Ok(self.query().fetch_all(conn).await?)
    }

    pub async fn fetch_optional(
        &self,
        conn: &mut crate::Conn,
    ) -> Result<Option<AnyRow>, crate::StoreError> {
        Ok(self.query().fetch_optional(conn).await?)
    }

    /// The first row, if any, read by one of the modules' row readers.
    pub async fn fetch_optional_as<T, E>(
        &self,
        conn: &mut crate::Conn,
        read: impl Fn(&AnyRow) -> Result<T, E>,
    ) -> Result<Option<T>, crate::StoreError>
    where
        crate::StoreError: From<E>,
    {
        Ok(self
            .fetch_optional(conn)
            .await?
            .as_ref()
            .map(read)
            .transpose()?)
    }

    pub async fn fetch_one(&self, conn: &mut crate::Conn) -> Result<AnyRow, crate::StoreError> {
        Ok(self.query().fetch_one(conn).await?)
    }

    pub async fn execute(&self, conn: &mut crate::Conn) -> Result<u64, crate::StoreError> {
        Ok(self.query().execute(conn).await?.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use salesos_domain::{NodeId, PersonId};

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 FROM t WHERE a = ");
        sql.bind(1i64).push(" AND b = ").bind("x");
        assert_eq!(sql.text(), "SELECT 1 FROM t WHERE a = $1 AND b = $2");
    }

    #[test]
    fn scope_filters() {
        let path = OrgPath::root(NodeId(1)).child(NodeId(4));
        let mut sql = Sql::new("WHERE 1 = 1");
        sql.scope(&Scope::Subtree { path: path.clone() }, "p.path", "p.owner");
        assert_eq!(sql.text(), "WHERE 1 = 1 AND p.path >= $1 AND p.path < $2");
        assert!(matches!(&sql.args[1], Value::Text(t) if t == "/1/40"));
        let mut own = Sql::new("WHERE 1 = 1");
        own.scope(
            &Scope::Own {
                person: PersonId(9),
                path,
            },
            "p.path",
            "p.owner",
        );
        assert_eq!(own.text(), "WHERE 1 = 1 AND p.owner = $1");
        let mut none = Sql::new("WHERE 1 = 1");
        none.scope(&Scope::Nothing, "p.path", "p.owner");
        assert_eq!(none.text(), "WHERE 1 = 1 AND 1 = 0");
    }
}
