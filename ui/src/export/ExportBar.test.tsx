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
    expect(await screen.findByText("20000 / 50000")).toBeTruthy();
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
});
