// Vault status (path, size, count, key source) and changing the key (core `rekey`).
import { useEffect, useState } from "react";
import { Dialog } from "../Dialog";
import type { VaultInfo } from "../bindings";
import { call, commands, messageOf } from "../ipc";
import { passphraseProblem } from "../vault/Setup";
import { formatCount, sentence } from "../format";

type Props = {
  onClose: () => void;
  /** A key change failed: the vault may have stayed closed. */
  onFailed?: () => void;
};

export function Settings({ onClose, onFailed }: Props) {
  const [info, setInfo] = useState<VaultInfo | null>(null);
  /** A passphrase vault's key changes only for someone who types its passphrase. */
  const [current, setCurrent] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  /** The message says why something failed (shown as an error), not what was done. */
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    call(commands.vaultStatus()).then(setInfo, (e) => {
      setMessage(messageOf(e));
      setFailed(true);
    });
  }, []);

  async function rekey(newPassphrase: string | null) {
    setBusy(true);
    setMessage(null);
    setFailed(false);
    try {
      setInfo(await call(commands.changeKey(needsCurrent ? current : null, newPassphrase)));
      setCurrent("");
      setPassphrase("");
      setConfirm("");
      setMessage("The vault is now encrypted with the new key; the old one no longer opens it.");
    } catch (e) {
      setMessage(messageOf(e));
      setFailed(true);
      onFailed?.();
    } finally {
      setBusy(false);
    }
  }

  const problem = passphraseProblem(passphrase, confirm);
  const needsCurrent = info?.key_source === "passphrase";
  const missingCurrent = needsCurrent && current.length === 0;
  const hint = passphrase.length > 0 ? problem : null;
  /** Why "Use this passphrase" is greyed, read with the new passphrase's fields. */
  const described = hint ? "rekey-hint" : undefined;
  return (
    <Dialog label="Settings" onClose={onClose} canClose={!busy}>
      <header>
        <h2>Settings</h2>
        <button aria-label="Close settings" disabled={busy} onClick={onClose}>
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
          <dd data-testid="settings-leads">{formatCount(info.leads)}</dd>
          <dt>Key</dt>
          <dd>{info.key_source === "keychain" ? "a random key in the OS keychain" : "derived from your passphrase"}</dd>
          <dt>SQLCipher</dt>
          <dd>{info.sqlcipher_version}</dd>
        </dl>
      )}
      <h3>Change the key</h3>
      <form
        className="rekey"
        onSubmit={(e) => (e.preventDefault(), !busy && problem === null && !missingCurrent && void rekey(passphrase))}
        onKeyDown={(e) => {
          // Enter before every field is filled (the button is greyed, so the form would not
          // submit): on to the next field it needs.
          if (e.key !== "Enter" || !(e.target instanceof HTMLInputElement)) return;
          if (problem === null && !missingCurrent) return;
          e.preventDefault();
          const next = missingCurrent
            ? "current-passphrase"
            : passphrase.length > 0 && confirm.length === 0
              ? "rekey-confirm"
              : "rekey-passphrase";
          (e.currentTarget.elements.namedItem(next) as HTMLInputElement | null)?.focus();
        }}
      >
        {needsCurrent && (
          <label className="current">
            Current passphrase
            <input
              type="password"
              name="current-passphrase"
              aria-describedby={missingCurrent ? "current-hint" : undefined}
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </label>
        )}
        {/* Why both buttons below are greyed. */}
        {missingCurrent && (
          <p id="current-hint" className="muted">
            Type the current passphrase to change the key.
          </p>
        )}
        <label>
          New passphrase
          <input type="password" name="rekey-passphrase" aria-describedby={described} value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
        </label>
        <label>
          Again
          <input type="password" name="rekey-confirm" aria-describedby={described} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </label>
        <button type="submit" disabled={busy || problem !== null || missingCurrent}>
          Use this passphrase
        </button>
        {hint && (
          <p id="rekey-hint" className="muted">
            {hint}
          </p>
        )}
      </form>
      <p className="muted">Or, with no passphrase to type when the app starts:</p>
      <button disabled={busy || missingCurrent} onClick={() => void rekey(null)}>
        Use a new random key in the OS keychain
      </button>
      {busy && <p className="muted">Re-encrypting the vault…</p>}
      {/* There before its message, so a screen reader reads out what the key change came to. */}
      <div role="status">{message && <p className={failed ? "error" : undefined}>{failed ? sentence(message) : message}</p>}</div>
    </Dialog>
  );
}
