/** Where the key found before the body was read waits for the guard (one lookup per request). */
export const PRE_AUTHENTICATED = Symbol('preAuthenticatedKey');
