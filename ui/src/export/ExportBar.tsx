// One-click export of exactly the current view (filters + search), with progress and cancel.
import { useState } from "react";
import { Channel } from "@tauri-apps/api/core";
import type { ExportFormat, ViewQuery } from "../bindings";
import { call, codeOf, commands, messageOf } from "../ipc";

type Props = {
  query: ViewQuery;
  total: number | null;
  /** Told when an export starts and when it ends (the inbox does not reload meanwhile). */
  onRunning?: (running: boolean) => void;
};

export function ExportBar({ query, total, onRunning }: Props) {
  const [format, setFormat] = useState<ExportFormat>("csv");
  const [rows, setRows] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  async function start() {
    setMessage(null);
    setRows(0);
    onRunning?.(true);
    const progress = new Channel<number>();
    progress.onmessage = (n) => setRows(n);
    try {
      const done = await call(commands.exportView(query, format, progress));
      setMessage(done ? `Exported ${done.rows.toLocaleString()} lead${done.rows === 1 ? "" : "s"} to ${done.path}` : null);
    } catch (e) {
      setMessage(codeOf(e) === "cancelled" ? "Export cancelled." : messageOf(e));
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
        <button onClick={() => void start()}>Export view</button>
      ) : (
        <>
          <progress max={total ?? undefined} value={rows} aria-label="Export progress" />
          <span className="export-progress">
            {rows.toLocaleString()}
            {total !== null ? ` / ${total.toLocaleString()}` : ""}
          </span>
          <button onClick={() => void commands.cancelExport()}>Cancel</button>
        </>
      )}
      {message && (
        // Cut to the toolbar's room; the whole message (the file's path) on hover.
        <span className="export-message" role="status" title={message}>
          {message}
        </span>
      )}
    </div>
  );
}
