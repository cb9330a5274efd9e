/**
 * What "stored right" means, asserted on the store and the files (never on logs): every record as
 * BDNS served it, every document byte-identical to what BDNS served, nothing else on disk.
 */
import { expect } from "vitest";
import { documentBytes, type FakeConvocatoria } from "../../support/bdns-server.js";
import type { StandInRequest } from "./bdns-child.js";
import { sha256, type StoreProbe } from "./store-probe.js";

/** Each convocatoria's detail is stored, equal to the record the stand-in served (minus its legal notice). */
export function expectDetailsStored(store: StoreProbe, convocatorias: readonly FakeConvocatoria[]): void {
  const rows = new Map(store.convocatorias().map((r) => [r.bdns, r]));
  for (const c of convocatorias) {
    const row = rows.get(c.bdns);
    expect(row?.content_hash, `detail of ${c.bdns} stored`).toBeTruthy();
    const { advertencia: _notice, ...record } = c.detail;
    expect(JSON.parse(row!.detail_json!), `detail of ${c.bdns} as BDNS served it`).toEqual(record);
  }
}

/**
 * Each document of these convocatorias is recorded and on disk with the bytes BDNS served, and the
 * documents folder holds nothing else — except files `leftover` accepts (see the restart case).
 */
export function expectDocumentsIntact(store: StoreProbe, convocatorias: readonly FakeConvocatoria[], o: { leftover?: (file: string) => boolean } = {}): void {
  const rows = new Map(store.documentos().map((r) => [r.id, r]));
  const onDisk = new Set(store.files());
  for (const c of convocatorias) {
    for (const doc of c.documents) {
      const want = sha256(documentBytes(doc));
      const row = rows.get(String(doc.id));
      expect(row?.stored_at, `document ${doc.id} of ${c.bdns} recorded as stored`).toBeTruthy();
      expect({ sha256: row!.sha256, size: row!.stored_size }, `document ${doc.id} as recorded`).toEqual({ sha256: want, size: doc.long });
      expect(onDisk.has(row!.stored_path!), `document ${doc.id} on disk at ${row!.stored_path}`).toBe(true);
      expect(store.sha256OfFile(row!.stored_path!), `document ${doc.id} on disk, byte-identical`).toBe(want);
      onDisk.delete(row!.stored_path!);
    }
  }
  expect([...onDisk].filter((f) => !o.leftover?.(f)), "files in the documents folder that no stored document accounts for").toEqual([]);
}

/** The requests for one record or document, in order of arrival. */
export function requestsFor(requests: readonly StandInRequest[], what: { numConv: string } | { idDocumento: string | number }): StandInRequest[] {
  const [path, key, value] = "numConv" in what ? ["/convocatorias", "numConv", what.numConv] : ["/convocatorias/documentos", "idDocumento", String(what.idDocumento)];
  return requests.filter((r) => r.path === path && r.params[key] === value);
}

/** The statuses BDNS answered to the requests for one record or document, in order. */
export function answersTo(requests: readonly StandInRequest[], what: { numConv: string } | { idDocumento: string | number }): number[] {
  return requestsFor(requests, what).map((r) => r.status);
}

/** Requests BDNS refused for coming too close to the previous one. */
export function tooMany(requests: readonly StandInRequest[]): StandInRequest[] {
  return requests.filter((r) => r.status === 429);
}
