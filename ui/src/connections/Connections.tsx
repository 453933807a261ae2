// Connections: each provider connection's state, and connect (sign in through the browser, or
// paste a token), test and disconnect — the same actions as the `leadvault connect` commands.
import { useEffect, useRef, useState } from "react";
import { Dialog } from "../Dialog";
import type { ConnectionView, ProviderChoice, SignInStarted } from "../bindings";
import { call, codeOf, commands, isCrm, messageOf, onSyncEvent } from "../ipc";
import { formatCount, plural, sentence } from "../format";

const STATUS: Record<string, string> = {
  connected: "Connected",
  needs_sign_in: "Needs sign-in",
  error: "Error",
};

/** The intervals offered; 0 is "only when asked". */
const EVERY: [number, string][] = [
  [300, "every 5 min"],
  [900, "every 15 min"],
  [3600, "every hour"],
  [21600, "every 6 hours"],
  [86400, "every day"],
  [0, "only when asked"],
];

/** "3 days ago", "just now": when a connection last synced. */
export function ago(iso: string, now: Date = new Date()): string {
  const minutes = Math.round((now.getTime() - new Date(iso).getTime()) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function Connections({ onClose, onSynced }: { onClose: () => void; onSynced?: () => void }) {
  const [providers, setProviders] = useState<ProviderChoice[]>([]);
  const [connections, setConnections] = useState<ConnectionView[]>([]);
  const [provider, setProvider] = useState("hubspot");
  const [token, setToken] = useState("");
  const [signIn, setSignIn] = useState<SignInStarted | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  /** The connection whose leads are about to be deleted, waiting for a second click. */
  const [purging, setPurging] = useState<string | null>(null);
  /** The button that asked to delete a connection's leads: the focus goes back to it when the
   *  user keeps them (the question, where the focus was, goes). */
  const purgeButton = useRef<HTMLButtonElement | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  /** The message says why something failed (shown as an error), not what was done. */
  const [failed, setFailed] = useState(false);
  const fail = (text: string) => {
    setMessage(text);
    setFailed(true);
  };
  /** Connections the app is syncing by itself right now. */
  const [syncing, setSyncing] = useState<Set<string>>(new Set());
  /** Why a CRM's owners were not read at its last sync (this session's), by connection. */
  const [ownersWarnings, setOwnersWarnings] = useState<Record<string, string | null>>({});
  /** The connection a pasted token is to sign in again (its "Sign in again" chose the form). */
  const [renewing, setRenewing] = useState<ConnectionView | null>(null);
  const tokenInput = useRef<HTMLInputElement | null>(null);

  async function reload() {
    setConnections(await call(commands.listConnections()));
  }

  useEffect(() => {
    call(commands.listProviders()).then(setProviders, (e) => fail(messageOf(e)));
    reload().catch((e) => fail(messageOf(e)));
    return onSyncEvent((e) => {
      setSyncing((now) => {
        const next = new Set(now);
        if (e.kind === "started") next.add(e.connection.id);
        else next.delete(e.connection.id);
        return next;
      });
      if (e.kind === "finished") {
        setOwnersWarnings((now) => ({ ...now, [e.connection.id]: e.owners_warning ?? null }));
      }
      if (e.kind !== "started") reload().catch(() => {});
    });
  }, []);

  const setEvery = (c: ConnectionView, value: string) =>
    act(`every-${c.id}`, async () => {
      const done = await call(commands.setSyncEvery(c.id, value === "" ? null : Number(value)));
      return `${done.label} now syncs ${done.syncs}.`;
    });

  const chosen = providers.find((p) => p.id === provider);

  async function act(what: string, work: () => Promise<string | null>) {
    setBusy(what);
    setMessage(null);
    setFailed(false);
    try {
      setMessage(await work());
    } catch (e) {
      if (codeOf(e) === "cancelled") setMessage("Sign-in cancelled.");
      else fail(messageOf(e));
    } finally {
      setBusy(null);
      setSignIn(null);
      await reload().catch(() => {});
    }
  }

  /** What a connect came to: a sign-in to an account that already had a connection here
   *  brings that one back (the same id), and says so; `meant` is the connection whose "Sign in
   *  again" started it, if any. */
  function connected(c: ConnectionView, meant: ConnectionView | null): string {
    if (connections.some((known) => known.id === c.id)) {
      return `Signed in again to ${c.label}; its next sync carries on where the last one stopped.`;
    }
    if (meant) {
      return `Connected ${c.label}, another ${c.provider_name} account than ${meant.label}'s, which still needs a sign-in: sign in with its account.`;
    }
    return `Connected ${c.label}.`;
  }

  const pasteToken = () =>
    act("token", async () => {
      const c = await call(commands.connectToken(provider, token, null));
      setToken("");
      const meant = renewing;
      setRenewing(null);
      return connected(c, meant);
    });

  const startSignIn = (meant: ConnectionView | null = null) =>
    act(meant ? `again-${meant.id}` : "sign-in", async () => {
      const started = await call(commands.beginSignIn(meant?.provider ?? provider));
      setSignIn(started);
      const c = await call(commands.finishSignIn(null));
      return connected(c, meant);
    });

  /** "Sign in again": the provider's sign-in for a connection made by signing in, else the
   *  token form, ready for that connection's provider and with the focus in it. */
  function signInAgain(c: ConnectionView) {
    setProvider(c.provider);
    const offers = providers.find((p) => p.id === c.provider)?.sign_in ?? false;
    if (c.auth === "oauth" && offers) {
      setRenewing(null);
      void startSignIn(c);
      return;
    }
    setRenewing(c);
    setMessage(null);
    // After the form shows this connection's provider.
    setTimeout(() => tokenInput.current?.focus(), 0);
  }

  const test = (c: ConnectionView) =>
    act(`test-${c.id}`, async () => {
      await call(commands.testConnection(c.id));
      return `${c.label} is working.`;
    });

  const syncNow = (c: ConnectionView) =>
    act(`sync-${c.id}`, async () => {
      const done = await call(commands.syncNow(c.id));
      onSynced?.();
      setOwnersWarnings((now) => ({ ...now, [c.id]: done.owners_warning ?? null }));
      if (done.pushed > 0 || done.failed > 0 || isCrm(c.provider)) {
        const failed = done.failed > 0 ? `, ${formatCount(done.failed)} refused by it` : "";
        const owners = done.owners_warning ? ` ${done.owners_warning}` : "";
        return `Sent ${plural(done.pushed, "lead", "leads")} to ${c.label}${failed}.${owners}`;
      }
      return `Synced ${c.label}: ${plural(done.new, "new lead", "new leads")}, ${formatCount(done.unchanged)} already in the vault.`;
    });

  const disconnect = (c: ConnectionView, purge: boolean) =>
    act(`disconnect-${c.id}`, async () => {
      setPurging(null);
      const done = await call(commands.disconnect(c.id, purge));
      // Its leads may be gone: the inbox shows what is left.
      onSynced?.();
      const purged = purge
        ? ` ${formatCount(done.leads_deleted)} leads and ${formatCount(done.ads_rows_deleted)} rows of campaigns and metrics from it were deleted.`
        : "";
      return `Disconnected ${done.label}. ${done.revoke_message}${purged}`;
    });

  return (
    <Dialog label="Connections" onClose={onClose} canClose={busy === null}>
      <header>
        <h2>Connections</h2>
        <button aria-label="Close connections" onClick={onClose}>
          ✕
        </button>
      </header>
      {connections.length === 0 ? (
        <p className="muted">No connections yet.</p>
      ) : (
        <ul className="connections">
          {connections.map((c) => (
            <li key={c.id} data-testid="connection">
              <strong>{c.label}</strong> <span className="muted">{c.provider_name}</span>{" "}
              <span className={`status status-${c.status}`}>{STATUS[c.status] ?? c.status}</span>
              {c.last_error && <p className="error">{sentence(c.last_error)}</p>}
              {c.can_sync && (
                <p className="muted">
                  {syncing.has(c.id)
                    ? "Syncing…"
                    : c.last_sync_at
                      ? `Last synced ${ago(c.last_sync_at)}`
                      : "Never synced"}{" "}
                  <label>
                    · Syncs{" "}
                    <select
                      aria-label={`How often ${c.label} syncs`}
                      value={c.sync_every_secs ?? ""}
                      disabled={busy !== null}
                      onChange={(e) => void setEvery(c, e.target.value)}
                    >
                      <option value="">{isCrm(c.provider) ? "every 5 min" : "every 15 min"} (default)</option>
                      {c.sync_every_secs !== null && !EVERY.some(([v]) => v === c.sync_every_secs) && (
                        <option value={c.sync_every_secs}>{c.syncs}</option>
                      )}
                      {EVERY.map(([v, text]) => (
                        <option key={v} value={v}>
                          {text}
                        </option>
                      ))}
                    </select>
                  </label>
                </p>
              )}
              {c.can_sync && ownersWarnings[c.id] && (
                <p className="warning" data-testid="owners-warning">
                  Last sync: {ownersWarnings[c.id]}
                </p>
              )}
              {c.stale && (
                <p className="warning" role="note">
                  {c.provider_name} deletes leads 90 days after they arrive: sync soon so none are lost.
                </p>
              )}
              <div className="actions">
                {c.status === "needs_sign_in" && (
                  <button disabled={busy !== null} onClick={() => signInAgain(c)}>
                    {busy === `again-${c.id}` ? "Signing in…" : "Sign in again"}
                  </button>
                )}
                {c.can_sync && (
                  <button disabled={busy !== null} onClick={() => void syncNow(c)}>
                    {busy === `sync-${c.id}` ? "Syncing…" : "Sync now"}
                  </button>
                )}
                <button disabled={busy !== null} onClick={() => void test(c)}>
                  Test
                </button>
                <button disabled={busy !== null} onClick={() => void disconnect(c, false)}>
                  Disconnect
                </button>
                <button
                  disabled={busy !== null}
                  onClick={(e) => {
                    purgeButton.current = e.currentTarget;
                    setPurging(c.id);
                  }}
                >
                  Disconnect and delete its leads
                </button>
                {purging === c.id && (
                  <p className="warning" role="alert">
                    Delete every lead, campaign and metric {c.label} brought into this vault? This cannot be undone.{" "}
                    <button disabled={busy !== null} onClick={() => void disconnect(c, true)}>
                      Delete them
                    </button>{" "}
                    {/* The focus on the safe answer, so Enter never deletes by mistake. */}
                    <button
                      autoFocus
                      onClick={() => {
                        setPurging(null);
                        purgeButton.current?.focus();
                      }}
                    >
                      Keep them
                    </button>
                  </p>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <h3>Connect</h3>
      <div className="connect-with">
        <label>
          Provider
          <select
            aria-label="Provider"
            value={provider}
            onChange={(e) => {
              setProvider(e.target.value);
              setRenewing(null);
            }}
          >
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        {chosen?.sign_in && (
          <button disabled={busy !== null} onClick={() => void startSignIn(null)}>
            Sign in with {chosen.name}
          </button>
        )}
      </div>
      <form onSubmit={(e) => (e.preventDefault(), void pasteToken())}>
        <label>
          {renewing
            ? `Paste ${chosen?.token_hint ?? "a new token"} for ${renewing.label}`
            : `Or paste ${chosen?.token_hint ?? "a token"}`}
          <input
            ref={tokenInput}
            type="password"
            name="token"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <button type="submit" disabled={busy !== null || token.trim().length === 0}>
          {renewing ? "Sign in again with this token" : "Connect with this token"}
        </button>
      </form>
      {/* There before the sign-in's instructions, so a screen reader reads them out (a region put
          in with them went unsaid). */}
      <div role="status" data-testid="sign-in-status">
        {signIn &&
          (signIn.in_window ? (
            <p>Finish signing in in the “Sign in with {chosen?.name}” window.</p>
          ) : (
            <>
              <p>Finish signing in in your browser. If it did not open, visit:</p>
              <code className="url">{signIn.url}</code>
            </>
          ))}
      </div>
      {signIn && <button onClick={() => void call(commands.cancelSignIn())}>Cancel sign-in</button>}
      {busy && busy !== "sign-in" && <p className="muted">Talking to the provider…</p>}
      {/* There before its message, so a screen reader reads out what each action came to. */}
      <div role="status" data-testid="connections-message">
        {message && <p className={failed ? "error" : undefined}>{failed ? sentence(message) : message}</p>}
      </div>
    </Dialog>
  );
}
