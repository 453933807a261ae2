// A modal dialog: it takes the focus when it opens, so its keys reach it and not the list
// behind it, and Esc closes it (unless `canClose` is false: work under way).
import { useEffect, useRef, type ReactNode } from "react";

type Props = { label: string; onClose: () => void; canClose?: boolean; children: ReactNode };

export function Dialog({ label, onClose, canClose = true, children }: Props) {
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => dialog.current?.focus(), []);
  return (
    <div
      ref={dialog}
      tabIndex={-1}
      className="modal"
      role="dialog"
      aria-modal="true"
      aria-label={label}
      onKeyDown={(e) => {
        if (e.key === "Escape" && canClose) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div className="modal-body">{children}</div>
    </div>
  );
}
