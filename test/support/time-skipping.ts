import { temporal } from '@temporalio/proto';
import { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { CONVERSATION_SEARCH_ATTRIBUTES } from '../../workflows/conversation/search-attributes';
import { temporalExecutable } from '../../scripts/temporal-binaries';
import { globalResources } from './global-resources';

/** Registers the conversation workflow's search attributes on a (time-skipping) test server. */
export async function registerConversationSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      CONVERSATION_SEARCH_ATTRIBUTES.map((key) => [
        key.name,
        key.type === SearchAttributeType.BOOL
          ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL
          : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
}

/** Starts the time-skipping test server (the global resources' binary) with the conversation search attributes. */
export async function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: temporalExecutable(globalResources().testServerPath) },
  });
  await registerConversationSearchAttributes(env);
  return env;
}
