import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderAttributeDocs } from '../../../terraform-provider/src/docs';
import { IpleaseProvider } from '../../../terraform-provider/src/provider';

describe('generated attribute docs', () => {
  it('docs/terraform-attributes.md is what the schema says (regenerate with npm run provider:docs)', () => {
    const committed = fs.readFileSync(
      path.join(__dirname, '..', '..', '..', 'docs', 'terraform-attributes.md'),
      'utf8',
    );
    expect(committed).toBe(renderAttributeDocs());
  });

  it('documents every resource, data source and attribute the provider serves', () => {
    const provider = new IpleaseProvider();
    const text = renderAttributeDocs(provider);
    for (const r of [...provider.resources, ...provider.dataSources]) {
      expect(text).toContain(`### \`${r.typeName}\``);
      for (const a of r.schema.attrs) expect(a.description.length).toBeGreaterThan(5);
    }
  });
});
