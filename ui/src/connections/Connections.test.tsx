import { describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { ConnectionView, ProviderChoice } from "../bindings";

const commands = vi.hoisted(() => ({
  listProviders: vi.fn(),
  listConnections: vi.fn(),
  connectToken: vi.fn(),
  beginSignIn: vi.fn(),
  finishSignIn: vi.fn(),
  cancelSignIn: vi.fn(),
  testConnection: vi.fn(),
  disconnect: vi.fn(),
  syncNow: vi.fn(),
  setSyncEvery: vi.fn(),
}));
vi.mock("../bindings", async () => ({ commands, events: (await import("../test/events")).events }));

import { Connections, ago } from "./Connections";
import { emitSync } from "../test/events";

const ok = <T,>(data: T) => Promise.resolve({ status: "ok" as const, data });
const err = (code: string, message: string) => Promise.resolve({ status: "error" as const, error: { code, message } });

const providers: ProviderChoice[] = [
  { id: "meta", name: "Meta", sign_in: true, token_hint: "a Business Manager system-user token" },
  { id: "hubspot", name: "HubSpot", sign_in: true, token_hint: "a private-app token (pat-…)" },
];
const hubspot: ConnectionView = {
  id: "01J",
  provider: "hubspot",
  provider_name: "HubSpot",
  label: "Sales CRM",
  auth: "token",
  account_name: "HubSpot account 4471",
  status: "needs_sign_in",
  last_error: "HubSpot refused the credentials (invalid_grant); sign in again or paste a new token",
  created_at: "2026-11-23T06:00:00Z",
  last_sync_at: null,
  can_sync: false,
  stale: false,
  sync_every_secs: null,
  syncs: "every 5 min",
};
const meta: ConnectionView = {
  ...hubspot,
  id: "01M",
  provider: "meta",
  provider_name: "Meta",
  label: "Meta — Ada's Bakery",
  status: "connected",
  last_error: null,
  can_sync: true,
  stale: true,
  syncs: "every 15 min",
};

function setup(connections: ConnectionView[]) {
  commands.listProviders.mockImplementation(() => ok(providers));
  commands.listConnections.mockImplementation(() => ok(connections));
  render(<Connections onClose={() => {}} />);
}

describe("connections", () => {
  it("shows each connection's state and why it needs attention", async () => {
    setup([hubspot]);
    expect(await screen.findByText("Sales CRM")).toBeTruthy();
    expect(screen.getByText("Needs sign-in")).toBeTruthy();
    expect(screen.getByText(/invalid_grant/)).toBeTruthy();
  });

  it("connects with a pasted token and shows the provider's refusal as a message", async () => {
    setup([]);
    await screen.findByText("No connections yet.");
    await screen.findByRole("option", { name: "HubSpot" }); // the providers have loaded
    // What the actions come to is read out: its live region is there, empty, before any.
    const region = screen.getByTestId("connections-message");
    expect(region.textContent).toBe("");
    fireEvent.change(screen.getByLabelText("Provider"), { target: { value: "hubspot" } });
    fireEvent.change(screen.getByLabelText(/Or paste a private-app token/), { target: { value: "pat-na1-x" } });
    commands.connectToken.mockImplementation(() => err("needs_sign_in", "HubSpot refused the credentials (INVALID_AUTHENTICATION)"));
    fireEvent.click(screen.getByText("Connect with this token"));
    const refusal = await screen.findByText(/HubSpot refused the credentials/);
    expect(commands.connectToken).toHaveBeenCalledWith("hubspot", "pat-na1-x", null);
    // A refusal reads as an error (red, as everywhere else), where it looked like a success's message.
    expect(refusal.className).toBe("error");

    commands.connectToken.mockImplementation(() => ok({ ...hubspot, status: "connected", last_error: null }));
    fireEvent.click(screen.getByText("Connect with this token"));
    expect((await screen.findByText("Connected Sales CRM.")).className).toBe("");
    expect(region.textContent).toBe("Connected Sales CRM.");
    expect(screen.getByTestId("connections-message")).toBe(region);
  });

  it("signs in through the browser, shows the address, and can cancel", async () => {
    setup([]);
    await screen.findByText("No connections yet.");
    await screen.findByRole("option", { name: "HubSpot" }); // the providers have loaded
    fireEvent.change(screen.getByLabelText("Provider"), { target: { value: "hubspot" } });
    commands.beginSignIn.mockImplementation(() => ok({ url: "https://app.hubspot.com/oauth/authorize?state=x", in_window: false }));
    let answer: (v: unknown) => void = () => {};
    commands.finishSignIn.mockImplementation(() => new Promise((r) => (answer = r)));
    commands.cancelSignIn.mockImplementation(() => ok(true));
    // The instructions are read out: their live region is there, empty, before them.
    const region = screen.getByTestId("sign-in-status");
    expect([region.getAttribute("role"), region.textContent]).toEqual(["status", ""]);
    fireEvent.click(screen.getByText("Sign in with HubSpot"));
    expect(await screen.findByText("https://app.hubspot.com/oauth/authorize?state=x")).toBeTruthy();
    expect(screen.getByTestId("sign-in-status")).toBe(region);
    expect(region.textContent).toMatch(/^Finish signing in in your browser\. If it did not open, visit:https:\/\/app\.hubspot/);
    fireEvent.click(screen.getByText("Cancel sign-in"));
    expect(commands.cancelSignIn).toHaveBeenCalled();
    answer({ status: "error", error: { code: "cancelled", message: "the sign-in was cancelled" } });
    expect(await screen.findByText("Sign-in cancelled.")).toBeTruthy();
  });

  it("Meta signs in in the app's own window, or takes a pasted system-user token", async () => {
    setup([]);
    await screen.findByText("No connections yet.");
    await screen.findByRole("option", { name: "HubSpot" }); // the providers have loaded
    fireEvent.change(screen.getByLabelText("Provider"), { target: { value: "meta" } });
    expect(screen.getByLabelText(/system-user token/)).toBeTruthy();
    commands.beginSignIn.mockImplementation(() =>
      ok({ url: "https://www.facebook.com/v26.0/dialog/oauth?state=x", in_window: true }),
    );
    let answer: (v: unknown) => void = () => {};
    commands.finishSignIn.mockImplementation(() => new Promise((r) => (answer = r)));
    fireEvent.click(screen.getByText("Sign in with Meta"));
    expect(await screen.findByText(/Finish signing in in the “Sign in with Meta” window/)).toBeTruthy();
    // The dialog is in the app's window, not the browser: no address to copy.
    expect(screen.queryByText(/dialog\/oauth/)).toBeNull();
    answer({ status: "ok", data: { ...hubspot, provider: "meta", provider_name: "Meta", label: "Meta — Ada", status: "connected" } });
    expect(await screen.findByText("Connected Meta — Ada.")).toBeTruthy();
  });

  it("syncs a Meta connection now, warns when it was never synced, and tells the inbox", async () => {
    const onSynced = vi.fn();
    commands.listProviders.mockImplementation(() => ok(providers));
    commands.listConnections.mockImplementation(() => ok([meta]));
    render(<Connections onClose={() => {}} onSynced={onSynced} />);
    expect(await screen.findByText("Never synced")).toBeTruthy();
    expect(screen.getByRole("note").textContent).toMatch(/deletes leads 90 days/);
    commands.syncNow.mockImplementation(() =>
      ok({ connection: { ...meta, last_sync_at: new Date().toISOString(), stale: false }, new: 42, unchanged: 3, pushed: 0, failed: 0 }),
    );
    fireEvent.click(screen.getByText("Sync now"));
    expect(await screen.findByText(/Synced Meta — Ada's Bakery: 42 new leads, 3 already in the vault/)).toBeTruthy();
    expect(commands.syncNow).toHaveBeenCalledWith("01M");
    expect(onSynced).toHaveBeenCalled();
  });

  it("shows a background sync as it runs and sets how often a connection syncs", async () => {
    let listed = [meta];
    commands.listProviders.mockImplementation(() => ok(providers));
    commands.listConnections.mockImplementation(() => ok(listed));
    render(<Connections onClose={() => {}} />);
    expect(await screen.findByText("Never synced")).toBeTruthy();
    const event = { new: 0, pushed: 0, failed: 0, error: null, retry_in_secs: null };
    await waitFor(() => expect(emitSync({ ...event, kind: "started", connection: meta })).toBeGreaterThan(0));
    expect(await screen.findByText(/Syncing…/)).toBeTruthy();
    listed = [{ ...meta, last_sync_at: new Date().toISOString(), stale: false }];
    emitSync({ ...event, kind: "finished", new: 7, connection: listed[0] });
    expect(await screen.findByText(/Last synced just now/)).toBeTruthy();

    const select = screen.getByLabelText("How often Meta — Ada's Bakery syncs") as HTMLSelectElement;
    expect(select.value).toBe("");
    commands.setSyncEvery.mockImplementation(() => ok({ ...listed[0], sync_every_secs: 0, syncs: "only when asked" }));
    fireEvent.change(select, { target: { value: "0" } });
    expect(commands.setSyncEvery).toHaveBeenCalledWith("01M", 0);
    expect(await screen.findByText("Meta — Ada's Bakery now syncs only when asked.")).toBeTruthy();
  });

  it("signs a connection that needs it in again, in place, through the same sign-in", async () => {
    const revoked = { ...hubspot, auth: "oauth" };
    let listed = [revoked];
    commands.listProviders.mockImplementation(() => ok(providers));
    commands.listConnections.mockImplementation(() => ok(listed));
    render(<Connections onClose={() => {}} />);
    await screen.findByRole("option", { name: "HubSpot" }); // the providers have loaded
    const region = screen.getByTestId("connections-message");
    commands.beginSignIn.mockImplementation(() => ok({ url: "https://app.hubspot.com/oauth/authorize?state=y", in_window: false }));
    let answer: (v: unknown) => void = () => {};
    commands.finishSignIn.mockImplementation(() => new Promise((r) => (answer = r)));
    commands.beginSignIn.mockClear();
    fireEvent.click(screen.getByRole("button", { name: "Sign in again" }));
    expect(await screen.findByText("https://app.hubspot.com/oauth/authorize?state=y")).toBeTruthy();
    expect(commands.beginSignIn).toHaveBeenCalledWith("hubspot");
    expect(screen.getByRole("button", { name: "Signing in…" })).toBeTruthy();
    // The backend updated the same connection (same id): connected, no error.
    listed = [{ ...revoked, status: "connected", last_error: null }];
    answer({ status: "ok", data: listed[0] });
    expect(await screen.findByText(/^Signed in again to Sales CRM; its next sync carries on/)).toBeTruthy();
    expect(region.textContent).toMatch(/^Signed in again to Sales CRM/);
    expect(screen.getByTestId("connections-message")).toBe(region);
    expect(await screen.findByText("Connected")).toBeTruthy();
    expect(screen.queryByText(/invalid_grant/)).toBeNull();
    expect(screen.queryByRole("button", { name: "Sign in again" })).toBeNull();
    expect(screen.getAllByTestId("connection")).toHaveLength(1);
  });

  it("says when a sign-in again went to another account of the provider", async () => {
    setup([{ ...hubspot, auth: "oauth" }]);
    await screen.findByRole("option", { name: "HubSpot" });
    commands.beginSignIn.mockImplementation(() => ok({ url: "https://app.hubspot.com/oauth/authorize?state=z", in_window: false }));
    commands.finishSignIn.mockImplementation(() => ok({ ...hubspot, id: "01K", label: "HubSpot — portal 9", status: "connected", last_error: null }));
    fireEvent.click(screen.getByRole("button", { name: "Sign in again" }));
    expect(
      await screen.findByText("Connected HubSpot — portal 9, another HubSpot account than Sales CRM's, which still needs a sign-in: sign in with its account."),
    ).toBeTruthy();
  });

  it("signs a pasted-token connection in again with a new token, the focus in its field", async () => {
    setup([meta, hubspot]);
    await screen.findByRole("option", { name: "HubSpot" });
    fireEvent.change(screen.getByLabelText("Provider"), { target: { value: "meta" } });
    commands.beginSignIn.mockClear();
    fireEvent.click(screen.getByRole("button", { name: "Sign in again" }));
    // A token connection: no sign-in, the token form for HubSpot, saying which connection.
    const field = await screen.findByLabelText("Paste a private-app token (pat-…) for Sales CRM");
    await waitFor(() => expect(document.activeElement).toBe(field));
    expect((screen.getByLabelText("Provider") as HTMLSelectElement).value).toBe("hubspot");
    expect(commands.beginSignIn).not.toHaveBeenCalled();
    fireEvent.change(field, { target: { value: "pat-na1-new" } });
    commands.connectToken.mockImplementation(() => ok({ ...hubspot, status: "connected", last_error: null }));
    fireEvent.click(screen.getByText("Sign in again with this token"));
    expect(await screen.findByText(/^Signed in again to Sales CRM;/)).toBeTruthy();
    expect(commands.connectToken).toHaveBeenCalledWith("hubspot", "pat-na1-new", null);
    // The form is the plain Connect form again.
    expect(screen.getByLabelText(/Or paste a private-app token/)).toBeTruthy();
  });

  it("shows why a CRM's owners were not read, from Sync now and from a background sync", async () => {
    const crm = { ...hubspot, status: "connected", last_error: null, can_sync: true, last_sync_at: "2026-11-23T07:00:00Z" };
    setup([crm]);
    await screen.findByText(/Last synced/);
    expect(screen.queryByTestId("owners-warning")).toBeNull();
    const why = "the owners were not read: the token lacks the crm.objects.owners.read scope";
    commands.syncNow.mockImplementation(() =>
      ok({ connection: crm, new: 0, unchanged: 0, pushed: 2, failed: 0, owners_warning: why }),
    );
    fireEvent.click(screen.getByText("Sync now"));
    expect(await screen.findByText(`Sent 2 leads to Sales CRM. ${why}`)).toBeTruthy();
    expect(screen.getByTestId("owners-warning").textContent).toBe(`Last sync: ${why}`);
    // A later background sync that read them clears it; one that did not shows it again.
    const event = { kind: "finished", new: 0, pushed: 0, failed: 0, error: null, retry_in_secs: null, connection: crm };
    act(() => void emitSync(event));
    await waitFor(() => expect(screen.queryByTestId("owners-warning")).toBeNull());
    act(() => void emitSync({ ...event, owners_warning: why }));
    expect((await screen.findByTestId("owners-warning")).textContent).toBe(`Last sync: ${why}`);
  });

  it("says how long ago a connection synced", () => {
    const now = new Date("2026-11-23T12:00:00Z");
    expect(ago("2026-11-23T11:59:50Z", now)).toBe("just now");
    expect(ago("2026-11-23T11:15:00Z", now)).toBe("45 min ago");
    expect(ago("2026-11-22T12:00:00Z", now)).toBe("24 h ago");
    expect(ago("2026-11-13T12:00:00Z", now)).toBe("10 days ago");
  });

  it("disconnects, optionally deleting the connection's leads", async () => {
    setup([{ ...hubspot, status: "connected", last_error: null }]);
    await screen.findByText("Sales CRM");
    commands.disconnect.mockImplementation(() =>
      ok({ label: "Sales CRM", revoke_message: "HubSpot no longer lets Leadvault in.", leads_deleted: 12, ads_rows_deleted: 40 }),
    );
    screen.getByText("Disconnect and delete its leads").focus();
    fireEvent.click(screen.getByText("Disconnect and delete its leads"));
    // The question takes the focus, on its safe answer; keeping them gives it back.
    expect(document.activeElement).toBe(screen.getByText("Keep them"));
    // Deleting leads waits for a second, explicit click.
    expect(commands.disconnect).not.toHaveBeenCalled();
    expect(screen.getByText(/Delete every lead, campaign and metric Sales CRM brought/)).toBeTruthy();
    fireEvent.click(screen.getByText("Keep them"));
    expect(screen.queryByText(/Delete every lead/)).toBeNull();
    expect(document.activeElement).toBe(screen.getByText("Disconnect and delete its leads"));
    fireEvent.click(screen.getByText("Disconnect and delete its leads"));
    fireEvent.click(screen.getByText("Delete them"));
    expect(commands.disconnect).toHaveBeenCalledWith("01J", true);
    expect(await screen.findByText(/12 leads and 40 rows of campaigns and metrics from it were deleted/)).toBeTruthy();
  });
});
