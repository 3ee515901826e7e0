// The kinds of the user's model and their apiVersion: one list for the schemas and the compiler.
export const API_VERSION = 'l7mp.io/v1';
export const KINDS = ['VirtualService', 'Target', 'Route', 'Rule', 'Proxy', 'Service'] as const;
export type Kind = (typeof KINDS)[number];
