// Vault status (path, size, count, key source) and changing the key (core `rekey`).
import { useEffect, useState } from "react";
import type { VaultInfo } from "../bindings";
import { call, commands, messageOf } from "../ipc";

export function Settings({ onClose }: { onClose: () => void }) {
  const [info, setInfo] = useState<VaultInfo | null>(null);
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    call(commands.vaultStatus()).then(setInfo, (e) => setMessage(messageOf(e)));
  }, []);

  async function rekey(newPassphrase: string | null) {
    setBusy(true);
    setMessage(null);
    try {
      setInfo(await call(commands.changeKey(newPassphrase)));
      setPassphrase("");
      setMessage("The vault is now encrypted with the new key; the old one no longer opens it.");
    } catch (e) {
      setMessage(messageOf(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="modal" role="dialog" aria-label="Settings">
      <div className="modal-body">
        <header>
          <h2>Settings</h2>
          <button aria-label="Close settings" onClick={onClose}>
            ✕
          </button>
        </header>
        {info && (
          <dl>
            <dt>Vault</dt>
            <dd>{info.path}</dd>
            <dt>Size</dt>
            <dd>{(info.size_bytes / (1024 * 1024)).toFixed(1)} MiB</dd>
            <dt>Leads</dt>
            <dd data-testid="settings-leads">{info.leads}</dd>
            <dt>Key</dt>
            <dd>{info.key_source === "keychain" ? "a random key in the OS keychain" : "derived from your passphrase"}</dd>
            <dt>SQLCipher</dt>
            <dd>{info.sqlcipher_version}</dd>
          </dl>
        )}
        <h3>Change the key</h3>
        <form onSubmit={(e) => (e.preventDefault(), void rekey(passphrase))}>
          <label>
            New passphrase
            <input type="password" name="rekey-passphrase" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
          </label>
          <button type="submit" disabled={busy || passphrase.length === 0}>
            Use this passphrase
          </button>
        </form>
        <button disabled={busy} onClick={() => void rekey(null)}>
          Use a new random key in the OS keychain
        </button>
        {busy && <p className="muted">Re-encrypting the vault…</p>}
        {message && <p role="status">{message}</p>}
      </div>
    </div>
  );
}
