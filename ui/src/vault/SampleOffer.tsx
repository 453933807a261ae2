// After creating a vault: offer realistic sample leads (marked `sample`), so the inbox works at once.
import { useState } from "react";
import { call, commands, messageOf } from "../ipc";
import { formatCount, sentence } from "../format";

export function SampleOffer({ onDone }: { onDone: (message: string | null) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function load() {
    setBusy(true);
    try {
      const r = await call(commands.loadSamples(200));
      onDone(`Loaded ${formatCount(r.added)} sample leads (source and tag "sample").`);
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  }
  return (
    <div className="offer" role="region" aria-label="Sample leads">
      <p>
        Your vault is ready and empty. Load 200 sample leads to try the inbox? They are marked with the tag "sample".
        Your own leads come in with <strong>Import…</strong> (Meta's or Google Ads' download, a CSV or JSON file) or
        from <strong>Connections</strong>.
      </p>
      <button disabled={busy} onClick={() => void load()}>
        {busy ? "Loading samples…" : "Load sample leads"}
      </button>
      <button disabled={busy} onClick={() => onDone(null)}>
        Start empty
      </button>
      {error && <p className="error" role="alert">{sentence(error)}</p>}
    </div>
  );
}
