import { datapointPublicId } from '../ids.ts';
import { isoOffset } from '../time.ts';
import { CSV_HEADER, csvLine, pythonFloatRepr } from './csv.ts';
import type { ExperimentsRepo } from './repo.ts';

/** Rows read per query while streaming an export (spec §3.6). */
const EXPORT_CHUNK_ROWS = 5000;

/**
 * The CSV text of one experiment, a chunk at a time, so a consumer that reads slowly (the HTTP
 * response honouring backpressure) also slows the reads. Rows committed meanwhile may appear at the end.
 */
export async function* experimentCsv(repo: ExperimentsRepo, experimentId: number): AsyncGenerator<string> {
  yield csvLine(CSV_HEADER);
  let after: { ts: number; id: number } | undefined;
  for (;;) {
    const rows = await repo.exportChunk(experimentId, after, EXPORT_CHUNK_ROWS);
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) {
      text += csvLine([isoOffset(Number(row.ts)), row.event_name, row.event_public_id, pythonFloatRepr(row.value), row.unit, datapointPublicId(Number(row.id))]);
    }
    yield text;
    const last = rows.at(-1)!;
    after = { ts: Number(last.ts), id: Number(last.id) };
    if (rows.length < EXPORT_CHUNK_ROWS) return;
  }
}
