import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
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
