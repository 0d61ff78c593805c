import type { OpenAPIObject } from '@nestjs/swagger';
type RequestBodyObject = NonNullable<OpenAPIObject['components']>['requestBodies'] extends
  Record<string, infer B> | undefined
  ? Exclude<B, { $ref: string }>
  : never;

/**
 * Request bodies of the file uploads (BODY_ROUTES with rawTypes), one media type each, which the decorators
 * cannot express: the CSV, NDJSON and text files are documented as strings with a sample file,
 * the JSON variants with their schema.
 */
const LEASES_CSV =
  'prefix,lessor,rir,startDate,endDate,autoRenew,renewalTermMonths,noticePeriodDays,pricePerIpMonthly,currency,contractRef,originAsn,tags\r\n' +
  '185.10.20.0/22,Acme Holdings,RIPE,2026-01-01,2026-12-31,true,12,30,0.4500,USD,IPXO-42,16509,prod;eu\r\n';
const ALLOCATIONS_CSV =
  'prefix,region,provider,effectiveDate,name,description,tags,originAsn\r\n' +
  '185.10.20.0/24,eu-west-1,aws,,eu-nat,"NAT gateways, prod",prod,16509\r\n';
const text = (examples: Record<string, { summary: string; value: string }>) => ({
  schema: { type: 'string' as const },
  examples,
});

const IMPORT_ROW = {
  type: 'object' as const,
  description: 'One row: the CSV columns as fields (values as strings, numbers, booleans; tags as a list or "a;b").',
  additionalProperties: true,
};

const VRP = {
  type: 'object' as const,
  required: ['asn', 'prefix'],
  properties: {
    asn: {
      oneOf: [{ type: 'integer' as const, format: 'int64' }, { type: 'string' as const }],
      description: '13335 (rpki-client) or "AS13335" (Routinator)',
    },
    prefix: { type: 'string' as const, example: '1.0.0.0/24' },
    maxLength: { type: 'integer' as const, example: 24 },
    ta: { type: 'string' as const, example: 'apnic' },
    expires: { type: 'integer' as const, format: 'int64', description: 'rpki-client: unix time' },
    source: {
      type: 'array' as const,
      description: 'Routinator jsonext: where the VRP came from; the trust anchor is `tal`.',
      items: { type: 'object' as const, additionalProperties: true },
    },
  },
};

export const UPLOAD_BODIES: Record<string, RequestBodyObject> = {
  importRows: {
    required: true,
    content: {
      'text/csv': text({
        leases: { summary: 'Leases', value: LEASES_CSV },
        allocations: { summary: 'Allocations', value: ALLOCATIONS_CSV },
      }),
      'application/json': {
        schema: {
          type: 'object',
          required: ['rows'],
          properties: { rows: { type: 'array', items: IMPORT_ROW } },
        },
        examples: {
          allocations: {
            summary: 'Allocations',
            value: { rows: [{ prefix: '185.10.20.0/24', region: 'eu-west-1', provider: 'aws', tags: ['prod'] }] },
          },
        },
      },
    },
  },
  replaceRpkiVrps: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['roas'],
          properties: {
            metadata: { type: 'object', additionalProperties: true },
            roas: { type: 'array', items: VRP },
          },
        },
        examples: {
          rpkiClient: {
            summary: 'rpki-client json',
            value: { roas: [{ asn: 13335, prefix: '1.0.0.0/24', maxLength: 24, ta: 'apnic', expires: 1767225600 }] },
          },
          routinator: {
            summary: 'Routinator json',
            value: { roas: [{ asn: 'AS13335', prefix: '1.0.0.0/24', maxLength: 24, ta: 'apnic' }] },
          },
        },
      },
      'text/csv': text({
        csv: {
          summary: 'rpki-client / Routinator CSV',
          value: 'ASN,IP Prefix,Max Length,Trust Anchor\nAS13335,1.0.0.0/24,24,apnic\n',
        },
      }),
    },
  },
  replaceReputationList: {
    required: true,
    content: {
      'application/x-ndjson': text({
        ndjson: {
          summary: 'Spamhaus DROP NDJSON (drop_v4.json; application/json is accepted too)',
          value:
            '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}\n{"type":"metadata","timestamp":1767225600,"size":60,"records":1,"copyright":"(c) 2026 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}\n',
        },
      }),
      'text/plain': text({
        text: { summary: 'Legacy drop.txt', value: '; Spamhaus DROP List\n1.10.16.0/20 ; SBL256894\n' },
      }),
    },
  },
};

export function documentUploads(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.post, item.put]) {
      const body = operation?.operationId ? UPLOAD_BODIES[operation.operationId] : undefined;
      if (operation && body) operation.requestBody = body;
    }
  }
  return document;
}
