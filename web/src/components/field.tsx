import type { ComponentChildren } from 'preact';

interface Props { id: string; label: string; error?: string | undefined; hint?: string; children: ComponentChildren }

/** A labelled control with its hint and the API's message for that field right under it. */
export function Field({ id, label, error, hint, children }: Props) {
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children}
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      {error && <p class="field-error" id={`${id}-error`} role="alert">{error}</p>}
    </div>
  );
}

/** aria attributes that tie a control to its hint and error. */
export function describedBy(id: string, error: string | undefined, hint = false): Record<string, string | boolean> {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { ...(ids ? { 'aria-describedby': ids } : {}), 'aria-invalid': Boolean(error) };
}
