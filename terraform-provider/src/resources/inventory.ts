import { ApiClient, ApiError } from '../client';
import { attrDiag, Diag } from '../diagnostics';
import { canonicalPrefixProblem, decimalProblem } from '../validate';
import { Attr, sameDecimal, sameIgnoringCase, sameSet, Schema } from '../schema';
import { ObjectValue } from '../values';
import { ApiResource, Private } from './resource';

export const ID: Attr = { name: 'id', type: 'string', computed: true, stable: true, description: 'The API id (UUID).' };
const TAGS: Attr = {
  name: 'tags',
  type: ['set', 'string'],
  optional: true,
  equivalent: sameSet,
  description: 'Free-form tags. Order does not matter; an empty set and no tags are the same.',
};

export class LessorResource extends ApiResource {
  readonly typeName = 'iplease_lessor';
  readonly collection = '/api/v1/lessors';
  readonly schema: Schema = {
    version: 0,
    description: 'An address holder iplease leases prefixes from.',
    attrs: [
      ID,
      { name: 'name', type: 'string', required: true, description: 'Unique name (case-insensitive).' },
      {
        name: 'rir',
        type: 'string',
        required: true,
        equivalent: sameIgnoringCase,
        description: 'Regional Internet Registry: `ARIN`, `RIPE`, `APNIC`, `LACNIC` or `AFRINIC`.',
      },
      {
        name: 'org_handle',
        type: 'string',
        optional: true,
        description: 'The holder’s organisation handle at its RIR.',
      },
      { name: 'contact_email', type: 'string', optional: true, description: 'Where to reach the holder.' },
      { name: 'notes', type: 'string', optional: true, description: 'Free text.' },
    ],
  };
}

export class ProviderResource extends ApiResource {
  readonly typeName = 'iplease_provider';
  readonly collection = '/api/v1/providers';
  readonly schema: Schema = {
    version: 0,
    description: 'A cloud or network provider allocations are assigned to, with its prefix-length rules.',
    attrs: [
      ID,
      { name: 'code', type: 'string', required: true, description: 'Unique lowercase slug, e.g. `aws`.' },
      { name: 'name', type: 'string', required: true, description: 'Display name.' },
      {
        name: 'min_prefix_length',
        type: 'number',
        optional: true,
        computed: true,
        stable: true,
        description: 'Shortest prefix length allocations to it may have (API default 8).',
      },
      {
        name: 'max_prefix_length',
        type: 'number',
        optional: true,
        computed: true,
        stable: true,
        description: 'Longest prefix length allocations to it may have (API default 32; BYOIP clouds need 24).',
      },
      {
        name: 'required_origin_asns',
        type: ['set', 'number'],
        optional: true,
        equivalent: sameSet,
        description: 'ASNs that must be authorised (by ROAs) to announce its allocations, e.g. AWS `[16509, 14618]`.',
      },
      { name: 'notes', type: 'string', optional: true, description: 'Free text.' },
    ],
  };
}

export class RegionResource extends ApiResource {
  readonly typeName = 'iplease_region';
  readonly collection = '/api/v1/regions';
  readonly schema: Schema = {
    version: 0,
    description: 'Where addresses are used; feeds the RFC 8805 geofeed.',
    attrs: [
      ID,
      { name: 'code', type: 'string', required: true, description: 'Unique slug, e.g. `eu-west-1`.' },
      { name: 'name', type: 'string', required: true, description: 'Display name.' },
      {
        name: 'country_code',
        type: 'string',
        required: true,
        equivalent: sameIgnoringCase,
        description: 'ISO 3166-1 alpha-2 country code.',
      },
      {
        name: 'subdivision_code',
        type: 'string',
        optional: true,
        equivalent: sameIgnoringCase,
        description: 'ISO 3166-2 subdivision, e.g. `GB-ENG`; must match the country.',
      },
      { name: 'city', type: 'string', optional: true, description: 'City name.' },
    ],
  };
}

export class LeaseResource extends ApiResource {
  readonly typeName = 'iplease_lease';
  readonly collection = '/api/v1/leases';
  readonly schema: Schema = {
    version: 0,
    description:
      'A contract for one leased prefix. Destroy terminates it effective today when it ever had allocations, and deletes it when it never had. Managing leases needs a finance or admin key.',
    attrs: [
      ID,
      {
        name: 'prefix',
        type: 'string',
        required: true,
        forceNew: true,
        description: 'Canonical IPv4 CIDR, e.g. `185.10.20.0/24`.',
      },
      { name: 'lessor_id', type: 'string', required: true, description: 'The lessor’s id.' },
      {
        name: 'start_date',
        type: 'string',
        required: true,
        forceNew: true,
        description: 'First day of service, `YYYY-MM-DD`.',
      },
      {
        name: 'end_date',
        type: 'string',
        optional: true,
        description: 'Last day of service, `YYYY-MM-DD` (inclusive).',
      },
      {
        name: 'auto_renew',
        type: 'bool',
        optional: true,
        computed: true,
        stable: true,
        description: 'Rolls on past `end_date` in terms of `renewal_term_months` (API default false).',
      },
      {
        name: 'renewal_term_months',
        type: 'number',
        optional: true,
        computed: true,
        stable: true,
        description: 'Length of a renewal term (API default 12).',
      },
      {
        name: 'notice_period_days',
        type: 'number',
        optional: true,
        computed: true,
        stable: true,
        description: 'Notice needed before the term ends (API default 30).',
      },
      {
        name: 'price_per_ip_monthly',
        type: 'string',
        required: true,
        equivalent: sameDecimal,
        description:
          'Decimal string, e.g. `"0.45"` (the same as `"0.4500"`). A change is an amendment effective today.',
      },
      {
        name: 'currency',
        type: 'string',
        required: true,
        equivalent: sameIgnoringCase,
        description: 'ISO 4217 code, e.g. `USD`.',
      },
      { name: 'contract_ref', type: 'string', optional: true, description: 'Your contract reference.' },
      { name: 'origin_asn', type: 'number', optional: true, description: 'The AS that announces the prefix.' },
      TAGS,
      { name: 'notes', type: 'string', optional: true, description: 'Free text.' },
      {
        name: 'status',
        type: 'string',
        computed: true,
        description: '`pending`, `active`, `expired` or `terminated`.',
      },
      {
        name: 'address_count',
        type: 'number',
        computed: true,
        stable: true,
        description: 'Number of addresses in the prefix.',
      },
    ],
  };

  override validate(config: ObjectValue): Diag[] {
    const diags: Diag[] = [];
    const prefixProblem = canonicalPrefixProblem(config.prefix);
    if (prefixProblem) diags.push(attrDiag('prefix', 'Invalid prefix', prefixProblem));
    const priceProblem = decimalProblem(config.price_per_ip_monthly);
    if (priceProblem) diags.push(attrDiag('price_per_ip_monthly', 'Invalid price', priceProblem));
    return diags;
  }

  /** Terminates (effective today) a lease that had allocations; deletes one that never had. */
  override async destroy(client: ApiClient, prior: ObjectValue, priv: Private): Promise<void> {
    const path = `${this.collection}/${prior.id as string}`;
    try {
      await client.request('DELETE', path, { ifMatch: priv.etag });
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return;
      if (!(error instanceof ApiError && error.status === 409 && error.problem.code === 'IN_USE')) throw error;
    }
    const current = await client.request('GET', path).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    });
    if (!current || ['terminated', 'expired'].includes(current.body.status as string)) return;
    const today = new Date().toISOString().slice(0, 10);
    if (current.body.terminatedOn && current.body.terminatedOn <= today) return;
    await client.request('POST', `${path}/terminate`, { body: { effectiveDate: today }, idempotent: true });
  }
}

export class AllocationResource extends ApiResource {
  readonly typeName = 'iplease_allocation';
  readonly collection = '/api/v1/allocations';
  readonly schema: Schema = {
    version: 0,
    description:
      'Part of a lease assigned to a region and a provider: the next free block of `prefix_length` (placed by the server, safe under any parallelism) or an explicit `prefix`. Destroy releases it.',
    attrs: [
      ID,
      {
        name: 'prefix_length',
        type: 'number',
        optional: true,
        forceNew: true,
        api: 'requestedPrefixLength',
        description: 'Size of the next free block to take. Give this or `prefix`.',
      },
      {
        name: 'prefix',
        type: 'string',
        optional: true,
        computed: true,
        stable: true,
        forceNew: true,
        description: 'An explicit block to claim, or (computed) the block the server placed.',
      },
      {
        name: 'lease_id',
        type: 'string',
        optional: true,
        computed: true,
        stable: true,
        forceNew: true,
        description: 'The lease to allocate from; without it the server picks among active leases.',
      },
      {
        name: 'strategy',
        type: 'string',
        optional: true,
        computed: true,
        stable: true,
        forceNew: true,
        description: '`best-fit` (default) or `first-fit` for `prefix_length`; `explicit` when `prefix` is given.',
      },
      {
        name: 'name',
        type: 'string',
        optional: true,
        description: 'A name you choose, unique among active allocations (find-or-create long after any retry window).',
      },
      { name: 'region_id', type: 'string', required: true, description: 'Where the addresses are used.' },
      { name: 'provider_id', type: 'string', required: true, description: 'Who hosts or announces them.' },
      { name: 'description', type: 'string', optional: true, description: 'Free text.' },
      TAGS,
      {
        name: 'origin_asn',
        type: 'number',
        optional: true,
        description: 'The AS that announces the block.',
      },
      {
        name: 'address_count',
        type: 'number',
        computed: true,
        stable: true,
        description: 'Number of addresses in the block.',
      },
    ],
  };

  override validate(config: ObjectValue): Diag[] {
    const diags = this.requireOne(config, ['prefix_length', 'prefix']);
    const prefixProblem = canonicalPrefixProblem(config.prefix);
    if (prefixProblem) diags.push(attrDiag('prefix', 'Invalid prefix', prefixProblem));
    const strategy = config.strategy;
    if (typeof strategy === 'string' && !['best-fit', 'first-fit'].includes(strategy)) {
      diags.push(attrDiag('strategy', 'Invalid strategy', 'strategy is `best-fit` or `first-fit`.'));
    }
    if (typeof strategy === 'string' && typeof config.prefix === 'string') {
      diags.push(attrDiag('strategy', 'strategy applies to prefix_length', 'An explicit prefix needs no strategy.'));
    }
    return diags;
  }

  override createBody(planned: ObjectValue): Record<string, unknown> {
    const body = super.createBody(planned);
    delete body.requestedPrefixLength;
    if (typeof planned.prefix_length === 'number') body.prefixLength = planned.prefix_length;
    return body;
  }
}
