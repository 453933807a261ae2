//! Two programs on one vault (the window, open for hours, and a command): a key change made by
//! one while the other has the vault open. The one still holding the old key writes nothing
//! and says its key may have changed; the vault opens with the new key, holding every lead and
//! every change made before, and none of what the old key's side tried after.

use std::sync::Arc;

use leadvault_core::secrets::{OsKeychain, Passphrase};
use leadvault_core::{Error, LeadFilter, LeadUpdate, Unlock, Vault, VaultOptions};

const FIRST: &str = "the first passphrase";
const SECOND: &str = "the second passphrase";

fn with(dir: &std::path::Path, passphrase: &str) -> VaultOptions {
    let mut options = VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new()));
    options.passphrase = Some(Passphrase::new(passphrase).unwrap());
    options
}

#[tokio::test]
async fn a_key_change_while_another_program_has_the_vault_open_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let window = Vault::create(with(dir.path(), FIRST), Unlock::Passphrase(Passphrase::new(FIRST).unwrap()))
        .await
        .unwrap();
    leadvault_core::samples::load_samples(&window, 20, |_| {}).await.unwrap();
    let id = window.leads().list(&LeadFilter::default(), Default::default(), None, 1).await.unwrap().leads[0]
        .id
        .clone();
    let note = |text: &str| LeadUpdate { note: Some(text.into()), ..Default::default() };
    window.leads().update(&id, &note("before the key change")).await.unwrap();

    // A command opens the same vault and changes its key while the window keeps it open (its
    // connections idle between two clicks).
    let command = Vault::open(with(dir.path(), FIRST)).await.unwrap();
    command.rekey(Unlock::Passphrase(Passphrase::new(SECOND).unwrap())).await.expect("rekeyed").close().await;

    // The window, on its old key, can neither read nor write, and says its key may have changed.
    let read = window.leads().count(&LeadFilter::default()).await.expect_err("no read on the old key");
    let write = window.leads().update(&id, &note("after the key change")).await.expect_err("no write");
    for e in [&read, &write] {
        assert!(
            matches!(e, Error::DamagedOrRekeyed(_) | Error::WrongKey { .. }),
            "the window is told its key may have changed: {e:?}"
        );
    }
    window.close().await;

    let Err(wrong) = Vault::open(with(dir.path(), FIRST)).await else {
        panic!("the old passphrase opens nothing")
    };
    assert!(matches!(wrong, Error::WrongKey { .. }), "{wrong}");
    let vault = Vault::open(with(dir.path(), SECOND)).await.expect("the new passphrase opens it");
    assert!(vault.check().await.unwrap().is_empty(), "integrity check");
    assert_eq!(vault.leads().count(&LeadFilter::default()).await.unwrap(), 20);
    let notes: Vec<String> =
        vault.leads().get(&id).await.unwrap().notes.into_iter().map(|n| n.body).collect();
    assert!(notes.iter().any(|n| n == "before the key change"), "the note made before is kept");
    assert!(!notes.iter().any(|n| n == "after the key change"), "nothing written on the old key");
    vault.close().await;
}
