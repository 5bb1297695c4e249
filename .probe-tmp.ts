import { Client, Connection } from '@temporalio/client';
async function main() {
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const client = new Client({ connection, namespace: 'default' });
  const t = Date.now();
  try {
    await client.workflow.signalWithStart('x', { workflowId: 'w', taskQueue: 'q', args: [], signal: 's', signalArgs: [] });
  } catch (e) { console.log('failed after', Date.now() - t, 'ms', String(e).slice(0, 200)); }
  await connection.close();
}
main();
