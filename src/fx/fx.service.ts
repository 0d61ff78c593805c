import { Writes } from '../persistence/writes';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { AuditRepository } from '../audit/audit.repository';
import { flattenValidationErrors } from '../common/validation';
import { Database } from '../database/database.service';
import { FieldError, FxRateMissing, ValidationFailed } from '../errors/domain-errors';
import { Page } from '../common/pagination';
import { FxRate, parseEcbCsv, rateProblem } from './ecb-csv';
import { FxImportResultDto, FxRateDto, FxRateQuery, ImportFxRatesDto } from './dto/fx-rate.dto';
import { FxRepository } from './fx.repository';

/** ECB publishes no rows for weekends and TARGET holidays: a rate up to this many days old still applies. */
export const MAX_RATE_AGE_DAYS = 7;

/** The rate that converts one currency into another on a day, and the ECB days it came from. */
export interface AppliedRate {
  /** Units per 1 EUR of the source and target currencies ("1" for EUR). */
  fromPerEur: string;
  toPerEur: string;
  /** The older of the two legs' ECB days; null when no rate was needed (same currency, or EUR on both sides). */
  rateDate: string | null;
}

function cursorOf(row: { date: string; currency: string }): string {
  return Buffer.from(`r${row.date}:${row.currency}`, 'utf8').toString('base64url');
}

function afterOf(cursor: string | undefined): { date: string; currency: string } | undefined {
  if (!cursor) return undefined;
  const m = /^r(\d{4}-\d{2}-\d{2}):([A-Z]{3})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw ValidationFailed.field('cursor', 'cursor must be a nextCursor value from a previous page');
  return { date: m[1], currency: m[2] };
}

@Injectable()
export class FxService {
  constructor(
    private readonly fx: FxRepository,
    private readonly db: Database,
    private readonly writes: Writes,
    private readonly audit: AuditRepository,
  ) {}

  /** PUT /fx-rates: the ECB CSV (a string body) or JSON `{ rates }`; all or nothing, upserted. */
  async import(body: unknown): Promise<FxImportResultDto> {
    const { rates, skippedCurrencies } = typeof body === 'string' ? this.fromCsv(body) : this.fromJson(body);
    return this.writes.transaction(async (tx) => {
      const changed = await this.fx.upsert(tx, rates);
      const dates = rates.map((r) => r.date).sort();
      const result: FxImportResultDto = {
        imported: rates.length,
        changed,
        currencies: [...new Set(rates.map((r) => r.currency))].sort(),
        from: dates[0],
        to: dates[dates.length - 1],
        skippedCurrencies,
      };
      // One event per import (not per rate): what came in, who sent it.
      await this.audit.record(tx, { action: 'create', entityType: 'fx_rate', entityId: randomUUID(), after: result });
      return result;
    });
  }

  async list(query: FxRateQuery): Promise<Page<FxRateDto>> {
    const limit = query.limit ?? 50;
    const rows = await this.fx.list(this.db, {
      currency: query.currency,
      from: query.from,
      to: query.to,
      after: afterOf(query.cursor),
      limit,
    });
    const items = rows.slice(0, limit).map((r) => ({ date: r.rate_date, currency: r.currency, perEur: r.per_eur }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
  }

  /**
   * For every currency in `from`, the rate into `to` on `day` (a month's last day): each leg is
   * the rate of that day or of the latest earlier day within MAX_RATE_AGE_DAYS, crossed through
   * EUR. A missing leg is FX_RATE_MISSING naming every currency and the day: never a guess.
   */
  async ratesOn(day: string, from: readonly string[], to: string): Promise<Map<string, AppliedRate>> {
    const converted = [...new Set(from)].filter((c) => c !== to);
    const needed = converted.length ? [...new Set([...converted, to])].filter((c) => c !== 'EUR') : [];
    const rows = needed.length ? await this.fx.latestOnOrBefore(this.db, needed, day, MAX_RATE_AGE_DAYS) : [];
    const legs = new Map<string, { perEur: string; date: string | null }>([['EUR', { perEur: '1', date: null }]]);
    for (const row of rows) legs.set(row.currency, { perEur: row.per_eur, date: row.rate_date });
    const missing = needed.filter((c) => !legs.has(c)).sort();
    if (missing.length) {
      const earliest = new Date(`${day}T00:00:00Z`);
      earliest.setUTCDate(earliest.getUTCDate() - MAX_RATE_AGE_DAYS);
      throw new FxRateMissing(
        `No ECB rate for ${missing.join(', ')} on ${day} or the ${MAX_RATE_AGE_DAYS} days before it ` +
          `(${earliest.toISOString().slice(0, 10)} .. ${day}); import rates with PUT /api/v1/fx-rates.`,
      );
    }
    const applied = new Map<string, AppliedRate>();
    for (const currency of new Set(from)) {
      if (currency === to) {
        applied.set(currency, { fromPerEur: '1', toPerEur: '1', rateDate: null });
        continue;
      }
      const source = legs.get(currency) as { perEur: string; date: string | null };
      const target = legs.get(to) as { perEur: string; date: string | null };
      const dates = [source.date, target.date].filter((d): d is string => d !== null).sort();
      applied.set(currency, { fromPerEur: source.perEur, toPerEur: target.perEur, rateDate: dates[0] ?? null });
    }
    return applied;
  }

  private fromCsv(text: string): { rates: FxRate[]; skippedCurrencies: string[] } {
    const parsed = parseEcbCsv(text);
    if (!parsed.ok) throw new ValidationFailed(parsed.errors, describe(parsed.errors));
    return parsed.value;
  }

  private fromJson(body: unknown): { rates: FxRate[]; skippedCurrencies: string[] } {
    const dto = plainToInstance(ImportFxRatesDto, body ?? {});
    const errors = flattenValidationErrors(
      validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
    );
    if (errors.length) throw new ValidationFailed(errors);
    const seen = new Map<string, number>();
    dto.rates.forEach((rate, i) => {
      const field = `rates.${i}`;
      if (rate.currency === 'EUR')
        errors.push({ field: `${field}.currency`, message: 'EUR is the base of every rate (1 by definition)' });
      const problem = rateProblem(rate.perEur);
      if (problem) errors.push({ field: `${field}.perEur`, message: problem });
      const key = `${rate.date}:${rate.currency}`;
      const earlier = seen.get(key);
      if (earlier !== undefined)
        errors.push({ field, message: `${rate.currency} on ${rate.date} already appears at rates.${earlier}` });
      else seen.set(key, i);
    });
    if (errors.length) throw new ValidationFailed(errors);
    return {
      rates: dto.rates.map((r) => ({ date: r.date, currency: r.currency, perEur: r.perEur })),
      skippedCurrencies: [],
    };
  }
}

/** "row 3, USD: …" for the first problem, and how many more. */
export function describe(errors: FieldError[]): string {
  const first = errors[0];
  const where = first.row !== undefined ? `row ${first.row}, ${first.field}` : first.field;
  return `${where}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more problem(s); see errors)` : ''}`;
}
