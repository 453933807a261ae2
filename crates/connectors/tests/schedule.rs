//! The scheduler over a real vault and the fakes on loopback: each connection synced on its
//! interval, new leads sent on to the CRM in the same round, "only when asked" honoured,
//! "Sync now", and a provider that is away for a while: the syncs wait and resume, nothing
//! lost, nothing doubled.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use leadvault_connectors::schedule::{Event, ScheduleOptions, Scheduler};
use leadvault_connectors::sync::SyncOptions;
use leadvault_connectors::{Error, manage};
use leadvault_core::connections::{ConnectionStatus, Provider};
use leadvault_core::secrets::{OsKeychain, Secret};
use leadvault_core::{LeadFilter, Unlock, Vault, VaultOptions};
use leadvault_fakes::{Fake, Fault, Options};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

async fn vault(dir: &Path) -> Vault {
    Vault::create(VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new())), Unlock::Keychain)
        .await
        .unwrap()
}

async fn connect(vault: &Vault, fake: &Fake, provider: Provider) -> String {
    manage::connect_token(vault, provider, Secret::new(fake.issue_token()), Some(&fake.base_url()), None)
        .await
        .unwrap()
        .id
}

fn options(source_every: Duration, crm_every: Duration) -> ScheduleOptions {
    ScheduleOptions {
        sync: SyncOptions {
            page_size: 100,
            attempts: 2,
            backoff: Duration::from_millis(5),
            ..SyncOptions::default()
        },
        source_every,
        crm_every,
        retry_after: Duration::from_millis(20),
    }
}

fn start(vault: &Vault, options: ScheduleOptions) -> (Scheduler, UnboundedReceiver<Event>) {
    let (tx, rx) = unbounded_channel();
    let scheduler = Scheduler::start(vault.clone(), options, move |e| {
        let _ = tx.send(e);
    });
    (scheduler, rx)
}

/// The next event `pick` accepts (others are dropped), within a minute.
async fn next<T>(events: &mut UnboundedReceiver<Event>, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    let wait = async {
        loop {
            let event = events.recv().await.expect("the scheduler is running");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait).await.expect("the event came")
}

/// The next finished sync of `id`: (new leads, pushed leads).
async fn finished(events: &mut UnboundedReceiver<Event>, id: &str) -> (u64, u64) {
    next(events, |e| match e {
        Event::Finished { connection, summary } if connection.id == id => Some((summary.new, summary.pushed)),
        Event::Failed { connection, error, .. } if connection.id == id => panic!("{error}"),
        _ => None,
    })
    .await
}

async fn count(vault: &Vault) -> i64 {
    vault.leads().count(&LeadFilter::default()).await.unwrap()
}

#[tokio::test]
async fn each_connection_syncs_on_its_interval_and_new_leads_go_on_to_the_crm() {
    let meta = Fake::start_with(leadvault_fakes::Provider::Meta, Options { leads: 30, ..Options::default() })
        .await
        .unwrap();
    let hubspot = Fake::start(leadvault_fakes::Provider::Hubspot).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let meta_id = connect(&vault, &meta, Provider::Meta).await;
    let crm_id = connect(&vault, &hubspot, Provider::Hubspot).await;

    // The CRM's own interval is an hour: it is sent leads because the source brought some.
    let (scheduler, mut events) =
        start(&vault, options(Duration::from_millis(300), Duration::from_secs(3600)));
    assert_eq!(finished(&mut events, &meta_id).await.0, 30, "never synced: synced at once");
    let pushed_first = finished(&mut events, &crm_id).await.1;
    meta.add_leads(4);
    assert_eq!(finished(&mut events, &meta_id).await.0, 4, "synced again on its interval");
    let pushed_next = finished(&mut events, &crm_id).await.1;
    // HubSpot merges leads sharing an email into one contact.
    assert!(
        pushed_first + pushed_next <= 34 && pushed_first + pushed_next >= 30,
        "{pushed_first} {pushed_next}"
    );
    assert_eq!(count(&vault).await, 34);

    // Only when asked: new leads wait for "Sync now".
    vault.connections().set_sync_every(&meta_id, Some(0)).await.unwrap();
    scheduler.wake();
    // A sync that started before the change ends first.
    tokio::time::sleep(Duration::from_millis(600)).await;
    while events.try_recv().is_ok() {}
    meta.add_leads(3);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while let Ok(event) = events.try_recv() {
        if let Event::Finished { connection, summary } = event {
            assert!(connection.id != meta_id || summary.new == 0, "a manual connection synced by itself");
        }
    }
    assert_eq!(count(&vault).await, 34);
    scheduler.sync_now(&meta_id);
    assert_eq!(finished(&mut events, &meta_id).await.0, 3);
    assert_eq!(count(&vault).await, 37);
    scheduler.stop().await;
    vault.close().await;
}

#[tokio::test]
async fn a_provider_away_for_a_while_is_waited_for_and_the_sync_resumes_with_nothing_lost_or_doubled() {
    let meta =
        Fake::start_with(leadvault_fakes::Provider::Meta, Options { leads: 500, ..Options::default() })
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let id = connect(&vault, &meta, Provider::Meta).await;
    // Down for the next 9 requests of any kind: each sync gives up after 2 attempts.
    meta.inject("/v26.0/**", Fault::Status(503), 9);

    let (scheduler, mut events) =
        start(&vault, options(Duration::from_secs(3600), Duration::from_secs(3600)));
    let mut waits = Vec::new();
    let new = next(&mut events, |e| match e {
        Event::Failed { connection, retry_in, .. } if connection.id == id => {
            assert_eq!(connection.status, ConnectionStatus::Error);
            waits.push(retry_in.expect("tried again by itself"));
            None
        }
        Event::Finished { connection, summary } if connection.id == id => Some(summary.new),
        _ => None,
    })
    .await;
    assert!(waits.len() >= 2, "it failed while the provider was away: {waits:?}");
    assert!(waits.windows(2).all(|w| w[1] >= w[0]), "each wait at least as long as the last: {waits:?}");
    assert_eq!(new, 500);
    assert_eq!(count(&vault).await, 500, "every lead once");
    assert_eq!(vault.connections().get(&id).await.unwrap().status, ConnectionStatus::Connected);

    // A token Meta refuses: the connection waits for a new sign-in, never retried by itself.
    meta.expire_access_tokens();
    meta.add_leads(1);
    scheduler.sync_now(&id);
    let retry = next(&mut events, |e| match e {
        Event::Failed { connection, retry_in, error } if connection.id == id => {
            assert_eq!(connection.status, ConnectionStatus::NeedsSignIn, "{error}");
            Some(retry_in)
        }
        Event::Finished { .. } => panic!("the refused token synced"),
        _ => None,
    })
    .await;
    assert_eq!(retry, None);
    scheduler.stop().await;
    vault.close().await;
}

#[tokio::test]
async fn a_second_sync_of_a_connection_is_refused_while_one_runs() {
    let meta = Fake::start_with(leadvault_fakes::Provider::Meta, Options { leads: 10, ..Options::default() })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let id = connect(&vault, &meta, Provider::Meta).await;
    meta.inject("/v26.0/*/leads", Fault::Slow(Duration::from_millis(800)), 1);
    let sync = |v: Vault, id: String| async move {
        leadvault_connectors::sync::sync_connection(&v, &id, &SyncOptions::default(), &|_| {}).await
    };
    let first = tokio::spawn(sync(vault.clone(), id.clone()));
    // The first one is under way once it asked for leads.
    while meta.calls("/v26.0/*/leads") == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let err = sync(vault.clone(), id.clone()).await.unwrap_err();
    assert!(matches!(&err, Error::Busy(m) if m.contains("already syncing")), "{err:?}");
    assert_eq!(first.await.unwrap().unwrap().new, 10);
    vault.close().await;
}
