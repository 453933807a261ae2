//! Signing in, verifying, refreshing and revoking against the local fakes, over real loopback
//! HTTP: the fakes speak each provider's wire format, so these are tests of the real client.

use std::time::Duration;

use leadvault_connectors::manage;
use leadvault_connectors::oauth::SignIn;
use leadvault_connectors::{Connector, Error, Provider};
use leadvault_core::connections::{AuthKind, Credentials};
use leadvault_core::secrets::Secret;
use leadvault_fakes::{CLIENT_ID, Consent, Fake, Fault};
use tokio_util::sync::CancellationToken;

/// The providers a person signs in to through the system browser.
const LOOPBACK: [(Provider, leadvault_fakes::Provider); 4] = [
    (Provider::GoogleAds, leadvault_fakes::Provider::GoogleAds),
    (Provider::Hubspot, leadvault_fakes::Provider::Hubspot),
    (Provider::Pipedrive, leadvault_fakes::Provider::Pipedrive),
    (Provider::Salesforce, leadvault_fakes::Provider::Salesforce),
];

/// A browser: follows the consent page's redirects to the loopback listener.
fn browse(url: String) -> tokio::task::JoinHandle<Option<u16>> {
    tokio::spawn(async move { reqwest::get(url).await.ok().map(|r| r.status().as_u16()) })
}

async fn start(provider: Provider, fake: &Fake) -> (Connector, SignIn) {
    let connector = Connector::new(provider, Some(&fake.base_url())).unwrap();
    let app = connector.oauth_app(CLIENT_ID.to_string(), Some(Secret::new("fake-client-secret")));
    let sign_in = SignIn::start(app).await.unwrap();
    (connector, sign_in)
}

async fn signed_in(provider: Provider, fake: &Fake) -> (Connector, Credentials) {
    let (connector, sign_in) = start(provider, fake).await;
    let browser = browse(sign_in.authorize_url().to_string());
    let tokens =
        sign_in.finish(connector.http(), Duration::from_secs(20), &CancellationToken::new()).await.unwrap();
    assert_eq!(browser.await.unwrap(), Some(200), "the browser lands on the listener's page");
    (connector, tokens.credentials)
}

#[tokio::test]
async fn each_provider_signs_in_with_pkce_and_the_tokens_open_the_account() {
    for (provider, kind) in LOOPBACK {
        let fake = Fake::start(kind).await.unwrap();
        let (connector, credentials) = signed_in(provider, &fake).await;
        assert!(credentials.refresh_token.is_some(), "{provider}: a refresh token");
        assert_eq!(credentials.client_id.as_deref(), Some(CLIENT_ID));
        let account = connector.verify(AuthKind::Oauth, &credentials).await.unwrap();
        assert!(!account.id.is_empty() && !account.name.is_empty(), "{provider}: {account:?}");
        if provider == Provider::GoogleAds {
            // Older setups still send a developer token; Google now ignores it.
            let mut with_dev = credentials.clone();
            with_dev.developer_token = Some(Secret::new("dev-token"));
            assert_eq!(connector.verify(AuthKind::Oauth, &with_dev).await.unwrap(), account);
        }
        // The sign-in address carries a PKCE challenge and a state, and points at the listener.
        let (_, sign_in) = start(provider, &fake).await;
        let url = sign_in.authorize_url().to_string();
        assert!(url.contains("code_challenge_method=S256") && url.contains("state="), "{url}");
        assert!(sign_in.redirect_url().as_str().starts_with("http://127.0.0.1:"));
    }
}

#[tokio::test]
async fn declining_consent_says_so_and_what_to_do() {
    let fake = Fake::start(leadvault_fakes::Provider::Hubspot).await.unwrap();
    fake.set_consent(Consent::Deny);
    let (connector, sign_in) = start(Provider::Hubspot, &fake).await;
    let browser = browse(sign_in.authorize_url().to_string());
    let err = sign_in
        .finish(connector.http(), Duration::from_secs(20), &CancellationToken::new())
        .await
        .unwrap_err();
    browser.await.unwrap();
    assert!(matches!(err, Error::Denied { .. }), "{err:?}");
    assert!(err.to_string().contains("leadvault connect hubspot"), "{err}");
}

#[tokio::test]
async fn an_answer_with_another_state_is_refused() {
    let fake = Fake::start(leadvault_fakes::Provider::GoogleAds).await.unwrap();
    let (connector, sign_in) = start(Provider::GoogleAds, &fake).await;
    // A page elsewhere tries to finish this sign-in with its own code.
    let forged = format!("{}?code=stolen&state=not-ours", sign_in.redirect_url());
    let browser = tokio::spawn(async move {
        // A stray request first: the listener answers 404 and keeps waiting.
        let favicon = sign_in_base(&forged).join("/favicon.ico").unwrap();
        let first = reqwest::get(favicon).await.unwrap().status().as_u16();
        let second = reqwest::get(forged).await.unwrap().status().as_u16();
        (first, second)
    });
    let err = sign_in
        .finish(connector.http(), Duration::from_secs(20), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(browser.await.unwrap(), (404, 400));
    assert!(matches!(err, Error::BadCallback(_)), "{err:?}");
}

fn sign_in_base(url: &str) -> url::Url {
    url::Url::parse(url).unwrap()
}

#[tokio::test]
async fn a_sign_in_times_out_or_is_cancelled() {
    let fake = Fake::start(leadvault_fakes::Provider::Salesforce).await.unwrap();
    let (connector, sign_in) = start(Provider::Salesforce, &fake).await;
    let err = sign_in
        .finish(connector.http(), Duration::from_millis(200), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains("leadvault connect salesforce"), "{err}");

    let (connector, sign_in) = start(Provider::Salesforce, &fake).await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = sign_in.finish(connector.http(), Duration::from_secs(20), &cancel).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_a_refused_refresh_needs_a_new_sign_in() {
    for (provider, kind) in LOOPBACK {
        let fake = Fake::start(kind).await.unwrap();
        let (connector, credentials) = signed_in(provider, &fake).await;
        fake.expire_access_tokens();
        let err = connector.verify(AuthKind::Oauth, &credentials).await.unwrap_err();
        assert!(err.needs_sign_in(), "{provider}: an expired token is refused: {err:?}");
        let fresh = connector.refresh(CLIENT_ID.into(), &credentials).await.unwrap().credentials;
        assert_ne!(fresh.access_token, credentials.access_token, "{provider}: a new access token");
        assert!(fresh.refresh_token.is_some(), "{provider}: the refresh token is kept");
        connector.verify(AuthKind::Oauth, &fresh).await.unwrap();

        fake.refuse_refresh();
        let err = connector.refresh(CLIENT_ID.into(), &fresh).await.unwrap_err();
        assert!(err.needs_sign_in(), "{provider}: invalid_grant means sign in again: {err:?}");
        assert!(!err.to_string().contains(fresh.refresh_token.as_ref().unwrap().expose()));
    }
}

#[tokio::test]
async fn disconnecting_revokes_the_grant_where_the_provider_can() {
    for (provider, kind) in LOOPBACK {
        let fake = Fake::start(kind).await.unwrap();
        let (connector, credentials) = signed_in(provider, &fake).await;
        let revoked = connector.revoke(AuthKind::Oauth, Some(CLIENT_ID), &credentials).await.unwrap();
        assert!(revoked, "{provider}");
        let refresh = credentials.refresh_token.as_ref().unwrap().expose().to_string();
        let access = credentials.access_token.expose().to_string();
        let seen = fake.revoked();
        assert!(seen.contains(&refresh) || seen.contains(&access), "{provider}: the fake saw the revoke");
    }
}

#[tokio::test]
async fn pasted_tokens_are_verified_with_one_cheap_call() {
    for kind in [
        leadvault_fakes::Provider::Meta,
        leadvault_fakes::Provider::Hubspot,
        leadvault_fakes::Provider::Pipedrive,
    ] {
        let fake = Fake::start(kind).await.unwrap();
        let provider = match kind {
            leadvault_fakes::Provider::Meta => Provider::Meta,
            leadvault_fakes::Provider::Hubspot => Provider::Hubspot,
            _ => Provider::Pipedrive,
        };
        let connector = Connector::new(provider, Some(&fake.base_url())).unwrap();
        let good = Credentials::token(Secret::new(fake.issue_token()));
        connector.verify(AuthKind::Token, &good).await.unwrap();
        let bad = Credentials::token(Secret::new("not-a-token-PLANTED"));
        let err = connector.verify(AuthKind::Token, &bad).await.unwrap_err();
        assert!(err.needs_sign_in(), "{provider}: {err:?}");
        assert!(!err.to_string().contains("PLANTED"), "errors never echo a token: {err}");
    }
}

#[tokio::test]
async fn provider_faults_become_errors_that_say_what_to_do() {
    let fake = Fake::start(leadvault_fakes::Provider::Hubspot).await.unwrap();
    let connector = Connector::new(Provider::Hubspot, Some(&fake.base_url())).unwrap();
    let token = Credentials::token(Secret::new(fake.issue_token()));
    let path = "/account-info/v3/details";

    fake.inject(path, Fault::Status(503), 1);
    let err = connector.verify(AuthKind::Token, &token).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");

    fake.inject(path, Fault::RateLimited { retry_after_secs: 7 }, 1);
    let err = connector.verify(AuthKind::Token, &token).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { retry_after_secs: 7, .. }), "{err:?}");

    fake.inject(path, Fault::CutOff, 1);
    let err = connector.verify(AuthKind::Token, &token).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");

    // The faults are used up: the next call works.
    connector.verify(AuthKind::Token, &token).await.unwrap();
    assert_eq!(fake.calls(path), 4);
}

/// The app's own window for Meta: it follows the login dialog's redirects and stops at the
/// first address the sign-in calls its answer, without loading it (the address is facebook.com).
async fn meta_window(sign_in: &SignIn) -> url::Url {
    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut at = sign_in.authorize_url().clone();
    for _ in 0..5 {
        if sign_in.is_answer(&at) {
            return at;
        }
        let response = no_follow.get(at.clone()).send().await.unwrap();
        let location = response.headers()["location"].to_str().unwrap().to_string();
        at = at.join(&location).unwrap();
    }
    panic!("the login dialog never sent the window to the redirect address");
}

#[tokio::test]
async fn meta_signs_in_inside_the_app_window_with_its_desktop_redirect_and_pkce() {
    let fake = Fake::start(leadvault_fakes::Provider::Meta).await.unwrap();
    let base = fake.base_url();
    // The command line cannot show the dialog, and live Meta refuses a loopback redirect: it
    // says where to go instead. (A local server on a base URL takes a loopback sign-in.)
    let err = manage::begin_sign_in(Provider::Meta, None, Some(CLIENT_ID.into()), false)
        .await
        .err()
        .expect("no loopback sign-in for live Meta");
    assert!(err.to_string().contains("--token-stdin") && err.to_string().contains("desktop"), "{err}");

    let (connector, sign_in) =
        manage::begin_sign_in(Provider::Meta, Some(&base), Some(CLIENT_ID.into()), true).await.unwrap();
    assert!(sign_in.is_embedded());
    assert_eq!(sign_in.redirect_url().as_str(), leadvault_connectors::meta::LOGIN_SUCCESS);
    let dialog = sign_in.authorize_url().to_string();
    assert!(dialog.starts_with(&format!("{base}/v26.0/dialog/oauth?")), "{dialog}");
    assert!(dialog.contains("code_challenge_method=S256") && dialog.contains("state="), "{dialog}");
    let answer = meta_window(&sign_in).await;
    let tokens = sign_in.finish_at(connector.http(), &answer).await.unwrap();
    assert!(tokens.credentials.refresh_token.is_none(), "Meta gives no refresh token");
    assert!(tokens.credentials.expires_at.is_some(), "the token's lifetime is kept");
    let account = connector.verify(AuthKind::Oauth, &tokens.credentials).await.unwrap();
    assert!(!account.id.is_empty());

    // An answer for another sign-in (its state), or an address that is not the redirect, is
    // refused and nothing is exchanged.
    let (connector, sign_in) =
        manage::begin_sign_in(Provider::Meta, Some(&base), Some(CLIENT_ID.into()), true).await.unwrap();
    let mut forged = meta_window(&sign_in).await;
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" { "theirs".into() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let err = sign_in.finish_at(connector.http(), &forged).await.unwrap_err();
    assert!(matches!(err, Error::BadCallback(_)), "{err:?}");
    let (connector, sign_in) =
        manage::begin_sign_in(Provider::Meta, Some(&base), Some(CLIENT_ID.into()), true).await.unwrap();
    let elsewhere = url::Url::parse("https://www.facebook.com/somewhere-else?code=x").unwrap();
    assert!(!sign_in.is_answer(&elsewhere));
    let err = sign_in.finish_at(connector.http(), &elsewhere).await.unwrap_err();
    assert!(matches!(err, Error::BadCallback(_)), "{err:?}");

    // Declining in the dialog.
    fake.set_consent(Consent::Deny);
    let (connector, sign_in) =
        manage::begin_sign_in(Provider::Meta, Some(&base), Some(CLIENT_ID.into()), true).await.unwrap();
    let answer = meta_window(&sign_in).await;
    let err = sign_in.finish_at(connector.http(), &answer).await.unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err:?}");
}

/// The redirect's `error` and `error_description` are the provider's, but a page can echo what
/// it was given there (a login's email, a phone): only an `error` shaped like a code
/// (`invalid_scope`) is quoted; anything else, and the free-text description always, stays out
/// of the error a person or a log sees.
#[tokio::test]
async fn a_sign_in_answers_error_text_quotes_only_codes() {
    const EMAIL: &str = "maria.lopez@example.com";
    const PHONE: &str = "555-010-9191";
    let fake = Fake::start(leadvault_fakes::Provider::Hubspot).await.unwrap();
    for (error, shown) in [
        (EMAIL.to_string(), None),
        (PHONE.to_string(), None),
        (format!("unknown user {EMAIL}"), None),
        ("Maria".to_string(), None),
        ("invalid_scope".to_string(), Some("invalid_scope")),
    ] {
        let (connector, sign_in) = start(Provider::Hubspot, &fake).await;
        let state = sign_in.authorize_url().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let mut answer = sign_in.redirect_url().clone();
        answer
            .query_pairs_mut()
            .append_pair("state", &state)
            .append_pair("error", &error)
            .append_pair("error_description", &format!("{EMAIL} may not sign in; call {PHONE}"));
        let browser =
            tokio::spawn(async move { reqwest::get(answer).await.ok().map(|r| r.status().as_u16()) });
        let err = sign_in
            .finish(connector.http(), Duration::from_secs(20), &CancellationToken::new())
            .await
            .unwrap_err();
        browser.await.unwrap();
        let line = err.to_string();
        for planted in ["maria", "example.com", "555", "0109191"] {
            assert!(!line.to_lowercase().contains(planted), "{error:?} reached the error: {line}");
        }
        assert!(line.starts_with("HubSpot rejected the request ("), "{line}");
        if let Some(code) = shown {
            assert!(line.contains(code), "{line}");
        }
    }
}

/// A loopback sign-in through `manage`, saved to `vault`.
async fn sign_in_saved(vault: &leadvault_core::Vault, provider: Provider, fake: &Fake) -> manage::Saved {
    let (connector, sign_in) = start(provider, fake).await;
    let browser = browse(sign_in.authorize_url().to_string());
    let cancel = CancellationToken::new();
    let saved =
        manage::finish_sign_in_saved(vault, connector, sign_in, Duration::from_secs(20), &cancel, None)
            .await
            .unwrap();
    assert_eq!(browser.await.unwrap(), Some(200));
    saved
}

/// Each provider: a grant revoked (the refresh refused) leaves the connection needing a
/// sign-in; signing in again to the same account brings that connection back in place, with the
/// new tokens in its keychain entry and its API address (a Salesforce instance, a Pipedrive
/// company domain) as the sign-in said, and no second connection.
#[tokio::test]
async fn signing_in_again_to_the_same_account_brings_its_connection_back_in_place() {
    use leadvault_core::connections::ConnectionStatus;
    use leadvault_core::secrets::OsKeychain;
    let dir = tempfile::tempdir().unwrap();
    let options =
        leadvault_core::VaultOptions::new(dir.path().join("data"), std::sync::Arc::new(OsKeychain::new()));
    let vault = leadvault_core::Vault::create(options, leadvault_core::Unlock::Keychain).await.unwrap();
    for (n, (provider, kind)) in LOOPBACK.into_iter().enumerate() {
        let fake = Fake::start(kind).await.unwrap();
        let first = sign_in_saved(&vault, provider, &fake).await;
        assert!(!first.signed_in_again, "{provider}: a new connection");
        let id = first.connection.id.clone();
        vault.connections().set_sync_every(&id, Some(7200)).await.unwrap();
        let old = vault.connections().credentials(&id).await.unwrap().unwrap();

        fake.expire_access_tokens();
        fake.refuse_refresh();
        let err = manage::test(&vault, &id).await.unwrap_err();
        assert!(err.needs_sign_in(), "{provider}: {err}");
        assert_eq!(vault.connections().get(&id).await.unwrap().status, ConnectionStatus::NeedsSignIn);

        let again = sign_in_saved(&vault, provider, &fake).await;
        assert!(again.signed_in_again, "{provider}: the same connection");
        let c = &again.connection;
        assert_eq!(
            (c.id.as_str(), c.status, c.last_error.as_deref()),
            (id.as_str(), ConnectionStatus::Connected, None)
        );
        assert_eq!(
            (&c.label, c.sync_every_secs, &c.api_base),
            (&first.connection.label, Some(7200), &first.connection.api_base)
        );
        let new = vault.connections().credentials(&id).await.unwrap().unwrap();
        assert_ne!(new.access_token, old.access_token, "{provider}: the new tokens are kept");
        manage::test(&vault, &id).await.unwrap_or_else(|e| panic!("{provider}: {e}"));
        assert_eq!(
            vault.connections().list().await.unwrap().len(),
            n + 1,
            "{provider}: no second connection"
        );
    }
}

/// An OAuth app the provider refuses at the code exchange (here Pipedrive's, its client secret
/// not set) says which settings to check, where it said to sign in again, which meets the same
/// refusal.
#[tokio::test]
async fn an_oauth_app_the_provider_refuses_says_to_check_its_client_id_and_secret() {
    let fake = Fake::start(leadvault_fakes::Provider::Pipedrive).await.unwrap();
    let connector = Connector::new(Provider::Pipedrive, Some(&fake.base_url())).unwrap();
    let sign_in = SignIn::start(connector.oauth_app(CLIENT_ID.to_string(), None)).await.unwrap();
    let browser = browse(sign_in.authorize_url().to_string());
    let err = sign_in
        .finish(connector.http(), Duration::from_secs(20), &CancellationToken::new())
        .await
        .unwrap_err();
    browser.await.unwrap();
    assert!(matches!(err, Error::Config(_)) && !err.needs_sign_in(), "{err:?}");
    let line = err.to_string();
    assert!(line.starts_with("Pipedrive refused Leadvault's OAuth app (invalid_client)"), "{line}");
    assert!(line.contains("LEADVAULT_PIPEDRIVE_CLIENT_ID and LEADVAULT_PIPEDRIVE_CLIENT_SECRET"), "{line}");
}

/// A connection whose secrets the OS keychain lost says so and needs a sign-in, where its
/// error said the provider had refused the credentials (nothing was sent to it); disconnecting
/// it says the access could not be revoked.
#[tokio::test]
async fn a_connection_whose_keychain_entry_is_gone_says_the_keychain_lost_it() {
    use leadvault_core::connections::ConnectionStatus;
    use leadvault_core::secrets::{KeyStore, OsKeychain};
    let dir = tempfile::tempdir().unwrap();
    let options =
        leadvault_core::VaultOptions::new(dir.path().join("data"), std::sync::Arc::new(OsKeychain::new()));
    let vault = leadvault_core::Vault::create(options, leadvault_core::Unlock::Keychain).await.unwrap();
    let fake = Fake::start(leadvault_fakes::Provider::Hubspot).await.unwrap();
    let token = Secret::new(fake.issue_token());
    let c =
        manage::connect_token(&vault, Provider::Hubspot, token, Some(&fake.base_url()), None).await.unwrap();
    let account = format!("connection:{}", c.id);
    tokio::task::spawn_blocking(move || OsKeychain::new().delete(&account)).await.unwrap().unwrap();

    let calls = fake.calls("/**");
    for err in [
        manage::test(&vault, &c.id).await.unwrap_err(),
        leadvault_connectors::sync::sync_connection(&vault, &c.id, &Default::default(), &|_| {})
            .await
            .unwrap_err(),
    ] {
        assert!(err.needs_sign_in(), "{err:?}");
        let line = err.to_string();
        assert_eq!(
            line,
            "the OS keychain no longer holds this HubSpot connection's secrets; sign in again or paste a new token"
        );
        let after = vault.connections().get(&c.id).await.unwrap();
        assert_eq!(
            (after.status, after.last_error.as_deref()),
            (ConnectionStatus::NeedsSignIn, Some(line.as_str()))
        );
    }
    assert_eq!(fake.calls("/**"), calls, "nothing was sent");

    // Disconnecting it cannot revoke anything, and says why (where it said HubSpot has no way
    // to revoke such a token): the user is to remove the app at HubSpot.
    let done = manage::disconnect(&vault, &c.id, false).await.unwrap();
    assert_eq!(done.revoked, manage::Revoked::Failed("its secrets were no longer in the OS keychain".into()));
    assert!(vault.connections().list().await.unwrap().is_empty());
    vault.close().await;
}

/// A revoke the provider could not be reached for says why in a few words, where it carried
/// the whole error and its advice to try again or sign in again (the connection is gone by
/// then: only removing the app at the provider is left to do).
#[tokio::test]
async fn a_revoke_that_could_not_reach_the_provider_says_why_in_a_few_words() {
    use leadvault_core::secrets::OsKeychain;
    let dir = tempfile::tempdir().unwrap();
    let options =
        leadvault_core::VaultOptions::new(dir.path().join("data"), std::sync::Arc::new(OsKeychain::new()));
    let vault = leadvault_core::Vault::create(options, leadvault_core::Unlock::Keychain).await.unwrap();
    let fake = Fake::start(leadvault_fakes::Provider::GoogleAds).await.unwrap();
    let id = sign_in_saved(&vault, Provider::GoogleAds, &fake).await.connection.id;
    drop(fake);
    let done = manage::disconnect(&vault, &id, false).await.unwrap();
    let manage::Revoked::Failed(why) = &done.revoked else { panic!("{:?}", done.revoked) };
    assert!(why.starts_with("it could not be reached or failed: "), "{why}");
    assert!(!why.contains("try again") && !why.contains("sign in again"), "{why}");
    assert!(vault.connections().list().await.unwrap().is_empty(), "disconnected all the same");
    vault.close().await;
}
