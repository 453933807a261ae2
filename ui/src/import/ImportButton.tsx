// Import a file (Meta's or Google Ads' download, a CSV or JSON file) chosen in the open dialog,
// with progress and cancel. A row that is not a lead stops it with nothing imported; the
// message then offers to import the other rows, the rejected ones saved beside the file.
// The button sits in the toolbar and the message in a bar of its own under it: `useImport`
// holds what both show.
import { useEffect, useRef, useState } from "react";
import { Channel } from "@tauri-apps/api/core";
import type { ImportDone, ImportProgress } from "../bindings";
import { call, codeOf, commands, messageOf } from "../ipc";
import { formatCount, plural } from "../format";
import { focusLost } from "../focus";

/** "Imported 3 new leads from leads.csv (2 already in the vault; 1 invalid row saved …)", or
 * "Nothing new in leads.csv: …". */
export function importSummary(d: ImportDone): string {
  if (d.added === 0 && d.rejected === 0 && d.unchanged > 0)
    return `Nothing new in ${d.file}: ${d.unchanged === 1 ? "its lead is" : `its ${formatCount(d.unchanged)} leads are`} already in the vault.`;
  const more = [];
  if (d.unchanged > 0) more.push(`${formatCount(d.unchanged)} already in the vault`);
  if (d.rejected > 0 && d.rejects_file)
    more.push(`${plural(d.rejected, "invalid row", "invalid rows")} saved with the reasons to ${d.rejects_file}`);
  const tail = more.length > 0 ? ` (${more.join("; ")})` : "";
  return `Imported ${plural(d.added, "new lead", "new leads")} from ${d.file}${tail}.`;
}

export type ImportState = {
  /** Whether the open dialog or an import is under way. */
  busy: boolean;
  /** Leads added so far, once the import itself runs (not while the file is being chosen). */
  added: number | null;
  /** Every row is in: the import is making the new leads searchable and committing them. */
  finishing: boolean;
  message: string | null;
  /** An invalid row stopped the import: the other rows can go in. */
  rowsRefused: boolean;
  start: (again: boolean) => Promise<void>;
  dismiss: () => void;
};

/** `onImported` runs when leads went in, for the view to show them. */
export function useImport(onImported: () => void): ImportState {
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<number | null>(null);
  const [finishing, setFinishing] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [rowsRefused, setRowsRefused] = useState(false);

  async function start(again: boolean) {
    setMessage(null);
    setRowsRefused(false);
    setBusy(true);
    const progress = new Channel<ImportProgress>();
    progress.onmessage = (p) => {
      setAdded(p.added);
      setFinishing(p.finishing);
    };
    try {
      const done = await call(commands.importFile(again, again, progress));
      if (done) {
        setMessage(importSummary(done));
        if (done.added > 0) onImported();
      }
    } catch (e) {
      const code = codeOf(e);
      setMessage(code === "cancelled" ? "Import cancelled: nothing was imported." : messageOf(e));
      setRowsRefused(code === "invalid_row");
      // The leads went in; only their rejects file could not be kept.
      if (code === "rejects_not_saved") onImported();
    } finally {
      setBusy(false);
      setAdded(null);
      setFinishing(false);
    }
  }

  function dismiss() {
    setMessage(null);
    setRowsRefused(false);
  }

  return { busy, added, finishing, message, rowsRefused, start, dismiss };
}

export function ImportButton({ state }: { state: ImportState }) {
  const button = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const phase = !state.busy ? "idle" : state.added === null ? "choosing" : "running";
  const was = useRef(phase);
  // Each phase shows another control in the same place: the focus that the last one took with
  // it (to the page) goes on to Cancel import while it runs, and back to Import… at the end.
  useEffect(() => {
    if (was.current === phase) return;
    was.current = phase;
    if (focusLost()) (phase === "running" ? cancel : button).current?.focus();
  }, [phase]);
  // One status region, there before its text: a screen reader says "Choosing a file…" and the
  // import's progress (a region put in with its text went unsaid). Idle, it is empty.
  return (
    <span className={phase === "idle" ? undefined : "import"}>
      {phase === "idle" && (
        <button ref={button} onClick={() => void state.start(false)}>
          Import…
        </button>
      )}
      <span role="status" aria-label={phase === "running" ? "Import progress" : undefined} data-testid="import-status">
        {phase === "choosing"
          ? // While the file is being chosen there is nothing to cancel yet: the dialog's own Cancel.
            "Choosing a file…"
          : phase === "running"
            ? state.finishing
              ? `Finishing… making ${plural(state.added ?? 0, "new lead", "new leads")} searchable`
              : `Importing… ${formatCount(state.added ?? 0)}`
            : null}
      </span>
      {phase === "running" && (
        <button ref={cancel} onClick={() => void commands.cancelImport()}>
          Cancel import
        </button>
      )}
    </span>
  );
}

export function ImportMessage({ state }: { state: ImportState }) {
  if (!state.message) return null;
  return (
    // Only a refusal is an alert; the inbox says any other outcome in its live region.
    <p className={state.rowsRefused ? "error" : "notice"} role={state.rowsRefused ? "alert" : undefined}>
      {state.message}
      {state.rowsRefused && (
        <>
          {" "}
          <button onClick={() => void state.start(true)}>Import the other rows</button>
        </>
      )}{" "}
      <button aria-label="Dismiss the import message" onClick={state.dismiss}>
        ✕
      </button>
    </p>
  );
}
