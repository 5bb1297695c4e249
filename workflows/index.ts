/** Workflow entry point for the worker bundle. */
export { conversationWorkflow } from './conversation/workflow';
export { aiSettingsBroadcastWorkflow } from './ai-settings-broadcast';
export { contactChangeBroadcastWorkflow } from './contact-change-broadcast';
export { passwordResetEmailWorkflow } from './staff-email';
export { slaSettingsBroadcastWorkflow } from './sla-settings-broadcast';
