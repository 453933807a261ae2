// Where the keyboard's focus is, for controls that put it back after they change under it.

/** Nothing has the focus: the control that had it is gone (the page has it, or an element
 *  no longer in the page). */
export function focusLost(): boolean {
  const at = document.activeElement;
  return at === null || at === document.body || !at.isConnected;
}
