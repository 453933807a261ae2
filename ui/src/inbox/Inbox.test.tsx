import { describe, expect, it, vi, beforeEach } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { counts, detail, lead, ok } from "../test/fixtures";
import type { Lead, ViewQuery } from "../bindings";

const commands = vi.hoisted(() => ({
  listLeads: vi.fn(),
  countByStatus: vi.fn(),
  getLead: vi.fn(),
  updateLead: vi.fn(),
  updateLeads: vi.fn(),
  exportView: vi.fn(),
  cancelExport: vi.fn(),
  vaultStatus: vi.fn(),
  vaultState: vi.fn(),
  loadSamples: vi.fn(),
  startDemo: vi.fn(),
  stopDemo: vi.fn(),
}));
vi.mock("../bindings", async () => ({ commands, events: (await import("../test/events")).events }));
vi.mock("@tauri-apps/api/core", () => ({ Channel: class { onmessage: (n: number) => void = () => {}; } }));

import { Inbox, contactOf, localDay } from "./Inbox";
import { emitSync } from "../test/events";

const page = (leads: Lead[], next: string | null = null) => ok({ leads, next });
/** The new view's rows are in (an earlier view's, dimmed, take no click). */
const rowsShown = () => waitFor(() => expect(screen.getByTestId("lead-list").getAttribute("aria-busy")).toBe("false"));
/** Types "per" in the search box and waits for `found`: the focus stays in the box meanwhile. */
async function searchKeepsTheFocus(found: string) {
  const box = screen.getByLabelText("Search");
  box.focus();
  fireEvent.change(box, { target: { value: "per" } });
  await screen.findByText(found);
  await act(async () => {});
  expect(document.activeElement).toBe(box);
}

beforeEach(() => {
  vi.clearAllMocks();
  commands.countByStatus.mockImplementation(() => ok(counts(3)));
  commands.getLead.mockImplementation((id: string) => ok(detail(lead(Number(id.slice(6))))));
});

describe("the inbox", () => {
  it("shows the first page and the counts per status", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    render(<Inbox offerSamples={false} />);
    expect(await screen.findByText("Person 1")).toBeTruthy();
    expect(screen.getByText("Person 3")).toBeTruthy();
    await waitFor(() => expect(document.querySelector("button[data-status=new] .count")?.textContent).toBe("3"));
    expect(commands.listLeads).toHaveBeenCalledWith(expect.objectContaining({ search: null, sort: "newest" }), null, 200);
    // A heading for the page, and a name for the list, for a screen reader's lists of them.
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Inbox");
    expect(screen.getByRole("grid", { name: "Leads" })).toBe(screen.getByTestId("lead-grid"));
    // Headed columns, with how to reach each lead beside its name.
    expect(document.querySelector(".row.head")?.textContent).toBe("SelectNameContactCompanyStatusOwnerTagsCreated");
    expect(document.querySelector('.row[data-lead-id="01LEAD000001"] .contact')?.textContent).toBe("person1@example.com");
  });

  it("is a grid to a screen reader: headed columns, each lead a row of cells numbered in the view's count", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    commands.countByStatus.mockImplementation(() => ok(counts(1200)));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 3");
    const grid = screen.getByRole("grid", { name: "Leads" });
    // The headings' row and the view's 1,200 leads, of which only some are loaded and drawn.
    await waitFor(() => expect(grid.getAttribute("aria-rowcount")).toBe("1201"));
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["Select", "Name", "Contact", "Company", "Status", "Owner", "Tags", "Created"]);
    // A narrow list drops a column's heading with its cells (the stylesheet, by these classes).
    expect(screen.getAllByRole("columnheader").map((h) => h.className)).toEqual(["", "", "", "company", "", "owner", "tags", "date"]);
    const rows = screen.getAllByRole("row");
    expect(rows[0].getAttribute("aria-rowindex")).toBe("1");
    expect(rows[0].getAttribute("aria-hidden")).toBeNull();
    const row = rows.find((r) => r.dataset.leadId === lead(2).id)!;
    expect(row.getAttribute("aria-rowindex")).toBe("3");
    expect(row.closest("[role=rowgroup]")?.parentElement).toBe(grid);
    // One cell per heading, each holding one of its values.
    const cells = Array.from(row.children);
    expect(cells.map((c) => c.getAttribute("role"))).toEqual(Array(8).fill("gridcell"));
    expect(cells.map((c) => c.textContent)).toEqual(["", "Person 2", "person2@example.com", "", "new", "", "sample", localDay(lead(2).created_at)]);
    expect(cells[0].querySelector("input[type=checkbox]")?.getAttribute("aria-label")).toBe("Select Person 2");
    // The keyboard's focus goes to the cursor's row, a row of the grid.
    fireEvent.keyDown(window, { key: "j" });
    await waitFor(() => expect(document.activeElement).toBe(row));
    fireEvent.keyDown(window, { key: "k" });
    await waitFor(() => expect(document.activeElement?.getAttribute("aria-rowindex")).toBe("2"));
    // A new view, not yet counted: how many rows it has is unknown, not the last view's.
    let counted: (v: unknown) => void = () => {};
    commands.countByStatus.mockImplementation(() => new Promise((r) => (counted = r)));
    fireEvent.click(document.querySelector("button[data-status=won]")!);
    await waitFor(() => expect(grid.getAttribute("aria-rowcount")).toBe("-1"));
    await act(async () => counted({ status: "ok", data: counts(7) }));
    expect(grid.getAttribute("aria-rowcount")).toBe("8");
  });

  it("tells of new leads a background sync brought and shows them, never a CRM's pushes", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1)]));
    render(<Inbox offerSamples={false} />);
    expect(await screen.findByText("Person 1")).toBeTruthy();
    const meta = { id: "01M", provider: "meta", provider_name: "Meta", label: "Meta — Ada's Bakery", auth: "token",
      account_name: null, status: "connected", last_error: null, created_at: "2026-11-23T06:00:00Z",
      last_sync_at: "2026-11-23T07:00:00Z", can_sync: true, stale: false, sync_every_secs: null, syncs: "every 15 min" };
    const done = { kind: "finished", new: 2, pushed: 0, failed: 0, error: null, retry_in_secs: null };
    commands.listLeads.mockImplementation(() => page([lead(5), lead(4), lead(1)]));
    await waitFor(() => expect(emitSync({ ...done, connection: { ...meta, provider: "hubspot", label: "CRM" }, pushed: 3, new: 0 })).toBeGreaterThan(0));
    expect(screen.queryByTestId("arrivals")).toBeNull();
    // Read out too, in the live region that was there before them.
    const region = screen.getByTestId("announcer");
    act(() => void emitSync({ ...done, connection: meta }));
    expect((await screen.findByTestId("arrivals")).textContent).toMatch(/^2 new leads from Meta — Ada's Bakery/);
    expect(region.textContent).toMatch(/^2 new leads from Meta — Ada's Bakery/);
    expect(await screen.findByText("Person 5")).toBeTruthy();
    fireEvent.click(screen.getByLabelText("Dismiss"));
    expect(screen.queryByTestId("arrivals")).toBeNull();
  });

  it("switches demo mode on and off, saying so while it is on", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1)]));
    const onVault = vi.fn();
    const state = { exists: true, unlocked: true, key_source: "keychain" as const, data_dir: "/tmp/lv", demo: true };
    commands.startDemo.mockImplementation(() => ok(state));
    const { rerender } = render(<Inbox offerSamples={false} onVault={onVault} />);
    expect(screen.queryByText(/Demo mode: simulated/)).toBeNull();
    fireEvent.click(screen.getByRole("switch", { name: "Demo mode" }));
    await waitFor(() => expect(onVault).toHaveBeenCalledWith(state));
    rerender(<Inbox offerSamples={false} demo onVault={onVault} />);
    expect(screen.getByText(/Demo mode: simulated/)).toBeTruthy();
    expect((screen.getByRole("switch", { name: "Demo mode" }) as HTMLInputElement).checked).toBe(true);
    commands.stopDemo.mockImplementation(() => ok({ ...state, demo: false }));
    fireEvent.click(screen.getByRole("switch", { name: "Demo mode" }));
    await waitFor(() => expect(onVault).toHaveBeenLastCalledWith({ ...state, demo: false }));
  });

  it("pages by cursor as the list reaches its end, never asking for everything", async () => {
    const first = Array.from({ length: 10 }, (_, i) => lead(i));
    commands.listLeads.mockImplementation((_q: ViewQuery, cursor: string | null) =>
      cursor === null ? page(first, "c1") : page([lead(100)], null),
    );
    render(<Inbox offerSamples={false} />);
    expect(await screen.findByText("Person 100")).toBeTruthy();
    expect(commands.listLeads).toHaveBeenCalledWith(expect.anything(), "c1", 200);
    expect(commands.listLeads.mock.calls.every((c) => c[2] <= 500)).toBe(true);
  });

  it("searches while typing, debounced, and drops answers to older searches", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let resolveSlow: (v: unknown) => void = () => {};
    commands.listLeads.mockImplementation((q: ViewQuery) => {
      if (q.search === "an") return new Promise((r) => (resolveSlow = r));
      if (q.search === "ana") return page([lead(7, { full_name: "Ana Fresh" })]);
      return page([lead(1)]);
    });
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const box = screen.getByLabelText("Search");
    fireEvent.change(box, { target: { value: "a" } });
    fireEvent.change(box, { target: { value: "an" } });
    await act(async () => vi.advanceTimersByTime(300));
    fireEvent.change(box, { target: { value: "ana" } });
    await act(async () => vi.advanceTimersByTime(300));
    expect(await screen.findByText("Ana Fresh")).toBeTruthy();
    // The slower answer to "an" arrives last: it must not replace the newer results.
    await act(async () => resolveSlow({ status: "ok", data: { leads: [lead(9, { full_name: "Stale Answer" })], next: null } }));
    expect(screen.queryByText("Stale Answer")).toBeNull();
    expect(screen.getByText("Ana Fresh")).toBeTruthy();
    // "a" was never sent on its own: typing is debounced.
    expect(commands.listLeads.mock.calls.some((c) => c[0].search === "a")).toBe(false);
    vi.useRealTimers();
  });

  it("moves with j/k, opens with Enter and closes with Escape, with the focus nowhere", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    // As at start: nothing focused, the keys reach the body.
    const body = document.body;
    fireEvent.keyDown(body, { key: "j" });
    fireEvent.keyDown(body, { key: "Enter" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
    fireEvent.keyDown(body, { key: "k" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    fireEvent.keyDown(body, { key: "Escape" });
    expect(screen.queryByTestId("detail-name")).toBeNull();
  });

  it("keeps the keyboard's focus where the cursor is: on its row, in the pane Enter opened, back on the row after Esc", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const focusedRow = () => document.activeElement?.getAttribute("data-lead-id");
    // j from nowhere: the focus is on the cursor's row (a screen reader reads that lead).
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(focusedRow()).toBe(lead(2).id));
    // Enter opens the lead and puts the focus in its pane: Tab goes on to its controls, not
    // through every row's checkbox first.
    fireEvent.keyDown(document.activeElement!, { key: "Enter" });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("detail-name")));
    expect(screen.getByTestId("detail-name").textContent).toBe("Person 2");
    // j in the pane: the next lead, its pane keeping the focus.
    fireEvent.keyDown(document.activeElement!, { key: "j" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 3"));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("detail-name")));
    // Esc closes it, and the focus is back on the lead's row.
    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(screen.queryByTestId("detail-name")).toBeNull();
    await waitFor(() => expect(focusedRow()).toBe(lead(3).id));
    // So is the pane's close button.
    fireEvent.keyDown(document.activeElement!, { key: "Enter" });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("detail-name")));
    fireEvent.click(screen.getByLabelText("Close"));
    await waitFor(() => expect(focusedRow()).toBe(lead(3).id));
  });

  it("puts the focus into a pane already open with Enter, and into no pane it was not asked for", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const row = (n: number) => document.querySelector<HTMLElement>(`.row[data-lead-id="${lead(n).id}"]`)!;
    const name = () => screen.getByTestId("detail-name");
    const shows = (n: number) => waitFor(() => expect(name().textContent).toBe(`Person ${n}`));
    // A row clicked (it has the focus, its lead's pane open): Enter puts the focus in that pane.
    fireEvent.click(row(2));
    row(2).focus();
    await shows(2);
    fireEvent.keyDown(row(2), { key: "Enter" });
    await waitFor(() => expect(document.activeElement).toBe(name()));
    // Another row clicked, then k in the list: back to Person 2, whose pane had the focus
    // before; the focus stays on its row.
    fireEvent.click(row(3));
    row(3).focus();
    await shows(3);
    fireEvent.keyDown(row(3), { key: "k" });
    await shows(2);
    await act(async () => {});
    expect(document.activeElement).toBe(row(2));
    // j in the list opens the next lead with the focus on its row; Enter then puts it in the pane.
    fireEvent.keyDown(row(2), { key: "j" });
    await shows(3);
    await waitFor(() => expect(document.activeElement).toBe(row(3)));
    fireEvent.keyDown(row(3), { key: "Enter" });
    await waitFor(() => expect(document.activeElement).toBe(name()));
  });

  it("leaves the focus in the search box when j/k or Esc had no row to put it on", async () => {
    commands.listLeads.mockImplementation((q: ViewQuery) => (q.search ? page([lead(1), lead(2)]) : page([])));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("No leads in this view.");
    // An empty view: Esc and j move nothing, so nothing waits to take the focus.
    fireEvent.keyDown(document.body, { key: "Escape" });
    fireEvent.keyDown(document.body, { key: "j" });
    fireEvent.keyDown(document.body, { key: "k" });
    await searchKeepsTheFocus("Person 1");
  });

  it("leaves the focus in the search box after Esc closed a lead that had left the view", async () => {
    commands.listLeads.mockImplementation((q: ViewQuery) => (q.search ? page([lead(3), lead(4)]) : page([lead(1), lead(2)])));
    commands.updateLead.mockImplementation((id: string) => ok(detail(lead(Number(id.slice(6)), { status: "won" }))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.click(screen.getByRole("button", { name: /^new/ }));
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ status: "new" }), null, 200));
    await rowsShown();
    fireEvent.click(screen.getByText("Person 2"));
    await screen.findByTestId("detail-name");
    commands.listLeads.mockImplementation((q: ViewQuery) => (q.search ? page([lead(3), lead(4)]) : page([lead(1)])));
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    await waitFor(() => expect(document.querySelector(`[data-lead-id="${lead(2).id}"]`)).toBeNull());
    // The pane closes; its lead has no row to take the focus back.
    fireEvent.keyDown(document.body, { key: "Escape" });
    expect(screen.queryByTestId("detail-name")).toBeNull();
    await searchKeepsTheFocus("Person 4");
  });

  it("jumps with Home, End, PageDown and PageUp, the next j going on from there, but not while typing", async () => {
    commands.listLeads.mockImplementation(() => page(Array.from({ length: 60 }, (_, i) => lead(i))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 0");
    const press = (key: string, on: Element = document.body) => fireEvent.keyDown(on, { key });
    // The open lead follows the cursor (rows out of view are not drawn here: no layout).
    press("Enter");
    const at = async (n: number) => waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe(`Person ${n}`));
    await at(0);
    // The list shows (800 - 28) / 44 = 17 rows at once: a page.
    expect(press("PageDown")).toBe(false);
    await at(17);
    press("j");
    await at(18);
    press("PageUp");
    await at(1);
    press("End");
    await at(59);
    press("k");
    await at(58);
    press("PageDown");
    await at(59);
    press("Home");
    await at(0);
    // In the search box, the keys are the field's.
    const box = screen.getByLabelText("Search");
    box.focus();
    expect(press("End", box)).toBe(true);
    expect(press("PageDown", box)).toBe(true);
    await act(async () => {});
    expect(screen.getByTestId("detail-name").textContent).toBe("Person 0");
  });

  it("leaves Enter to buttons, and every key to an open dialog", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    commands.vaultStatus.mockImplementation(() => new Promise(() => {}));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.keyDown(screen.getByText("Connections"), { key: "Enter" });
    fireEvent.click(screen.getByText("Settings"));
    const dialog = screen.getByRole("dialog", { name: "Settings" });
    expect(document.activeElement).toBe(dialog);
    fireEvent.keyDown(dialog, { key: "j" });
    fireEvent.keyDown(document.body, { key: "Enter" });
    expect(screen.queryByTestId("detail-name")).toBeNull();
    // Escape (where the focus is: in the dialog) closes it; then the keys are the list's again.
    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    fireEvent.keyDown(document.body, { key: "Enter" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    // A filter button clicked before keeps the focus until j/k move the list, which takes it to
    // the cursor's row: then Enter opens.
    const filter = document.querySelector<HTMLButtonElement>("button[data-status=new]")!;
    filter.focus();
    fireEvent.keyDown(filter, { key: "j" });
    await waitFor(() => expect(document.activeElement?.getAttribute("data-lead-id")).toBe(lead(2).id));
    fireEvent.keyDown(document.activeElement!, { key: "Enter" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
  });

  it("closes an open dialog with Esc wherever the focus is, and only the dialog", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    commands.vaultStatus.mockImplementation(() => new Promise(() => {}));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await screen.findByTestId("detail-name");
    fireEvent.click(screen.getByText("Settings"));
    // The focus fell out of the dialog (a button disabled while busy): on the page, nowhere.
    screen.getByRole("dialog").blur();
    expect(document.activeElement).toBe(document.body);
    fireEvent.keyDown(document.body, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByTestId("detail-name")).toBeTruthy();
    // Or on a field behind it.
    fireEvent.click(screen.getByText("Settings"));
    screen.getByLabelText("Search").focus();
    fireEvent.keyDown(screen.getByLabelText("Search"), { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByTestId("detail-name")).toBeTruthy();
  });

  it("moves through the list with the arrows and j/k on the pane's status, which they leave as it is", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    const status = () => document.querySelector<HTMLSelectElement>("select[name=status]")!;
    for (const [key, name] of [["ArrowDown", "Person 2"], ["j", "Person 3"], ["ArrowUp", "Person 2"], ["k", "Person 1"]]) {
      status().focus();
      // Not prevented, the key would pick the select's next value (a status change, saved).
      expect(fireEvent.keyDown(status(), { key })).toBe(false);
      await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe(name));
    }
    expect(commands.updateLead).not.toHaveBeenCalled();
    // Its other keys (Space, Enter open its list) stay its own, as every key in a text field does.
    status().focus();
    expect(fireEvent.keyDown(status(), { key: "Enter" })).toBe(true);
    const note = screen.getByLabelText("New note");
    note.focus();
    expect(fireEvent.keyDown(note, { key: "j" })).toBe(true);
    expect(fireEvent.keyDown(note, { key: "ArrowDown" })).toBe(true);
    expect(screen.getByTestId("detail-name").textContent).toBe("Person 1");
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(1).id);
  });

  it("opens each lead in a pane of its own: a half-typed note stays with its lead", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "call back Friday" } });
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
    expect((screen.getByLabelText("New note") as HTMLTextAreaElement).value).toBe("");
  });

  it("keeps a half-typed note with its lead, there again when the lead is opened again", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "call back Friday" } });
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
    fireEvent.keyDown(document.body, { key: "k" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    expect((screen.getByLabelText("New note") as HTMLTextAreaElement).value).toBe("call back Friday");
  });

  it("says a note that failed to save after the user moved on was not saved, and gives it back to its lead", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    let answer: (v: unknown) => void = () => {};
    commands.updateLead.mockImplementation(() => new Promise((r) => (answer = r)));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "wants 3 quotes" } });
    fireEvent.click(screen.getByText("Add note"));
    expect(commands.updateLead).toHaveBeenCalledWith(lead(1).id, expect.objectContaining({ note: "wants 3 quotes" }));
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
    await act(async () => answer({ status: "error", error: { code: "busy", message: "the vault is busy" } }));
    expect((await screen.findByTestId("unsaved")).textContent).toMatch(/^A note for Person 1 was not saved: the vault is busy\. It is back in that lead's note box\./);
    // The user is on Person 2: its box stays empty.
    expect((screen.getByLabelText("New note") as HTMLTextAreaElement).value).toBe("");
    fireEvent.click(screen.getByText("Open it"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    expect((screen.getByLabelText("New note") as HTMLTextAreaElement).value).toBe("wants 3 quotes");
    expect(screen.getByRole("alert").textContent).toBe("The note was not saved: the vault is busy");
    expect(screen.queryByTestId("unsaved")).toBeNull();
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(1).id);
  });

  it("says why a change failed after the user moved on in its lead's pane, once opened", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    let answer: (v: unknown) => void = () => {};
    commands.updateLead.mockImplementation(() => new Promise((r) => (answer = r)));
    render(<Inbox offerSamples={false} />);
    const name = () => screen.getByTestId("detail-name").textContent;
    const busy = { status: "error", error: { code: "busy", message: "the vault is busy" } };
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(name()).toBe("Person 1"));
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 2"));
    await act(async () => answer(busy));
    expect((await screen.findByTestId("unsaved")).textContent).toMatch(/^The status change to won for Person 1 was not saved: the vault is busy\./);
    fireEvent.click(screen.getByText("Open it"));
    await waitFor(() => expect(name()).toBe("Person 1"));
    expect(screen.queryByTestId("unsaved")).toBeNull();
    expect(screen.getByRole("alert").textContent).toBe("The status change to won was not saved: the vault is busy.");
    expect(document.querySelector<HTMLSelectElement>("select[name=status]")!.value).toBe("new");
    // Said once: the lead opened again later shows it no more.
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 2"));
    fireEvent.keyDown(document.body, { key: "k" });
    await waitFor(() => expect(name()).toBe("Person 1"));
    expect(screen.queryByRole("alert")).toBeNull();
    // The lead opened again while its change still saves: its new pane says why it failed.
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "lost" } });
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 2"));
    fireEvent.keyDown(document.body, { key: "k" });
    await waitFor(() => expect(name()).toBe("Person 1"));
    await act(async () => answer(busy));
    expect((await screen.findByRole("alert")).textContent).toBe("The status change to lost was not saved: the vault is busy.");
    expect(screen.queryByTestId("unsaved")).toBeNull();
  });

  it("says every change that failed after the user moved on, each lead to be opened", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    const answers: ((v: unknown) => void)[] = [];
    commands.updateLead.mockImplementation(() => new Promise((r) => answers.push(r)));
    render(<Inbox offerSamples={false} />);
    const name = () => screen.getByTestId("detail-name").textContent;
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(name()).toBe("Person 1"));
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 2"));
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "wants 3 quotes" } });
    fireEvent.click(screen.getByText("Add note"));
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 3"));
    const busy = { status: "error", error: { code: "busy", message: "the vault is busy" } };
    await act(async () => answers.forEach((a) => a(busy)));
    const said = () => screen.getAllByTestId("unsaved").map((p) => p.textContent);
    await waitFor(() => expect(said()).toHaveLength(2));
    expect(said()[0]).toMatch(/^The status change to won for Person 1 was not saved: the vault is busy\./);
    expect(said()[1]).toMatch(/^A note for Person 2 was not saved: the vault is busy\./);
    // Each opens its own lead; the other is still said.
    fireEvent.click(screen.getAllByText("Open it")[1]);
    await waitFor(() => expect(name()).toBe("Person 2"));
    expect(said()).toHaveLength(1);
    expect(said()[0]).toMatch(/^The status change to won for Person 1/);
    fireEvent.click(screen.getByText("Open it"));
    await waitFor(() => expect(name()).toBe("Person 1"));
  });

  it("says why a note failed until it was seen: its pane left, or the message dismissed; the note stays", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    let answer: (v: unknown) => void = () => {};
    commands.updateLead.mockImplementation(() => new Promise((r) => (answer = r)));
    render(<Inbox offerSamples={false} />);
    const name = () => screen.getByTestId("detail-name").textContent;
    const box = () => (screen.getByLabelText("New note") as HTMLTextAreaElement).value;
    const busy = { status: "error", error: { code: "busy", message: "the vault is busy" } };
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(name()).toBe("Person 1"));
    // Failed in its pane: said there; once the pane is left, not said again.
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "wants 3 quotes" } });
    fireEvent.click(screen.getByText("Add note"));
    await act(async () => answer(busy));
    expect((await screen.findByRole("alert")).textContent).toBe("The note was not saved: the vault is busy");
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 2"));
    fireEvent.keyDown(document.body, { key: "k" });
    await waitFor(() => expect(name()).toBe("Person 1"));
    expect(box()).toBe("wants 3 quotes");
    expect(screen.queryByRole("alert")).toBeNull();
    // Failed after the user moved on, the message dismissed: the lead's pane does not say it.
    fireEvent.click(screen.getByText("Add note"));
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 2"));
    await act(async () => answer(busy));
    await screen.findByTestId("unsaved");
    fireEvent.click(screen.getByLabelText("Dismiss the message"));
    fireEvent.keyDown(document.body, { key: "k" });
    await waitFor(() => expect(name()).toBe("Person 1"));
    expect(box()).toBe("wants 3 quotes");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("a note that saves after the user moved on is saved once, and its lead's box is empty again", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    let answer: (v: unknown) => void = () => {};
    commands.updateLead.mockImplementation(() => new Promise((r) => (answer = r)));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "wants 3 quotes" } });
    fireEvent.click(screen.getByText("Add note"));
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
    fireEvent.keyDown(document.body, { key: "k" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    // Back while it still saves: the box holds the note, which cannot be sent twice.
    expect((screen.getByLabelText("New note") as HTMLTextAreaElement).value).toBe("wants 3 quotes");
    expect((screen.getByText("Add note") as HTMLButtonElement).disabled).toBe(true);
    const saved = { ...detail(lead(1)), notes: [{ at: lead(1).created_at, body: "wants 3 quotes" }] };
    await act(async () => answer({ status: "ok", data: saved }));
    expect((screen.getByLabelText("New note") as HTMLTextAreaElement).value).toBe("");
    expect(document.querySelector(".note")?.textContent).toContain("wants 3 quotes");
    expect(commands.updateLead).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId("unsaved")).toBeNull();
  });

  it("a change that lands after its pane closed is put in the view shown then, not the one it began in", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    let answer: (v: unknown) => void = () => {};
    commands.updateLead.mockImplementation(() => new Promise((r) => (answer = r)));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await screen.findByTestId("detail-name");
    // Won, still saving (the vault busy); the pane closed; the list filtered by "new".
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    fireEvent.click(screen.getByLabelText("Close"));
    fireEvent.click(screen.getByRole("button", { name: /^new/ }));
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ status: "new" }), null, 200));
    await rowsShown();
    await act(async () => answer({ status: "ok", data: detail(lead(1, { status: "won", updated_at: "2026-11-01T10:05:00Z" })) }));
    // Won is not new: the lead leaves the list, never shown there as won.
    await waitFor(() => expect(document.querySelector(`[data-lead-id="${lead(1).id}"]`)).toBeNull());
    expect(screen.getByText("Person 2")).toBeTruthy();
  });

  it("takes a lead out of a status-filtered list once its status no longer matches", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    commands.updateLead.mockImplementation((id: string) => ok(detail(lead(Number(id.slice(6)), { status: "won" }))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.click(screen.getByRole("button", { name: /^new/ }));
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ status: "new" }), null, 200));
    await rowsShown();
    fireEvent.click(screen.getByText("Person 1"));
    await screen.findByTestId("detail-name");
    commands.listLeads.mockImplementation(() => page([lead(2)]));
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    await waitFor(() => expect(document.querySelector(`[data-lead-id="${lead(1).id}"]`)).toBeNull());
    expect(screen.getByText("Person 2")).toBeTruthy();
    expect(screen.getByTestId("detail-name")).toBeTruthy();
  });

  it("after the open lead leaves the view, j opens the lead that took its place and k the one before", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3), lead(4)]));
    commands.updateLead.mockImplementation((id: string) => ok(detail(lead(Number(id.slice(6)), { status: "qualified" }))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.click(screen.getByRole("button", { name: /^new/ }));
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ status: "new" }), null, 200));
    await rowsShown();
    const name = () => screen.getByTestId("detail-name").textContent;
    const active = () => document.querySelector(".row.active")?.getAttribute("data-lead-id") ?? null;
    fireEvent.click(await screen.findByText("Person 2"));
    await waitFor(() => expect(name()).toBe("Person 2"));
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "qualified" } });
    await waitFor(() => expect(document.querySelector(`[data-lead-id="${lead(2).id}"]`)).toBeNull());
    // The pane still shows Person 2: no other row is highlighted as if it were open.
    expect(name()).toBe("Person 2");
    expect(active()).toBeNull();
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(name()).toBe("Person 3"));
    expect(active()).toBe(lead(3).id);
    // The same going up: Person 3 leaves too, k opens the one before it.
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "qualified" } });
    await waitFor(() => expect(document.querySelector(`[data-lead-id="${lead(3).id}"]`)).toBeNull());
    fireEvent.keyDown(document.body, { key: "k" });
    await waitFor(() => expect(name()).toBe("Person 1"));
    expect(active()).toBe(lead(1).id);
  });

  it("puts the cursor on the open lead when a search is cleared, so j goes on from it", async () => {
    commands.listLeads.mockImplementation((q: ViewQuery) => (q.search ? page([lead(7)]) : page([lead(1), lead(2), lead(3)])));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 2"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
    const active = () => document.querySelector(".row.active")?.getAttribute("data-lead-id") ?? null;
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: "zz" } });
    await screen.findByText("Person 7");
    // Person 2 is not in these results: no row stands for the open lead.
    await waitFor(() => expect(active()).toBeNull());
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: "" } });
    await screen.findByText("Person 3");
    await waitFor(() => expect(active()).toBe(lead(2).id));
    fireEvent.keyDown(document.body, { key: "j" });
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 3"));
  });

  it("takes a lead out of an owner- or tag-filtered list once its owner or tag no longer matches", async () => {
    const leads = [lead(1, { owner: "Maria" }), lead(2, { owner: "Maria" }), lead(3, { owner: "Maria", tags: ["vip"] })];
    commands.listLeads.mockImplementation(() => page(leads));
    commands.getLead.mockImplementation((id: string) => ok(detail(leads.find((l) => l.id === id)!)));
    commands.updateLead.mockImplementation((id: string, c: { owner: string | null; remove_tags: string[] }) => {
      const l = leads.find((x) => x.id === id)!;
      return ok(detail({ ...l, owner: c.owner ?? l.owner, tags: l.tags.filter((t) => !c.remove_tags.includes(t)) }));
    });
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.change(screen.getByLabelText("Owner"), { target: { value: " maria" } });
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ owner: "maria" }), null, 200));
    const row = (n: number) => document.querySelector(`[data-lead-id="${lead(n).id}"]`);
    const setOwner = async (n: number, owner: string) => {
      fireEvent.click(screen.getByText(`Person ${n}`));
      await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe(`Person ${n}`));
      fireEvent.change(document.querySelector("input[name=owner]")!, { target: { value: owner } });
      fireEvent.click(screen.getByText("Save owner"));
      await waitFor(() => expect(commands.updateLead).toHaveBeenLastCalledWith(lead(n).id, expect.objectContaining({ owner })));
    };
    // The core lists the one spelling the filter matched ("Maria"): another case leaves too.
    await setOwner(2, "MARIA");
    await waitFor(() => expect(row(2)).toBeNull());
    await setOwner(1, "Bob");
    await waitFor(() => expect(row(1)).toBeNull());
    expect(row(3)).toBeTruthy();
    expect(screen.getByTestId("detail-name").textContent).toBe("Person 1");

    fireEvent.click(screen.getByText("Clear filters"));
    fireEvent.change(screen.getByLabelText("Tag"), { target: { value: "VIP" } });
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ tag: "VIP" }), null, 200));
    await waitFor(() => expect(row(1)).toBeTruthy());
    fireEvent.click(screen.getByText("Person 3"));
    fireEvent.click(await screen.findByLabelText("Remove tag vip"));
    await waitFor(() => expect(row(3)).toBeNull());
    expect(row(2)).toBeTruthy();
  });

  it("dims the counts of an earlier view until the new view's arrive, and exports without them", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    render(<Inbox offerSamples={false} />);
    const nav = () => screen.getByRole("navigation", { name: "Status" });
    await waitFor(() => expect(document.querySelector("button[data-status=new] .count")?.textContent).toBe("3"));
    expect(nav().getAttribute("aria-busy")).toBe("false");
    let answer: (v: unknown) => void = () => {};
    commands.countByStatus.mockImplementation(() => new Promise((r) => (answer = r)));
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: "ana" } });
    await waitFor(() => expect(commands.countByStatus).toHaveBeenLastCalledWith(expect.objectContaining({ search: "ana" })));
    expect(nav().getAttribute("aria-busy")).toBe("true");
    expect(nav().className).toContain("stale");
    expect(document.querySelector("button[data-status=new] .count")?.textContent).toBe("3");
    await act(async () => answer({ status: "ok", data: counts(1) }));
    await waitFor(() => expect(nav().getAttribute("aria-busy")).toBe("false"));
    expect(document.querySelector("button[data-status=new] .count")?.textContent).toBe("1");
  });

  it("dims the rows of an earlier view while a slow view loads, and says Loading… in an empty list", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const list = screen.getByTestId("lead-list");
    expect(list.getAttribute("aria-busy")).toBe("false");
    expect(list.className).toBe("list");
    let answer: (v: unknown) => void = () => {};
    commands.listLeads.mockImplementation(() => new Promise((r) => (answer = r)));
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: "zzz" } });
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ search: "zzz" }), null, 200));
    // Person 1 does not match "zzz": still there, but dimmed and the list busy, and not to be
    // opened or ticked as if it were a match.
    expect(screen.getByText("Person 1")).toBeTruthy();
    expect(list.className).toContain("stale");
    expect(list.getAttribute("aria-busy")).toBe("true");
    fireEvent.click(screen.getByText("Person 1"));
    expect(commands.getLead).not.toHaveBeenCalled();
    expect((screen.getByLabelText("Select Person 1") as HTMLInputElement).disabled).toBe(true);
    await act(async () => answer({ status: "ok", data: { leads: [], next: null } }));
    expect(await screen.findByText("No leads match this search.")).toBeTruthy();
    expect(list.getAttribute("aria-busy")).toBe("false");
    // From an empty list, a slow view shows Loading…, not a blank list.
    fireEvent.click(document.querySelector("button[data-status=won]")!);
    expect(await screen.findByText("Loading…")).toBeTruthy();
    expect(list.getAttribute("aria-busy")).toBe("true");
    await act(async () => answer({ status: "ok", data: { leads: [lead(3, { status: "won" })], next: null } }));
    expect(await screen.findByText("Person 3")).toBeTruthy();
    expect(screen.queryByText("Loading…")).toBeNull();
    expect(list.className).toBe("list");
  });

  it("counts again after a lead's status changes in its detail", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1)]));
    commands.updateLead.mockImplementation((id: string) => ok(detail(lead(Number(id.slice(6)), { status: "won" }))));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    await screen.findByTestId("detail-name");
    await waitFor(() => expect(document.querySelector("button[data-status=won] .count")?.textContent).toBe("0"));
    const won = { ...counts(0), by_status: counts(0).by_status.map((c) => (c.status === "won" ? { ...c, count: 1 } : c)) };
    commands.countByStatus.mockImplementation(() => ok(won));
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    await waitFor(() => expect(document.querySelector("button[data-status=won] .count")?.textContent).toBe("1"));
    expect(document.querySelector(".row .status")?.textContent).toBe("won");
  });

  it("reloads as far down as the list was loaded, the cursor staying on its lead", async () => {
    const first = Array.from({ length: 10 }, (_, i) => lead(i));
    commands.listLeads.mockImplementation((_q: ViewQuery, cursor: string | null) =>
      cursor === null ? page(first, "c1") : cursor === "c1" ? page([lead(100)], "c2") : page([lead(101)], null),
    );
    render(<Inbox offerSamples={false} />);
    expect(await screen.findByText("Person 101")).toBeTruthy();
    fireEvent.keyDown(document.body, { key: "j" });
    fireEvent.keyDown(document.body, { key: "j" });
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(2).id);
    // A sync brings one new lead at the top: the reload asks for the 12 rows loaded, over two
    // pages, before any scrolling asks for more.
    commands.listLeads.mockClear();
    commands.listLeads.mockImplementation((_q: ViewQuery, cursor: string | null) =>
      cursor === null ? page([lead(50), ...first], "r1") : cursor === "r1" ? page([lead(100)], "r2") : page([lead(101)], null),
    );
    const meta = { id: "01M", provider: "meta", provider_name: "Meta", label: "Meta", auth: "token", account_name: null,
      status: "connected", last_error: null, created_at: "2026-11-23T06:00:00Z", last_sync_at: null, can_sync: true,
      stale: false, sync_every_secs: null, syncs: "every 15 min" };
    act(() => void emitSync({ kind: "finished", new: 1, pushed: 0, failed: 0, error: null, retry_in_secs: null, connection: meta }));
    expect(await screen.findByText("Person 50")).toBeTruthy();
    expect(await screen.findByText("Person 101")).toBeTruthy();
    expect(commands.listLeads.mock.calls[0].slice(1)).toEqual([null, 200]);
    expect(commands.listLeads.mock.calls[1].slice(1)).toEqual(["r1", 1]);
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(2).id);
  });

  it("reloads the list and the counts once when the window comes back, not while an export runs", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const first = [lead(1), lead(2), lead(3)];
    commands.listLeads.mockImplementation(() => page(first));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.keyDown(document.body, { key: "j" });
    const comeBack = () => {
      window.dispatchEvent(new Event("focus"));
      document.dispatchEvent(new Event("visibilitychange"));
    };
    // A lead imported in a terminal, at the top: an alt-tab there and back (twice) reloads once.
    commands.listLeads.mockClear();
    commands.countByStatus.mockClear();
    commands.countByStatus.mockImplementation(() => ok(counts(4)));
    commands.listLeads.mockImplementation(() => page([lead(9), ...first]));
    comeBack();
    await act(async () => vi.advanceTimersByTime(100));
    comeBack();
    await act(async () => vi.advanceTimersByTime(1000));
    expect(await screen.findByText("Person 9")).toBeTruthy();
    expect(commands.listLeads).toHaveBeenCalledTimes(1);
    expect(commands.countByStatus).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(document.querySelector("button[data-status=new] .count")?.textContent).toBe("4"));
    // The cursor stays on its lead.
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(2).id);
    // While an export runs, coming back reloads nothing.
    commands.exportView.mockImplementation(() => new Promise(() => {}));
    fireEvent.click(screen.getByText("Export view"));
    commands.listLeads.mockClear();
    comeBack();
    await act(async () => vi.advanceTimersByTime(1000));
    expect(commands.listLeads).not.toHaveBeenCalled();
    vi.useRealTimers();
  });

  /** A vault the list pages through by keyset cursor, as the core does: newest (highest number)
   *  first, a cursor the key after which the next page starts (it outlives its lead). */
  function keyset(store: Lead[]) {
    const num = (l: Lead) => Number(l.id.slice(6));
    return (_q: ViewQuery, cursor: string | null, limit: number) => {
      const rest = store.filter((l) => cursor === null || num(l) < Number(cursor.slice(6))).sort((a, b) => num(b) - num(a));
      const got = rest.slice(0, limit);
      return page(got, rest.length > limit ? `after:${num(got[got.length - 1])}` : null);
    };
  }
  /** 450 leads (Person 1000 down to Person 551) loaded over three pages, the list scrolled to the 251st. */
  async function deepList(store: Lead[]) {
    commands.listLeads.mockImplementation(keyset(store));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1000");
    const list = screen.getByTestId("lead-list");
    list.scrollTop = 440 * 44;
    fireEvent.scroll(list);
    await screen.findByText("Person 551");
    list.scrollTop = 250 * 44;
    fireEvent.scroll(list);
    await screen.findByText("Person 750");
    expect(commands.listLeads.mock.calls.map((c) => c.slice(1))).toEqual([[null, 200], ["after:801", 200], ["after:601", 200]]);
    commands.listLeads.mockClear();
    return list;
  }
  const windowBack = () => {
    window.dispatchEvent(new Event("focus"));
    document.dispatchEvent(new Event("visibilitychange"));
  };
  const ownerOf = (n: number) => document.querySelector(`.row[data-lead-id="${lead(n).id}"] .owner`)?.textContent;

  it("reads again, when the window comes back, the first page and the rows on screen, the others once scrolled to", async () => {
    const store = Array.from({ length: 450 }, (_, i) => lead(1000 - i));
    const list = await deepList(store);
    // A terminal changed two leads' owners: one on screen, one further down.
    store[260] = lead(740, { owner: "Maria" });
    store[420] = lead(580, { owner: "Ben" });
    windowBack();
    await waitFor(() => expect(ownerOf(740)).toBe("Maria"));
    // The first page (new leads would be there) and the page on screen: 400 leads, not 450.
    expect(commands.listLeads.mock.calls.map((c) => c.slice(1))).toEqual([[null, 200], ["after:801", 200]]);
    // Further down, the last page is read again once it is on screen.
    list.scrollTop = 420 * 44;
    fireEvent.scroll(list);
    await waitFor(() => expect(ownerOf(580)).toBe("Ben"));
    expect(commands.listLeads.mock.calls.map((c) => c.slice(1))).toEqual([[null, 200], ["after:801", 200], ["after:601", 50]]);
    // Read once per return: scrolling back reads nothing again.
    list.scrollTop = 250 * 44;
    fireEvent.scroll(list);
    await screen.findByText("Person 750");
    expect(commands.listLeads).toHaveBeenCalledTimes(3);
    // A lead deleted on screen: the list is loaded again as far down as it was, without it.
    commands.listLeads.mockClear();
    store.splice(255, 1);
    windowBack();
    await waitFor(() => expect(screen.queryByText("Person 745")).toBeNull());
    await waitFor(() => expect(commands.listLeads.mock.calls.at(-1)?.slice(1)).toEqual(["after:801", 250]));
    expect(screen.getByText("Person 746")).toBeTruthy();
    // A lead further down changed status: the counts say so, and the list is loaded again.
    await waitFor(() => expect(screen.getByTestId("lead-list").getAttribute("aria-busy")).toBe("false"));
    await act(async () => {});
    commands.listLeads.mockClear();
    store[430] = lead(570, { status: "won" });
    const moved = counts(449);
    moved.by_status = moved.by_status.map((c) => (c.status === "new" ? { ...c, count: 448 } : c.status === "won" ? { ...c, count: 1 } : c));
    commands.countByStatus.mockImplementation(() => ok(moved));
    windowBack();
    await waitFor(() => expect(commands.listLeads.mock.calls.at(-1)?.slice(1)).toEqual(["after:801", 249]));
    expect(commands.listLeads.mock.calls.slice(0, 2).map((c) => c.slice(1))).toEqual([[null, 200], [null, 200]]);
  });

  it("puts in the leads a terminal imported before the first page when the window comes back, the cursor on its lead", async () => {
    const store = Array.from({ length: 450 }, (_, i) => lead(1000 - i));
    commands.countByStatus.mockImplementation(() => ok(counts(450)));
    const list = await deepList(store);
    fireEvent.click(screen.getByText("Person 745"));
    await screen.findByTestId("detail-name");
    fireEvent.keyDown(document.body, { key: "Escape" });
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(745).id);
    await waitFor(() => expect(screen.getByTestId("lead-grid").getAttribute("aria-rowcount")).toBe("451"));
    // Two new leads: the counts moved by them and nothing else.
    commands.countByStatus.mockImplementation(() => ok(counts(452)));
    store.push(lead(2000), lead(2001));
    windowBack();
    // The first page again, and the two leads it no longer holds; then the page on screen.
    await waitFor(() => expect(commands.listLeads).toHaveBeenCalledTimes(3));
    expect(commands.listLeads.mock.calls.map((c) => c.slice(1))).toEqual([[null, 200], ["after:803", 2], ["after:801", 200]]);
    await waitFor(() => expect(screen.getByTestId("lead-grid").getAttribute("aria-rowcount")).toBe("453"));
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(745).id);
    expect(document.querySelector(`.row[data-lead-id="${lead(745).id}"]`)?.getAttribute("aria-rowindex")).toBe("259");
    list.scrollTop = 0;
    fireEvent.scroll(list);
    await screen.findByText("Person 2001");
    expect(document.querySelector(`.row[data-lead-id="${lead(2000).id}"]`)?.getAttribute("aria-rowindex")).toBe("3");
    expect(commands.listLeads).toHaveBeenCalledTimes(3);
  });

  it("reads the first page again when the window comes back while its last read is still on its way", async () => {
    const store = Array.from({ length: 450 }, (_, i) => lead(1000 - i));
    commands.countByStatus.mockImplementation(() => ok(counts(450)));
    await deepList(store);
    await waitFor(() => expect(screen.getByTestId("lead-grid").getAttribute("aria-rowcount")).toBe("451"));
    // The first page's read on the window's return answers late, with the leads as they were.
    const all = keyset(store);
    let answer: () => void = () => {};
    commands.listLeads.mockImplementation((q: ViewQuery, cursor: string | null, limit: number) => {
      if (cursor !== null) return all(q, cursor, limit);
      const then = all(q, cursor, limit);
      commands.listLeads.mockImplementation(all);
      return new Promise((resolve) => (answer = () => resolve(then)));
    });
    const counted = commands.countByStatus.mock.calls.length;
    windowBack();
    await waitFor(() => expect(commands.listLeads).toHaveBeenCalledWith(expect.anything(), null, 200));
    // Meanwhile a terminal imports two leads, and the window comes back again.
    commands.countByStatus.mockImplementation(() => ok(counts(452)));
    store.push(lead(2000), lead(2001));
    windowBack();
    await waitFor(() => expect(commands.countByStatus.mock.calls.length).toBe(counted + 2));
    answer();
    // The late answer was read before the import: the first page is read again, with them.
    await waitFor(() => expect(commands.listLeads.mock.calls.filter((c) => c[1] === null)).toHaveLength(2));
    const list = screen.getByTestId("lead-list");
    list.scrollTop = 0;
    fireEvent.scroll(list);
    await screen.findByText("Person 2001");
    expect(screen.getByText("Person 2000")).toBeTruthy();
  });

  it("says where an export went in a bar of its own, under the toolbar, until dismissed", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1)]));
    commands.exportView.mockImplementation(() => ok({ path: "/home/me/leads.csv", rows: 1200 }));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.click(screen.getByText("Export view"));
    const bar = await screen.findByTestId("exported");
    expect(bar.textContent).toContain(`Exported ${(1200).toLocaleString()} leads to /home/me/leads.csv`);
    expect(bar.closest(".toolbar")).toBeNull();
    fireEvent.click(screen.getByLabelText("Dismiss the export message"));
    expect(screen.queryByTestId("exported")).toBeNull();
  });

  it("in an empty vault, points to Import…, Connections and the sample leads instead of an empty view", async () => {
    commands.listLeads.mockImplementation(() => page([]));
    commands.countByStatus.mockImplementation(() => ok(counts(0)));
    commands.loadSamples.mockImplementation(() => ok({ added: 200 }));
    render(<Inbox offerSamples={false} />);
    const empty = await screen.findByText(/^No leads yet/);
    expect(empty.textContent).toContain("Import…");
    expect(empty.textContent).toContain("Connections");
    fireEvent.click(screen.getByText("load 200 sample leads"));
    fireEvent.click(screen.getByText("Load sample leads"));
    await waitFor(() => expect(commands.loadSamples).toHaveBeenCalledWith(200));
    // A filtered view with nothing in it is only that.
    commands.countByStatus.mockImplementation(() => ok({ ...counts(0), total: 0 }));
    fireEvent.change(screen.getByLabelText("Tag"), { target: { value: "vip" } });
    expect(await screen.findByText("No leads in this view.")).toBeTruthy();
  });

  it("offers the way back from an empty view: clear the search, the filters, or both", { timeout: 30000 }, async () => {
    commands.listLeads.mockImplementation((q: ViewQuery) => (q.search || q.tag ? page([]) : page([lead(1)])));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const box = screen.getByLabelText("Search") as HTMLInputElement;
    fireEvent.change(box, { target: { value: "zzz" } });
    await screen.findByText("No leads match this search.");
    // Only the search is set: only it is offered.
    expect(screen.queryByRole("button", { name: "the filters" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Clear the search" }));
    expect(await screen.findByText("Person 1")).toBeTruthy();
    expect(box.value).toBe("");
    expect(document.activeElement).toBe(box);
    // A filter alone: "Clear filters" in the empty view, as in the filters' bar.
    fireEvent.change(screen.getByLabelText("Tag"), { target: { value: "vip" } });
    const empty = await screen.findByText("No leads in this view.");
    fireEvent.click(empty.querySelector("button")!);
    expect(await screen.findByText("Person 1")).toBeTruthy();
    expect((screen.getByLabelText("Tag") as HTMLInputElement).value).toBe("");
    // Both: either can go.
    fireEvent.change(screen.getByLabelText("Tag"), { target: { value: "vip" } });
    fireEvent.change(box, { target: { value: "zzz" } });
    await screen.findByText(/^No leads match this search\. +or$/);
    fireEvent.click(screen.getByRole("button", { name: "the filters" }));
    await waitFor(() => expect((screen.getByLabelText("Tag") as HTMLInputElement).value).toBe(""));
    expect(box.value).toBe("zzz");
    // A view with nothing and no filter says only that.
    await waitFor(() => expect(screen.queryByRole("button", { name: "the filters" })).toBeNull());
  });

  it("in a new empty vault, says where leads come from once: in the sample offer, not again below it", async () => {
    commands.listLeads.mockImplementation(() => page([]));
    commands.countByStatus.mockImplementation(() => ok(counts(0)));
    render(<Inbox offerSamples={true} />);
    expect(await screen.findByText("Load sample leads")).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("lead-list").getAttribute("aria-busy")).toBe("false"));
    await act(async () => {});
    expect(screen.queryByText(/^No leads yet/)).toBeNull();
    fireEvent.click(screen.getByText("Start empty"));
    expect(await screen.findByText(/^No leads yet/)).toBeTruthy();
  });

  it("puts the focus on the first sample lead once they are loaded, where it fell to the page with the offer", async () => {
    commands.listLeads.mockImplementation(() => page([]));
    commands.countByStatus.mockImplementation(() => ok(counts(0)));
    commands.loadSamples.mockImplementation(() => {
      commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
      return ok({ added: 2 });
    });
    render(<Inbox offerSamples />);
    const load = await screen.findByText("Load sample leads");
    load.focus();
    fireEvent.click(load);
    await waitFor(() => expect(document.activeElement?.getAttribute("data-lead-id")).toBe(lead(1).id));
  });

  it("sends what is typed in the text filters once typing pauses", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    commands.listLeads.mockImplementation(() => page([lead(1)]));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    for (const v of ["m", "me", "met", "meta"]) fireEvent.change(screen.getByLabelText("Source"), { target: { value: v } });
    await act(async () => vi.advanceTimersByTime(300));
    await waitFor(() => expect(commands.listLeads).toHaveBeenLastCalledWith(expect.objectContaining({ source: "meta" }), null, 200));
    expect(commands.listLeads.mock.calls.some((c) => c[0].source === "me")).toBe(false);
    vi.useRealTimers();
  });

  it("applies a bulk status change to the selected leads", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2), lead(3)]));
    commands.updateLeads.mockImplementation((ids: string[]) => ok({ updated: ids.length }));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const boxes = screen.getAllByLabelText(/^Select Person/);
    fireEvent.click(boxes[0]);
    fireEvent.click(boxes[2]);
    expect(screen.getByText("2 selected")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Set status"), { target: { value: "contacted" } });
    await screen.findByText("Updated 2 leads.", { selector: ".notice" });
    expect(commands.updateLeads).toHaveBeenCalledWith(
      [lead(1).id, lead(3).id],
      expect.objectContaining({ status: "contacted", owner: null, add_tags: [] }),
    );
  });

  it("loads the open lead again after a bulk change, so its pane never saves the old owner back", async () => {
    let now = lead(1, { owner: "Tom" });
    commands.listLeads.mockImplementation(() => page([now, lead(2)]));
    commands.getLead.mockImplementation(() => ok(detail(now)));
    commands.updateLeads.mockImplementation((ids: string[], c: { owner: string | null; status: string | null; add_tags: string[] }) => {
      now = {
        ...now,
        updated_at: new Date(Date.parse(now.updated_at) + 1000).toISOString(),
        owner: c.owner ?? now.owner,
        status: (c.status ?? now.status) as Lead["status"],
        tags: [...now.tags, ...c.add_tags],
      };
      return ok({ updated: ids.length });
    });
    commands.updateLead.mockImplementation((_id: string, c: { owner: string | null }) => ok(detail({ ...now, owner: c.owner })));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    const ownerBox = () => document.querySelector<HTMLInputElement>("input[name=owner]")!;
    await waitFor(() => expect(ownerBox().value).toBe("Tom"));
    const bulk = async (set: () => void) => {
      fireEvent.click(screen.getByLabelText("Select Person 1"));
      set();
      await screen.findByText("Updated 1 lead.", { selector: ".notice" });
      fireEvent.click(screen.getByLabelText("Dismiss the notice"));
    };
    await bulk(() => {
      // The names the stylesheet sizes the bulk bar's fields by (styles.test.tsx).
      expect([screen.getByLabelText("New owner"), screen.getByLabelText("Tag to add")].map((i) => i.getAttribute("name"))).toEqual([
        "bulk-owner",
        "bulk-tag",
      ]);
      fireEvent.change(screen.getByLabelText("New owner"), { target: { value: "Priya" } });
      fireEvent.click(screen.getByText("Set owner"));
    });
    await waitFor(() => expect(ownerBox().value).toBe("Priya"));
    await bulk(() => fireEvent.change(screen.getByLabelText("Set status"), { target: { value: "contacted" } }));
    await waitFor(() => expect(document.querySelector<HTMLSelectElement>("select[name=status]")!.value).toBe("contacted"));
    await bulk(() => {
      fireEvent.change(screen.getByLabelText("Tag to add"), { target: { value: "vip" } });
      fireEvent.click(screen.getByText("Add tag"));
    });
    expect(await screen.findByLabelText("Remove tag vip")).toBeTruthy();
    fireEvent.click(screen.getByText("Save owner"));
    await waitFor(() => expect(commands.updateLead).toHaveBeenCalled());
    expect(commands.updateLead).toHaveBeenCalledWith(lead(1).id, expect.objectContaining({ owner: "Priya" }));
    await waitFor(() => expect(document.querySelector(`[data-lead-id="${lead(1).id}"] .owner`)?.textContent).toBe("Priya"));
  });

  it("keeps an owner typed in the pane when a sync loads the lead again", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1, { owner: "Tom" })]));
    commands.getLead.mockImplementation(() => ok(detail(lead(1, { owner: "Tom" }))));
    render(<Inbox offerSamples={false} />);
    fireEvent.click(await screen.findByText("Person 1"));
    const ownerBox = () => document.querySelector<HTMLInputElement>("input[name=owner]")!;
    await waitFor(() => expect(ownerBox().value).toBe("Tom"));
    fireEvent.change(ownerBox(), { target: { value: "Mar" } });
    const calls = commands.getLead.mock.calls.length;
    const meta = { id: "01M", provider: "meta", provider_name: "Meta", label: "Meta", auth: "token", account_name: null,
      status: "connected", last_error: null, created_at: "2026-11-23T06:00:00Z", last_sync_at: null, can_sync: true,
      stale: false, sync_every_secs: null, syncs: "every 15 min" };
    act(() => void emitSync({ kind: "finished", new: 1, pushed: 0, failed: 0, error: null, retry_in_secs: null, connection: meta }));
    await waitFor(() => expect(commands.getLead.mock.calls.length).toBeGreaterThan(calls));
    await act(async () => {});
    expect(ownerBox().value).toBe("Mar");
  });

  it("ticks a range with shift-click, and all shown leads at once", async () => {
    commands.listLeads.mockImplementation(() => page([1, 2, 3, 4, 5].map((n) => lead(n))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const box = (n: number) => screen.getByLabelText(`Select Person ${n}`) as HTMLInputElement;
    fireEvent.click(box(2));
    fireEvent.click(box(4), { shiftKey: true });
    expect([1, 2, 3, 4, 5].map((n) => box(n).checked)).toEqual([false, true, true, true, false]);
    fireEvent.click(box(3), { shiftKey: true });
    expect([1, 2, 3, 4, 5].map((n) => box(n).checked)).toEqual([false, true, false, false, false]);
    expect(screen.getByText("1 selected")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Select all 5 shown" }));
    expect([1, 2, 3, 4, 5].every((n) => box(n).checked)).toBe(true);
    expect(screen.queryByRole("button", { name: /Select all/ })).toBeNull();
  });

  it("ticks a shift-click range from the lead last clicked, after a reload has moved it down", async () => {
    commands.listLeads.mockImplementation(() => page([1, 2, 3, 4, 5].map((n) => lead(n))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const box = (n: number) => screen.getByLabelText(`Select Person ${n}`) as HTMLInputElement;
    fireEvent.click(box(3));
    // A sync brings a lead at the top: Person 3 is now the fourth row.
    commands.listLeads.mockImplementation(() => page([9, 1, 2, 3, 4, 5].map((n) => lead(n))));
    const meta = { id: "01M", provider: "meta", provider_name: "Meta", label: "Meta", auth: "token", account_name: null,
      status: "connected", last_error: null, created_at: "2026-11-23T06:00:00Z", last_sync_at: null, can_sync: true,
      stale: false, sync_every_secs: null, syncs: "every 15 min" };
    await waitFor(() => expect(emitSync({ kind: "finished", new: 0, pushed: 0, failed: 0, error: null, retry_in_secs: null, connection: meta })).toBeGreaterThan(0));
    act(() => void emitSync({ kind: "finished", new: 1, pushed: 0, failed: 0, error: null, retry_in_secs: null, connection: meta }));
    await screen.findByText("Person 9");
    fireEvent.click(box(5), { shiftKey: true });
    expect([9, 1, 2, 3, 4, 5].map((n) => box(n).checked)).toEqual([false, false, false, true, true, true]);
  });

  it("selects at most 10,000 leads, the first shown, by button or shift-click range", async () => {
    commands.listLeads.mockImplementation(() => page(Array.from({ length: 10050 }, (_, i) => lead(i))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 0");
    const box = (n: number) => screen.getByLabelText(`Select Person ${n}`) as HTMLInputElement;
    fireEvent.click(box(0));
    expect(screen.queryByRole("button", { name: /Select all/ })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Select the first 10,000" }));
    expect(screen.getByText("10,000 selected")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Select the first/ })).toBeNull();
    // A range from the first row to one past the 10,000th stops at 10,000, and says so.
    fireEvent.click(screen.getByText("Clear selection"));
    fireEvent.click(box(0));
    const list = screen.getByTestId("lead-list");
    list.scrollTop = 10010 * 44;
    fireEvent.scroll(list);
    const far = await screen.findByLabelText("Select Person 10020");
    fireEvent.click(far, { shiftKey: true });
    expect(screen.getByText("10,000 selected")).toBeTruthy();
    expect((far as HTMLInputElement).checked).toBe(false);
    expect(box(9999).checked).toBe(true);
    expect(screen.getByTestId("announcer").textContent).toMatch(/^At most 10,000 leads can be changed at once: 21 not ticked\./);
  });

  it("ticks from the keyboard: x or Space the cursor's lead, Shift with a move a range from the anchor that shrinks going back", async () => {
    commands.listLeads.mockImplementation(() => page([1, 2, 3, 4, 5, 6, 7].map((n) => lead(n))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const press = (key: string, shiftKey = false, on: Element = document.activeElement ?? document.body) =>
      fireEvent.keyDown(on, { key, shiftKey });
    const ticked = () => [1, 2, 3, 4, 5, 6, 7].filter((n) => (screen.getByLabelText(`Select Person ${n}`) as HTMLInputElement).checked);
    const row = (n: number) => document.querySelector<HTMLElement>(`.row[data-lead-id="${lead(n).id}"]`)!;
    const region = screen.getByTestId("announcer");
    // x ticks the cursor's lead (said, as the bulk bar counts it), and again unticks it.
    press("j");
    press("x");
    expect(ticked()).toEqual([2]);
    expect(row(2).getAttribute("aria-selected")).toBe("true");
    expect(row(1).getAttribute("aria-selected")).toBe("false");
    expect(screen.getByRole("grid").getAttribute("aria-multiselectable")).toBe("true");
    await waitFor(() => expect(region.textContent).toBe("1 selected"));
    press("x");
    expect(ticked()).toEqual([]);
    await waitFor(() => expect(region.textContent).toBe("No leads selected."));
    // Space on the cursor's row (where the moves put the focus) ticks it too, and is the list's:
    // the list does not scroll.
    press("x");
    await waitFor(() => expect(document.activeElement).toBe(row(2)));
    expect(press(" ")).toBe(false);
    press(" ");
    expect(ticked()).toEqual([2]);
    // Shift+J (J, as Shift makes it) and Shift+↓ tick from the anchor (the lead x ticked) to the cursor.
    press("J", true);
    expect(ticked()).toEqual([2, 3]);
    press("ArrowDown", true);
    expect(ticked()).toEqual([2, 3, 4]);
    expect(document.querySelector(".row.active")?.getAttribute("data-lead-id")).toBe(lead(4).id);
    await waitFor(() => expect(region.textContent).toBe("3 selected"));
    // Going back shrinks the range, and past the anchor it grows the other way.
    press("K", true);
    expect(ticked()).toEqual([2, 3]);
    press("ArrowUp", true);
    press("ArrowUp", true);
    expect(ticked()).toEqual([1, 2]);
    // A lead ticked before the range stays ticked when the range leaves it.
    press("j");
    press("j");
    press("j");
    press("j");
    press("x");
    expect(ticked()).toEqual([1, 2, 5]);
    press("k");
    press("k");
    press("K", true);
    expect(ticked()).toEqual([1, 2, 3, 4, 5]);
    press("J", true);
    press("J", true);
    press("J", true);
    expect(ticked()).toEqual([1, 2, 5]);
    press("J", true);
    expect(ticked()).toEqual([1, 2, 5, 6]);
    // A plain move ticks nothing; Shift then goes on from the anchor.
    press("j");
    press("J", true);
    expect(ticked()).toEqual([1, 2, 5, 6, 7]);
    // Esc with a lead open closes the lead first; the next clears the ticks (said too).
    press("Enter");
    await screen.findByTestId("detail-name");
    press("Escape");
    expect(screen.queryByTestId("detail-name")).toBeNull();
    expect(ticked()).toEqual([1, 2, 5, 6, 7]);
    press("Escape");
    expect(ticked()).toEqual([]);
    expect(screen.queryByRole("region", { name: "Bulk changes" })).toBeNull();
    await waitFor(() => expect(region.textContent).toBe("No leads selected."));
    // The anchor went with the ticks: a Shift move starts a range at the cursor.
    press("k");
    press("K", true);
    expect(ticked()).toEqual([5, 6]);
  });

  it("leaves Space to a button or a field, x to a field, and ticks with Shift+J/K on the pane's status", async () => {
    commands.listLeads.mockImplementation(() => page([1, 2, 3].map((n) => lead(n))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    const ticked = () => [1, 2, 3].filter((n) => (screen.getByLabelText(`Select Person ${n}`) as HTMLInputElement).checked);
    const filter = document.querySelector<HTMLButtonElement>("button[data-status=new]")!;
    filter.focus();
    expect(fireEvent.keyDown(filter, { key: " " })).toBe(true);
    const box = screen.getByLabelText("Search");
    box.focus();
    expect(fireEvent.keyDown(box, { key: "x" })).toBe(true);
    expect(fireEvent.keyDown(box, { key: " " })).toBe(true);
    expect(fireEvent.keyDown(box, { key: "ArrowDown", shiftKey: true })).toBe(true);
    expect(ticked()).toEqual([]);
    // On the pane's status, Shift+J moves and ticks as in the list, and changes no status.
    fireEvent.click(screen.getByText("Person 1"));
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 1"));
    const status = () => document.querySelector<HTMLSelectElement>("select[name=status]")!;
    status().focus();
    expect(fireEvent.keyDown(status(), { key: "J", shiftKey: true })).toBe(false);
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 2"));
    expect(ticked()).toEqual([1, 2]);
    status().focus();
    expect(fireEvent.keyDown(status(), { key: "ArrowDown", shiftKey: true })).toBe(false);
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("Person 3"));
    expect(ticked()).toEqual([1, 2, 3]);
    expect(commands.updateLead).not.toHaveBeenCalled();
  });

  it("ticks at most 10,000 leads with Shift+End, and says so as a shift-click does", async () => {
    commands.listLeads.mockImplementation(() => page(Array.from({ length: 10050 }, (_, i) => lead(i))));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 0");
    fireEvent.keyDown(document.body, { key: "x" });
    fireEvent.keyDown(document.activeElement ?? document.body, { key: "End", shiftKey: true });
    expect(screen.getByText("10,000 selected")).toBeTruthy();
    expect(screen.getByTestId("announcer").textContent).toMatch(/^At most 10,000 leads can be changed at once: 50 not ticked\./);
    // Back up: the range shrinks to the rows it covers, and the limit is no longer reached.
    fireEvent.keyDown(document.activeElement ?? document.body, { key: "Home", shiftKey: true });
    expect(screen.getByText("1 selected", { selector: ".bulk strong" })).toBeTruthy();
  });

  it("lets a notice be dismissed, and drops it when the view changes", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    commands.updateLeads.mockImplementation(() => ok({ updated: 2 }));
    render(<Inbox offerSamples={false} />);
    expect(await screen.findByText("Person 1")).toBeTruthy();
    const tick = () => {
      fireEvent.click(screen.getByLabelText("Select Person 1"));
      fireEvent.click(screen.getByLabelText("Select Person 2"));
      fireEvent.change(screen.getByLabelText("Set status"), { target: { value: "won" } });
    };
    tick();
    expect(await screen.findByText("Updated 2 leads.", { selector: ".notice" })).toBeTruthy();
    fireEvent.click(screen.getByLabelText("Dismiss the notice"));
    expect(screen.queryByText("Updated 2 leads.", { selector: ".notice" })).toBeNull();
    tick();
    expect(await screen.findByText("Updated 2 leads.", { selector: ".notice" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: /^won/ }));
    await waitFor(() => expect(screen.queryByText("Updated 2 leads.", { selector: ".notice" })).toBeNull());
  });

  it("says a notice, an import's and an export's outcome in a live region that was there before them", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    commands.updateLeads.mockImplementation(() => ok({ updated: 2 }));
    commands.exportView.mockImplementation(() => ok({ path: "/home/me/leads.csv", rows: 2 }));
    render(<Inbox offerSamples={false} />);
    expect(await screen.findByText("Person 1")).toBeTruthy();
    // A region put in with its text is not read out: this one is there, empty, from the start.
    const region = screen.getByTestId("announcer");
    expect(region.textContent).toBe("");
    fireEvent.click(screen.getByLabelText("Select Person 1"));
    fireEvent.click(screen.getByLabelText("Select Person 2"));
    fireEvent.change(screen.getByLabelText("Set status"), { target: { value: "won" } });
    await waitFor(() => expect(region.textContent).toBe("Updated 2 leads."));
    expect(screen.getByTestId("announcer")).toBe(region);
    fireEvent.click(screen.getByLabelText("Dismiss the notice"));
    expect(region.textContent).toBe("");
    fireEvent.click(screen.getByText("Export view"));
    await waitFor(() => expect(region.textContent).toBe("Exported 2 leads to /home/me/leads.csv"));
    // No message in a status region of its own (the import's, there for its progress, is empty).
    expect(screen.getAllByRole("status").filter((r) => r !== region && r.textContent !== "")).toEqual([]);
  });

  it("says a notice again when the same notice is given again, and the same sync's news again", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1), lead(2)]));
    commands.updateLeads.mockImplementation(() => ok({ updated: 2 }));
    render(<Inbox offerSamples={false} />);
    expect(await screen.findByText("Person 1")).toBeTruthy();
    const region = screen.getByTestId("announcer");
    const apply = async (times: number) => {
      fireEvent.click(screen.getByLabelText("Select Person 1"));
      fireEvent.click(screen.getByLabelText("Select Person 2"));
      fireEvent.change(screen.getByLabelText("Set status"), { target: { value: "won" } });
      await waitFor(() => expect(commands.updateLeads).toHaveBeenCalledTimes(times));
      await waitFor(() => expect(screen.queryByText("Applying…")).toBeNull());
    };
    await apply(1);
    await waitFor(() => expect(region.textContent).toBe("Updated 2 leads."));
    const first = region.firstElementChild;
    // The same text again, the first notice not dismissed: put in anew, so it is said again.
    await apply(2);
    await waitFor(() => expect(region.firstElementChild).not.toBe(first));
    expect(region.textContent).toBe("Updated 2 leads.");
    // Two syncs bringing the same news: each is said.
    const meta = { id: "01M", provider: "meta", provider_name: "Meta", label: "Meta", auth: "token",
      account_name: null, status: "connected", last_error: null, created_at: "2026-11-23T06:00:00Z",
      last_sync_at: "2026-11-23T07:00:00Z", can_sync: true, stale: false, sync_every_secs: null, syncs: "every 15 min" };
    const news = { kind: "finished", new: 1, pushed: 0, failed: 0, error: null, retry_in_secs: null, connection: meta } as const;
    // Listening (a sync that brought nothing says nothing).
    await waitFor(() => expect(emitSync({ ...news, new: 0 })).toBeGreaterThan(0));
    act(() => void emitSync(news));
    await waitFor(() => expect(region.textContent).toMatch(/^1 new lead from Meta/));
    const arrived = region.textContent;
    const once = region.firstElementChild;
    act(() => void emitSync(news));
    await waitFor(() => expect(region.firstElementChild).not.toBe(once));
    expect(region.textContent).toBe(arrived);
  });

  it("filters by status, source and dates through the query it sends", async () => {
    commands.listLeads.mockImplementation(() => page([lead(1)]));
    render(<Inbox offerSamples={false} />);
    await screen.findByText("Person 1");
    fireEvent.click(document.querySelector("button[data-status=won]")!);
    fireEvent.change(screen.getByLabelText("Source"), { target: { value: "meta" } });
    // Empty, a date filter is marked so (WebKit would draw today's date in it).
    expect(screen.getByLabelText("From").hasAttribute("data-empty")).toBe(true);
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-10-01" } });
    await waitFor(() => expect(screen.getByLabelText("From").hasAttribute("data-empty")).toBe(false));
    expect(screen.getByLabelText("To").hasAttribute("data-empty")).toBe(true);
    await waitFor(() =>
      expect(commands.listLeads).toHaveBeenLastCalledWith(
        expect.objectContaining({ status: "won", source: "meta", since: "2026-10-01" }),
        null,
        200,
      ),
    );
  });

  it("shows the core's error as one line instead of rows", async () => {
    commands.listLeads.mockImplementation(() =>
      Promise.resolve({ status: "error", error: { code: "invalid_input", message: "the \"from\" date is not a date; use YYYY-MM-DD" } }),
    );
    render(<Inbox offerSamples={false} />);
    expect((await screen.findByRole("alert")).textContent).toBe('The "from" date is not a date; use YYYY-MM-DD');
  });
});

describe("localDay", () => {
  it("is the day where the user is, as the date filters count days", () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = "America/New_York";
      expect(localDay("2026-11-21T04:59:59Z")).toBe("2026-11-20");
      process.env.TZ = "UTC";
      expect(localDay("2026-11-21T04:59:59Z")).toBe("2026-11-21");
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});

describe("contactOf", () => {
  it("is the email, or the phone when there is none or the email stands in for the name", () => {
    expect(contactOf(lead(1, { phone: "+1 555 010 9999" }))).toBe("person1@example.com");
    expect(contactOf(lead(1, { email: null, phone: "+1 555 010 9999" }))).toBe("+1 555 010 9999");
    expect(contactOf(lead(1, { full_name: null, phone: "+1 555 010 9999" }))).toBe("+1 555 010 9999");
    expect(contactOf(lead(1, { full_name: null }))).toBe("");
    expect(contactOf(lead(1, { full_name: null, email: null, phone: "+1 555 010 9999" }))).toBe("");
  });
});
