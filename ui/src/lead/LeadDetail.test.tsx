import { describe, expect, it, vi, beforeEach } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { detail, lead, ok } from "../test/fixtures";

const commands = vi.hoisted(() => ({ getLead: vi.fn(), updateLead: vi.fn() }));
vi.mock("../bindings", () => ({ commands }));

import { LeadDetailPane } from "./LeadDetail";
import { localDay } from "../inbox/Inbox";
import { WAITING } from "../useWaitHint";
import { readFileSync } from "node:fs";

beforeEach(() => vi.clearAllMocks());

describe("the lead detail", () => {
  it("shows contact, form answers and ad, and saves a status change", async () => {
    const l = lead(4, { phone: "+1 555 0104 0148" });
    commands.getLead.mockImplementation(() => ok(detail(l)));
    commands.updateLead.mockImplementation(() =>
      ok({ ...detail({ ...l, status: "qualified" }), timeline: [{ at: l.created_at, kind: "status", detail: { from: "new", to: "qualified" } }] }),
    );
    const changed = vi.fn();
    render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={changed} />);
    expect((await screen.findByTestId("detail-name")).textContent).toBe("Person 4");
    expect(screen.getByText("+1 555 0104 0148")).toBeTruthy();
    expect(screen.getByText("under $1,000")).toBeTruthy();
    expect(screen.getByText("Spring promo")).toBeTruthy();
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "qualified" } });
    await waitFor(() => expect(changed).toHaveBeenCalledWith(expect.objectContaining({ id: l.id, status: "qualified" })));
    expect(commands.updateLead).toHaveBeenCalledWith(l.id, expect.objectContaining({ status: "qualified", note: null }));
    expect(await screen.findByText(/Changed status: new → qualified/)).toBeTruthy();
  });

  it("loads the lead again when told, but never over a newer state of it", async () => {
    const l = lead(6, { owner: "Tom" });
    commands.getLead.mockImplementation(() => ok(detail(l)));
    const { rerender } = render(<LeadDetailPane id={l.id} version={0} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    // A bulk change set the owner: the pane is told to load again.
    commands.getLead.mockImplementation(() => ok(detail({ ...l, owner: "Priya", updated_at: "2026-11-01T10:01:00Z" })));
    rerender(<LeadDetailPane id={l.id} version={1} onClose={() => {}} onChanged={() => {}} />);
    await waitFor(() => expect(document.querySelector<HTMLInputElement>("input[name=owner]")!.value).toBe("Priya"));
    // A load that answers after a change with the lead as it was before that change.
    let late: (v: unknown) => void = () => {};
    commands.getLead.mockImplementation(() => new Promise((r) => (late = r)));
    rerender(<LeadDetailPane id={l.id} version={2} onClose={() => {}} onChanged={() => {}} />);
    commands.updateLead.mockImplementation(() => ok(detail({ ...l, owner: "Priya", status: "won", updated_at: "2026-11-01T10:03:00Z" })));
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    await waitFor(() => expect(document.querySelector<HTMLSelectElement>("select[name=status]")!.value).toBe("won"));
    await act(async () => late({ status: "ok", data: detail({ ...l, owner: "Priya", updated_at: "2026-11-01T10:02:00Z" }) }));
    expect(document.querySelector<HTMLSelectElement>("select[name=status]")!.value).toBe("won");
  });

  it("a letter typed on the closed status drop-down picks nothing (it would be saved at once)", async () => {
    const l = lead(8);
    commands.getLead.mockImplementation(() => ok(detail(l)));
    render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    const status = document.querySelector("select[name=status]")!;
    // fireEvent answers whether the browser may go on with the key's own action.
    expect(fireEvent.keyDown(status, { key: "w" })).toBe(false);
    expect(fireEvent.keyDown(status, { key: "4" })).toBe(false);
    expect(fireEvent.keyDown(status, { key: " " })).toBe(true);
    expect(fireEvent.keyDown(status, { key: "Enter" })).toBe(true);
    expect(commands.updateLead).not.toHaveBeenCalled();
  });

  it("a failed load's message goes once the lead loads again", async () => {
    const l = lead(7);
    commands.getLead.mockImplementation(() => Promise.resolve({ status: "error", error: { code: "busy", message: "the vault is busy" } }));
    const { rerender } = render(<LeadDetailPane id={l.id} version={0} onClose={() => {}} onChanged={() => {}} />);
    expect((await screen.findByRole("alert")).textContent).toBe("The vault is busy");
    commands.getLead.mockImplementation(() => ok(detail(l)));
    rerender(<LeadDetailPane id={l.id} version={1} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("tells its timeline as a person would, not in the store's names", async () => {
    const l = lead(7, { owner: "Priya" });
    const at = l.created_at;
    const timeline = [
      { at, kind: "created", detail: { source: "sample" } },
      { at, kind: "added", detail: {} },
      { at, kind: "status", detail: { from: "new", to: "contacted" } },
      { at, kind: "owner", detail: { from: null, to: "Zoë" } },
      { at, kind: "owner", detail: { from: "Zoë", to: "Tom" } },
      { at, kind: "owner", detail: { from: "Tom", to: null } },
      { at, kind: "tag_added", detail: { tag: "vip" } },
      { at, kind: "tag_removed", detail: { tag: "vip" } },
      { at, kind: "note", detail: { note_id: 3 } },
      { at, kind: "imported", detail: { source: "meta" } },
      { at, kind: "pushed_to_crm", detail: { crm: "hubspot", remote_id: null } },
      { at, kind: "merged", detail: null },
    ];
    commands.getLead.mockImplementation(() => ok({ ...detail(l), timeline }));
    render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    const entries = [...document.querySelectorAll(".timeline li")].map((li) => li.lastChild?.textContent?.trim());
    expect(entries).toEqual([
      "Received from sample",
      "Added to the vault",
      "Changed status: new → contacted",
      "Set owner: Zoë",
      "Changed owner: Zoë → Tom",
      "Cleared owner (was Tom)",
      "Added tag: vip",
      "Removed tag: vip",
      "Added a note",
      "Imported from meta",
      "Pushed to crm (crm: hubspot)",
      "Merged",
    ]);
    // Each time, and when it was received, written as the list writes its day (2026-11-24 16:08),
    // where they read 11/24/2026, 4:08:37 PM beside the list's 2026-11-24.
    const day = localDay(at);
    const times = [...document.querySelectorAll(".timeline li > .muted")].map((s) => s.textContent);
    expect(times.length).toBe(timeline.length);
    for (const t of times) expect(t).toMatch(new RegExp(`^${day} \\d\\d:\\d\\d$`));
    const received = [...document.querySelectorAll(".detail dt")].find((dt) => dt.textContent === "Received");
    expect(received?.nextElementSibling?.textContent).toMatch(new RegExp(`^${day} \\d\\d:\\d\\d$`));
  });

  it("keeps a note's lines and breaks a word longer than the pane instead of scrolling sideways", async () => {
    const long = "x".repeat(300);
    const l = lead(8, { full_name: long, tags: [long], fields: { [long]: long } });
    commands.getLead.mockImplementation(() => ok({ ...detail(l), notes: [{ at: l.created_at, body: `line one\nline two ${long}` }] }));
    const style = document.createElement("style");
    style.textContent = readFileSync(`${import.meta.dirname}/../styles.css`, "utf8");
    document.head.append(style);
    try {
      render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={() => {}} />);
      const name = await screen.findByTestId("detail-name");
      const note = document.querySelector<HTMLElement>(".note")!;
      expect(note.textContent).toContain("line one\nline two");
      expect(getComputedStyle(note).whiteSpace).toBe("pre-wrap");
      const wraps = [name, note, document.querySelector<HTMLElement>(".detail .tag")!, ...document.querySelectorAll<HTMLElement>(".detail dt")];
      for (const el of wraps) expect(getComputedStyle(el).overflowWrap, el.outerHTML.slice(0, 40)).toBe("anywhere");
      // A value wraps at its spaces, @ and dots first ("person8" / "@example.com", never
      // "…@example.co" / "m"), and mid-word only when longer than a line: its column may be
      // narrower than its longest word, so the pane never scrolls sideways.
      for (const el of document.querySelectorAll<HTMLElement>(".detail dd"))
        expect(getComputedStyle(el).overflowWrap, el.outerHTML.slice(0, 40)).toBe("break-word");
      expect(getComputedStyle(document.querySelector(".detail dl")!).gridTemplateColumns).toBe("96px minmax(0, 1fr)");
      const email = screen.getByText("person8@example.com");
      expect(email.innerHTML).toBe("person8<wbr>@example<wbr>.com");
      const entry = document.querySelector<HTMLElement>(".timeline li")!;
      expect(getComputedStyle(entry).overflowWrap).toBe("anywhere");
    } finally {
      style.remove();
    }
  });

  it("adds a note and shows a failed change as a message", async () => {
    const l = lead(5);
    commands.getLead.mockImplementation(() => ok(detail(l)));
    commands.updateLead.mockImplementation(() => Promise.resolve({ status: "error", error: { code: "invalid_input", message: "a note cannot be empty" } }));
    render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "call back Friday" } });
    fireEvent.click(screen.getByText("Add note"));
    // Told beside the note form, where the user is, not only at the pane's top.
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("The note was not saved: a note cannot be empty");
    expect(alert.closest("form")).toBe(screen.getByLabelText("New note").closest("form"));
    expect((screen.getByLabelText("New note") as HTMLTextAreaElement).value).toBe("call back Friday");
    expect(commands.updateLead).toHaveBeenCalledWith(l.id, expect.objectContaining({ note: "call back Friday" }));
  });

  it("shows a status still saving as picked, says Saving…, and why it waits after a second", async () => {
    const l = lead(9);
    commands.getLead.mockImplementation(() => ok(detail(l)));
    let answer: (v: unknown) => void = () => {};
    commands.updateLead.mockImplementation(() => new Promise((r) => (answer = r)));
    render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    const status = () => document.querySelector<HTMLSelectElement>("select[name=status]")!;
    fireEvent.change(status(), { target: { value: "won" } });
    expect(status().value).toBe("won");
    expect(status().disabled).toBe(true);
    expect(screen.getByText("Saving…")).toBeTruthy();
    expect(await screen.findByText(WAITING, {}, { timeout: 2000 })).toBeTruthy();
    await act(async () => answer({ status: "ok", data: detail({ ...l, status: "won", updated_at: "2026-11-01T10:05:00Z" }) }));
    expect(status().value).toBe("won");
    expect(status().disabled).toBe(false);
    expect(screen.queryByText(WAITING)).toBeNull();
  });

  it("a status change that fails goes back to the saved status and says why", async () => {
    const l = lead(10);
    commands.getLead.mockImplementation(() => ok(detail(l)));
    commands.updateLead.mockImplementation(() => Promise.resolve({ status: "error", error: { code: "busy", message: "the vault is busy" } }));
    render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    expect((await screen.findByRole("alert")).textContent).toBe("The vault is busy");
    expect(document.querySelector<HTMLSelectElement>("select[name=status]")!.value).toBe("new");
  });

  it("says Saving… in live regions that were there before it, for a change and for a note", async () => {
    const l = lead(11);
    commands.getLead.mockImplementation(() => ok(detail(l)));
    commands.updateLead.mockImplementation(() => new Promise(() => {}));
    render(<LeadDetailPane id={l.id} onClose={() => {}} onChanged={() => {}} />);
    await screen.findByTestId("detail-name");
    // A status region put in with its text is not read out: these are there, empty, first.
    const change = screen.getByTestId("change-hint");
    const note = screen.getByTestId("note-hint");
    expect([change.getAttribute("role"), change.textContent]).toEqual(["status", ""]);
    expect([note.getAttribute("role"), note.textContent]).toEqual(["status", ""]);
    fireEvent.change(document.querySelector("select[name=status]")!, { target: { value: "won" } });
    expect(screen.getByTestId("change-hint")).toBe(change);
    expect(change.textContent).toBe("Saving…");
    fireEvent.change(screen.getByLabelText("New note"), { target: { value: "call back" } });
    fireEvent.click(screen.getByText("Add note"));
    await waitFor(() => expect(note.textContent).toBe("Saving…"));
    expect(screen.getByTestId("note-hint")).toBe(note);
    // Nothing said in a region of its own.
    expect(screen.getAllByRole("status")).toEqual([change, note]);
  });
});
