// Reads an OpenAPI document on stdin and prints its openapi-typescript types on stdout.
// A separate plain-Node process because openapi-typescript loads ES-module-only dependencies,
// which Node 20.19+ can require() but Jest's module runtime cannot.
const { default: openapiTS, astToString } = require('openapi-typescript');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  try {
    // defaultNonNullable: false, because a property with a `default` is optional in a request body
    // (the server fills it in); openapi-typescript would otherwise make every client send it.
    const ast = await openapiTS(JSON.parse(input), { alphabetize: false, defaultNonNullable: false, silent: true });
    process.stdout.write(astToString(ast));
  } catch (error) {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  }
});
