import { afterEach, describe, expect, it } from "vitest";
import { focusLost } from "./focus";

afterEach(() => {
  document.body.innerHTML = "";
});

describe("focusLost", () => {
  it("is true when the page has the focus, false when a control in it does", () => {
    const button = document.createElement("button");
    document.body.append(button);
    expect(focusLost()).toBe(true);
    button.focus();
    expect(focusLost()).toBe(false);
    // The control that had it is gone.
    button.remove();
    expect(focusLost()).toBe(true);
  });
});
