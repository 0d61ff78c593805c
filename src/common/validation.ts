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
      out.push({ field, message: chooseMessage(field, error.value, error.constraints) });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/** Checks of what kind a value is: when one fails, its message is the real problem (not "too large"). */
const TYPE_CHECKS = ['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject', 'isDateString', 'isUuid'];

/**
 * One message per field. A value of the wrong kind fails its range checks too ("24" is not ≤ 32),
 * so the kind is reported first; a list where one value belongs is a repeated query parameter (or
 * a JSON array) and says so.
 */
function chooseMessage(field: string, value: unknown, constraints: Record<string, string>): string {
  const names = Object.keys(constraints);
  if (names.includes('whitelistValidation')) return `${field} is not a known field`;
  const kind = names.find((name) => TYPE_CHECKS.includes(name));
  if (Array.isArray(value) && kind !== 'isArray' && !names.includes('isArray'))
    return `${field} must be a single value (it was given more than once, or as a list)`;
  return constraints[kind ?? names[0]];
}

export function validationException(errors: ValidationError[]): ValidationFailed {
  return new ValidationFailed(flattenValidationErrors(errors));
}
