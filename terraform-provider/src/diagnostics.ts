import { ApiError, Stopped } from './client';

/** tfplugin6.Diagnostic as proto-loader takes it. */
export interface Diag {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail: string;
  attribute?: { steps: { attribute_name: string }[] };
}

export function errorDiag(summary: string, detail = ''): Diag {
  return { severity: 'ERROR', summary, detail };
}

export function attrDiag(attribute: string, summary: string, detail = ''): Diag {
  return { severity: 'ERROR', summary, detail, attribute: { steps: [{ attribute_name: attribute }] } };
}

/**
 * Where an API error code points when the answer names no field: the attribute a person should
 * look at to act on it.
 */
const CODE_ATTRIBUTE: Record<string, string> = {
  NO_CAPACITY: 'prefix_length',
  PROVIDER_RULE_VIOLATION: 'provider_id',
  PREFIX_OVERLAP: 'prefix',
  PREFIX_NOT_LEASABLE: 'prefix',
  NOT_IN_ACTIVE_LEASE: 'prefix',
};

/**
 * A problem+json from the API as diagnostics: its `code` in the summary, its `detail` (and the
 * conflicts it lists) in the detail, one diagnostic per field error with that attribute's path.
 */
export function apiErrorDiags(
  error: unknown,
  action: string,
  attributeFor: (field: string | undefined) => string | undefined,
  has: (attribute: string) => boolean = () => true,
): Diag[] {
  if (error instanceof Stopped) return [errorDiag('Cancelled', error.message)];
  if (!(error instanceof ApiError)) {
    return [errorDiag(`${action} failed`, error instanceof Error ? error.message : String(error))];
  }
  const p = error.problem;
  const code = p.code ?? `HTTP ${error.status}`;
  const conflicts = (p.conflicts ?? [])
    .map((c) => `  - ${c.kind ?? 'object'} ${c.id ?? ''}${c.prefix ? ` (${c.prefix})` : ''}`)
    .join('\n');
  const detail = [
    p.detail ?? p.title ?? '',
    conflicts ? `Conflicts:\n${conflicts}` : '',
    `(${error.method} ${error.path} answered ${error.status})`,
  ]
    .filter(Boolean)
    .join('\n');
  const summary = `${action}: ${code}`;
  const fieldErrors = (p.errors ?? []).filter((e) => e.field || e.message);
  if (fieldErrors.length > 0) {
    return fieldErrors.map((e) => {
      const attribute = attributeFor(e.field);
      const text = `${e.message ?? ''}\n${detail}`.trim();
      return attribute ? attrDiag(attribute, summary, text) : errorDiag(summary, text);
    });
  }
  const attribute = CODE_ATTRIBUTE[code];
  return [attribute && has(attribute) ? attrDiag(attribute, summary, detail) : errorDiag(summary, detail)];
}
