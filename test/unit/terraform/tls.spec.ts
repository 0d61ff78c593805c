import { createPublicKey, X509Certificate } from 'node:crypto';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from '../../../terraform-provider/src/tls';

describe('AutoMTLS certificate from node:crypto', () => {
  it('is a self-signed CA for localhost, server and client auth, valid now, ECDSA P-256', () => {
    const now = new Date();
    const { cert, der, key } = selfSignedCertificate(now);
    const x509 = new X509Certificate(cert);
    expect(x509.raw.equals(der)).toBe(true);
    expect(x509.subject).toMatch(/CN=localhost/);
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.ca).toBe(true);
    expect(x509.subjectAltName).toBe('DNS:localhost');
    expect(x509.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(new Date(x509.validFrom).getTime()).toBeLessThanOrEqual(now.getTime());
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(now.getTime() + 86_400_000);
    expect(x509.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(createPublicKey(key).export({ format: 'jwk' })).toEqual(x509.publicKey.export({ format: 'jwk' }));
  });

  it('makes a fresh key and serial every time', () => {
    const a = new X509Certificate(selfSignedCertificate().cert);
    const b = new X509Certificate(selfSignedCertificate().cert);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });

  it('carries a mutual TLS handshake where each side trusts only the other’s certificate', async () => {
    const server = selfSignedCertificate();
    const client = selfSignedCertificate();
    const tlsServer = createServer(
      { key: server.key, cert: server.cert, ca: client.cert, requestCert: true, rejectUnauthorized: true },
      (socket) => socket.end('ok'),
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect({
          port: (tlsServer.address() as AddressInfo).port,
          host: '127.0.0.1',
          servername: 'localhost',
          key: client.key,
          cert: client.cert,
          ca: server.cert,
        });
        let data = '';
        socket.on('data', (d: Buffer) => (data += d.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(answer).toBe('ok');
    } finally {
      tlsServer.close();
    }
  });
});
