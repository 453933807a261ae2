//! Meta (Facebook Login, Graph API). A live Meta app refuses plain-HTTP loopback redirects, and
//! its long-lived-token exchange needs the app secret, which a desktop binary cannot keep: so
//! the command line takes a pasted Business Manager system-user token, verified with `GET /me`.

use leadvault_core::connections::Credentials;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::connector::{Account, Spec, at, text};
use crate::http::{Auth, Http};
use crate::{Error, Result};

/// The Graph API version every call uses; Meta retires versions on a schedule.
pub const GRAPH_VERSION: &str = "v26.0";

const NAME: &str = "Meta";

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
        ],
        extra: &[],
        basic_auth: false,
        loopback: false,
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
        4 | 17 | 32 | 613 | 80000..=80014 => {
            Some(Error::RateLimited { provider: NAME, retry_after_secs: 300 })
        }
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
