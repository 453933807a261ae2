// Start-up: create the vault (first run), unlock it (later runs), then the inbox.
import { useEffect, useState } from "react";
import type { VaultState } from "./bindings";
import { call, commands, messageOf } from "./ipc";
import { Setup } from "./vault/Setup";
import { Inbox } from "./inbox/Inbox";
import { sentence } from "./format";

export function App() {
  const [vault, setVault] = useState<VaultState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fresh, setFresh] = useState(false);

  useEffect(() => {
    call(commands.vaultState()).then(setVault, (e) => setError(messageOf(e)));
  }, []);

  if (error) return <p className="error" role="alert">{sentence(error)}</p>;
  if (!vault) return <p className="muted">Opening…</p>;
  if (!vault.unlocked)
    return (
      <Setup
        state={vault}
        onReady={(s, created) => {
          setFresh(created);
          setVault(s);
        }}
      />
    );
  // A new key on the inbox when the vault changes (the demo's, or the real one again).
  // The sample offer belongs to the vault just created, not to the next one opened.
  return (
    <Inbox
      key={vault.demo ? "demo" : "vault"}
      offerSamples={fresh}
      demo={vault.demo}
      onVault={(s) => {
        setFresh(false);
        setVault(s);
      }}
    />
  );
}
