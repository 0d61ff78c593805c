import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';

/** The labels an export writes in place of ids (lessor names, region and provider codes). */
@Injectable()
export class ExportsRepository {
  lessors(q: Queryable, ids: string[]): Promise<{ id: string; name: string; rir: string }[]> {
    return q.query(`SELECT id, name, rir FROM lessors WHERE id = ANY ($1::uuid[])`, [ids]);
  }

  regionCodes(q: Queryable, ids: string[]): Promise<{ id: string; code: string }[]> {
    return q.query(`SELECT id, code FROM regions WHERE id = ANY ($1::uuid[])`, [ids]);
  }

  providerCodes(q: Queryable, ids: string[]): Promise<{ id: string; code: string }[]> {
    return q.query(`SELECT id, code FROM providers WHERE id = ANY ($1::uuid[])`, [ids]);
  }
}
