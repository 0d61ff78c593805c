import { ApiClient } from './client';
import { apiErrorDiags, attrDiag, Diag, errorDiag } from './diagnostics';
import { log } from './log';
import { Attr, objectType, planChange, Schema, toProtoSchema, writable } from './schema';
import { DataSource, dataSources, isNotFound, notFoundDetail } from './resources/data-sources';
import {
  AllocationResource,
  LeaseResource,
  LessorResource,
  ProviderResource,
  RegionResource,
} from './resources/inventory';
import { ApiResource, Private } from './resources/resource';
import { decodeDynamic, encodeDynamic, isWhollyKnown, ObjectValue, sameValue } from './values';

export const PROVIDER_VERSION = '0.1.0';

export const providerSchema: Schema = {
  version: 0,
  description: 'Manages leases, allocations and inventory in iplease.',
  attrs: [
    {
      name: 'endpoint',
      type: 'string',
      optional: true,
      description: 'Base URL of iplease, e.g. `http://127.0.0.1:3000` (or env `IPLEASE_ENDPOINT`).',
    },
    {
      name: 'api_key',
      type: 'string',
      optional: true,
      sensitive: true,
      description: 'An API key (or env `IPLEASE_API_KEY`); engineer role for allocations, finance or admin for leases.',
    },
    {
      name: 'request_timeout_seconds',
      type: 'number',
      optional: true,
      description:
        'Per-attempt HTTP timeout (default 30); a timed-out create is retried with the same Idempotency-Key.',
    },
    {
      name: 'max_attempts',
      type: 'number',
      optional: true,
      description: 'Attempts per request on timeouts, resets, 503 and 429 (default 6).',
    },
  ],
};

/** A tfplugin6 request or response message as proto-loader gives and takes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Rpc = Record<string, any>;

/** The tfplugin6.Provider service: schema, validation, plan, apply, read, import, data sources. */
export class IpleaseProvider {
  readonly resources: ApiResource[];
  readonly dataSources: DataSource[];
  private client?: ApiClient;

  constructor() {
    const lessor = new LessorResource();
    const provider = new ProviderResource();
    const region = new RegionResource();
    const lease = new LeaseResource();
    this.resources = [lessor, provider, region, lease, new AllocationResource()];
    this.dataSources = dataSources({ lessor, provider, region, lease });
  }

  private resource(typeName: string): ApiResource {
    const r = this.resources.find((x) => x.typeName === typeName);
    if (!r) throw new Error(`unknown resource type ${typeName}`);
    return r;
  }

  private dataSource(typeName: string): DataSource {
    const d = this.dataSources.find((x) => x.typeName === typeName);
    if (!d) throw new Error(`unknown data source ${typeName}`);
    return d;
  }

  private api(): ApiClient {
    if (!this.client) throw new Error('The provider is not configured.');
    return this.client;
  }

  stop(): void {
    this.client?.stop();
  }

  GetMetadata(): Rpc {
    return {
      server_capabilities: { get_provider_schema_optional: true },
      diagnostics: [],
      resources: this.resources.map((r) => ({ type_name: r.typeName })),
      data_sources: this.dataSources.map((d) => ({ type_name: d.typeName })),
      functions: [],
      ephemeral_resources: [],
    };
  }

  GetProviderSchema(): Rpc {
    return {
      provider: toProtoSchema(providerSchema),
      resource_schemas: Object.fromEntries(this.resources.map((r) => [r.typeName, toProtoSchema(r.schema)])),
      data_source_schemas: Object.fromEntries(this.dataSources.map((d) => [d.typeName, toProtoSchema(d.schema)])),
      functions: {},
      ephemeral_resource_schemas: {},
      diagnostics: [],
      server_capabilities: { get_provider_schema_optional: true },
    };
  }

  ValidateProviderConfig(req: Rpc): Rpc {
    const config = decodeDynamic(req.config, objectType(providerSchema)) as ObjectValue;
    const diags: Diag[] = [];
    const endpoint = config.endpoint;
    if (typeof endpoint === 'string' && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
      diags.push(attrDiag('endpoint', 'Invalid endpoint', 'endpoint is an http(s) URL such as http://127.0.0.1:3000.'));
    }
    return { diagnostics: diags };
  }

  ConfigureProvider(req: Rpc): Rpc {
    const config = decodeDynamic(req.config, objectType(providerSchema)) as ObjectValue;
    const endpoint = (config.endpoint as string | null) ?? process.env.IPLEASE_ENDPOINT;
    const apiKey = (config.api_key as string | null) ?? process.env.IPLEASE_API_KEY;
    const diags: Diag[] = [];
    if (!endpoint) diags.push(attrDiag('endpoint', 'Missing endpoint', 'Set endpoint or IPLEASE_ENDPOINT.'));
    if (!apiKey) diags.push(attrDiag('api_key', 'Missing API key', 'Set api_key or IPLEASE_API_KEY.'));
    if (endpoint && apiKey) {
      this.client = new ApiClient({
        endpoint,
        apiKey,
        attemptTimeoutMs: ((config.request_timeout_seconds as number | null) ?? 30) * 1000,
        maxAttempts: (config.max_attempts as number | null) ?? 6,
        userAgent: `terraform-provider-iplease/${PROVIDER_VERSION} terraform/${req.terraform_version ?? '?'}`,
      });
    }
    return { diagnostics: diags };
  }

  ValidateResourceConfig(req: Rpc): Rpc {
    const r = this.resource(req.type_name);
    const config = decodeDynamic(req.config, objectType(r.schema)) as ObjectValue;
    return { diagnostics: r.validate(config) };
  }

  ValidateDataResourceConfig(req: Rpc): Rpc {
    const d = this.dataSource(req.type_name);
    const config = decodeDynamic(req.config, objectType(d.schema)) as ObjectValue;
    return { diagnostics: d.validate(config) };
  }

  UpgradeResourceState(req: Rpc): Rpc {
    const r = this.resource(req.type_name);
    const type = objectType(r.schema);
    const json = req.raw_state?.json as Buffer | undefined;
    const value = json && json.length > 0 ? decodeDynamic({ json }, type) : null;
    return { upgraded_state: encodeDynamic(value, type), diagnostics: [] };
  }

  async ReadResource(req: Rpc): Promise<Rpc> {
    const r = this.resource(req.type_name);
    const type = objectType(r.schema);
    const prior = decodeDynamic(req.current_state, type) as ObjectValue | null;
    const priv = parsePrivate(req.private);
    if (!prior) return { new_state: encodeDynamic(null, type), diagnostics: [], private: req.private };
    try {
      const result = await r.read(this.api(), prior, priv);
      if (!result.state) log('INFO', `${r.typeName} ${prior.id as string} is gone (404): removed from state`);
      return { new_state: encodeDynamic(result.state, type), diagnostics: [], private: encodePrivate(result.private) };
    } catch (error) {
      return { diagnostics: this.diags(r, error, `Reading ${r.typeName}`) };
    }
  }

  PlanResourceChange(req: Rpc): Rpc {
    const r = this.resource(req.type_name);
    const type = objectType(r.schema);
    const prior = decodeDynamic(req.prior_state, type) as ObjectValue | null;
    const proposed = decodeDynamic(req.proposed_new_state, type) as ObjectValue | null;
    const config = decodeDynamic(req.config, type) as ObjectValue | null;
    if (!proposed || !config) {
      return { planned_state: encodeDynamic(null, type), requires_replace: [], planned_private: req.prior_private };
    }
    const { planned, requiresReplace } = planChange(r.schema, prior, proposed, config);
    return {
      planned_state: encodeDynamic(planned, type),
      requires_replace: requiresReplace.map((name) => ({ steps: [{ attribute_name: name }] })),
      planned_private: req.prior_private,
      diagnostics: [],
    };
  }

  async ApplyResourceChange(req: Rpc): Promise<Rpc> {
    const r = this.resource(req.type_name);
    const type = objectType(r.schema);
    const prior = decodeDynamic(req.prior_state, type) as ObjectValue | null;
    const planned = decodeDynamic(req.planned_state, type) as ObjectValue | null;
    const priv = parsePrivate(req.planned_private);
    try {
      if (!planned) {
        if (prior) await r.destroy(this.api(), prior, priv);
        return { new_state: encodeDynamic(null, type), private: Buffer.alloc(0), diagnostics: [] };
      }
      const result = prior
        ? await r.update(this.api(), planned, prior, priv, changedAttrs(r.schema.attrs, planned, prior))
        : await r.create(this.api(), planned);
      if (!result.state) {
        return {
          new_state: encodeDynamic(null, type),
          diagnostics: [errorDiag(`${r.typeName} vanished during apply`)],
        };
      }
      if (!isWhollyKnown(result.state)) throw new Error('the API answer left an attribute unknown');
      return { new_state: encodeDynamic(result.state, type), private: encodePrivate(result.private), diagnostics: [] };
    } catch (error) {
      const action = !planned
        ? `Destroying ${r.typeName}`
        : prior
          ? `Updating ${r.typeName}`
          : `Creating ${r.typeName}`;
      // On a failed update the prior state stays; on a failed create nothing exists.
      return {
        new_state: encodeDynamic(prior, type),
        private: req.planned_private,
        diagnostics: this.diags(r, error, action),
      };
    }
  }

  ImportResourceState(req: Rpc): Rpc {
    const r = this.resource(req.type_name);
    const id = String(req.id ?? '').trim();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      return {
        diagnostics: [errorDiag('Invalid import id', `Import ${r.typeName} by its API id (a UUID); got "${id}".`)],
      };
    }
    return {
      imported_resources: [
        {
          type_name: r.typeName,
          state: encodeDynamic(r.importStub(id), objectType(r.schema)),
          private: Buffer.alloc(0),
        },
      ],
      diagnostics: [],
    };
  }

  MoveResourceState(): Rpc {
    return { diagnostics: [errorDiag('Moving resource state is not supported by iplease')] };
  }

  async ReadDataSource(req: Rpc): Promise<Rpc> {
    const d = this.dataSource(req.type_name);
    const type = objectType(d.schema);
    const config = decodeDynamic(req.config, type) as ObjectValue;
    try {
      const state = await d.read(this.api(), config);
      return { state: encodeDynamic(state, type), diagnostics: [] };
    } catch (error) {
      if (isNotFound(error)) {
        return { diagnostics: [errorDiag(`${d.typeName}: not found`, notFoundDetail(error))] };
      }
      return { diagnostics: apiErrorDiags(error, `Reading ${d.typeName}`, (f) => d.attributeFor(f)) };
    }
  }

  StopProvider(): Rpc {
    log('INFO', 'StopProvider: cancelling requests in flight');
    this.stop();
    return { Error: '' };
  }

  GetFunctions(): Rpc {
    return { functions: {}, diagnostics: [] };
  }

  ValidateEphemeralResourceConfig(): Rpc {
    return { diagnostics: [] };
  }

  private diags(r: ApiResource, error: unknown, action: string): Diag[] {
    const names = new Set(r.schema.attrs.map((a) => a.name));
    return apiErrorDiags(
      error,
      action,
      (f) => r.attributeFor(f),
      (a) => names.has(a),
    );
  }
}

function changedAttrs(attrs: Attr[], planned: ObjectValue, prior: ObjectValue): Attr[] {
  return attrs.filter(
    (a) => writable(a) && !a.forceNew && !sameValue(planned[a.name] ?? null, prior[a.name] ?? null, a.type),
  );
}

function parsePrivate(bytes: Buffer | Uint8Array | undefined | null): Private {
  if (!bytes || bytes.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as Private;
  } catch {
    return {};
  }
}

function encodePrivate(priv: Private): Buffer {
  return Buffer.from(JSON.stringify(priv));
}
