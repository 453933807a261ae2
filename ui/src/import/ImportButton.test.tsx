import { describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen } from "@testing-library/react";
import { readFileSync } from "node:fs";
import { channels } from "../test/channel";

const commands = vi.hoisted(() => ({ importFile: vi.fn(), cancelImport: vi.fn() }));
vi.mock("../bindings", () => ({ commands }));
vi.mock("@tauri-apps/api/core", async () => (await import("../test/channel")).core);

import { ImportButton, ImportMessage, importSummary, useImport } from "./ImportButton";

function Harness({ onImported }: { onImported: () => void }) {
  const state = useImport(onImported);
  return (
    <>
      <ImportButton state={state} />
      <ImportMessage state={state} />
    </>
  );
}

const done = { file: "leads.csv", format: "csv", read: 3, added: 2, unchanged: 0, rejected: 1, rejects_file: "/home/me/leads.csv.rejects.csv" };

describe("importing a file", () => {
  it("shows its progress in the toolbar's light text, thousands separated", async () => {
    commands.importFile.mockImplementation(() => new Promise(() => {}));
    const style = document.createElement("style");
    style.textContent = readFileSync(`${import.meta.dirname}/../styles.css`, "utf8");
    document.head.append(style);
    try {
      render(
        <header className="toolbar">
          <Harness onImported={() => {}} />
        </header>,
      );
      fireEvent.click(screen.getByText("Import…"));
      act(() => channels[channels.length - 1].onmessage({ added: 200000, finishing: false }));
      const progress = await screen.findByText(`Importing… ${(200000).toLocaleString()}`);
      expect(getComputedStyle(progress).color).toBe("rgb(255, 255, 255)");
    } finally {
      style.remove();
    }
  });

  it("shows progress, can be cancelled, and says nothing was imported", async () => {
    let finish: (v: unknown) => void = () => {};
    commands.importFile.mockImplementation(() => new Promise((r) => (finish = r)));
    commands.cancelImport.mockImplementation(() => Promise.resolve(true));
    const onImported = vi.fn();
    render(<Harness onImported={onImported} />);
    // Read out in a live region that is there, empty, before it has anything to say.
    const region = screen.getByRole("status");
    expect(region.textContent).toBe("");
    fireEvent.click(screen.getByText("Import…"));
    expect(commands.importFile).toHaveBeenCalledWith(false, false, expect.anything());
    // The file is being chosen: nothing to cancel until the import itself reports.
    expect(await screen.findByText("Choosing a file…")).toBe(region);
    expect(screen.queryByText("Cancel import")).toBeNull();
    act(() => channels[channels.length - 1].onmessage({ added: 12000, finishing: false }));
    expect(await screen.findByText(`Importing… ${(12000).toLocaleString()}`)).toBe(region);
    // Every row in: it says so while the leads are made searchable, and can still be cancelled.
    act(() => channels[channels.length - 1].onmessage({ added: 12000, finishing: true }));
    expect(await screen.findByText(`Finishing… making ${(12000).toLocaleString()} new leads searchable`)).toBeTruthy();
    fireEvent.click(screen.getByText("Cancel import"));
    expect(commands.cancelImport).toHaveBeenCalled();
    finish({ status: "error", error: { code: "cancelled", message: "cancelled" } });
    expect(await screen.findByText("Import cancelled: nothing was imported.")).toBeTruthy();
    expect(onImported).not.toHaveBeenCalled();
    expect(screen.getByText("Import…")).toBeTruthy();
  });

  it("offers to import the other rows when one is not a lead, then reports what went in", async () => {
    commands.importFile.mockImplementationOnce(() =>
      Promise.resolve({
        status: "error",
        error: { code: "invalid_row", message: "/home/me/leads.csv: line 3: the email is not an address; fix it, or import the other rows" },
      }),
    );
    commands.importFile.mockImplementationOnce(() => Promise.resolve({ status: "ok", data: done }));
    const onImported = vi.fn();
    render(<Harness onImported={onImported} />);
    fireEvent.click(screen.getByText("Import…"));
    expect((await screen.findByRole("alert")).textContent).toContain("line 3: the email is not an address");
    fireEvent.click(screen.getByText("Import the other rows"));
    expect(commands.importFile).toHaveBeenLastCalledWith(true, true, expect.anything());
    expect(await screen.findByText(/Imported 2 new leads from leads\.csv/)).toBeTruthy();
    expect(onImported).toHaveBeenCalledTimes(1);
    expect(screen.queryByText("Import the other rows")).toBeNull();
    fireEvent.click(screen.getByLabelText("Dismiss the import message"));
    expect(screen.queryByText(/Imported/)).toBeNull();
  });

  it("other errors are told without the offer, and a closed dialog says nothing", async () => {
    commands.importFile.mockImplementationOnce(() =>
      Promise.resolve({ status: "error", error: { code: "import", message: "book.xlsx: this is an Excel workbook; save it as CSV" } }),
    );
    commands.importFile.mockImplementationOnce(() => Promise.resolve({ status: "ok", data: null }));
    render(<Harness onImported={() => {}} />);
    fireEvent.click(screen.getByText("Import…"));
    expect(await screen.findByText(/Excel workbook/)).toBeTruthy();
    expect(screen.queryByText("Import the other rows")).toBeNull();
    fireEvent.click(screen.getByText("Import…"));
    expect(await screen.findByText("Import…")).toBeTruthy();
    expect(screen.queryByText(/Excel workbook/)).toBeNull();
    expect(screen.getByRole("status").textContent).toBe("");
  });

  it("shows the leads that went in when only their rejects file could not be saved", async () => {
    commands.importFile.mockImplementationOnce(() =>
      Promise.resolve({
        status: "error",
        error: {
          code: "rejects_not_saved",
          message: "/media/usb/leads.csv.rejects.csv: the valid rows were imported, but the rejected ones could not be saved here (read-only file system)",
        },
      }),
    );
    const onImported = vi.fn();
    render(<Harness onImported={onImported} />);
    fireEvent.click(screen.getByText("Import…"));
    expect(await screen.findByText(/the valid rows were imported/)).toBeTruthy();
    expect(onImported).toHaveBeenCalledTimes(1);
    expect(screen.queryByText("Import the other rows")).toBeNull();
  });

  it("sums up what went in", () => {
    expect(importSummary({ ...done, added: 1, unchanged: 1200, rejected: 0, rejects_file: null })).toBe(
      `Imported 1 new lead from leads.csv (${(1200).toLocaleString()} already in the vault).`,
    );
    expect(importSummary({ ...done, added: 0, unchanged: 3, rejected: 0, rejects_file: null })).toBe(
      "Nothing new in leads.csv: its 3 leads are already in the vault.",
    );
    expect(importSummary(done)).toBe(
      "Imported 2 new leads from leads.csv (1 invalid row saved with the reasons to /home/me/leads.csv.rejects.csv).",
    );
  });
});

describe("importing by keyboard", () => {
  it("hands the focus on to Cancel import while it runs, and back to Import… at the end", async () => {
    let finish: (v: unknown) => void = () => {};
    commands.importFile.mockImplementation(() => new Promise((r) => (finish = r)));
    render(<Harness onImported={() => {}} />);
    const button = screen.getByText("Import…");
    button.focus();
    fireEvent.click(button);
    await screen.findByText("Choosing a file…");
    act(() => channels[channels.length - 1].onmessage({ added: 5, finishing: false }));
    expect(document.activeElement).toBe(screen.getByText("Cancel import"));
    await act(async () => finish({ status: "ok", data: done }));
    expect(document.activeElement).toBe(screen.getByText("Import…"));
  });
});
