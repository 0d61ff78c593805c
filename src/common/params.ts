import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailed } from '../errors/domain-errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Path ids are UUIDs; anything else is refused before it reaches SQL. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUuid(value)) throw ValidationFailed.field('id', 'id must be a UUID');
    return value.toLowerCase();
  }
}
