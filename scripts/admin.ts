/**
 * `npm run admin -- <command>`: the operator's bootstrap CLI (also `docker compose run --rm api npm run
 * admin -- …`). Migrates the database first (as `npm run migrate` does), then:
 * - `create-org --name "Acme" --admin-email ops@acme.test [--admin-name "Ops"]`: creates the org and its
 *   first admin and prints a one-time set-password token; idempotent by admin email (again = the
 *   existing org and a fresh token);
 * - `list-orgs`: id, active staff count, created-at and name of every org;
 * - `reset-password --email x [--org <id>]`: prints a one-time reset-password token;
 * - `deactivate --email x [--org <id>]`: deactivates the staff user (access and refresh tokens stop
 *   working at once);
 * - `create-api-key --org <id|name> --name "CRM sync" --scopes read,write`: creates an API key of the
 *   org and prints it once (`key: sb_…`); scopes `read`, `write`, `admin` (comma-separated).
 * Tokens are valid 24 h, single use; the user sets the password with `POST /v1/auth/set-password`.
 * Every change is written to the org's audit log with actor `system` (`org.create`,
 * `staff.reset_password`, `staff.deactivate`, `api_key.create`).
 * Exit codes: 0 done, 1 failure, 2 bad usage or no such (single) staff user or org.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { API_KEY_SCOPES, createAuditedApiKey, normalizeScopes } from '../db/api-keys';
import { recordAudit } from '../db/audit-log';
import { createDatabaseIfMissing, createDb, type Db, migrateToLatest } from '../db/client';
import { createOrgWithAdmin, listOrgs } from '../db/orgs-admin';
import { deactivateStaff, findStaffByEmail, issueOneTimeToken, type StaffSignInRow } from '../db/staff-auth';
import type { ApiKeyScope, OneTimeTokenPurpose } from '../db/schema';

const USAGE = `usage: npm run admin -- <command> [options]
  create-org --name <name> --admin-email <email> [--admin-name <name>]
  list-orgs
  reset-password --email <email> [--org <org id>]
  deactivate --email <email> [--org <org id>]
  create-api-key --org <org id or name> --name <name> --scopes <read,write,admin>`;

const COMMANDS = ['create-org', 'list-orgs', 'reset-password', 'deactivate', 'create-api-key'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The admin CLI in the audit log. */
const SYSTEM = { type: 'system' } as const;

/** A usage error: printed with the usage, exit code 2. */
class UsageError extends Error {}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required`);
  return value.trim();
}

/** The one staff user `email` names (in org `orgId` when given). @throws UsageError when none or several */
async function oneStaff(db: Db, email: string, orgId: string | undefined): Promise<StaffSignInRow> {
  const found = await findStaffByEmail(db, email, orgId);
  if (found.length === 0) throw new UsageError(`no staff user ${email}${orgId ? ` in org ${orgId}` : ''}`);
  if (found.length > 1) {
    throw new UsageError(`${email} exists in several orgs (${found.map((u) => u.org_id).join(', ')}): pass --org <id>`);
  }
  return found[0]!;
}

/** The org `ref` names: its id, or its name (case-insensitive). @throws UsageError when none or several */
async function oneOrg(db: Db, ref: string): Promise<{ id: string; name: string }> {
  const found = await db
    .selectFrom('orgs')
    .select(['id', 'name'])
    .where((eb) => (UUID.test(ref) ? eb('id', '=', ref) : eb(eb.fn('lower', ['name']), '=', ref.toLowerCase())))
    .orderBy('created_at')
    .execute();
  if (found.length === 0) throw new UsageError(`no org ${ref} (npm run admin -- list-orgs)`);
  if (found.length > 1) throw new UsageError(`several orgs are named ${ref} (${found.map((o) => o.id).join(', ')}): pass --org <id>`);
  return found[0]!;
}

/** `--scopes read,write`: each a known scope. @throws UsageError otherwise */
function parseScopes(value: string): ApiKeyScope[] {
  const scopes = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const known: readonly string[] = API_KEY_SCOPES;
  const unknown = scopes.filter((s) => !known.includes(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--scopes must be a comma-separated list of ${API_KEY_SCOPES.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}`,
    );
  }
  return normalizeScopes(scopes as ApiKeyScope[]);
}

/** Issues a one-time token, audits it (`staff.reset_password`, actor `system`), and prints it and how to use it. */
async function printToken(
  db: Db,
  staff: { id: string; email: string; org_id: string },
  purpose: OneTimeTokenPurpose,
  publicBaseUrl: string,
  audit: boolean,
): Promise<void> {
  const { token, expiresAt } = await issueOneTimeToken(db, staff.id, purpose);
  if (audit) {
    await recordAudit(db, {
      orgId: staff.org_id,
      actor: SYSTEM,
      action: 'staff.reset_password',
      targetType: 'staff',
      targetId: staff.id,
      after: { email: staff.email, purpose, expiresAt: expiresAt.toISOString() },
    });
  }
  console.log(
    `${purpose === 'set_password' ? 'set-password' : 'reset-password'} token for ${staff.email} (single use, until ${expiresAt.toISOString()}):`,
  );
  console.log(`token: ${token}`);
  console.log(`set the password (12–256 characters):`);
  console.log(
    `  curl -X POST ${publicBaseUrl}/v1/auth/set-password -H 'Content-Type: application/json' -d '{"token":"${token}","password":"<new password>"}'`,
  );
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      email: { type: 'string' },
      org: { type: 'string' },
      scopes: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (!command || positionals.length > 1) throw new UsageError(command ? `unexpected argument ${positionals[1]}` : 'missing command');
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command ${command}`);
  if (values.org !== undefined && command !== 'create-api-key' && !UUID.test(values.org))
    throw new UsageError('--org must be an org id (uuid)');

  const config = loadConfig();
  await createDatabaseIfMissing(config.databaseUrl);
  const db = createDb(config.databaseUrl, { max: 2 });
  try {
    await migrateToLatest(db);
    switch (command) {
      case 'create-org': {
        const name = required(values.name, '--name');
        const adminEmail = required(values['admin-email'], '--admin-email');
        if (!/^[^\s@]+@[^\s@]+$/.test(adminEmail)) throw new UsageError('--admin-email must be an email address');
        const org = await createOrgWithAdmin(db, {
          name,
          adminEmail,
          ...(values['admin-name'] ? { adminName: values['admin-name'] } : {}),
        });
        if (org.created) {
          await recordAudit(db, {
            orgId: org.orgId,
            actor: SYSTEM,
            action: 'org.create',
            targetType: 'org',
            targetId: org.orgId,
            after: { id: org.orgId, name: org.orgName, adminId: org.adminId, adminEmail: org.adminEmail },
          });
        }
        console.log(`${org.created ? 'created' : 'exists'}: org ${org.orgId} "${org.orgName}", admin ${org.adminEmail} (${org.adminId})`);
        // a new org's first token is part of org.create; again for an existing org it is a reset
        await printToken(
          db,
          { id: org.adminId, email: org.adminEmail, org_id: org.orgId },
          'set_password',
          config.publicBaseUrl,
          !org.created,
        );
        break;
      }
      case 'list-orgs': {
        const orgs = await listOrgs(db);
        if (orgs.length === 0) console.log('no orgs yet: npm run admin -- create-org --name <name> --admin-email <email>');
        for (const o of orgs) console.log(`${o.id}  ${String(o.activeStaff).padStart(4)} staff  ${o.createdAt.toISOString()}  ${o.name}`);
        break;
      }
      case 'reset-password': {
        const staff = await oneStaff(db, required(values.email, '--email'), values.org);
        if (staff.deactivated_at !== null) throw new UsageError(`${staff.email} is deactivated`);
        await printToken(db, staff, staff.password_hash === null ? 'set_password' : 'reset_password', config.publicBaseUrl, true);
        break;
      }
      case 'deactivate': {
        const staff = await oneStaff(db, required(values.email, '--email'), values.org);
        await deactivateStaff(db, staff.id);
        const after = await db.selectFrom('staff_users').select('deactivated_at').where('id', '=', staff.id).executeTakeFirstOrThrow();
        await recordAudit(db, {
          orgId: staff.org_id,
          actor: SYSTEM,
          action: 'staff.deactivate',
          targetType: 'staff',
          targetId: staff.id,
          before: { email: staff.email, role: staff.role, deactivatedAt: staff.deactivated_at?.toISOString() ?? null },
          after: { email: staff.email, role: staff.role, deactivatedAt: after.deactivated_at?.toISOString() ?? null },
        });
        console.log(`deactivated: ${staff.email} (${staff.id}) in org ${staff.org_id}; their sessions are revoked`);
        break;
      }
      case 'create-api-key': {
        const org = await oneOrg(db, required(values.org, '--org'));
        const name = required(values.name, '--name');
        if (name.length > 100) throw new UsageError('--name must be at most 100 characters');
        const scopes = parseScopes(required(values.scopes, '--scopes'));
        const { row, key } = await createAuditedApiKey(db, { orgId: org.id, name, scopes, createdBy: null }, SYSTEM);
        console.log(`created: API key ${row.id} "${row.name}" in org ${org.id} "${org.name}", scopes ${row.scopes.join(',')}`);
        console.log('the key is shown only now; store it (only its hash is kept):');
        console.log(`key: ${key}`);
        console.log(`use it: curl ${config.publicBaseUrl}/v1/conversations -H 'Authorization: Bearer ${key}'`);
        break;
      }
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
