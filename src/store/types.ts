// Value parsing shared by both backends, so a row reads the same from PostgreSQL, PGlite and PGlite-over-socket.
// The one difference between pg's and PGlite's defaults that matters here is int8 (count(*), bigserial ids):
// pg returns a string, PGlite a number. Both now return a number when it is a safe integer, else the string.
import pg from 'pg';

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;
const INT4_ARRAY_OID = 1007;

function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

// pg-types' TypeId enum lists scalar types only; array OIDs are valid at run time.
const builtinParser = pg.types.getTypeParser as (
  oid: number,
  format: 'text' | 'binary',
) => (text: string) => unknown;

/** The `types` option for pg Pools and Clients. */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === INT8_OID) return parseInt8;
      if (oid === INT8_ARRAY_OID) return builtinParser(INT4_ARRAY_OID, 'text');
    }
    return builtinParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** The `parsers` option for PGlite. */
export const pgliteParsers = { [INT8_OID]: (text: string) => parseInt8(text) };
