import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messageOf, must, type Plan, type Session } from '../api/client';
import { describedBy, Field } from '../components/field';
import { navigate } from '../router';

type Key = 'tenant' | 'name' | 'plan' | 'image' | 'port' | 'env' | 'secrets' | 'healthPath' | 'healthInterval';
type Form = Record<Key, string>;

/** The API names the field at fault (`env.FOO`, `health.path`); this maps it to the control. */
function controlFor(error: ApiError): Key | 'general' {
  const f = error.field ?? (error.code?.startsWith('IMAGE_') ? 'image' : error.code === 'PLAN_NOT_FOUND' ? 'plan' : '');
  const head = f.split('.')[0] ?? '';
  if (f === 'health.path') return 'healthPath';
  if (f.startsWith('health.')) return 'healthInterval';
  return (['tenant', 'name', 'plan', 'image', 'port', 'env', 'secrets'] as const).find((k) => k === head) ?? 'general';
}

function parsePairs(text: string, field: 'env' | 'secrets'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ApiError(400, `${field}: line ${n + 1} is not NAME=value`, 'INVALID_INPUT', field);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

export function CreatePage({ session }: { session: Session }) {
  const [form, setForm] = useState<Form>({ tenant: session.tenant ?? '', name: '', plan: '', image: '', port: '8080', env: '', secrets: '', healthPath: '/health', healthInterval: '' });
  const [plans, setPlans] = useState<Plan[]>([]);
  const [errors, setErrors] = useState<Partial<Record<Key | 'general', string>>>({});
  const [busy, setBusy] = useState(false);
  const [images, setImages] = useState<{ default: string; allowed: string[] } | null>(null);
  useEffect(() => {
    api.GET('/v1/images').then((r) => setImages(must(r)), () => undefined);
    api.GET('/v1/plans').then((r) => {
      const items = must(r).items;
      setPlans(items);
      setForm((f) => ({ ...f, plan: f.plan || (items.find((p) => p.default)?.name ?? '') }));
    }).catch((e: unknown) => setErrors({ general: messageOf(e) }));
  }, []);

  const set = (k: Key) => (e: Event): void => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setErrors({});
    setBusy(true);
    try {
      const body = {
        tenant: form.tenant.trim(),
        ...(form.name.trim() ? { name: form.name.trim() } : {}),
        ...(form.plan ? { plan: form.plan } : {}),
        ...(form.image.trim() ? { image: form.image.trim() } : {}),
        ...(form.port.trim() ? { port: Number(form.port) } : {}),
        env: parsePairs(form.env, 'env'),
        secrets: parsePairs(form.secrets, 'secrets'),
        health: { ...(form.healthPath ? { path: form.healthPath } : {}), ...(form.healthInterval ? { intervalSeconds: Number(form.healthInterval) } : {}) },
      };
      const created = must(await api.POST('/v1/instances', { params: { query: {} }, body }));
      navigate(`/instances/${encodeURIComponent(created.name)}`);
    } catch (err) {
      if (err instanceof ApiError) setErrors({ [controlFor(err)]: err.message });
      else setErrors({ general: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };
  const input = (k: Key, props: Record<string, unknown> = {}, hint = false) => (
    <input id={`c-${k}`} name={k} value={form[k]} onInput={set(k)} {...describedBy(`c-${k}`, errors[k], hint)} {...props} />
  );
  return (
    <section aria-labelledby="create-title">
      <h1 id="create-title">Create an instance</h1>
      <form class="form" onSubmit={submit} noValidate>
        {errors.general && <p class="error" role="alert">{errors.general}</p>}
        <Field id="c-tenant" label="Tenant" error={errors.tenant}>{input('tenant', { required: true, readOnly: Boolean(session.tenant), autoComplete: 'off' })}</Field>
        <Field id="c-name" label="Name" error={errors.name} hint="DNS label; defaults to the tenant">{input('name', { autoComplete: 'off' }, true)}</Field>
        <Field id="c-plan" label="Plan" error={errors.plan}>
          <select id="c-plan" name="plan" value={form.plan} onChange={set('plan')} {...describedBy('c-plan', errors.plan)}>
            {plans.map((p) => <option key={p.name} value={p.name}>{p.name} — {p.cpus} CPU, {p.memory}</option>)}
          </select>
        </Field>
        {images && images.allowed.length > 0 ? (
          <Field id="c-image" label="Image" error={errors.image} hint="From the operator's allowed list">
            <select id="c-image" name="image" value={form.image} onChange={set('image')} {...describedBy('c-image', errors.image, true)}>
              <option value="">default ({images.default})</option>
              {images.allowed.map((im) => <option key={im} value={im}>{im}</option>)}
            </select>
          </Field>
        ) : (
          <Field id="c-image" label="Image" error={errors.image} hint={`A local image; berth never pulls. Empty: ${images?.default ?? 'the default'}`}>{input('image', { placeholder: images?.default ?? '' }, true)}</Field>
        )}
        <Field id="c-port" label="Container port" error={errors.port}>{input('port', { inputMode: 'numeric' })}</Field>
        <Field id="c-env" label="Environment" error={errors.env} hint="One NAME=value per line">
          <textarea id="c-env" name="env" rows={3} value={form.env} onInput={set('env')} {...describedBy('c-env', errors.env, true)} />
        </Field>
        <Field id="c-secrets" label="Secrets" error={errors.secrets} hint="One NAME=value per line; stored encrypted, never shown again">
          <textarea id="c-secrets" name="secrets" rows={2} value={form.secrets} onInput={set('secrets')} {...describedBy('c-secrets', errors.secrets, true)} />
        </Field>
        <Field id="c-healthPath" label="Health path" error={errors.healthPath}>{input('healthPath')}</Field>
        <Field id="c-healthInterval" label="Health interval (seconds)" error={errors.healthInterval} hint="Empty: the plan's default">{input('healthInterval', { inputMode: 'decimal' }, true)}</Field>
        <div class="row"><button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create'}</button><a href="#/">Cancel</a></div>
      </form>
    </section>
  );
}
