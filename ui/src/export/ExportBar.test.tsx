import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
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
    render(<ExportBar query={query} total={50000} />);
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
      expect(getComputedStyle(progress).color).toBe("rgb(255, 255, 255)");
      const toolbar = document.createElement("header");
      toolbar.className = "toolbar";
      document.body.append(toolbar);
      expect(getComputedStyle(toolbar).whiteSpace).toBe("nowrap");
      expect(getComputedStyle(toolbar).flexWrap).toBe("nowrap");
      toolbar.remove();
    } finally {
      style.remove();
    }
    fireEvent.click(screen.getByText("Cancel"));
    expect(commands.cancelExport).toHaveBeenCalled();
    finish({ status: "error", error: { code: "cancelled", message: "cancelled" } });
    expect(await screen.findByText("Export cancelled.")).toBeTruthy();
    expect(screen.getByText("Export view")).toBeTruthy();
  });

  it("says where the file went", async () => {
    commands.exportView.mockImplementation(() => Promise.resolve({ status: "ok", data: { path: "/home/me/leads.csv", rows: 3 } }));
    render(<ExportBar query={query} total={3} />);
    fireEvent.click(screen.getByText("Export view"));
    expect(await screen.findByText("Exported 3 leads to /home/me/leads.csv")).toBeTruthy();
  });

  it("counts with thousands separators, and keeps the whole message in its title when it is cut", async () => {
    commands.exportView.mockImplementation(() =>
      Promise.resolve({ status: "ok", data: { path: "/home/me/a/long/way/down/leads.csv", rows: 1000000 } }),
    );
    render(<ExportBar query={query} total={1000000} />);
    fireEvent.click(screen.getByText("Export view"));
    const text = `Exported ${(1000000).toLocaleString()} leads to /home/me/a/long/way/down/leads.csv`;
    const message = await screen.findByText(text);
    expect(message.getAttribute("title")).toBe(text);
    expect(message.textContent).not.toContain("1000000");
  });
});
