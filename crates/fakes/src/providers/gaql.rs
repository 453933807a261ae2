//! Just enough of the Google Ads Query Language for the queries Leadvault sends:
//! `SELECT f, … FROM resource [WHERE cond AND …] [ORDER BY f [ASC|DESC], …] [LIMIT n]`, with
//! conditions `=`, `!=`, `>`, `>=`, `<`, `<=`, `IN (…)`, `NOT IN (…)`, `LIKE`,
//! `DURING <range>` and `BETWEEN a AND b`. Errors carry the `QueryError` enum name Google uses.

use chrono::NaiveDate;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Number(f64),
    /// A bare word: an enum constant (`ENABLED`) or a date range name (`LAST_30_DAYS`).
    Word(String),
    List(Vec<Literal>),
}

impl Literal {
    pub fn text(&self) -> String {
        match self {
            Literal::Text(s) | Literal::Word(s) => s.clone(),
            Literal::Number(n) => format_number(*n),
            Literal::List(_) => String::new(),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 { format!("{}", n as i64) } else { n.to_string() }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Like,
    During,
    Between,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    pub field: String,
    pub op: Op,
    pub value: Literal,
    /// BETWEEN's upper bound.
    pub upper: Option<Literal>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    pub select: Vec<String>,
    pub from: String,
    pub conditions: Vec<Condition>,
    pub order: Vec<(String, bool)>,
    pub limit: Option<usize>,
}

/// A query Google would refuse: its `QueryError` name and a message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct QueryError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> QueryError {
    QueryError { code, message: message.into() }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Symbol(&'static str),
}

pub(crate) fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err("STRING_NOT_TERMINATED", "A string is not terminated.")),
                    Some('\\') => {
                        if let Some(n) = chars.get(i + 1) {
                            s.push(*n);
                        }
                        i += 2;
                    }
                    Some(q) if *q == c => {
                        i += 1;
                        break;
                    }
                    Some('\n') => {
                        return Err(err(
                            "PROHIBITED_NEWLINE_IN_STRING",
                            "Newlines are not allowed in strings.",
                        ));
                    }
                    Some(other) => {
                        s.push(*other);
                        i += 1;
                    }
                }
            }
            tokens.push(Token::Text(s));
        } else if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text.parse().map_err(|_| err("BAD_NUMBER", format!("Bad number: {text}")))?;
            tokens.push(Token::Number(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let symbol = match two.as_str() {
                "!=" => Some("!="),
                ">=" => Some(">="),
                "<=" => Some("<="),
                _ => None,
            };
            if let Some(s) = symbol {
                tokens.push(Token::Symbol(s));
                i += 2;
                continue;
            }
            let s = match c {
                ',' => ",",
                '(' => "(",
                ')' => ")",
                '=' => "=",
                '>' => ">",
                '<' => "<",
                _ => return Err(err("BAD_SYMBOL", format!("Unexpected symbol '{c}'."))),
            };
            tokens.push(Token::Symbol(s));
            i += 1;
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let hit = self.keyword(word);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let hit = matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn field(&mut self) -> Result<String, QueryError> {
        match self.tokens.get(self.at).cloned() {
            Some(Token::Word(w)) => {
                self.at += 1;
                Ok(w)
            }
            None => Err(err("UNEXPECTED_END_OF_QUERY", "The query ended unexpectedly.")),
            Some(other) => Err(err("BAD_FIELD_NAME", format!("Expected a field name, found {other:?}."))),
        }
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Text(s)) => Ok(Literal::Text(s)),
            Some(Token::Number(n)) => Ok(Literal::Number(n)),
            Some(Token::Word(w)) => Ok(Literal::Word(w)),
            Some(Token::Symbol("(")) => {
                let mut items = Vec::new();
                if self.eat_symbol(")") {
                    return Err(err("PROHIBITED_EMPTY_LIST_IN_CONDITION", "Empty list in a condition."));
                }
                loop {
                    items.push(self.literal()?);
                    if self.eat_symbol(")") {
                        break;
                    }
                    if !self.eat_symbol(",") {
                        return Err(err("EXPECTED_LIST", "Expected ',' or ')' in a list."));
                    }
                }
                Ok(Literal::List(items))
            }
            None => Err(err("UNEXPECTED_END_OF_QUERY", "The query ended unexpectedly.")),
            Some(other) => Err(err("BAD_VALUE", format!("Unexpected value {other:?}."))),
        }
    }
}

pub(crate) fn parse(query: &str) -> Result<Query, QueryError> {
    let mut p = Parser { tokens: tokenize(query)?, at: 0 };
    if !p.eat_keyword("SELECT") {
        return Err(err("EXPECTED_SELECT", "Expected SELECT."));
    }
    let mut select = vec![p.field()?];
    while p.eat_symbol(",") {
        select.push(p.field()?);
    }
    if !p.eat_keyword("FROM") {
        return Err(err("EXPECTED_FROM", "Expected FROM."));
    }
    let from = p.field()?;
    let mut conditions = Vec::new();
    if p.eat_keyword("WHERE") {
        loop {
            let field = p.field()?;
            let op = if p.eat_symbol("=") {
                Op::Eq
            } else if p.eat_symbol("!=") {
                Op::Ne
            } else if p.eat_symbol(">=") {
                Op::Ge
            } else if p.eat_symbol(">") {
                Op::Gt
            } else if p.eat_symbol("<=") {
                Op::Le
            } else if p.eat_symbol("<") {
                Op::Lt
            } else if p.eat_keyword("IN") {
                Op::In
            } else if p.eat_keyword("NOT") {
                if !p.eat_keyword("IN") {
                    return Err(err("BAD_OPERATOR", "Expected IN after NOT."));
                }
                Op::NotIn
            } else if p.eat_keyword("LIKE") {
                Op::Like
            } else if p.eat_keyword("DURING") {
                Op::During
            } else if p.eat_keyword("BETWEEN") {
                Op::Between
            } else {
                return Err(err("BAD_OPERATOR", format!("Unsupported operator after {field}.")));
            };
            let value = p.literal()?;
            if matches!(op, Op::In | Op::NotIn) && !matches!(value, Literal::List(_)) {
                return Err(err("EXPECTED_LIST", "IN needs a list of values."));
            }
            let upper = if op == Op::Between {
                if !p.eat_keyword("AND") {
                    return Err(err("EXPECTED_VALUE_WITH_BETWEEN_OPERATOR", "BETWEEN needs two values."));
                }
                Some(p.literal()?)
            } else {
                None
            };
            conditions.push(Condition { field, op, value, upper });
            if !p.eat_keyword("AND") {
                break;
            }
        }
    }
    let mut order = Vec::new();
    if p.eat_keyword("ORDER") {
        if !p.eat_keyword("BY") {
            return Err(err("EXPECTED_BY", "Expected BY after ORDER."));
        }
        loop {
            let field = p.field()?;
            let descending = if p.eat_keyword("DESC") {
                true
            } else {
                p.eat_keyword("ASC");
                false
            };
            order.push((field, descending));
            if !p.eat_symbol(",") {
                break;
            }
        }
    }
    let mut limit = None;
    if p.eat_keyword("LIMIT") {
        match p.literal()? {
            Literal::Number(n) if n >= 1.0 && n.fract() == 0.0 => limit = Some(n as usize),
            _ => return Err(err("BAD_LIMIT_VALUE", "LIMIT must be a positive integer.")),
        }
    }
    if p.eat_keyword("PARAMETERS") {
        // include_drafts=…, omit_unselected_resource_names=…: accepted, ignored.
        while p.peek().is_some() {
            p.at += 1;
        }
    }
    if let Some(extra) = p.peek() {
        return Err(err("UNEXPECTED_INPUT", format!("Unexpected input {extra:?}.")));
    }
    Ok(Query { select, from, conditions, order, limit })
}

/// The days a `DURING` range names, relative to `today` (which is excluded from `LAST_n`).
pub(crate) fn during(name: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    use chrono::{Datelike, Days};
    let yesterday = today - Days::new(1);
    let last = |n: u64| Some((today - Days::new(n), yesterday));
    match name {
        "TODAY" => Some((today, today)),
        "YESTERDAY" => Some((yesterday, yesterday)),
        "LAST_7_DAYS" => last(7),
        "LAST_14_DAYS" => last(14),
        "LAST_30_DAYS" => last(30),
        "THIS_MONTH" => Some((today.with_day(1)?, today)),
        "LAST_MONTH" => {
            let first_this = today.with_day(1)?;
            let last_prev = first_this - Days::new(1);
            Some((last_prev.with_day(1)?, last_prev))
        }
        "THIS_WEEK_MON_TODAY" => {
            Some((today - Days::new(today.weekday().num_days_from_monday() as u64), today))
        }
        "LAST_WEEK_MON_SUN" => {
            let monday = today - Days::new(today.weekday().num_days_from_monday() as u64 + 7);
            Some((monday, monday + Days::new(6)))
        }
        _ => None,
    }
}

/// snake_case GAQL name → camelCase JSON name, per dotted part.
pub(crate) fn camel_path(field: &str) -> Vec<String> {
    field
        .split('.')
        .map(|part| {
            let mut out = String::new();
            let mut upper = false;
            for c in part.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.push(c.to_ascii_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_queries_leadvault_sends() {
        let q = parse(
            "SELECT campaign.id, metrics.cost_micros, segments.date FROM campaign \
             WHERE segments.date DURING LAST_30_DAYS AND campaign.status IN ('ENABLED', 'PAUSED') \
             ORDER BY segments.date DESC, campaign.id LIMIT 50",
        )
        .unwrap();
        assert_eq!(q.select, ["campaign.id", "metrics.cost_micros", "segments.date"]);
        assert_eq!(q.from, "campaign");
        assert_eq!(q.conditions.len(), 2);
        assert_eq!(q.conditions[0].op, Op::During);
        assert_eq!(q.order, [("segments.date".to_string(), true), ("campaign.id".to_string(), false)]);
        assert_eq!(q.limit, Some(50));
        let q = parse("select a.b from c where a.d between '2026-01-01' and '2026-01-31'").unwrap();
        assert_eq!(q.conditions[0].upper, Some(Literal::Text("2026-01-31".into())));
        assert_eq!(parse("SELECT a FROM").unwrap_err().code, "UNEXPECTED_END_OF_QUERY");
        assert_eq!(parse("SELECT a WHERE").unwrap_err().code, "EXPECTED_FROM");
        assert_eq!(parse("SELECT a FROM b LIMIT 0").unwrap_err().code, "BAD_LIMIT_VALUE");
        assert_eq!(camel_path("metrics.cost_micros"), ["metrics", "costMicros"]);
    }
}
