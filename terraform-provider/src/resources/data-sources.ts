import { ApiClient, ApiError } from '../client';
import { attrDiag, Diag } from '../diagnostics';
import { apiField, Attr, Schema } from '../schema';
import { canonicalPrefixProblem } from '../validate';
import { ObjectValue, UNKNOWN } from '../values';
import { LeaseResource, LessorResource, ProviderResource, RegionResource } from './inventory';
import { ApiResource, toValue } from './resource';

export interface DataSource {
  readonly typeName: string;
  readonly schema: Schema;
  validate(config: ObjectValue): Diag[];
  read(client: ApiClient, config: ObjectValue): Promise<ObjectValue>;
  attributeFor(field: string | undefined): string | undefined;
}

class NotFoundError extends Error {}

/** Every attribute of a resource as a computed output, with `lookupBy` the one to search by. */
function outputsOf(resource: ApiResource, lookupBy: string[], required: boolean): Attr[] {
  return resource.schema.attrs.map((a) => {
    const base: Attr = { name: a.name, type: a.type, description: a.description, api: a.api, computed: true };
    if (!lookupBy.includes(a.name)) return base;
    return required ? { ...base, computed: false, required: true } : { ...base, optional: true };
  });
}

function toState(schema: Schema, api: Record<string, unknown>, config: ObjectValue): ObjectValue {
  const out: ObjectValue = {};
  for (const attr of schema.attrs) {
    out[attr.name] =
      attr.required || (attr.optional && config[attr.name] !== null) ? config[attr.name] : toValue(api[apiField(attr)]);
  }
  return out;
}

abstract class BaseDataSource implements DataSource {
  abstract readonly typeName: string;
  abstract readonly schema: Schema;
  validate(_config: ObjectValue): Diag[] {
    return [];
  }
  abstract read(client: ApiClient, config: ObjectValue): Promise<ObjectValue>;
  attributeFor(field: string | undefined): string | undefined {
    const head = field?.split(/[.[]/)[0];
    return this.schema.attrs.find((a) => apiField(a) === head || a.name === head)?.name;
  }
}

/** iplease_region / iplease_provider by `code`, iplease_lessor by `name` (case-insensitive). */
class ByKeyDataSource extends BaseDataSource {
  readonly schema: Schema;
  constructor(
    readonly typeName: string,
    private readonly resource: ApiResource,
    private readonly key: string,
    private readonly query: (value: string) => Record<string, string>,
  ) {
    super();
    this.schema = {
      version: 0,
      description: `Finds one ${resource.typeName.replace('iplease_', '')} by \`${key}\`.`,
      attrs: outputsOf(resource, [key], true),
    };
  }

  async read(client: ApiClient, config: ObjectValue): Promise<ObjectValue> {
    const wanted = String(config[this.key]);
    let cursor: string | undefined;
    do {
      const page = await client.request('GET', this.resource.collection, {
        query: { ...this.query(wanted), limit: 500, cursor },
      });
      const items = page.body.items as Record<string, unknown>[];
      const hit = items.find(
        (item) => String(item[apiField({ name: this.key } as Attr)]).toLowerCase() === wanted.toLowerCase(),
      );
      if (hit) return toState(this.schema, hit, config);
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    throw new NotFoundError(`No ${this.resource.typeName.replace('iplease_', '')} with ${this.key} "${wanted}".`);
  }
}

class LeaseDataSource extends BaseDataSource {
  readonly typeName = 'iplease_lease';
  readonly schema: Schema;
  constructor(private readonly lease: LeaseResource) {
    super();
    this.schema = {
      version: 0,
      description: 'Finds a lease by `id`, or by `prefix` (the lease running today, else the newest one).',
      attrs: outputsOf(lease, ['id', 'prefix'], false),
    };
  }

  override validate(config: ObjectValue): Diag[] {
    const given = ['id', 'prefix'].filter((k) => config[k] !== null);
    if (given.length !== 1 && !given.some((k) => config[k] === UNKNOWN)) {
      return [attrDiag('id', 'Give id or prefix', 'Set exactly one of id or prefix.')];
    }
    const problem = canonicalPrefixProblem(config.prefix);
    return problem ? [attrDiag('prefix', 'Invalid prefix', problem)] : [];
  }

  async read(client: ApiClient, config: ObjectValue): Promise<ObjectValue> {
    if (config.id !== null) {
      const res = await client.request('GET', `${this.lease.collection}/${config.id as string}`);
      return toState(this.schema, res.body, config);
    }
    const res = await client.request('GET', this.lease.collection, {
      query: { within: config.prefix as string, limit: 500 },
    });
    const same = (res.body.items as Record<string, unknown>[]).filter((l) => l.prefix === config.prefix);
    const chosen = same.find((l) => l.status === 'active') ?? same[same.length - 1];
    if (!chosen) throw new NotFoundError(`No lease for ${config.prefix as string}.`);
    return toState(this.schema, chosen, config);
  }
}

class LookupDataSource extends BaseDataSource {
  readonly typeName = 'iplease_lookup';
  readonly schema: Schema = {
    version: 0,
    description: 'What covers an address or prefix today: its lease, lessor, allocation, region and provider.',
    attrs: [
      { name: 'ip', type: 'string', required: true, description: 'An IPv4 address or prefix.' },
      { name: 'lease_id', type: 'string', computed: true, description: 'The covering lease.' },
      { name: 'lessor_id', type: 'string', computed: true, description: 'Its lessor.' },
      { name: 'allocation_id', type: 'string', computed: true, description: 'The covering active allocation, if any.' },
      { name: 'allocation_prefix', type: 'string', computed: true, description: 'That allocation’s prefix.' },
      { name: 'region_id', type: 'string', computed: true, description: 'The allocation’s region.' },
      { name: 'provider_id', type: 'string', computed: true, description: 'The allocation’s provider.' },
    ],
  };

  async read(client: ApiClient, config: ObjectValue): Promise<ObjectValue> {
    const res = await client.request('GET', '/api/v1/lookup', { query: { ip: config.ip as string } });
    const b = res.body;
    return {
      ip: config.ip,
      lease_id: b.lease?.id ?? null,
      lessor_id: b.lessor?.id ?? null,
      allocation_id: b.allocation?.id ?? null,
      allocation_prefix: b.allocation?.prefix ?? null,
      region_id: b.region?.id ?? null,
      provider_id: b.provider?.id ?? null,
    };
  }
}

class FreeBlocksDataSource extends BaseDataSource {
  readonly typeName = 'iplease_free_blocks';
  readonly schema: Schema = {
    version: 0,
    description: 'Free blocks of a lease: of one length, or the maximal free blocks without it.',
    attrs: [
      { name: 'lease_id', type: 'string', required: true, description: 'The lease.' },
      { name: 'prefix_length', type: 'number', optional: true, description: 'Only blocks of this length.' },
      { name: 'prefixes', type: ['list', 'string'], computed: true, description: 'The free blocks, lowest first.' },
      { name: 'total', type: 'number', computed: true, description: 'How many there are in all.' },
    ],
  };

  async read(client: ApiClient, config: ObjectValue): Promise<ObjectValue> {
    const res = await client.request('GET', `/api/v1/leases/${config.lease_id as string}/free`, {
      query: { prefixLength: (config.prefix_length as number | null) ?? undefined },
    });
    const items = res.body.items as { prefix: string }[];
    return { ...config, prefixes: items.map((i) => i.prefix), total: res.body.total ?? items.length };
  }
}

export function dataSources(resources: {
  lessor: LessorResource;
  provider: ProviderResource;
  region: RegionResource;
  lease: LeaseResource;
}): DataSource[] {
  return [
    new LeaseDataSource(resources.lease),
    new LookupDataSource(),
    new FreeBlocksDataSource(),
    new ByKeyDataSource('iplease_region', resources.region, 'code', (code) => ({ code })),
    new ByKeyDataSource('iplease_provider', resources.provider, 'code', (code) => ({ code })),
    new ByKeyDataSource('iplease_lessor', resources.lessor, 'name', (name) => ({ q: name })),
  ];
}

export function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundError || (error instanceof ApiError && error.status === 404);
}

export function notFoundDetail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
