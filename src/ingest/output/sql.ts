// Quoting for the few places where a name or path must be spliced into SQL text (DuckDB table
// functions take no bound parameters for their file argument). Values from users never go here.

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
