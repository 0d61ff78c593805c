import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';

/** The labels an export writes in place of ids (lessor names, region and provider codes). */
@Injectable()
export class ExportsRepository {
  constructor(private readonly db: Database) {}

  lessors(ids: string[]): Promise<{ id: string; name: string; rir: string }[]> {
    return this.db.query(`SELECT id, name, rir FROM lessors WHERE id = ANY ($1::uuid[])`, [ids]);
  }

  regionCodes(ids: string[]): Promise<{ id: string; code: string }[]> {
    return this.db.query(`SELECT id, code FROM regions WHERE id = ANY ($1::uuid[])`, [ids]);
  }

  providerCodes(ids: string[]): Promise<{ id: string; code: string }[]> {
    return this.db.query(`SELECT id, code FROM providers WHERE id = ANY ($1::uuid[])`, [ids]);
  }
}
