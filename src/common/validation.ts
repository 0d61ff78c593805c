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
      const messages = Object.entries(error.constraints).map(([name, message]) =>
        name === 'whitelistValidation' ? `${field} is not a known field` : message,
      );
      out.push({ field, message: messages[0] });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

export function validationException(errors: ValidationError[]): ValidationFailed {
  return new ValidationFailed(flattenValidationErrors(errors));
}
