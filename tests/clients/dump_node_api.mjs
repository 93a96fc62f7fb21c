// Dump BI views as JSON with Node's @duckdb/node-api (the client Evidence uses).
//
//   node dump_node_api.mjs NODE_PROJECT DATABASE SPEC_JSON
//
// NODE_PROJECT is the npm project that has @duckdb/node-api installed (.clients/node, made by
// .ci/install-clients). SPEC_JSON maps each view to its ORDER BY list. Opens DATABASE read-only
// and prints {"version": ..., "views": {view: {"columns", "types", "rows"}}} with the values as
// the API's getRowsJson() gives them (dates and timestamps as strings, big integers and decimals
// as strings, lists as arrays).
import { createRequire } from 'node:module';
import path from 'node:path';

const [nodeProject, database, spec] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeProject), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const instance = await DuckDBInstance.create(database, { access_mode: 'READ_ONLY' });
const con = await instance.connect();
const version = (await con.runAndReadAll('select version()')).getRowsJson()[0][0];
const views = {};
for (const [view, orderBy] of Object.entries(JSON.parse(spec))) {
  const reader = await con.runAndReadAll(`select * from ${view} order by ${orderBy}`);
  views[view] = {
    columns: reader.columnNames(),
    types: reader.columnTypes().map((t) => t.toString()),
    rows: reader.getRowsJson(),
  };
}
con.closeSync();
instance.closeSync();
process.stdout.write(JSON.stringify({ version, views }));
