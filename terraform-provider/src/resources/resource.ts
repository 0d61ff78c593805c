import { ApiClient, ApiError } from '../client';
import { Diag, attrDiag } from '../diagnostics';
import { apiField, Attr, equivalent, keepSpelling, Schema, writable } from '../schema';
import { isUnknown, ObjectValue, UNKNOWN, Value } from '../values';

/** What the provider keeps in Terraform's private state: the ETag the API gave last. */
export interface Private {
  etag?: string;
}

export interface Applied {
  state: ObjectValue | null;
  private: Private;
}

/**
 * A managed resource backed by one API collection. The defaults map snake_case attributes to the
 * API's camelCase fields one to one; resources override what differs.
 */
export abstract class ApiResource {
  abstract readonly typeName: string;
  abstract readonly schema: Schema;
  /** e.g. `/api/v1/lessors` */
  abstract readonly collection: string;

  validate(_config: ObjectValue): Diag[] {
    return [];
  }

  /** Attribute values from an API object. */
  fromApi(api: Record<string, unknown>): ObjectValue {
    const out: ObjectValue = {};
    for (const attr of this.schema.attrs) out[attr.name] = toValue(api[apiField(attr)]);
    return out;
  }

  createBody(planned: ObjectValue): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const attr of this.schema.attrs) {
      const value = planned[attr.name];
      if (!writable(attr) || value === null || value === undefined || isUnknown(value)) continue;
      body[apiField(attr)] = value;
    }
    return body;
  }

  updateBody(planned: ObjectValue, prior: ObjectValue, changed: Attr[]): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const attr of changed) body[apiField(attr)] = bodyValue(attr, planned[attr.name]);
    return body;
  }

  async create(client: ApiClient, planned: ObjectValue): Promise<Applied> {
    const res = await client.request('POST', this.collection, { body: this.createBody(planned), idempotent: true });
    return this.applied(res.body, res.etag, planned);
  }

  async read(client: ApiClient, prior: ObjectValue, priv: Private): Promise<Applied> {
    try {
      const res = await client.request('GET', `${this.collection}/${prior.id as string}`);
      return this.applied(res.body, res.etag, prior);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return { state: null, private: priv };
      throw error;
    }
  }

  async update(client: ApiClient, planned: ObjectValue, prior: ObjectValue, priv: Private, changed: Attr[]) {
    if (changed.length === 0) return this.read(client, planned, priv);
    try {
      const res = await client.request('PATCH', `${this.collection}/${prior.id as string}`, {
        body: this.updateBody(planned, prior, changed),
        ifMatch: priv.etag,
      });
      return this.applied(res.body, res.etag, planned);
    } catch (error) {
      // A retried PATCH whose first attempt did land (unseen, e.g. a timeout) meets its own new
      // version: 412. When the object now holds exactly what was planned, that is success.
      if (!(error instanceof ApiError && error.status === 412 && error.attempts > 1)) throw error;
      const fresh = await this.read(client, planned, priv);
      const landed =
        fresh.state && changed.every((a) => equivalent(a, planned[a.name] ?? null, fresh.state?.[a.name] ?? null));
      if (!landed) throw error;
      return fresh;
    }
  }

  async destroy(client: ApiClient, prior: ObjectValue, priv: Private): Promise<void> {
    try {
      await client.request('DELETE', `${this.collection}/${prior.id as string}`, { ifMatch: priv.etag });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return; // already gone
      throw error;
    }
  }

  /** Import: a stub holding the id; ReadResource fills in the rest. */
  importStub(id: string): ObjectValue {
    const stub: ObjectValue = {};
    for (const attr of this.schema.attrs) stub[attr.name] = null;
    stub.id = id;
    return stub;
  }

  protected applied(api: Record<string, unknown>, etag: string | undefined, reference: ObjectValue | null): Applied {
    const state = keepSpelling(this.schema, this.fromApi(api), reference);
    return { state, private: { etag: etag ?? (api.version !== undefined ? `"${String(api.version)}"` : undefined) } };
  }

  /** The attribute path an API error field (camelCase, maybe `tags[2]`) points at. */
  attributeFor(field: string | undefined): string | undefined {
    if (!field) return undefined;
    const head = field.split(/[.[]/)[0];
    return this.schema.attrs.find((a) => apiField(a) === head || a.name === head)?.name;
  }

  protected requireOne(config: ObjectValue, names: string[]): Diag[] {
    const given = names.filter((n) => (config[n] ?? null) !== null);
    if (given.length === 1 || given.some((n) => config[n] === UNKNOWN)) return [];
    return [
      attrDiag(
        names[0],
        given.length === 0 ? `One of ${names.join(', ')} is required` : `Give only one of ${names.join(', ')}`,
        `Set exactly one of ${names.join(' or ')}.`,
      ),
    ];
  }
}

export function toValue(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(toValue);
  if (typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toValue(x)]));
  }
  return v as Value;
}

/** The JSON value a PATCH sends; an emptied set of tags is `[]` (the API refuses null there). */
function bodyValue(attr: Attr, value: Value | undefined): unknown {
  if ((value === null || value === undefined) && Array.isArray(attr.type)) return [];
  return value ?? null;
}
