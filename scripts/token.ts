/**
 * `npm run token [-- --user <id>] [--org <id>] [--role admin|agent] [--expires <seconds>]`:
 * prints only a JWT (HS256 with JWT_SECRET), by default for the demo admin.
 */
import { parseArgs } from 'node:util';
import { signStaffToken } from '../api/auth';
import { loadConfig } from '../config';
import { DEMO } from '../db/seed';

const { values } = parseArgs({
  options: {
    user: { type: 'string', default: DEMO.adminId },
    org: { type: 'string', default: DEMO.orgId },
    role: { type: 'string', default: 'admin' },
    expires: { type: 'string', default: String(12 * 60 * 60) },
  },
});
const role = values.role;
if (role !== 'admin' && role !== 'agent') {
  console.error('--role must be admin or agent');
  process.exit(2);
}
const expires = Number(values.expires);
if (!Number.isInteger(expires) || expires <= 0) {
  console.error('--expires must be a positive number of seconds');
  process.exit(2);
}
const config = loadConfig();
process.stdout.write(signStaffToken(config.jwtSecret, { userId: values.user, orgId: values.org, role }, expires) + '\n');
