// One-click export of exactly the current view (filters + search), with progress and cancel.
import { useEffect, useRef, useState } from "react";
import { Channel } from "@tauri-apps/api/core";
import type { ExportFormat, ViewQuery } from "../bindings";
import { call, codeOf, commands, messageOf } from "../ipc";
import { formatCount, plural } from "../format";
import { focusLost } from "../focus";

type Props = {
  query: ViewQuery;
  total: number | null;
  /** Told when an export starts and when it ends (the inbox does not reload meanwhile). */
  onRunning?: (running: boolean) => void;
  /** What came of it ("Exported 3 leads to …", or why not), for the inbox's message bar: in
   *  the toolbar it had no room (null when an export starts). */
  onMessage: (message: { text: string; error: boolean } | null) => void;
};

export function ExportBar({ query, total, onRunning, onMessage }: Props) {
  const [format, setFormat] = useState<ExportFormat>("csv");
  const [rows, setRows] = useState<number | null>(null);
  const setMessage = (text: string | null, error = false) => onMessage(text === null ? null : { text, error });
  const exportButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const running = rows !== null;
  const wasRunning = useRef(running);
  // The button pressed makes way for the other (Export view for Cancel, and back): the focus it
  // had, lost to the page, goes on to the one in its place, so Enter cancels and Enter exports
  // again without a walk back through the toolbar.
  useEffect(() => {
    if (wasRunning.current === running) return;
    wasRunning.current = running;
    if (focusLost()) (running ? cancelButton : exportButton).current?.focus();
  }, [running]);

  async function start() {
    setMessage(null);
    setRows(0);
    onRunning?.(true);
    const progress = new Channel<number>();
    progress.onmessage = (n) => setRows(n);
    try {
      const done = await call(commands.exportView(query, format, progress));
      setMessage(done ? `Exported ${plural(done.rows, "lead", "leads")} to ${done.path}` : null);
    } catch (e) {
      if (codeOf(e) === "cancelled") setMessage("Export cancelled.");
      else setMessage(messageOf(e), true);
    } finally {
      setRows(null);
      onRunning?.(false);
    }
  }

  return (
    <div className="export">
      <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
        <option value="csv">CSV</option>
        <option value="xlsx">XLSX</option>
        <option value="json">JSON</option>
      </select>
      {rows === null ? (
        <button ref={exportButton} onClick={() => void start()}>
          Export view
        </button>
      ) : (
        <>
          <progress max={total ?? undefined} value={rows} aria-label="Export progress" />
          <span className="export-progress">
            {/* Every lead read; the file is still being written (an XLSX takes seconds). */}
            {total !== null && total > 0 && rows >= total
              ? "Finishing…"
              : `${formatCount(rows)}${total !== null ? ` / ${formatCount(total)}` : ""}`}
          </span>
          {/* Named as the import's "Cancel import" is, beside it in the toolbar. */}
          <button ref={cancelButton} onClick={() => void commands.cancelExport()}>
            Cancel export
          </button>
        </>
      )}
    </div>
  );
}
