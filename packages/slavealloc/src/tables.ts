import type { Generated } from 'kysely';

/** The original data model (slavealloc's data/model.py), one interface per table. */
export interface SlaveRow {
  slaveid: number;
  name: string;
  distroid: number;
  bitsid: number;
  speedid: number;
  purposeid: number;
  dcid: number;
  trustid: number;
  envid: number;
  poolid: number;
  basedir: string;
  locked_masterid: number | null;
  custom_tplid: number | null;
  enabled: boolean;
  notes: string | null;
  current_masterid: number | null;
}

export interface MasterRow {
  masterid: number;
  nickname: string;
  fqdn: string;
  http_port: number;
  pb_port: number;
  dcid: number;
  poolid: number;
  enabled: boolean;
  notes: string | null;
}

export interface PasswordRow {
  poolid: number;
  distroid: number | null;
  password: string;
}

interface TemplateRow {
  tplid: number;
  name: string;
  template: string;
}

/** As the drivers give it: SQLite and MariaDB return booleans as 0/1, PostgreSQL as true/false. */
type Stored<T> = { [K in keyof T]: T[K] extends boolean ? number | boolean : T[K] };
type WithId<T, K extends string> = Omit<T, K> & { [P in K]: Generated<number> };

// A type, not an interface: Kysely's withTables wants an index signature.
export type SlaveallocTables = {
  distros: { distroid: Generated<number>; name: string };
  datacenters: { dcid: Generated<number>; name: string };
  bitlengths: { bitsid: Generated<number>; name: string };
  speeds: { speedid: Generated<number>; name: string };
  purposes: { purposeid: Generated<number>; name: string };
  trustlevels: { trustid: Generated<number>; name: string };
  environments: { envid: Generated<number>; name: string };
  pools: { poolid: Generated<number>; name: string };
  tac_templates: WithId<TemplateRow, 'tplid'>;
  slave_passwords: PasswordRow;
  masters: WithId<Stored<MasterRow>, 'masterid'>;
  slaves: WithId<Stored<SlaveRow>, 'slaveid'>;
};

/** The lookup tables: an id and a unique name each, in the original's order. */
export const LOOKUPS = {
  distros: 'distroid',
  datacenters: 'dcid',
  bitlengths: 'bitsid',
  speeds: 'speedid',
  purposes: 'purposeid',
  trustlevels: 'trustid',
  environments: 'envid',
  pools: 'poolid',
} as const;

export type LookupTable = keyof typeof LOOKUPS;

/** Every table the API serves (`/api/<table>`), with its id and name columns. */
export const API_TABLES = {
  slaves: { id: 'slaveid', name: 'name' },
  masters: { id: 'masterid', name: 'nickname' },
  distros: { id: 'distroid', name: 'name' },
  datacenters: { id: 'dcid', name: 'name' },
  bitlengths: { id: 'bitsid', name: 'name' },
  speeds: { id: 'speedid', name: 'name' },
  purposes: { id: 'purposeid', name: 'name' },
  trustlevels: { id: 'trustid', name: 'name' },
  environments: { id: 'envid', name: 'name' },
  pools: { id: 'poolid', name: 'name' },
  tac_templates: { id: 'tplid', name: 'name' },
} as const;

export type ApiTable = keyof typeof API_TABLES;

export const isApiTable = (name: string): name is ApiTable => Object.hasOwn(API_TABLES, name);

/** The slave columns that are foreign keys, and the table each points into. */
export const SLAVE_REFERENCES = {
  distroid: 'distros',
  bitsid: 'bitlengths',
  speedid: 'speeds',
  purposeid: 'purposes',
  dcid: 'datacenters',
  trustid: 'trustlevels',
  envid: 'environments',
  poolid: 'pools',
  locked_masterid: 'masters',
  custom_tplid: 'tac_templates',
  current_masterid: 'masters',
} as const;

export const MASTER_REFERENCES = { dcid: 'datacenters', poolid: 'pools' } as const;
