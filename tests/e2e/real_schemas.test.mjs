// Schemas as applications make them (a Chinook-like store built with the sqlite3 shell):
// bracketed and mixed-case identifiers, NVARCHAR(40), NUMERIC(10,2), DATETIME holding
// 'YYYY-MM-DD HH:MM:SS', TEXT holding ISO dates with T, with Z and with zone offsets, a
// self-referencing key. Discovery types the text dates by looking at the data, names the
// self-reference's two links apart, and suggests near names for unknown ones. Every count is
// compared with hand-written SQL in the sqlite3 shell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { makeTmp, runOk, sw, writeDoc, sqlInt } from './lib/helpers.mjs';

let tmp, db;

const SCHEMA = `
CREATE TABLE [Employee] (
  [EmployeeId] INTEGER NOT NULL PRIMARY KEY, [LastName] NVARCHAR(20) NOT NULL,
  [Title] NVARCHAR(30), [ReportsTo] INTEGER, [HireDate] DATETIME,
  FOREIGN KEY ([ReportsTo]) REFERENCES [Employee] ([EmployeeId]));
CREATE TABLE [Customer] (
  [CustomerId] INTEGER NOT NULL PRIMARY KEY, [FirstName] NVARCHAR(40) NOT NULL,
  [Email] NVARCHAR(60) NOT NULL, [Country] NVARCHAR(40), [SupportRepId] INTEGER,
  [Since] TEXT, [LastLogin] TEXT, [SignupTs] INTEGER, [Active] CHAR(1), [PasswordHash] TEXT,
  FOREIGN KEY ([SupportRepId]) REFERENCES [Employee] ([EmployeeId]));
CREATE TABLE [Ticket] ([TicketId] INTEGER PRIMARY KEY, [CustomerRef] INTEGER, [Subject] TEXT);
CREATE TABLE [AuditLog] ([Id] INTEGER PRIMARY KEY, [Msg] TEXT);
CREATE VIEW [FrenchCustomers] AS SELECT * FROM [Customer] WHERE [Country] = 'France';
CREATE TABLE [Invoice] (
  [InvoiceId] INTEGER NOT NULL PRIMARY KEY, [CustomerId] INTEGER NOT NULL,
  [InvoiceDate] TEXT NOT NULL, [Total] NUMERIC(10,2) NOT NULL,
  FOREIGN KEY ([CustomerId]) REFERENCES [Customer] ([CustomerId]));
`;

/** Deterministic rows: 60 employees in a tree, 400 customers, ~1200 invoices. */
function dataSql() {
  const out = ['BEGIN;'];
  for (let e = 1; e <= 60; e++) {
    const boss = e <= 3 ? 'NULL' : String(1 + (e % 3) + (e > 20 ? 3 * ((e % 5) + 1) : 0));
    const hire = `20${String(10 + (e % 12)).padStart(2, '0')}-${String(1 + (e % 12)).padStart(2, '0')}-${String(1 + (e % 27)).padStart(2, '0')} 0${e % 10}:1${e % 6}:00`;
    out.push(`INSERT INTO Employee VALUES (${e}, 'Name${e}', ${e % 4 ? "'Agent'" : "'Manager'"}, ${boss}, '${hire}');`);
  }
  const countries = ['France', 'Canada', 'Brazil', 'Germany', 'USA'];
  let inv = 1;
  for (let c = 1; c <= 400; c++) {
    const since = c % 9 === 0 ? 'NULL' : `'20${15 + (c % 9)}-0${1 + (c % 9)}-1${c % 10}'`;
    // ISO with T and Z, or with a zone offset: the instant compared is the UTC one.
    const last = c % 5 === 0 ? `'2026-0${1 + (c % 6)}-1${c % 10}T2${c % 4}:30:00+05:00'` : `'2026-0${1 + (c % 6)}-1${c % 10}T0${c % 10}:15:00Z'`;
    out.push(`INSERT INTO Customer VALUES (${c}, 'First${c}', 'c${c}@example.org', '${countries[c % 5]}', ${1 + (c % 60)}, ${since}, ${last}, ${1500000000 + c * 259200}, '${['N', 'Y', 'y', '?'][c % 4]}', 'hash${c}');`);
    if (c % 7 === 0) out.push(`INSERT INTO Ticket VALUES (${c}, ${c}, 'Help ${c}');`);
    for (let k = 0; k < c % 6; k++, inv++) {
      const d = `2025-${String(1 + ((c + k) % 12)).padStart(2, '0')}-${String(1 + ((c * 7 + k) % 28)).padStart(2, '0')}T1${k}:00:00${k % 2 ? '-03:00' : 'Z'}`;
      out.push(`INSERT INTO Invoice VALUES (${inv}, ${c}, '${d}', ${((c * 13 + k * 7) % 2000) / 100});`);
    }
  }
  out.push('COMMIT;');
  return out.join('\n');
}

before(() => {
  tmp = makeTmp('sw-real-');
  db = path.join(tmp.dir, 'chinook.db');
  execFileSync('sqlite3', [db], { input: SCHEMA + dataSql() });
});
after(() => tmp.cleanup());

const countsOf = (out, act) => out.counts[act];

test('TEXT ISO dates (with T, Z and zone offsets) are typed date: within a range, counts match the sqlite3 shell', () => {
  const doc = {
    name: 'Recent logins', targeting_dimension: 'Customer',
    activities: [
      { id: 'a', type: 'build_audience', filter: { field: 'LastLogin', op: 'after', value: '2026-02-15T19:00:00Z' } },
      { id: 'b', type: 'build_audience', filter: { field: 'Since', op: 'between', value: ['2017-01-01', '2020-12-31'] } },
      { id: 'c', type: 'build_audience', filter: { link: 'Invoice', exists: { field: 'InvoiceDate', op: 'before', value: '2025-03-15T00:00:00Z' } } },
    ],
    transitions: [],
  };
  const out = runOk(tmp.dir, db, doc, ['--dry-run']);
  assert.equal(countsOf(out, 'a').out, sqlInt(db, "SELECT count(*) FROM Customer WHERE datetime(LastLogin) > '2026-02-15 19:00:00'"));
  assert.ok(countsOf(out, 'a').out > 0 && countsOf(out, 'a').out < 400);
  assert.equal(countsOf(out, 'b').out, sqlInt(db, "SELECT count(*) FROM Customer WHERE Since BETWEEN '2017-01-01' AND '2020-12-31'"));
  assert.equal(countsOf(out, 'c').out, sqlInt(db, "SELECT count(*) FROM Customer c WHERE EXISTS (SELECT 1 FROM Invoice i WHERE i.CustomerId = c.CustomerId AND datetime(i.InvoiceDate) < '2025-03-15 00:00:00')"));
  // A zone offset really moves the instant: the naive text comparison would count otherwise.
  assert.notEqual(
    sqlInt(db, "SELECT count(*) FROM Customer WHERE LastLogin > '2026-02-15T19:00:00Z'"),
    countsOf(out, 'a').out,
    'the data makes the UTC conversion matter',
  );
});

test('DATETIME holding YYYY-MM-DD HH:MM:SS and a self-referencing key, both ways', () => {
  const doc = {
    name: 'Staff', targeting_dimension: 'Employee',
    activities: [
      { id: 'hired', type: 'build_audience', filter: { field: 'HireDate', op: 'before', value: '2015-06-01T00:00:00Z' } },
      // whose manager is Name1 (the referenced row: link named after the column)
      { id: 'under1', type: 'build_audience', filter: { link: 'ReportsTo', exists: { field: 'LastName', op: 'eq', value: 'Name1' } } },
      // who manages at least 5 people (the referring rows: "<table>_by_<column>")
      { id: 'bosses', type: 'build_audience', filter: { link: 'Employee_by_ReportsTo', aggregate: 'count', op: 'ge', value: 5 } },
    ],
    transitions: [],
  };
  const out = runOk(tmp.dir, db, doc, ['--dry-run']);
  assert.equal(countsOf(out, 'hired').out, sqlInt(db, "SELECT count(*) FROM Employee WHERE HireDate < '2015-06-01 00:00:00'"));
  const under1 = sqlInt(db, "SELECT count(*) FROM Employee e JOIN Employee m ON m.EmployeeId = e.ReportsTo WHERE m.LastName = 'Name1'");
  assert.ok(under1 > 0);
  assert.equal(countsOf(out, 'under1').out, under1);
  const bosses = sqlInt(db, 'SELECT count(*) FROM Employee m WHERE (SELECT count(*) FROM Employee e WHERE e.ReportsTo = m.EmployeeId) >= 5');
  assert.ok(bosses > 0);
  assert.equal(countsOf(out, 'bosses').out, bosses);
});

test('unknown names get the nearest existing ones in the error', () => {
  const doc = {
    name: 'Typos', targeting_dimension: 'Customer',
    activities: [
      { id: 'a', type: 'build_audience', filter: { all: [
        { field: 'Emial', op: 'eq', value: 'x' },
        { link: 'Invoices', exists: { field: 'Total', op: 'gt', value: 1 } },
      ] } },
      { id: 'b', type: 'build_audience', dimension: 'Employe' },
    ],
    transitions: [],
  };
  const r = sw(['validate', writeDoc(tmp.dir, doc), '--data', db]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const text = r.stdout + r.stderr;
  assert.match(text, /\$\.activities\[0\]\.filter\.all\[0\].*unknown field "Emial".*did you mean "Email"\?/);
  assert.match(text, /\$\.activities\[0\]\.filter\.all\[1\].*unknown link "Invoices".*did you mean "Invoice"\?/);
  assert.match(text, /\$\.activities\[1\]\.dimension.*unknown dimension "Employe".*did you mean "Employee"\?/);
});

test('stepwise schema: types with where they come from, links with cardinality, warnings', () => {
  const r = sw(['schema', '--data', db, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  const dim = (n) => s.dimensions.find((d) => d.name === n);
  const field = (d, f) => dim(d).fields.find((x) => x.name === f);
  assert.deepEqual(field('Customer', 'Since'), {
    name: 'Since', type: 'date', declared_type: 'TEXT', type_source: 'inferred', format: 'iso_date',
    inferred_from: sqlInt(db, 'SELECT count(Since) FROM Customer'),
  });
  assert.equal(field('Customer', 'LastLogin').type, 'date');
  assert.equal(field('Invoice', 'InvoiceDate').type, 'date');
  assert.deepEqual(field('Customer', 'FirstName'), { name: 'FirstName', type: 'text', declared_type: 'NVARCHAR(40)', type_source: 'declared' });
  assert.deepEqual(field('Invoice', 'Total'), { name: 'Total', type: 'real', declared_type: 'NUMERIC(10,2)', type_source: 'declared' });
  assert.deepEqual(field('Employee', 'HireDate').type_source, 'declared');
  const links = dim('Employee').links.map((l) => `${l.name} ${l.cardinality} ${l.target}`).sort();
  assert.deepEqual(links, ['Customer 1-N Customer', 'Employee_by_ReportsTo 1-N Employee', 'ReportsTo N-1 Employee']);
  // zone offsets: compared in UTC, and said so
  assert.ok(s.warnings.some((w) => w.includes('Customer.LastLogin') && w.includes('UTC')), JSON.stringify(s.warnings));
  const text = sw(['schema', '--data', db]);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /Since\s+date\s+inferred from \d+ values \(declared TEXT\)/);
  assert.match(text.stdout, /link Employee_by_ReportsTo\s+1-N Employee/);
  // usage errors exit 2 naming the flag; an unreadable data source is 1
  assert.equal(sw(['schema']).status, 2);
  assert.equal(sw(['schema', '--data', db, '--bogus']).status, 2);
  assert.equal(sw(['schema', '--data', path.join(tmp.dir, 'no', 'such.db')]).status, 1);
});

test('two links that share a name: both named in the warning, and in the error of a document that uses it', () => {
  const odd = path.join(tmp.dir, 'odd.db');
  execFileSync('sqlite3', [odd], {
    input: 'CREATE TABLE labels (id INTEGER PRIMARY KEY);' +
      'CREATE TABLE items (id INTEGER PRIMARY KEY, tags INTEGER REFERENCES labels(id), other INTEGER REFERENCES labels(id));' +
      'CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id));' +
      'INSERT INTO items VALUES (1, NULL, NULL);',
  });
  const s = JSON.parse(sw(['schema', '--data', odd, '--json']).stdout);
  assert.ok(s.warnings.some((w) => /links items\.tags -> labels\.id \(N-1\) and items\.id <- tags\.item_id \(1-N\) of dimension "items" are both named "tags"/.test(w)), JSON.stringify(s.warnings));
  const doc = {
    name: 'Shared', targeting_dimension: 'items',
    activities: [{ id: 'a', type: 'build_audience', filter: { link: 'tags', exists: { field: 'id', op: 'gt', value: 0 } } }],
    transitions: [],
  };
  const r = sw(['validate', writeDoc(tmp.dir, doc), '--data', odd]);
  assert.equal(r.status, 1);
  assert.match(r.stdout + r.stderr, /\$\.activities\[0\]\.filter.*both named "tags": name one of them in the schema hints/);
});

const HINTS = {
  default_dimension: 'Customer',
  hide: ['AuditLog', 'Customer.PasswordHash'],
  dimensions: {
    Customer: {
      label: 'Customers',
      channels: { email: 'Email' },
      fields: {
        SignupTs: { type: 'date', format: 'unix_s', label: 'Signed up' },
        Active: { type: 'boolean', true: ['Y', 'y'], false: ['N'] },
      },
      links: { tickets: { to: 'Ticket', column: 'CustomerId', to_column: 'CustomerRef' } },
    },
    FrenchCustomers: { view: true, key: 'CustomerId', label: 'French customers' },
  },
};

test('schema hints: Unix times, booleans spelled Y/N, a link only the hints declare, a view as a dimension, hidden fields and tables', () => {
  const hints = writeDoc(tmp.dir, HINTS, 'hints.json');
  const r = sw(['schema', '--data', db, '--hints', hints, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  const dim = (n) => s.dimensions.find((d) => d.name === n);
  const field = (d, f) => dim(d).fields.find((x) => x.name === f);
  assert.equal(s.default, 'Customer');
  assert.deepEqual(field('Customer', 'SignupTs'), { name: 'SignupTs', type: 'date', declared_type: 'INTEGER', type_source: 'hinted', format: 'unix_s', label: 'Signed up' });
  assert.deepEqual(field('Customer', 'Active'), { name: 'Active', type: 'boolean', declared_type: 'CHAR(1)', type_source: 'hinted', true: ['Y', 'y'], false: ['N'] });
  assert.equal(field('Customer', 'PasswordHash'), undefined, 'hidden field');
  assert.equal(dim('AuditLog'), undefined, 'hidden table');
  assert.equal(dim('Customer').label, 'Customers');
  assert.deepEqual(dim('Customer').channels, { email: 'Email' });
  assert.deepEqual(dim('Customer').links.find((l) => l.name === 'tickets'), { name: 'tickets', target: 'Ticket', cardinality: '1-N', column: 'CustomerId', target_column: 'CustomerRef' });
  assert.equal(dim('FrenchCustomers').primary_key, 'CustomerId');
  assert.equal(dim('FrenchCustomers').view, true);

  const doc = {
    name: 'Hinted', targeting_dimension: 'Customer',
    activities: [
      { id: 'recent', type: 'build_audience', filter: { field: 'SignupTs', op: 'after', value: '2019-01-01T00:00:00Z' } },
      { id: 'active', type: 'build_audience', filter: { field: 'Active', op: 'eq', value: true } },
      { id: 'inactive', type: 'build_audience', filter: { field: 'Active', op: 'eq', value: false } },
      { id: 'unknown', type: 'build_audience', filter: { field: 'Active', op: 'is_null' } },
      { id: 'helped', type: 'build_audience', filter: { link: 'tickets', exists: { field: 'Subject', op: 'starts_with', value: 'Help' } } },
      { id: 'fr', type: 'build_audience', dimension: 'FrenchCustomers', filter: { field: 'Total', op: 'gt', value: 0 } },
    ],
    transitions: [],
  };
  // 'fr' filters on a field the view does not have: the error names it, then the fixed document runs.
  const bad = sw(['validate', writeDoc(tmp.dir, doc), '--data', db, '--schema-hints', hints]);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout + bad.stderr, /activities\[5\]\.filter.*unknown field "Total" of dimension "FrenchCustomers"/);
  doc.activities[5].filter = { field: 'FirstName', op: 'starts_with', value: 'First1' };
  const out = runOk(tmp.dir, db, doc, ['--dry-run', '--schema-hints', hints]);
  assert.equal(out.counts.recent.out, sqlInt(db, "SELECT count(*) FROM Customer WHERE SignupTs > strftime('%s', '2019-01-01T00:00:00')"));
  assert.ok(out.counts.recent.out > 0 && out.counts.recent.out < 400);
  assert.equal(out.counts.active.out, sqlInt(db, "SELECT count(*) FROM Customer WHERE Active IN ('Y', 'y')"));
  assert.equal(out.counts.inactive.out, sqlInt(db, "SELECT count(*) FROM Customer WHERE Active = 'N'"));
  assert.equal(out.counts.unknown.out, sqlInt(db, "SELECT count(*) FROM Customer WHERE Active NOT IN ('Y', 'y', 'N')"), 'another spelling is neither: NULL');
  assert.equal(out.counts.helped.out, sqlInt(db, "SELECT count(*) FROM Customer c WHERE EXISTS (SELECT 1 FROM Ticket t WHERE t.CustomerRef = c.CustomerId AND t.Subject LIKE 'Help%')"));
  assert.equal(out.counts.fr.out, sqlInt(db, "SELECT count(*) FROM FrenchCustomers WHERE FirstName LIKE 'First1%'"));
  assert.ok(out.counts.fr.out > 0);
  // A hidden field is refused like any unknown one; without the hints the same field is known.
  const hidden = { name: 'Hidden', targeting_dimension: 'Customer', activities: [{ id: 'a', type: 'build_audience', filter: { field: 'PasswordHash', op: 'eq', value: 'x' } }], transitions: [] };
  const h1 = sw(['validate', writeDoc(tmp.dir, hidden), '--data', db, '--schema-hints', hints]);
  assert.equal(h1.status, 1);
  assert.match(h1.stdout + h1.stderr, /unknown field "PasswordHash"/);
  assert.equal(sw(['validate', writeDoc(tmp.dir, hidden), '--data', db]).status, 0);
});

test('schema hints are checked against the real schema: every problem with its JSON path', () => {
  const hints = writeDoc(tmp.dir, {
    hide: ['Nope', 'Customer.PasswordHsh'],
    colour: 'blue',
    dimensions: {
      Customer: {
        fields: {
          SignupT: { type: 'date', format: 'unix_s' },
          Active: { type: 'boolean', true: ['Y'] },
          Country: { type: 'date' },
          Email: { type: 'text', format: 'unix_ms' },
        },
        links: { t: { to: 'Tickets', column: 'CustomerId' } },
        channels: { fax: 'Email' },
      },
      FrenchCustomers: { view: true },
      Customers: {},
    },
  }, 'bad-hints.json');
  const r = sw(['schema', '--data', db, '--hints', hints]);
  assert.equal(r.status, 1, r.stdout);
  const text = r.stderr;
  const expect = [
    /\$\.colour: unknown key "colour"/,
    /\$\.hide\[0\]: no table "Nope"/,
    /\$\.hide\[1\]: dimension "Customer" has no field "PasswordHsh" \(did you mean "PasswordHash"\?\)/,
    /\$\.dimensions\.Customer\.fields\.SignupT: dimension "Customer" has no field "SignupT" \(did you mean "SignupTs"\?\)/,
    /\$\.dimensions\.Customer\.fields\.Active: a boolean spelled in text needs both "true" and "false"/,
    /\$\.dimensions\.Customer\.fields\.Country\.format: say how "Country" stores dates/,
    /\$\.dimensions\.Customer\.fields\.Email\.format: "format" applies to dates/,
    /\$\.dimensions\.Customer\.links\.t\.to: no table "Tickets" \(did you mean "Ticket"\?\)/,
    /\$\.dimensions\.Customer\.channels\.fax: unknown key "fax"/,
    /\$\.dimensions\.FrenchCustomers\.key: a view needs "key"/,
    /\$\.dimensions\.Customers: no table "Customers" in the data source \(did you mean "Customer"\?\)/,
  ];
  for (const re of expect) assert.match(text, re);
  // Not JSON at all: the line and column.
  const broken = writeDoc(tmp.dir, '{"dimensions": {', 'broken-hints.json');
  const b = sw(['schema', '--data', db, '--hints', broken]);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /schema hints .*broken-hints\.json.*line 1/);
});

test('the daemon takes schema_hints: GET /dimensions shows them, and a document is validated with them', async () => {
  const { startDaemon, closeClean } = await import('./lib/daemon.mjs');
  const { copyFileSync } = await import('node:fs');
  const copy = path.join(tmp.dir, 'served.db');
  copyFileSync(db, copy);
  const hints = writeDoc(tmp.dir, HINTS, 'served-hints.json');
  const d = await startDaemon({ db: copy, dir: tmp.dir, args: ['--schema-hints', hints] });
  try {
    const dims = await d.ok('GET', '/dimensions', null, d.tokens.viewer);
    assert.equal(dims.default, 'Customer');
    const cust = dims.dimensions.find((x) => x.name === 'Customer');
    assert.equal(cust.fields.find((f) => f.name === 'PasswordHash'), undefined);
    assert.equal(cust.fields.find((f) => f.name === 'Active').type_source, 'hinted');
    assert.equal(dims.dimensions.find((x) => x.name === 'FrenchCustomers').primary_key, 'CustomerId');
    const bad = await d.api('POST', '/campaigns', {
      name: 'Hidden field', targeting_dimension: 'Customer',
      activities: [{ id: 'a', type: 'build_audience', filter: { field: 'PasswordHash', op: 'eq', value: 'x' } }],
      transitions: [],
    }, d.tokens.editor);
    assert.equal(bad.status, 422, bad.text);
    assert.ok(bad.json.error.details.some((x) => x.path === '$.activities[0].filter.field' && /unknown field "PasswordHash"/.test(x.message)), bad.text);
  } finally {
    await closeClean(d);
  }
  // Hints that do not fit the schema stop the daemon at start, naming the problem.
  const wrong = writeDoc(tmp.dir, { dimensions: { Nope: {} } }, 'wrong-hints.json');
  const r = sw(['serve', '--data', copy, '--listen', '127.0.0.1:0', '--schema-hints', wrong], { timeout: 20_000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /\$\.dimensions\.Nope: no table "Nope"/);
});

test('the schema changes under a running daemon: rediscovered when used, on demand, and a field that went is refused at start with its path', async () => {
  const { startDaemon, closeClean, until } = await import('./lib/daemon.mjs');
  const { copyFileSync, writeFileSync } = await import('node:fs');
  const copy = path.join(tmp.dir, 'changing.db');
  copyFileSync(db, copy);
  const hintsFile = path.join(tmp.dir, 'changing-hints.json');
  writeFileSync(hintsFile, JSON.stringify({ dimensions: { Customer: { label: 'Customers' } } }));
  const d = await startDaemon({ db: copy, dir: tmp.dir, args: ['--schema-hints', hintsFile] });
  const shell = (q) => execFileSync('sqlite3', [copy], { input: q });
  const fieldsOf = async (dim) => (await d.ok('GET', '/dimensions', null, d.tokens.viewer)).dimensions.find((x) => x.name === dim).fields.map((f) => f.name);
  try {
    assert.ok(!(await fieldsOf('Customer')).includes('Tier'));
    // A column added while the daemon runs: seen at the next use, no restart.
    shell("ALTER TABLE Customer ADD COLUMN Tier TEXT; UPDATE Customer SET Tier = 'gold' WHERE CustomerId % 4 = 0;");
    assert.ok((await fieldsOf('Customer')).includes('Tier'), 'the new column is discovered');
    const c = await d.ok('POST', '/campaigns', {
      name: 'Gold', targeting_dimension: 'Customer',
      activities: [{ id: 'gold', type: 'build_audience', filter: { field: 'Tier', op: 'eq', value: 'gold' } }],
      transitions: [],
    }, d.tokens.editor);
    await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
    const run = await d.waitRun(d.lastRunId(c.id));
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.counts.gold.out, sqlInt(copy, "SELECT count(*) FROM Customer WHERE Tier = 'gold'"));
    // The column goes: starting the campaign again is refused with the field's path.
    await until(async () => (await d.api('GET', `/campaigns/${c.id}`, null, d.tokens.viewer)).json.status === 'completed', { what: 'completed' });
    shell('ALTER TABLE Customer DROP COLUMN Tier;');
    let again;
    try {
      again = await d.api('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
    } catch (e) {
      throw new Error(`${e.message}\n${d.stderr().slice(-6000)}`);
    }
    assert.equal(again.status, 422, again.text);
    assert.ok(again.json.error.details.some((x) => x.path === '$.activities[0].filter.field' && /unknown field "Tier"/.test(x.message)), again.text);
    // On demand, admin only; hints read again: ones that no longer fit are a 422 naming the
    // problem, and the schema in use stays.
    assert.equal((await d.api('POST', '/dimensions/refresh', null, d.tokens.editor)).status, 403);
    writeFileSync(hintsFile, JSON.stringify({ dimensions: { Customer: { label: 'Clients' } } }));
    const ok = await d.ok('POST', '/dimensions/refresh', null, d.tokens.admin);
    assert.equal(ok.dimensions.find((x) => x.name === 'Customer').label, 'Clients');
    writeFileSync(hintsFile, JSON.stringify({ dimensions: { Customer: { fields: { Tier: { type: 'text' } } } } }));
    const bad = await d.api('POST', '/dimensions/refresh', null, d.tokens.admin);
    assert.equal(bad.status, 422, bad.text);
    assert.ok(bad.json.error.details.some((x) => x.path === '$.dimensions.Customer.fields.Tier'), bad.text);
    const still = await d.ok('GET', '/dimensions', null, d.tokens.viewer);
    assert.equal(still.dimensions.find((x) => x.name === 'Customer').label, 'Clients', 'the schema in use stays');
  } finally {
    await closeClean(d);
  }
});

test('a document may name its JSON Schema ($schema) for editors; the server accepts and ignores it', () => {
  const doc = {
    $schema: 'http://127.0.0.1:8080/api/v1/schemas/campaign.json',
    name: 'With $schema', targeting_dimension: 'Customer',
    activities: [{ id: 'a', type: 'build_audience', filter: { field: 'Country', op: 'eq', value: 'France' } }],
    transitions: [],
  };
  const r = sw(['validate', writeDoc(tmp.dir, doc), '--data', db]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = runOk(tmp.dir, db, doc, ['--dry-run']);
  assert.equal(out.counts.a.out, sqlInt(db, "SELECT count(*) FROM Customer WHERE Country = 'France'"));
});

test('schema hints through the API (admin): checked before they are stored, in force in place of the file, kept across a restart', async () => {
  const { startDaemon, closeClean } = await import('./lib/daemon.mjs');
  const { copyFileSync, writeFileSync } = await import('node:fs');
  const copy = path.join(tmp.dir, 'api-hints.db');
  copyFileSync(db, copy);
  const file = path.join(tmp.dir, 'api-hints-file.json');
  writeFileSync(file, JSON.stringify({ dimensions: { Customer: { label: 'From the file' } } }));
  let d = await startDaemon({ db: copy, dir: tmp.dir, args: ['--schema-hints', file] });
  const label = async () => (await d.ok('GET', '/dimensions', null, d.tokens.viewer)).dimensions.find((x) => x.name === 'Customer').label;
  try {
    const s0 = await d.ok('GET', '/schema/hints', null, d.tokens.admin);
    assert.equal(s0.source, 'file');
    assert.equal(s0.file, file);
    assert.deepEqual(s0.hints, { dimensions: { Customer: { label: 'From the file' } } });
    assert.equal(await label(), 'From the file');
    for (const t of [d.tokens.viewer, d.tokens.editor]) {
      assert.equal((await d.api('GET', '/schema/hints', null, t)).status, 403);
      assert.equal((await d.api('PUT', '/schema/hints', HINTS, t)).status, 403);
    }
    // Hints that do not fit: 422 with the paths, nothing stored.
    const bad = await d.api('PUT', '/schema/hints', { hide: ['Customer.Nope'], dimensions: { Custmer: {} } }, d.tokens.admin);
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(bad.json.error.details.map((x) => x.path).sort(), ['$.dimensions.Custmer', '$.hide[0]']);
    assert.match(bad.json.error.details.find((x) => x.path === '$.dimensions.Custmer').message, /did you mean "Customer"/);
    assert.equal((await d.ok('GET', '/schema/hints', null, d.tokens.admin)).source, 'file');
    // Stored: in force at once.
    const put = await d.ok('PUT', '/schema/hints', HINTS, d.tokens.admin);
    assert.equal(put.source, 'api');
    assert.deepEqual(put.hints, JSON.parse(JSON.stringify(HINTS)));
    assert.match(put.updated_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal(await label(), 'Customers');
    const dims = await d.ok('GET', '/dimensions', null, d.tokens.viewer);
    assert.ok(!dims.dimensions.find((x) => x.name === 'Customer').fields.some((f) => f.name === 'PasswordHash'));
  } finally {
    await closeClean(d);
  }
  // Across a restart, the stored hints stay in force; DELETE goes back to the file.
  d = await startDaemon({ db: copy, dir: tmp.dir, args: ['--schema-hints', file] });
  try {
    assert.equal((await d.ok('GET', '/schema/hints', null, d.tokens.admin)).source, 'api');
    assert.equal(await label(), 'Customers');
    const del = await d.ok('DELETE', '/schema/hints', null, d.tokens.admin, 200);
    assert.equal(del.source, 'file');
    assert.equal(await label(), 'From the file');
    await d.ok('PUT', '/schema/hints', { dimensions: { Customer: { label: 'Stored again' } } }, d.tokens.admin);
  } finally {
    await closeClean(d);
  }
  // With the daemon stopped, the CLI removes what the API stored.
  const drop = sw(['schema', '--data', copy, '--drop-stored-hints']);
  assert.equal(drop.status, 0, drop.stderr);
  assert.equal(sqlInt(copy, 'SELECT count(*) FROM sw_schema_hints'), 0);
});
