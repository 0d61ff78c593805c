import { Database } from '../database/database.service';
import { Injectable } from '@nestjs/common';
import { GeofeedRepository } from './geofeed.repository';
import { GEOFEED_HEADER, geofeedLines } from './geofeed.lines';

const BATCH = 5000;
/** A snapshot is rebuilt at least this often, even when no change was seen (a change can commit just after its marker was read). */
export const GEOFEED_MAX_AGE_MS = 60_000;

export interface GeofeedFile {
  body: Buffer;
  builtAt: Date;
}

/**
 * The public geofeed, built completely into memory and served from there: the database work ends
 * before the first byte goes out, so a client that never reads holds no database connection. It
 * is rebuilt when the change marker moves (any allocation, region or lease write, or a new day),
 * or after GEOFEED_MAX_AGE_MS; concurrent requests share one build.
 */
@Injectable()
export class GeofeedSnapshot {
  private cached?: GeofeedFile & { marker: string; at: number };
  private building?: Promise<GeofeedFile>;

  constructor(
    private readonly geofeed: GeofeedRepository,
    private readonly db: Database,
  ) {}

  async current(): Promise<GeofeedFile> {
    const marker = await this.geofeed.changeMarker(this.db);
    const cached = this.cached;
    if (cached && cached.marker === marker && Date.now() - cached.at < GEOFEED_MAX_AGE_MS) return cached;
    this.building ??= this.build(marker).finally(() => (this.building = undefined));
    return this.building;
  }

  private async build(marker: string): Promise<GeofeedFile> {
    const parts: string[] = [GEOFEED_HEADER];
    await this.db.readOnlySnapshot((q) =>
      this.geofeed.forEachBatch(q, BATCH, async (rows) => {
        parts.push(geofeedLines(rows));
        return true;
      }),
    );
    const file = { body: Buffer.from(parts.join(''), 'utf8'), builtAt: new Date(), marker, at: Date.now() };
    this.cached = file;
    return file;
  }
}
