/**
 * @module `catalog-node import-app-catalog FILE [--project NAME]`: runs the importer in this
 * process against the node's database, printing progress to stderr and the report (JSON) to
 * stdout. Exit status 0 when the file was read (skipped assets are in the report), 1 when not.
 */
import { readFile } from 'node:fs/promises';
import { systemActor } from '../artifacts/actor.js';
import { opContext, type Catalog } from '../artifacts/context.js';
import type { TypeRegistry } from '../artifacts/registry.js';
import { AppError } from '../errors.js';
import { importAppCatalog } from './app-catalog.js';

/** The project that owns what the importer creates unless told otherwise. */
export const DEFAULT_IMPORT_PROJECT = 'app-catalog';

export const IMPORT_USAGE = 'catalog-node import-app-catalog FILE [--project NAME]   import a Community App Catalog assets.yaml';

export async function runImportCommand(catalog: Catalog & { types: TypeRegistry }, args: readonly string[], out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const [file, ...rest] = args;
  let project = DEFAULT_IMPORT_PROJECT;
  if (rest.length === 2 && rest[0] === '--project' && rest[1]) project = rest[1];
  else if (rest.length > 0 || !file) {
    out.stderr.write(`usage: ${IMPORT_USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    out.stderr.write(`cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const ctx = opContext(catalog, systemActor('import-app-catalog', project));
  try {
    const report = await importAppCatalog(ctx, text, { types: catalog.types, onProgress: (done, total) => out.stderr.write(`imported ${done}/${total}\n`) });
    out.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    out.stderr.write(`${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged, ${report.skipped.length} skipped\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    out.stderr.write(`${file}: ${err.message}\n`);
    return 1;
  }
}
