/** Whether Temporal has a conversation's workflow, for tests asserting that a refused webhook started nothing. */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { conversationWorkflowId } from '../../workflows/conversation/contract';

/** Whether a workflow run exists for the conversation (any state: running, completed, …). */
export async function workflowExists(client: Client, conversationId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(conversationWorkflowId(conversationId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
