import { describe, expect, it, vi, beforeEach } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { err, ok } from "../test/fixtures";

const commands = vi.hoisted(() => ({ vaultStatus: vi.fn(), changeKey: vi.fn() }));
vi.mock("../bindings", () => ({ commands }));

import { Settings } from "./Settings";

const info = { path: "/tmp/lv/vault.db", size_bytes: 1048576, leads: 5, key_source: "keychain", schema_version: 12, sqlcipher_version: "4.10.0" };

beforeEach(() => {
  vi.clearAllMocks();
  commands.vaultStatus.mockImplementation(() => ok(info));
});

describe("settings", () => {
  it("changes to a passphrase only when it is typed twice alike", async () => {
    commands.changeKey.mockImplementation(() => ok({ ...info, key_source: "passphrase" }));
    render(<Settings onClose={() => {}} />);
    await screen.findByText("a random key in the OS keychain");
    const use = screen.getByText("Use this passphrase") as HTMLButtonElement;
    fireEvent.change(screen.getByLabelText("New passphrase"), { target: { value: "a new long passphrase" } });
    expect(use.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Again"), { target: { value: "a new long passphrasf" } });
    expect(screen.getByText("The two passphrases differ.")).toBeTruthy();
    for (const field of [screen.getByLabelText("New passphrase"), screen.getByLabelText("Again")])
      expect(document.getElementById(field.getAttribute("aria-describedby") ?? "")?.textContent).toBe("The two passphrases differ.");
    expect(use.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Again"), { target: { value: "a new long passphrase" } });
    fireEvent.click(use);
    await screen.findByText("derived from your passphrase");
    expect(commands.changeKey).toHaveBeenCalledWith(null, "a new long passphrase");
  });

  it("a passphrase vault's key changes only with its current passphrase", async () => {
    commands.vaultStatus.mockImplementation(() => ok({ ...info, key_source: "passphrase" }));
    commands.changeKey.mockImplementationOnce(() => err("wrong_passphrase", "that is not this vault's passphrase"));
    commands.changeKey.mockImplementationOnce(() => ok({ ...info, key_source: "keychain" }));
    render(<Settings onClose={() => {}} />);
    await screen.findByText("derived from your passphrase");
    // What the key change came to is read out: its live region is there, empty, before it.
    const region = screen.getByRole("status");
    expect(region.textContent).toBe("");
    const keychain = screen.getByText("Use a new random key in the OS keychain") as HTMLButtonElement;
    expect(keychain.disabled).toBe(true);
    // The keychain button is said to be the other way, not a second step after the passphrase.
    expect(keychain.previousElementSibling?.textContent).toBe("Or, with no passphrase to type when the app starts:");
    // Why, said beside the field (and read with it): a greyed button takes no focus.
    const why = screen.getByLabelText("Current passphrase").getAttribute("aria-describedby");
    expect(document.getElementById(why ?? "")?.textContent).toBe("Type the current passphrase to change the key.");
    fireEvent.change(screen.getByLabelText("New passphrase"), { target: { value: "a new long passphrase" } });
    fireEvent.change(screen.getByLabelText("Again"), { target: { value: "a new long passphrase" } });
    expect((screen.getByText("Use this passphrase") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Current passphrase"), { target: { value: "a guess" } });
    fireEvent.click(keychain);
    await waitFor(() => expect(region.textContent).toBe("That is not this vault's passphrase"));
    // A refusal reads as an error (red, begun with a capital), where it looked like the news of a change.
    expect(region.querySelector("p")?.className).toBe("error");
    expect(commands.changeKey).toHaveBeenLastCalledWith("a guess", null);
    fireEvent.change(screen.getByLabelText("Current passphrase"), { target: { value: "the right one" } });
    fireEvent.click(keychain);
    await screen.findByText("a random key in the OS keychain");
    expect(region.querySelector("p")?.className).toBe("");
    expect(commands.changeKey).toHaveBeenLastCalledWith("the right one", null);
    expect(screen.queryByLabelText("Current passphrase")).toBeNull();
  });

  it("Enter in the current passphrase goes on to the new one, and changes the key once both are typed", async () => {
    commands.vaultStatus.mockImplementation(() => ok({ ...info, key_source: "passphrase" }));
    commands.changeKey.mockImplementation(() => ok({ ...info, key_source: "passphrase" }));
    render(<Settings onClose={() => {}} />);
    await screen.findByText("derived from your passphrase");
    const current = screen.getByLabelText("Current passphrase");
    fireEvent.change(current, { target: { value: "the old one" } });
    current.focus();
    fireEvent.keyDown(current, { key: "Enter" });
    expect(document.activeElement).toBe(screen.getByLabelText("New passphrase"));
    fireEvent.change(screen.getByLabelText("New passphrase"), { target: { value: "a new long passphrase" } });
    fireEvent.keyDown(screen.getByLabelText("New passphrase"), { key: "Enter" });
    expect(document.activeElement).toBe(screen.getByLabelText("Again"));
    fireEvent.change(screen.getByLabelText("New passphrase"), { target: { value: "a new long passphrase" } });
    fireEvent.change(screen.getByLabelText("Again"), { target: { value: "a new long passphrase" } });
    // Enter in the current passphrase's field submits the form it is in.
    expect(current.closest("form")).toBe(screen.getByLabelText("Again").closest("form"));
    fireEvent.submit(current.closest("form")!);
    await waitFor(() => expect(commands.changeKey).toHaveBeenCalledWith("the old one", "a new long passphrase"));
  });

  it("cannot be closed while the vault is re-encrypted, and tells when a change failed", async () => {
    let fail: (v: unknown) => void = () => {};
    commands.changeKey.mockImplementation(() => new Promise((r) => (fail = r)));
    const onClose = vi.fn();
    const onFailed = vi.fn();
    render(<Settings onClose={onClose} onFailed={onFailed} />);
    await screen.findByText("a random key in the OS keychain");
    fireEvent.click(screen.getByText("Use a new random key in the OS keychain"));
    expect((screen.getByLabelText("Close settings") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
    expect(onClose).not.toHaveBeenCalled();
    fail(await err("keychain_unavailable", "the OS keychain cannot be reached: no Secret Service is running"));
    await waitFor(() => expect(screen.getByRole("status").textContent).toMatch(/keychain cannot be reached/));
    await waitFor(() => expect(onFailed).toHaveBeenCalled());
    fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
    expect(onClose).toHaveBeenCalled();
  });

  it("closes with Esc after a key change, though the busy button dropped the focus", async () => {
    commands.changeKey.mockImplementation(() => ok({ ...info, key_source: "keychain" }));
    const onClose = vi.fn();
    render(<Settings onClose={onClose} />);
    await screen.findByText("a random key in the OS keychain");
    // WebKit takes the focus from the clicked button once it is disabled: it falls to the page.
    screen.getByRole("dialog").blur();
    fireEvent.click(screen.getByText("Use a new random key in the OS keychain"));
    expect(document.activeElement).toBe(document.body);
    await screen.findByText(/now encrypted with the new key/);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("dialog")));
    screen.getByRole("dialog").blur();
    fireEvent.keyDown(document.body, { key: "Escape" });
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
