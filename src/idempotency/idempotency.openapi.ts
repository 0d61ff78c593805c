import type { OpenAPIObject } from '@nestjs/swagger';
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from './idempotency.interceptor';

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } };

/** Every POST honours Idempotency-Key: say so on every POST operation of the spec. */
export function documentIdempotency(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    const post = item.post;
    if (!post || post.security?.length === 0) continue;
    post.parameters = [
      ...(post.parameters ?? []),
      {
        name: IDEMPOTENCY_HEADER,
        in: 'header',
        required: false,
        schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
        description:
          'Makes a retry safe: the same key (per API key, kept for 24 h) with the same request replays the first status and body ' +
          `with \`${REPLAYED_HEADER}: true\` and changes nothing; with a different request it is refused with 422 IDEMPOTENCY_KEY_REUSED.`,
      },
    ];
    for (const [status, response] of Object.entries(post.responses ?? {})) {
      if (!status.startsWith('2') || !response || '$ref' in response) continue;
      response.headers = {
        ...response.headers,
        [REPLAYED_HEADER]: {
          description: 'Present (true) when this is a replay of an earlier response to the same Idempotency-Key.',
          schema: { type: 'string', enum: ['true'] },
        },
      };
    }
    post.responses['409'] ??= { description: 'Conflict.', content: PROBLEM };
    const conflict = post.responses['409'];
    if (!('$ref' in conflict))
      conflict.description =
        `${conflict.description ?? ''} IDEMPOTENCY_KEY_IN_USE: the first request with this Idempotency-Key has not recorded its response yet.`.trim();
    post.responses['422'] ??= {
      description: 'IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used with a different request.',
      content: PROBLEM,
    };
  }
  return document;
}
