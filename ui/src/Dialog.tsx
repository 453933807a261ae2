// A modal dialog: it takes the focus when it opens, so its keys reach it and not the list
// behind it, and Esc closes it wherever the focus is (unless `canClose` is false: work under
// way). When that work ends the focus comes back into the dialog if it fell out of it (a
// button that disables itself while busy drops the focus to the page).
import { useEffect, useRef, type ReactNode } from "react";

type Props = { label: string; onClose: () => void; canClose?: boolean; children: ReactNode };

export function Dialog({ label, onClose, canClose = true, children }: Props) {
  const dialog = useRef<HTMLDivElement>(null);
  const latest = useRef({ onClose, canClose });
  latest.current = { onClose, canClose };
  useEffect(() => dialog.current?.focus(), []);
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
  return (
    <div ref={dialog} tabIndex={-1} className="modal" role="dialog" aria-modal="true" aria-label={label}>
      <div className="modal-body">{children}</div>
    </div>
  );
}
