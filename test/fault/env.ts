export const FAULT_ENV = { mainJs: 'IPLEASE_FAULT_MAIN_JS' } as const;
