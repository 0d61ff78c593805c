export const TEST_ENV = {
  adminUrl: 'IPLEASE_TEST_ADMIN_URL',
  template: 'IPLEASE_TEST_TEMPLATE',
} as const;
