// First run: create the vault (a key in the OS keychain, or a passphrase); later runs: unlock.
import { useEffect, useRef, useState } from "react";
import type { VaultState } from "../bindings";
import { plural, sentence } from "../format";
import { call, codeOf, commands, messageOf, onVaultUpdating } from "../ipc";

type Props = { state: VaultState; onReady: (s: VaultState, created: boolean) => void };

/** Passphrases shorter than this are refused (the core says so too). */
export const MIN_PASSPHRASE = 8;

const DIFFER = "The two passphrases differ.";

/** Why a new passphrase and its confirmation cannot be used yet, or null. It cannot be
 *  recovered, so it is typed twice. A confirmation still being typed (the passphrase's start
 *  so far) is not told off as differing: that is said, in red, once a character strays. */
export function passphraseProblem(passphrase: string, confirm: string): string | null {
  // Counted as the core counts: spaces at either end do not count.
  if ([...passphrase.trim()].length < MIN_PASSPHRASE) return `At least ${MIN_PASSPHRASE} characters.`;
  if (confirm.length === 0) return "Type it again below.";
  if (confirm === passphrase) return null;
  return passphrase.startsWith(confirm) ? "Keep typing: the same passphrase again." : DIFFER;
}

/** What the first-run screen can do, for its message to stand beside the one that failed. */
type Action = "unlock" | "keychain" | "passphrase" | "demo";

/** Why unlocking failed, in this screen's words: the core's "no OS keychain" message offers a
 *  passphrase instead, which an existing keychain vault's unlock screen has no way to choose. */
function forUnlock(e: unknown, keySource: VaultState["key_source"]): string {
  const text = messageOf(e);
  if (codeOf(e) !== "keychain_unavailable" || keySource !== "keychain") return text;
  return text.replace(/, or choose a passphrase instead$/, ", then choose Try the keychain again");
}

export function Setup({ state, onReady }: Props) {
  const [passphrase, setPassphrase] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** Which action failed: its message stands beside it (below the fold it went unseen). */
  const [errorAt, setErrorAt] = useState<Action>("unlock");
  const tried = useRef(false);
  /** The unlock screen's passphrase field: a wrong passphrase empties it and the focus goes back
   *  there (the Unlock button it was on is greyed until something is typed again). */
  const unlockField = useRef<HTMLInputElement>(null);
  /** The leads of a vault an older version made, while unlocking updates its schema. */
  const [updating, setUpdating] = useState<number | null>(null);
  useEffect(() => onVaultUpdating((e) => setUpdating(e.leads)), []);

  async function run(f: () => Promise<VaultState>, created: boolean, action: Action = "unlock") {
    setBusy(true);
    setUpdating(null);
    setError(null);
    setErrorAt(action);
    try {
      onReady(await f(), created);
    } catch (e) {
      setError(action === "unlock" ? forUnlock(e, state.key_source) : messageOf(e));
      if (codeOf(e) === "wrong_key") {
        setPassphrase("");
        unlockField.current?.focus();
      }
    } finally {
      setBusy(false);
    }
  }

  /** Why unlocking takes a while, said as it starts (a live region that is always there). */
  const why = (
    <p className="muted" role="status">
      {busy && updating !== null
        ? `Updating this vault for this version of Leadvault (${plural(updating, "lead", "leads")}): this can take a minute.`
        : ""}
    </p>
  );

  // A keychain vault opens by itself; a passphrase vault waits for the passphrase.
  useEffect(() => {
    if (state.exists && state.key_source === "keychain" && !tried.current) {
      tried.current = true;
      void run(() => call(commands.unlockVault(null)), false);
    }
  });

  // A vault whose settings say its key is in the keychain: a passphrase would not open it.
  if (state.exists && state.key_source === "keychain") {
    return (
      <main className="setup">
        <h1>Unlock your vault</h1>
        <p className="muted">{state.data_dir}</p>
        <p>This vault's key is kept in your OS keychain.</p>
        <button disabled={busy} onClick={() => void run(() => call(commands.unlockVault(null)), false)}>
          {busy ? "Opening…" : "Try the keychain again"}
        </button>
        {why}
        {error && <p className="error" role="alert">{sentence(error)}</p>}
      </main>
    );
  }

  if (state.exists) {
    return (
      <main className="setup">
        <h1>Unlock your vault</h1>
        <p className="muted">{state.data_dir}</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => call(commands.unlockVault(passphrase || null)), false);
          }}
        >
          <label>
            Passphrase
            <input
              type="password"
              name="passphrase"
              ref={unlockField}
              autoFocus
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
            />
          </label>
          <button type="submit" disabled={busy || (state.key_source === "passphrase" && passphrase.length === 0)}>
            Unlock
          </button>
        </form>
        {state.key_source !== "passphrase" && (
          <button className="link" disabled={busy} onClick={() => void run(() => call(commands.unlockVault(null)), false)}>
            Use the key in the OS keychain
          </button>
        )}
        {why}
        {error && <p className="error" role="alert">{sentence(error)}</p>}
      </main>
    );
  }

  const problem = passphraseProblem(passphrase, confirm);
  const hint = passphrase.length > 0 ? problem : null;
  /** Why "Create vault with passphrase" is greyed, read with both fields. */
  const described = hint ? "new-passphrase-hint" : undefined;
  const failed = (action: Action) =>
    error && errorAt === action ? (
      <p className="error" role="alert">
        {sentence(error)}
      </p>
    ) : null;
  return (
    <main className="setup">
      <h1>Welcome to Leadvault</h1>
      <p>Your leads stay on this computer, in an encrypted vault. Choose how to lock it.</p>
      <section>
        <h2>Keep the key in this computer's keychain</h2>
        <p className="muted">A random key, stored by your operating system; nothing to remember.</p>
        <button disabled={busy} onClick={() => void run(() => call(commands.createVault(null)), true, "keychain")}>
          Create vault with keychain key
        </button>
        {failed("keychain")}
      </section>
      <section>
        <h2>Or choose a passphrase</h2>
        <p className="muted">At least 8 characters. It cannot be recovered: if you lose it, the vault stays locked.</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (problem === null) void run(() => call(commands.createVault(passphrase)), true, "passphrase");
          }}
        >
          <label>
            Passphrase
            <input
              type="password"
              name="new-passphrase"
              aria-describedby={described}
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
            />
          </label>
          <label>
            Again
            <input
              type="password"
              name="confirm-passphrase"
              aria-describedby={described}
              aria-invalid={hint === DIFFER}
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </label>
          <button type="submit" disabled={busy || problem !== null}>
            Create vault with passphrase
          </button>
          {hint && (
            <p id="new-passphrase-hint" className={hint === DIFFER ? "error" : "muted"}>
              {hint}
            </p>
          )}
        </form>
        {failed("passphrase")}
      </section>
      <section>
        <h2>Or try it first</h2>
        <p className="muted">
          Demo mode: simulated Meta, Google Ads and CRMs on this computer, with a vault of their own. Your vault is
          not made until you choose above.
        </p>
        <button disabled={busy} onClick={() => void run(() => call(commands.startDemo()), false, "demo")}>
          Try the demo
        </button>
        {failed("demo")}
      </section>
    </main>
  );
}
