import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One migration file, `NNNN_name.sql`, as found on disk. */
export interface MigrationFile {
  /** NNNN as a number (1 for `0001_initial.sql`); migrations are applied in this order. */
  readonly version: number;
  /** The part after `NNNN_` without `.sql` (`initial`). */
  readonly name: string;
  /** The file name (`0001_initial.sql`), used in messages. */
  readonly fileName: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** The file's text (UTF-8), executed as one batch of statements. */
  readonly sql: string;
  /** sha256 of the file's bytes, lowercase hex; recorded in schema_migrations when applied. */
  readonly checksum: string;
}

const MIGRATION_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * The repository's `migrations/` folder, found relative to this module. From the sources
 * (`runner/store/*.ts`, as vitest runs them) it is `../../migrations/`; from the compiled build
 * (`dist/runner/store/*.js`, dist/ at the repository root) it is `../../../migrations/`. The
 * first of these that exists as a folder wins.
 *
 * @param moduleUrl the `file:` URL to resolve from; this module's own URL unless a test passes
 *   another
 * @returns an absolute folder path
 * @throws Error naming the folders tried when none exists (a broken installation)
 */
export function resolveMigrationsDir(moduleUrl: string = import.meta.url): string {
  const candidates = ['../../migrations/', '../../../migrations/'].map((rel) =>
    fileURLToPath(new URL(rel, moduleUrl)),
  );
  for (const dir of candidates) {
    if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  }
  throw new Error(`schedbench: migrations folder not found (looked in ${candidates.join(' and ')})`);
}

/**
 * Reads every migration file of a folder, sorted by version.
 *
 * Files not ending in `.sql` are ignored. Every `.sql` file must be named `NNNN_name.sql`
 * (lowercase name, digits and `_`), and the versions must be exactly 1, 2, ..., N: a gap or a
 * duplicate would make "the last applied migration" (PRAGMA user_version) ambiguous.
 *
 * @param dir the folder holding the migration files
 * @returns the migrations, version 1 first; empty when the folder holds none
 * @throws Error naming the folder and the offending file when a name is malformed, a version
 *   is duplicated or missing, or the folder cannot be read
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  const migrations: MigrationFile[] = [];
  for (const fileName of readdirSync(dir).sort()) {
    if (!fileName.endsWith('.sql')) continue;
    const match = MIGRATION_NAME.exec(fileName);
    if (match === null) {
      throw new Error(
        `${join(dir, fileName)}: a migration file must be named NNNN_name.sql (e.g. 0002_add_x.sql)`,
      );
    }
    const path = join(dir, fileName);
    const bytes = readFileSync(path);
    migrations.push({
      version: Number(match[1]),
      name: match[2],
      fileName,
      path,
      sql: bytes.toString('utf8'),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      const previous = migrations[i - 1];
      const problem =
        previous !== undefined && previous.version === m.version
          ? `has the same version as ${previous.fileName}`
          : `follows version ${i} (versions must be 1, 2, 3, ... without gaps)`;
      throw new Error(`${m.path}: migration ${problem}`);
    }
  });
  return migrations;
}
