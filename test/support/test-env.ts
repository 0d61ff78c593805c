export const TEST_ENV = {
  adminUrl: 'IPLEASE_TEST_ADMIN_URL',
  template: 'IPLEASE_TEST_TEMPLATE',
  /** The restricted role's password: every test app serves through that role (see global-setup). */
  servingPassword: 'IPLEASE_TEST_SERVING_PASSWORD',
} as const;

/** The role the test apps serve through: what the service's own restricted role is (src/database/serving-role.ts). */
export const TEST_SERVING_ROLE = 'iplease_test_app';
