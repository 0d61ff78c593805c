import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log } from './log';
import { IpleaseProvider, Rpc } from './provider';
import { writeHandshake } from './stdout-guard';
import { selfSignedCertificate } from './tls';

const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const CORE_PROTOCOL_VERSION = 1;
const APP_PROTOCOL_VERSION = 6;

/** Where the .proto files are: beside the bundle (mirror), or in the source/dist tree. */
export function protoDir(): string {
  const candidates = [join(__dirname, 'proto'), join(__dirname, '..', 'proto')];
  const found = candidates.find((dir) => existsSync(join(dir, 'tfplugin6.8.proto')));
  if (!found) throw new Error(`tfplugin6.8.proto not found in ${candidates.join(' or ')}`);
  return found;
}

export function loadServices() {
  const dir = protoDir();
  const definition = protoLoader.loadSync(['tfplugin6.8.proto', 'grpc_controller.proto', 'grpc_stdio.proto'], {
    includeDirs: [dir],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as Rpc;
  return {
    provider: pkg.tfplugin6.Provider.service as grpc.ServiceDefinition,
    controller: pkg.plugin.GRPCController.service as grpc.ServiceDefinition,
    stdio: pkg.plugin.GRPCStdio.service as grpc.ServiceDefinition,
  };
}

/** go-plugin's AutoMTLS: a fresh self-signed server certificate; Terraform's own as the only client CA. */
function serverCredentials(): { credentials: grpc.ServerCredentials; certField?: string } {
  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  if (!clientCert) return { credentials: grpc.ServerCredentials.createInsecure() };
  const own = selfSignedCertificate();
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(clientCert),
    [{ private_key: Buffer.from(own.key), cert_chain: Buffer.from(own.cert) }],
    true,
  );
  // go-plugin decodes the certificate with base64.RawStdEncoding: no padding.
  return { credentials, certField: own.der.toString('base64').replace(/=+$/, '') };
}

type Handler = (req: Rpc) => Rpc | Promise<Rpc>;

function unary(fn: Handler): grpc.handleUnaryCall<Rpc, Rpc> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          log('ERROR', 'RPC failed:', error);
          callback(null, {
            diagnostics: [
              {
                severity: 'ERROR',
                summary: 'Provider error',
                detail: error instanceof Error ? error.message : String(error),
              },
            ],
          });
        },
      );
  };
}

/** Serves the provider the go-plugin way and writes the handshake line; resolves once listening. */
export async function serve(provider = new IpleaseProvider()): Promise<void> {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    process.stderr.write(
      'This binary is a plugin. These are not meant to be executed directly.\n' +
        'Please execute the program that consumes these plugins, which will\n' +
        'load any plugins automatically\n',
    );
    process.exit(1);
  }
  const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION)).split(',').map(Number);
  if (!offered.includes(APP_PROTOCOL_VERSION)) {
    process.stderr.write(
      `This provider speaks plugin protocol ${APP_PROTOCOL_VERSION}; Terraform offered ${offered.join(', ')}.\n`,
    );
    process.exit(1);
  }

  const services = loadServices();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 256 * 1024 * 1024 });
  const stdioStreams = new Set<grpc.ServerWritableStream<Rpc, Rpc>>();
  const socketDir = mkdtempSync(join(tmpdir(), 'plugin'));
  const socketPath = join(socketDir, 'tf.sock');
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    provider.stop();
    for (const stream of stdioStreams) stream.end();
    const done = () => {
      rmSync(socketDir, { recursive: true, force: true });
      process.exit(code);
    };
    // Let answers in flight (Shutdown's own) reach Terraform, but never hang on a stuck call.
    setTimeout(() => {
      server.forceShutdown();
      done();
    }, 2000).unref();
    server.tryShutdown(done);
  };

  const impl: Record<string, grpc.handleUnaryCall<Rpc, Rpc>> = {};
  for (const method of Object.keys(services.provider)) {
    const fn = (provider as unknown as Record<string, Handler | undefined>)[method];
    impl[method] = fn
      ? unary(fn.bind(provider))
      : (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not implemented` });
  }
  server.addService(services.provider, impl);
  server.addService(services.controller, {
    Shutdown: (_call: unknown, callback: grpc.sendUnaryData<object>) => {
      callback(null, {});
      setImmediate(() => exit(0));
    },
  });
  server.addService(services.stdio, {
    // Logs go to stderr directly (Terraform reads it); the stream stays open and quiet.
    StreamStdio: (stream: grpc.ServerWritableStream<Rpc, Rpc>) => {
      stdioStreams.add(stream);
      stream.on('cancelled', () => stdioStreams.delete(stream));
    },
  });

  const { credentials, certField } = serverCredentials();
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, credentials, (error) => (error ? reject(error) : resolve())),
  );

  // Terraform stops a provider with Shutdown or StopProvider; Ctrl-C reaches us too and is theirs to handle.
  process.on('SIGINT', () => log('DEBUG', 'SIGINT ignored: Terraform will call StopProvider'));
  process.on('SIGTERM', () => exit(0));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit(0); // orphaned: Terraform is gone
  }, 500).unref();

  const fields = [CORE_PROTOCOL_VERSION, APP_PROTOCOL_VERSION, 'unix', socketPath, 'grpc'];
  if (certField) fields.push(certField);
  writeHandshake(fields.join('|'));
  log('DEBUG', `iplease provider serving on ${socketPath}`);
}
