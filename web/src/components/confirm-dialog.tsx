import { useEffect, useRef } from 'preact/hooks';

interface Props { title: string; body: string; confirmLabel: string; danger?: boolean; onConfirm: () => void; onCancel: () => void }

/** A modal <dialog>: focus is trapped, Escape cancels, the confirm button names what it does. */
export function ConfirmDialog({ title, body, confirmLabel, danger, onConfirm, onCancel }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <h2 id="confirm-title">{title}</h2>
      <p>{body}</p>
      <div class="row">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="button" class={danger ? 'danger' : 'primary'} onClick={onConfirm}>{confirmLabel}</button>
      </div>
    </dialog>
  );
}
