import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ValidationFailed } from '../errors/domain-errors';

export const toIntegerOrRaw = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : value;

export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50, description: 'Page size.' })
  @IsOptional()
  @Transform(toIntegerOrRaw)
  @IsInt({ message: 'limit must be an integer from 1 to 500' })
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({
    pattern: /^[A-Za-z0-9_-]{1,40}$/.source,
    description: "Opaque cursor from the previous page's nextCursor.",
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class PageDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= to get the next page; null on the last page.',
  })
  nextCursor: string | null;
}

export interface Keyset {
  afterSeq: string;
  limit: number;
}

/** Cursors encode the row's creation sequence: keyset pagination, so page 2,000 costs what page 1 does. */
export function keyset(query: PageQuery): Keyset {
  let afterSeq = '0';
  if (query.cursor) {
    const decoded = Buffer.from(query.cursor, 'base64url').toString('utf8');
    if (!/^s\d{1,18}$/.test(decoded))
      throw ValidationFailed.field('cursor', 'cursor must be a nextCursor value from a previous page');
    afterSeq = decoded.slice(1);
  }
  return { afterSeq, limit: query.limit ?? 50 };
}

/** Rows fetched with LIMIT limit+1; the extra row only says whether another page exists. */
export function toPage<R extends { seq: string | number }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(map),
    nextCursor: hasMore && last ? Buffer.from(`s${last.seq}`, 'utf8').toString('base64url') : null,
  };
}
