import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiProduces, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ApiProblems, ProblemDto } from '../common/openapi';

/** Documents both representations: the JSON report, and the CSV of its rows with the exact header. */
export function ApiReport(dto: Type<unknown>, columns: readonly string[], filename: string) {
  return applyDecorators(
    ApiExtraModels(dto),
    ApiProduces('application/json', 'text/csv'),
    ApiHeader({
      name: 'Accept',
      required: false,
      description: '`text/csv` for CSV (or pass `?format=csv`); JSON otherwise.',
    }),
    ApiOkResponse({
      description:
        `JSON: the query echoed and \`rows\`. CSV (\`Accept: text/csv\` or \`?format=csv\`): the rows only, RFC 4180, header \`${columns.join(',')}\`, ` +
        `sent as an attachment named like \`${filename}\`. Cells starting with = + - @, tab or CR (other than plain numbers) are prefixed with an apostrophe.`,
      content: {
        'application/json': { schema: { $ref: getSchemaPath(dto) } },
        'text/csv': { schema: { type: 'string', example: `${columns.join(',')}\r\n` } },
      },
    }),
    ApiResponse({
      status: 406,
      description: 'NOT_ACCEPTABLE: Accept allows neither application/json nor text/csv.',
      content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
    }),
    ApiProblems(400, 403),
  );
}
