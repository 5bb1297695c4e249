/** Workflow entry point for the worker bundle. */
export { conversationWorkflow } from './conversation';
export { aiSettingsBroadcastWorkflow } from './ai-settings-broadcast';
