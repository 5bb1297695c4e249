/**
 * `npm run admin -- <command>`: the operator's bootstrap CLI (also `docker compose run --rm api npm run
 * admin -- …`). Migrates the database first (as `npm run migrate` does), then:
 * - `create-org --name "Acme" --admin-email ops@acme.test [--admin-name "Ops"]`: creates the org and its
 *   first admin and prints a one-time set-password token; idempotent by admin email (again = the
 *   existing org and a fresh token);
 * - `list-orgs`: id, active staff count, created-at and name of every org;
 * - `reset-password --email x [--org <id>]`: prints a one-time reset-password token;
 * - `deactivate --email x [--org <id>]`: deactivates the staff user (access and refresh tokens stop
 *   working at once).
 * Tokens are valid 24 h, single use; the user sets the password with `POST /v1/auth/set-password`.
 * Exit codes: 0 done, 1 failure, 2 bad usage or no such (single) staff user.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDatabaseIfMissing, createDb, type Db, migrateToLatest } from '../db/client';
import { createOrgWithAdmin, listOrgs } from '../db/orgs-admin';
import { deactivateStaff, findStaffByEmail, issueOneTimeToken, type StaffSignInRow } from '../db/staff-auth';
import type { OneTimeTokenPurpose } from '../db/schema';

const USAGE = `usage: npm run admin -- <command> [options]
  create-org --name <name> --admin-email <email> [--admin-name <name>]
  list-orgs
  reset-password --email <email> [--org <org id>]
  deactivate --email <email> [--org <org id>]`;

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

/** Prints a one-time token and how to use it. */
async function printToken(
  db: Db,
  staff: { id: string; email: string },
  purpose: OneTimeTokenPurpose,
  publicBaseUrl: string,
): Promise<void> {
  const { token, expiresAt } = await issueOneTimeToken(db, staff.id, purpose);
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
    },
  });
  const command = positionals[0];
  if (!command || positionals.length > 1) throw new UsageError(command ? `unexpected argument ${positionals[1]}` : 'missing command');
  if (!['create-org', 'list-orgs', 'reset-password', 'deactivate'].includes(command)) throw new UsageError(`unknown command ${command}`);
  if (values.org !== undefined && !/^[0-9a-f-]{36}$/i.test(values.org)) throw new UsageError('--org must be an org id (uuid)');

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
        console.log(`${org.created ? 'created' : 'exists'}: org ${org.orgId} "${org.orgName}", admin ${org.adminEmail} (${org.adminId})`);
        await printToken(db, { id: org.adminId, email: org.adminEmail }, 'set_password', config.publicBaseUrl);
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
        await printToken(db, staff, staff.password_hash === null ? 'set_password' : 'reset_password', config.publicBaseUrl);
        break;
      }
      case 'deactivate': {
        const staff = await oneStaff(db, required(values.email, '--email'), values.org);
        await deactivateStaff(db, staff.id);
        console.log(`deactivated: ${staff.email} (${staff.id}) in org ${staff.org_id}; their sessions are revoked`);
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
