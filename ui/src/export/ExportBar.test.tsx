import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { channels } from "../test/channel";
import type { ViewQuery } from "../bindings";

const commands = vi.hoisted(() => ({ exportView: vi.fn(), cancelExport: vi.fn() }));
vi.mock("../bindings", () => ({ commands }));
vi.mock("@tauri-apps/api/core", async () => (await import("../test/channel")).core);

import { ExportBar } from "./ExportBar";

const query: ViewQuery = { search: "ana", status: "won", source: null, owner: null, tag: "hot", since: null, until: null, sort: "newest" };

describe("one-click export", () => {
  it("exports exactly the current view, shows progress and can be cancelled", async () => {
    let finish: (v: unknown) => void = () => {};
    commands.exportView.mockImplementation(() => new Promise((r) => (finish = r)));
    commands.cancelExport.mockImplementation(() => Promise.resolve(true));
    const onMessage = vi.fn();
    render(
      <header className="toolbar">
        <ExportBar query={query} total={50000} onMessage={onMessage} />
      </header>,
    );
    fireEvent.change(screen.getByLabelText("Export format"), { target: { value: "xlsx" } });
    fireEvent.click(screen.getByText("Export view"));
    expect(commands.exportView).toHaveBeenCalledWith(query, "xlsx", expect.anything());
    channels[channels.length - 1].onmessage(20000);
    // Thousands separated, in the toolbar's light text, on one line.
    const progress = await screen.findByText(`${(20000).toLocaleString()} / ${(50000).toLocaleString()}`);
    const style = document.createElement("style");
    style.textContent = readFileSync(`${import.meta.dirname}/../styles.css`, "utf8");
    document.head.append(style);
    try {
      const toolbar = progress.closest<HTMLElement>(".toolbar")!;
      expect(getComputedStyle(progress).color).toBe("rgb(255, 255, 255)");
      // No label wraps; what does not fit at all goes to a second line, never under another.
      expect(getComputedStyle(toolbar).whiteSpace).toBe("nowrap");
      expect(getComputedStyle(toolbar).flexWrap).toBe("wrap");
      // The export's controls never shrink under their content (they sat under Connections).
      expect(getComputedStyle(progress.closest(".export")!).flexShrink).toBe("0");
    } finally {
      style.remove();
    }
    fireEvent.click(screen.getByText("Cancel export"));
    expect(commands.cancelExport).toHaveBeenCalled();
    finish({ status: "error", error: { code: "cancelled", message: "cancelled" } });
    expect(await screen.findByText("Export view")).toBeTruthy();
    expect(onMessage).toHaveBeenLastCalledWith({ text: "Export cancelled.", error: false });
  });

  it("says where the file went", async () => {
    commands.exportView.mockImplementation(() => Promise.resolve({ status: "ok", data: { path: "/home/me/leads.csv", rows: 3 } }));
    const onMessage = vi.fn();
    render(<ExportBar query={query} total={3} onMessage={onMessage} />);
    fireEvent.click(screen.getByText("Export view"));
    await waitFor(() => expect(onMessage).toHaveBeenLastCalledWith({ text: "Exported 3 leads to /home/me/leads.csv", error: false }));
  });

  it("counts with thousands separators, and says Finishing… once every lead is read", async () => {
    let finish: (v: unknown) => void = () => {};
    commands.exportView.mockImplementation(() => new Promise((r) => (finish = r)));
    const onMessage = vi.fn();
    render(<ExportBar query={query} total={1000000} onMessage={onMessage} />);
    fireEvent.click(screen.getByText("Export view"));
    act(() => channels[channels.length - 1].onmessage(999999));
    expect(screen.getByText(`${(999999).toLocaleString()} / ${(1000000).toLocaleString()}`)).toBeTruthy();
    // An XLSX is written for seconds after its last lead is read.
    act(() => channels[channels.length - 1].onmessage(1000000));
    expect(screen.getByText("Finishing…")).toBeTruthy();
    await act(async () => finish({ status: "ok", data: { path: "/home/me/leads.xlsx", rows: 1000000 } }));
    const text = `Exported ${(1000000).toLocaleString()} leads to /home/me/leads.xlsx`;
    expect(onMessage).toHaveBeenLastCalledWith({ text, error: false });
    expect(text).not.toContain("1000000");
  });

  it("tells why an export failed, as an error", async () => {
    commands.exportView.mockImplementation(() => Promise.resolve({ status: "error", error: { code: "disk_full", message: "the disk is full" } }));
    const onMessage = vi.fn();
    render(<ExportBar query={query} total={3} onMessage={onMessage} />);
    fireEvent.click(screen.getByText("Export view"));
    await waitFor(() => expect(onMessage).toHaveBeenLastCalledWith({ text: "the disk is full", error: true }));
  });
});

describe("the export by keyboard", () => {
  it("hands the focus from Export view to Cancel and back, where it fell to the page", async () => {
    let finish: (v: unknown) => void = () => {};
    commands.exportView.mockImplementation(() => new Promise((r) => (finish = r)));
    commands.cancelExport.mockImplementation(() => Promise.resolve(true));
    render(<ExportBar query={query} total={10} onMessage={() => {}} />);
    const button = screen.getByText("Export view");
    button.focus();
    fireEvent.click(button);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByText("Cancel export")));
    fireEvent.click(screen.getByText("Cancel export"));
    await act(async () => finish({ status: "error", error: { code: "cancelled", message: "cancelled" } }));
    expect(document.activeElement).toBe(screen.getByText("Export view"));
  });
});
