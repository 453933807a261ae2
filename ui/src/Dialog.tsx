// A modal dialog: it takes the focus when it opens, so its keys reach it and not the list
// behind it, and Esc closes it wherever the focus is (unless `canClose` is false: work under
// way). When that work ends the focus comes back into the dialog if it fell out of it (a
// button that disables itself while busy drops the focus to the page). Tab and Shift+Tab go
// round the dialog's own controls, never to the inbox behind it; once it closes, the focus is
// back on what had it before (the button that opened it).
import { useEffect, useRef, type ReactNode } from "react";
import { focusLost } from "./focus";

type Props = { label: string; onClose: () => void; canClose?: boolean; children: ReactNode };

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog({ label, onClose, canClose = true, children }: Props) {
  const dialog = useRef<HTMLDivElement>(null);
  const latest = useRef({ onClose, canClose });
  latest.current = { onClose, canClose };
  useEffect(() => {
    const opener = document.activeElement;
    const d = dialog.current;
    d?.focus();
    return () => {
      // Back to the opener if it is still there and the focus was in the dialog (or fell to the
      // page when the dialog went), not somewhere the user chose meanwhile.
      const now = document.activeElement;
      const lost = focusLost() || (d !== null && now !== null && d.contains(now));
      if (opener instanceof HTMLElement && opener !== document.body && opener.isConnected && lost) opener.focus();
    };
  }, []);
  useEffect(() => {
    const d = dialog.current;
    if (canClose && d && !d.contains(document.activeElement)) d.focus();
  }, [canClose]);
  useEffect(() => {
    // On the window, before anything else sees the key: Esc is the dialog's even when the
    // focus is on the page behind it (or nowhere).
    const listener = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented || e.isComposing || !latest.current.canClose) return;
      e.preventDefault();
      latest.current.onClose();
    };
    window.addEventListener("keydown", listener, true);
    return () => window.removeEventListener("keydown", listener, true);
  }, []);
  useEffect(() => {
    // Tab past the last control (or Shift+Tab before the first) wraps round inside the dialog;
    // from outside it (the focus fell to the page) Tab comes back in.
    const listener = (e: KeyboardEvent) => {
      const d = dialog.current;
      // WebKitGTK may name a synthesised Shift+Tab "Unidentified" (its code stays Tab).
      if ((e.key !== "Tab" && e.code !== "Tab") || e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || !d) return;
      const all = Array.from(d.querySelectorAll<HTMLElement>(FOCUSABLE));
      const at = document.activeElement;
      const inside = at instanceof Node && d.contains(at);
      if (all.length === 0) {
        e.preventDefault();
        d.focus();
        return;
      }
      const first = all[0];
      const last = all[all.length - 1];
      if (!inside || at === d) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      } else if (!e.shiftKey && at === last) {
        e.preventDefault();
        first.focus();
      } else if (e.shiftKey && at === first) {
        e.preventDefault();
        last.focus();
      }
    };
    window.addEventListener("keydown", listener, true);
    return () => window.removeEventListener("keydown", listener, true);
  }, []);
  return (
    <div ref={dialog} tabIndex={-1} className="modal" role="dialog" aria-modal="true" aria-label={label}>
      <div className="modal-body">{children}</div>
    </div>
  );
}
