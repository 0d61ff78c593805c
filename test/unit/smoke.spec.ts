import { iso31661 } from 'iso-3166';
describe('smoke', () => {
  it('loads the ESM code list through the transform', () => {
    expect(iso31661.find((c) => c.alpha2 === 'DE')?.name).toBe('Germany');
  });
});
