import { describe, expect, it, vi, beforeEach } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { VaultState } from "../bindings";

const commands = vi.hoisted(() => ({ createVault: vi.fn(), unlockVault: vi.fn(), startDemo: vi.fn() }));
vi.mock("../bindings", async () => ({ commands, events: (await import("../test/events")).events }));

import { Setup } from "./Setup";
import { sentence } from "../format";
import { events } from "../test/events";

const fresh: VaultState = { exists: false, unlocked: false, key_source: null, data_dir: "/tmp/lv", demo: false };
const locked: VaultState = { exists: true, unlocked: false, key_source: "passphrase", data_dir: "/tmp/lv", demo: false };

beforeEach(() => vi.clearAllMocks());

describe("first run and unlock", () => {
  it("offers the demo before any vault is made", async () => {
    commands.startDemo.mockImplementation(() => Promise.resolve({ status: "ok", data: { ...fresh, unlocked: true, demo: true } }));
    const ready = vi.fn();
    render(<Setup state={fresh} onReady={ready} />);
    fireEvent.click(screen.getByText("Try the demo"));
    await waitFor(() => expect(ready).toHaveBeenCalledWith({ ...fresh, unlocked: true, demo: true }, false));
    expect(commands.createVault).not.toHaveBeenCalled();
  });

  it("creates a passphrase vault only when both entries match", async () => {
    commands.createVault.mockImplementation(() => Promise.resolve({ status: "ok", data: { ...fresh, exists: true, unlocked: true } }));
    const ready = vi.fn();
    render(<Setup state={fresh} onReady={ready} />);
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "long enough pass" } });
    fireEvent.change(screen.getByLabelText("Again"), { target: { value: "long enough pasx" } });
    expect(screen.getByText("The two passphrases differ.")).toBeTruthy();
    // Why the button is greyed is read with each field (a greyed button takes no focus).
    for (const field of [screen.getByLabelText("Passphrase"), screen.getByLabelText("Again")])
      expect(document.getElementById(field.getAttribute("aria-describedby") ?? "")?.textContent).toBe("The two passphrases differ.");
    expect(screen.getByLabelText("Again").getAttribute("aria-invalid")).toBe("true");
    expect((screen.getByText("Create vault with passphrase") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Again"), { target: { value: "long enough pass" } });
    fireEvent.click(screen.getByText("Create vault with passphrase"));
    await waitFor(() => expect(ready).toHaveBeenCalledWith(expect.objectContaining({ unlocked: true }), true));
    expect(commands.createVault).toHaveBeenCalledWith("long enough pass");
  });

  it("does not call a confirmation still being typed different: red only once a character strays", () => {
    render(<Setup state={fresh} onReady={() => {}} />);
    const again = screen.getByLabelText("Again");
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "long enough pass" } });
    // Its first characters, as typed: the passphrase's own start.
    fireEvent.change(again, { target: { value: "long en" } });
    expect(screen.queryByText("The two passphrases differ.")).toBeNull();
    const hint = document.getElementById(again.getAttribute("aria-describedby") ?? "")!;
    expect(hint.textContent).toBe("Keep typing: the same passphrase again.");
    expect(hint.className).toBe("muted");
    expect(again.getAttribute("aria-invalid")).toBe("false");
    expect((screen.getByText("Create vault with passphrase") as HTMLButtonElement).disabled).toBe(true);
    // A character that is not the passphrase's next: now they differ.
    fireEvent.change(again, { target: { value: "long enx" } });
    expect(screen.getByText("The two passphrases differ.").className).toBe("error");
    expect(again.getAttribute("aria-invalid")).toBe("true");
  });

  it("asks for a passphrase of 8 characters, typed twice, before making the vault", () => {
    render(<Setup state={fresh} onReady={() => {}} />);
    const create = screen.getByText("Create vault with passphrase") as HTMLButtonElement;
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "short" } });
    expect(screen.getByText("At least 8 characters.")).toBeTruthy();
    expect(create.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "long enough pass" } });
    expect(screen.getByText("Type it again below.")).toBeTruthy();
    expect(create.disabled).toBe(true);
    fireEvent.submit(create.closest("form")!);
    expect(commands.createVault).not.toHaveBeenCalled();
  });

  it("a keychain vault whose key is missing asks for no passphrase, and can try again", async () => {
    const missing = "the OS keychain has no key for the vault at /tmp/lv: a keychain key belongs to the folder the vault was made in";
    commands.unlockVault.mockImplementation(() => Promise.resolve({ status: "error", error: { code: "key_not_in_keychain", message: missing } }));
    render(<Setup state={{ ...locked, key_source: "keychain" }} onReady={() => {}} />);
    expect((await screen.findByRole("alert")).textContent).toBe(sentence(missing));
    expect(commands.unlockVault).toHaveBeenCalledWith(null);
    expect(screen.queryByLabelText("Passphrase")).toBeNull();
    fireEvent.click(screen.getByText("Try the keychain again"));
    await waitFor(() => expect(commands.unlockVault).toHaveBeenCalledTimes(2));
    expect(commands.unlockVault).toHaveBeenLastCalledWith(null);
  });

  it("does not try to unlock a passphrase vault without a passphrase", () => {
    render(<Setup state={locked} onReady={() => {}} />);
    expect((screen.getByText("Unlock") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "x" } });
    expect((screen.getByText("Unlock") as HTMLButtonElement).disabled).toBe(false);
  });

  it("creates a keychain vault without a passphrase", async () => {
    commands.createVault.mockImplementation(() => Promise.resolve({ status: "ok", data: { ...fresh, exists: true, unlocked: true } }));
    render(<Setup state={fresh} onReady={() => {}} />);
    fireEvent.click(screen.getByText("Create vault with keychain key"));
    await waitFor(() => expect(commands.createVault).toHaveBeenCalledWith(null));
  });

  it("says why a keychain vault could not be made beside its button, not below the other choices", async () => {
    const none = "no OS keychain is available (no secret service): unlock your keyring, or choose a passphrase instead";
    commands.createVault.mockImplementation(() => Promise.resolve({ status: "error", error: { code: "keychain_unavailable", message: none } }));
    render(<Setup state={fresh} onReady={() => {}} />);
    const create = screen.getByText("Create vault with keychain key");
    fireEvent.click(create);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(sentence(none));
    expect(alert.closest("section")).toBe(create.closest("section"));
  });

  it("on a keychain vault's unlock screen, offers no passphrase it cannot choose", async () => {
    const none = "no OS keychain is available (no secret service): unlock your keyring, or choose a passphrase instead";
    commands.unlockVault.mockImplementation(() => Promise.resolve({ status: "error", error: { code: "keychain_unavailable", message: none } }));
    render(<Setup state={{ ...locked, key_source: "keychain" }} onReady={() => {}} />);
    expect((await screen.findByRole("alert")).textContent).toBe(
      "No OS keychain is available (no secret service): unlock your keyring, then choose Try the keychain again",
    );
  });

  it("says a wrong passphrase is wrong and stays on the unlock screen", async () => {
    commands.unlockVault.mockImplementation(() =>
      Promise.resolve({ status: "error", error: { code: "wrong_key", message: "the vault key does not match this database" } }),
    );
    const ready = vi.fn();
    render(<Setup state={locked} onReady={ready} />);
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "wrong one!" } });
    // Pressed from the keyboard: the button greys itself while the vault is tried.
    screen.getByText("Unlock").focus();
    fireEvent.click(screen.getByText("Unlock"));
    expect((await screen.findByRole("alert")).textContent).toBe("The vault key does not match this database");
    expect(ready).not.toHaveBeenCalled();
    expect((screen.getByLabelText("Passphrase") as HTMLInputElement).value).toBe("");
    // The focus is back in the emptied field, ready for the passphrase again.
    expect(document.activeElement).toBe(screen.getByLabelText("Passphrase"));
  });

  it("says why unlocking waits when the vault is updated for this version, and only then", async () => {
    let open: (v: unknown) => void = () => {};
    commands.unlockVault.mockImplementation(() => new Promise((resolve) => (open = resolve)));
    const ready = vi.fn();
    render(<Setup state={locked} onReady={ready} />);
    fireEvent.change(screen.getByLabelText("Passphrase"), { target: { value: "long enough pass" } });
    fireEvent.click(screen.getByText("Unlock"));
    await waitFor(() => expect(commands.unlockVault).toHaveBeenCalled());
    expect(screen.getByRole("status").textContent).toBe("");
    await waitFor(() => expect(events.vaultUpdating.emit({ leads: 1234567 })).toBe(1));
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("Updating this vault for this version of Leadvault (1,234,567 leads)"));
    open({ status: "ok", data: { ...locked, unlocked: true } });
    await waitFor(() => expect(ready).toHaveBeenCalled());
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe(""));
  });
});
