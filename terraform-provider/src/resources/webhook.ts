import { Schema, sameSet } from '../schema';
import { ObjectValue } from '../values';
import { Applied, ApiResource } from './resource';

/**
 * iplease_webhook: the API shows the signing secret only in the create answer, so the state keeps
 * the one it got then (an imported webhook has none until its secret is rotated outside Terraform).
 */
export class WebhookResource extends ApiResource {
  readonly typeName = 'iplease_webhook';
  readonly collection = '/api/v1/webhooks';
  readonly schema: Schema = {
    version: 0,
    description: 'A webhook that receives iplease events (Standard Webhooks signing). Needs an admin key.',
    attrs: [
      { name: 'id', type: 'string', computed: true, stable: true, description: 'The API id (UUID).' },
      { name: 'url', type: 'string', required: true, description: 'http(s) URL events are POSTed to.' },
      {
        name: 'event_types',
        type: ['set', 'string'],
        required: true,
        equivalent: sameSet,
        description: 'Event types to deliver: `*` for all, prefixes such as `lease.*`, or exact types.',
      },
      { name: 'description', type: 'string', optional: true, description: 'Free text.' },
      {
        name: 'active',
        type: 'bool',
        optional: true,
        computed: true,
        stable: true,
        description: 'Whether events are delivered (API default true; a 410 from the receiver turns it off).',
      },
      {
        name: 'secret',
        type: 'string',
        computed: true,
        stable: true,
        sensitive: true,
        description: 'The signing secret (`whsec_…`), known from the create answer only; null after an import.',
      },
    ],
  };

  protected override applied(
    api: Record<string, unknown>,
    etag: string | undefined,
    reference: ObjectValue | null,
  ): Applied {
    const result = super.applied(api, etag, reference);
    if (result.state && api.secret === undefined) result.state.secret = reference?.secret ?? null;
    return result;
  }
}
