//! SQL assembled from trusted parts with every value a parameter, runnable by either driver.

/// SQL text with its `?` parameters, for either driver: sqlx for pages and changes, rusqlite
/// for bulk work.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Arg::Int(v) => v.to_sql(),
            Arg::Text(v) => v.to_sql(),
        }
    }
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), args: Vec::new() }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a `?` and the value it stands for.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Sql {
        self.text.push('?');
        self.args.push(value.into());
        self
    }

    /// The text for sqlx, which wants it marked as built from trusted parts only (values are
    /// always parameters).
    pub(crate) fn text(&self) -> sqlx::AssertSqlSafe<String> {
        sqlx::AssertSqlSafe(self.text.clone())
    }

    /// The text for rusqlite.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn args(&self) -> &[Arg] {
        &self.args
    }
}

/// Binds a [`Sql`]'s parameters to an sqlx query (`query`, `query_as` or `query_scalar`).
macro_rules! bind {
    ($query:expr, $sql:expr) => {{
        let mut query = $query;
        for arg in $sql.args() {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}
