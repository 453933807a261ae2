//! Meta (Facebook Login, Graph API). A live Meta app refuses plain-HTTP loopback redirects, and
//! its long-lived-token exchange needs the app secret, which a desktop binary cannot keep. So
//! the desktop app shows Meta's login dialog in a window of its own, with Meta's desktop
//! redirect ([`LOGIN_SUCCESS`]) and PKCE, and reads the answer from the address the window is
//! sent to; the token it gets lasts hours, not months. For unattended sync, and on the command
//! line, a pasted Business Manager system-user token (verified with `GET /me`) is the way.

use leadvault_core::connections::Credentials;
use leadvault_core::secrets::Secret;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::connector::{Account, Spec, at, objects, text};
use crate::http::{Auth, Http};
use crate::{Error, Result};

/// The Graph API version every call uses; Meta retires versions on a schedule.
pub const GRAPH_VERSION: &str = "v26.0";

const NAME: &str = "Meta";

/// Meta's redirect for desktop apps that show its login dialog in their own web view.
pub const LOGIN_SUCCESS: &str = "https://www.facebook.com/connect/login_success.html";

pub(crate) fn spec() -> Spec {
    Spec {
        name: NAME,
        authorize: "https://www.facebook.com/v26.0/dialog/oauth",
        token: "https://graph.facebook.com/v26.0/oauth/access_token",
        api: "https://graph.facebook.com",
        scopes: &[
            "leads_retrieval",
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_ads",
            "ads_read",
            // Pausing and enabling campaigns (`leadvault ads`, lead flow rules) writes to them.
            "ads_management",
        ],
        extra: &[],
        basic_auth: false,
        loopback: false,
        embedded_redirect: Some(LOGIN_SUCCESS),
    }
}

/// Graph errors: `{"error":{"code":190,"error_subcode":463,…}}`. Code 190 is a token Meta no
/// longer accepts (expired, revoked, changed password), whatever the HTTP status; 4, 17, 32
/// and 613 are rate limits, and Meta sends no Retry-After.
pub(crate) fn graph_error(_: StatusCode, body: &Value) -> Option<Error> {
    let code = body.pointer("/error/code")?.as_i64()?;
    let sub = body.pointer("/error/error_subcode").and_then(Value::as_i64);
    let reason = match sub {
        Some(s) => format!("code {code}, subcode {s}"),
        None => format!("code {code}"),
    };
    match code {
        190 | 102 => Some(Error::Unauthorized { provider: NAME, reason }),
        // The page's lead-reading budget is per 24 hours: waiting minutes does not help.
        32 => Some(Error::RateLimited { provider: NAME, retry_after_secs: 3600 }),
        4 | 17 | 613 | 80000..=80014 => Some(Error::RateLimited { provider: NAME, retry_after_secs: 300 }),
        200 | 10 => Some(Error::Rejected { provider: NAME, reason: format!("missing permission, {reason}") }),
        _ => None,
    }
}

pub(crate) async fn verify(http: &Http, api: &Url, credentials: &Credentials) -> Result<Account> {
    let url = at(api, &format!("/{GRAPH_VERSION}/me?fields=id,name"));
    let me = http.json(NAME, Method::GET, url, Auth::Bearer(&credentials.access_token), graph_error).await?;
    let id = text(me.get("id"))
        .ok_or_else(|| Error::Unavailable { provider: NAME, reason: "its answer to /me had no id".into() })?;
    let name = text(me.get("name")).unwrap_or_else(|| format!("Meta user {id}"));
    Ok(Account { id, name })
}

/// `DELETE /me/permissions` takes back every permission the user gave the app.
pub(crate) async fn revoke(http: &Http, api: &Url, credentials: &Credentials) -> Result<bool> {
    let url = at(api, &format!("/{GRAPH_VERSION}/me/permissions"));
    let answer =
        http.json(NAME, Method::DELETE, url, Auth::Bearer(&credentials.access_token), graph_error).await?;
    Ok(answer.get("success").and_then(Value::as_bool).unwrap_or(false))
}

// ---- Lead Ads: what a sync reads ------------------------------------------------------------

/// A Facebook page the token's user manages, with the page's own token (a page token reads
/// that page's lead forms and leads).
#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub token: Secret,
}

/// A lead form of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub id: String,
    pub name: String,
    /// ACTIVE, ARCHIVED, …
    pub status: String,
}

/// One page of a form's leads, as Graph nodes, and the cursor to the next page if any.
#[derive(Debug, Clone)]
pub struct LeadPage {
    pub leads: Vec<serde_json::Map<String, Value>>,
    pub after: Option<String>,
    /// The highest of Meta's usage figures (app calls, the page's lead-reading budget), 0–100.
    pub usage_percent: u32,
}

/// Every field of a lead the inbox keeps.
pub const LEAD_FIELDS: &str = "id,created_time,field_data,ad_id,ad_name,adset_id,adset_name,campaign_id,\
     campaign_name,form_id,platform,is_organic";

/// `GET /me/accounts`: the pages, with their tokens, following `paging.next`.
pub async fn pages(http: &Http, api: &Url, token: &Secret) -> Result<Vec<Page>> {
    let mut url = at(api, &format!("/{GRAPH_VERSION}/me/accounts?fields=id,name,access_token&limit=100"));
    let mut pages = Vec::new();
    loop {
        let body = http.json(NAME, Method::GET, url.clone(), Auth::Bearer(token), graph_error).await?;
        for node in body.get("data").and_then(Value::as_array).into_iter().flatten() {
            let (Some(id), Some(page_token)) = (text(node.get("id")), text(node.get("access_token"))) else {
                continue;
            };
            let name = text(node.get("name")).unwrap_or_else(|| format!("Page {id}"));
            pages.push(Page { id, name, token: Secret::new(page_token) });
        }
        match next_page(api, &body) {
            Some(next) => url = next,
            None => return Ok(pages),
        }
    }
}

/// `GET /{page}/leadgen_forms`: the page's lead forms.
pub async fn forms(http: &Http, api: &Url, page: &Page) -> Result<Vec<Form>> {
    let mut url =
        at(api, &format!("/{GRAPH_VERSION}/{}/leadgen_forms?fields=id,name,status&limit=100", page.id));
    let mut forms = Vec::new();
    loop {
        let body = http.json(NAME, Method::GET, url.clone(), Auth::Bearer(&page.token), graph_error).await?;
        for node in body.get("data").and_then(Value::as_array).into_iter().flatten() {
            let Some(id) = text(node.get("id")) else { continue };
            forms.push(Form {
                name: text(node.get("name")).unwrap_or_else(|| format!("Form {id}")),
                status: text(node.get("status")).unwrap_or_default(),
                id,
            });
        }
        match next_page(api, &body) {
            Some(next) => url = next,
            None => return Ok(forms),
        }
    }
}

/// `GET /{form}/leads`: one page of the form's leads created at or after `since` (unix
/// seconds), newest first, continuing after `after`.
pub async fn leads(
    http: &Http,
    api: &Url,
    page: &Page,
    form: &str,
    since: Option<i64>,
    after: Option<&str>,
    limit: u32,
) -> Result<LeadPage> {
    let mut url = at(api, &format!("/{GRAPH_VERSION}/{form}/leads"));
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("fields", LEAD_FIELDS).append_pair("limit", &limit.to_string());
        if let Some(since) = since {
            let filter = serde_json::json!([{"field": "time_created", "operator": "GREATER_THAN_OR_EQUAL", "value": since}]);
            query.append_pair("filtering", &filter.to_string());
        }
        if let Some(after) = after {
            query.append_pair("after", after);
        }
    }
    let (mut body, headers) =
        http.json_with_headers(NAME, Method::GET, url, Auth::Bearer(&page.token), graph_error).await?;
    let leads = match body.get_mut("data").map(Value::take) {
        Some(Value::Array(nodes)) => objects(nodes),
        _ => return Err(Error::Unavailable { provider: NAME, reason: "its lead page had no data".into() }),
    };
    let after = body
        .get("paging")
        .filter(|p| p.get("next").is_some())
        .and_then(|p| text(p.pointer("/cursors/after")));
    Ok(LeadPage { leads, after, usage_percent: usage_percent(&headers) })
}

/// The next page's address from `paging.next`, kept on the configured host.
fn next_page(api: &Url, body: &Value) -> Option<Url> {
    let next = Url::parse(body.pointer("/paging/next")?.as_str()?).ok()?;
    let mut url = at(api, next.path());
    url.set_query(next.query());
    Some(url)
}

/// Meta sends no Retry-After: its usage headers say how close the app (`X-App-Usage`:
/// call_count, total_time, total_cputime) and the page (`X-Business-Use-Case-Usage`) are to
/// their limits, in percent. The highest figure.
pub fn usage_percent(headers: &reqwest::header::HeaderMap) -> u32 {
    let mut highest = 0u32;
    let mut take = |v: &Value| {
        for key in ["call_count", "total_time", "total_cputime"] {
            if let Some(n) = v.get(key).and_then(Value::as_u64) {
                highest = highest.max(n.min(100) as u32);
            }
        }
    };
    let parse =
        |name: &str| -> Option<Value> { serde_json::from_str(headers.get(name)?.to_str().ok()?).ok() };
    if let Some(app) = parse("x-app-usage") {
        take(&app);
    }
    if let Some(Value::Object(pages)) = parse("x-business-use-case-usage") {
        for entries in pages.values() {
            for entry in entries.as_array().into_iter().flatten() {
                take(entry);
            }
        }
    }
    highest
}
