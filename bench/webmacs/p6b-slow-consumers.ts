/** P6b (spec §9): P6 with 10 sockets that stop reading — they are closed 1013 within 5 s; the others' p99 stays < 100 ms. */
import { fanOut } from './p6-fanout.ts';

export async function run(): Promise<void> {
  await fanOut('webmacs/p6b-slow-consumers', 10);
}
