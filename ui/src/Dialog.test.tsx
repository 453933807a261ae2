import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { readFileSync } from "node:fs";
import { Dialog } from "./Dialog";

describe("a dialog", () => {
  it("is drawn above the list's sticky headings and the pane's sticky error", () => {
    const style = document.createElement("style");
    style.textContent = readFileSync(`${import.meta.dirname}/styles.css`, "utf8");
    document.head.append(style);
    try {
      const { container } = render(
        <div className="app">
          <div className="list">
            <div className="row head" />
          </div>
          <aside className="detail">
            <p className="error">the vault is busy</p>
          </aside>
          <Dialog label="Settings" onClose={() => {}}>
            <p>Settings</p>
          </Dialog>
        </div>,
      );
      const z = (sel: string) => Number(getComputedStyle(container.querySelector(sel)!).zIndex) || 0;
      expect(z(".modal")).toBeGreaterThan(z(".row.head"));
      expect(z(".modal")).toBeGreaterThan(z(".detail > p.error"));
    } finally {
      style.remove();
    }
  });
});

describe("a dialog's focus", () => {
  function Opener() {
    const [open, setOpen] = useState(false);
    return (
      <>
        <button onClick={() => setOpen(true)}>Settings</button>
        <button>Export view</button>
        {open && (
          <Dialog label="Settings" onClose={() => setOpen(false)}>
            <button>First</button>
            <input aria-label="Middle" />
            <button disabled>Greyed</button>
            <button>Last</button>
          </Dialog>
        )}
      </>
    );
  }

  it("stays inside it with Tab and Shift+Tab, and goes back to the button that opened it on Esc", () => {
    render(<Opener />);
    const opener = screen.getByText("Settings");
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole("dialog");
    expect(document.activeElement).toBe(dialog);
    fireEvent.keyDown(dialog, { key: "Tab" });
    expect(document.activeElement).toBe(screen.getByText("First"));
    screen.getByText("Last").focus();
    fireEvent.keyDown(document.activeElement!, { key: "Tab" });
    expect(document.activeElement).toBe(screen.getByText("First"));
    fireEvent.keyDown(document.activeElement!, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(screen.getByText("Last"));
    // As WebKitGTK reports a Shift+Tab sent by WebDriver: no key name, the Tab key's code.
    screen.getByText("First").focus();
    fireEvent.keyDown(document.activeElement!, { key: "Unidentified", code: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(screen.getByText("Last"));
    // Focus that fell out to the page behind comes back in with Tab.
    screen.getByText("Export view").focus();
    fireEvent.keyDown(document.activeElement!, { key: "Tab" });
    expect(document.activeElement).toBe(screen.getByText("First"));
    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
