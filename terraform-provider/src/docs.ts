import { IpleaseProvider, providerSchema } from './provider';
import { Attr, Schema } from './schema';
import { CtyType } from './values';

function typeName(type: CtyType): string {
  if (typeof type === 'string') return type;
  if (type[0] === 'object') return 'object';
  return `${type[0]}(${typeName(type[1] as CtyType)})`;
}

function role(attr: Attr): string {
  const parts = [
    attr.required
      ? 'required'
      : attr.optional && attr.computed
        ? 'optional, computed'
        : attr.optional
          ? 'optional'
          : 'computed',
  ];
  if (attr.forceNew) parts.push('forces replacement');
  if (attr.sensitive) parts.push('sensitive');
  return parts.join(', ');
}

function table(schema: Schema): string {
  const rows = schema.attrs.map(
    (a) => `| \`${a.name}\` | ${typeName(a.type)} | ${role(a)} | ${a.description.replace(/\|/g, '\\|')} |`,
  );
  return ['| attribute | type | | description |', '|---|---|---|---|', ...rows].join('\n');
}

/** docs/terraform-attributes.md, generated from the schema the provider serves. */
export function renderAttributeDocs(provider = new IpleaseProvider()): string {
  const out = [
    '# Terraform provider `iplease/iplease`: attributes',
    '',
    '<!-- Generated from the provider schema by `npm run provider:docs`; do not edit by hand. -->',
    '',
    '## Provider configuration',
    '',
    providerSchema.description,
    '',
    table(providerSchema),
    '',
    '## Resources',
  ];
  for (const r of provider.resources) {
    out.push(
      '',
      `### \`${r.typeName}\``,
      '',
      r.schema.description,
      '',
      `Import: \`terraform import ${r.typeName}.NAME <id>\` or an \`import {}\` block with the API id.`,
      '',
      table(r.schema),
    );
  }
  out.push('', '## Data sources');
  for (const d of provider.dataSources) {
    out.push('', `### \`${d.typeName}\``, '', d.schema.description, '', table(d.schema));
  }
  return `${out.join('\n')}\n`;
}
