import { Writes } from '../persistence/writes';
import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { parseDropList } from './drop-formats';
import { ReputationListDto } from './dto/reputation.dto';
import { ReputationListRow, ReputationRepository } from './reputation.repository';

const toDto = (row: ReputationListRow): ReputationListDto => ({
  name: row.name,
  format: row.format,
  importedAt: row.imported_at.toISOString(),
  entries: row.entries,
  skipped: row.skipped,
  metadata: row.metadata,
});

@Injectable()
export class ReputationService {
  constructor(
    private readonly db: Database,
    private readonly writes: Writes,
    private readonly lists: ReputationRepository,
  ) {}

  async replace(name: string, body: Buffer): Promise<ReputationListDto> {
    const file = parseDropList(body);
    return toDto(await this.writes.transaction((tx) => this.lists.replace(tx, name, file)));
  }

  async list(): Promise<{ items: ReputationListDto[] }> {
    return { items: (await this.lists.list(this.db)).map(toDto) };
  }
}
