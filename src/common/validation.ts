import { ValidateIf, ValidationError } from 'class-validator';
import { FieldError, ValidationFailed } from '../errors/domain-errors';

/** Optional on PATCH, but an explicit null is refused (for fields that cannot be cleared). */
export const IsOptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);

/** class-validator errors → one `{ field, message }` per failed field, nested paths dotted. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) {
      out.push({ field, message: chooseMessage(field, error.constraints) });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/** Checks of what kind a value is: when one fails, its message is the real problem (not "too large"). */
const TYPE_CHECKS = ['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject', 'isDateString', 'isUuid'];

/**
 * One message per field. A value of the wrong kind fails its range checks too ("24" is not ≤ 32),
 * so the kind is reported first.
 */
function chooseMessage(field: string, constraints: Record<string, string>): string {
  const names = Object.keys(constraints);
  if (names.includes('whitelistValidation')) return `${field} is not a known field`;
  const kind = names.find((name) => TYPE_CHECKS.includes(name));
  return constraints[kind ?? names[0]];
}

/** No query parameter of this API is a list: a repeated one (`?limit=1&limit=2`) is refused by name. */
export function repeatedQueryParameters(query: Record<string, unknown>): ValidationFailed | undefined {
  const repeated = Object.entries(query).filter(([, value]) => Array.isArray(value));
  if (repeated.length === 0) return undefined;
  return new ValidationFailed(
    repeated.map(([field]) => ({
      field,
      message: `${field} must be given once (it was repeated in the query string)`,
    })),
  );
}

export function validationException(errors: ValidationError[]): ValidationFailed {
  return new ValidationFailed(flattenValidationErrors(errors));
}
