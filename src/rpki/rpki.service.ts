import { Writes } from '../persistence/writes';
import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { RpkiStatusDto } from './dto/rpki.dto';
import { RpkiRepository } from './rpki.repository';
import { parseVrps } from './vrp-formats';

@Injectable()
export class RpkiService {
  constructor(
    private readonly db: Database,
    private readonly writes: Writes,
    private readonly rpki: RpkiRepository,
  ) {}

  /** Parses the whole file first (any bad entry refuses it), then swaps the snapshot in one transaction. */
  async replaceVrps(body: Buffer): Promise<RpkiStatusDto> {
    const snapshot = parseVrps(body);
    await this.writes.transaction((tx) => this.rpki.replace(tx, snapshot.vrps, snapshot.skipped, snapshot.format));
    return this.status();
  }

  async status(): Promise<RpkiStatusDto> {
    const row = await this.rpki.snapshot(this.db);
    return {
      importedAt: row ? row.imported_at.toISOString() : null,
      vrps: row?.vrps ?? 0,
      skipped: row?.skipped ?? 0,
      format: row?.format ?? null,
    };
  }
}
