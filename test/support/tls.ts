import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki extends Disposable {
  dir: string;
  /** The private CA's certificate (what `--ca` is given). */
  caFile: string;
  ca: string;
  /** Signed by the CA for 127.0.0.1 and localhost. */
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  /** Signed by the same CA for another name only: a hostname mismatch at 127.0.0.1. */
  wrongNameCertFile: string;
  wrongNameKeyFile: string;
  /** Self-signed for 127.0.0.1, not by the CA: an untrusted issuer. */
  strangerCertFile: string;
  strangerKeyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function leaf(dir: string, name: string, san: string): void {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
}

/** A private CA and certificates made at test time with openssl, in a temp dir removed on dispose. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'onsembl-pki-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
    '-subj', '/CN=Onsembl Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  leaf(dir, 'server', 'IP:127.0.0.1,DNS:localhost');
  leaf(dir, 'wrong-name', 'DNS:other.example');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '2',
    '-subj', '/CN=stranger', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], dir);
  const file = (name: string) => join(dir, name);
  return {
    dir,
    caFile: file('ca.crt'),
    ca: readFileSync(file('ca.crt'), 'utf8'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    cert: readFileSync(file('server.crt'), 'utf8'),
    key: readFileSync(file('server.key'), 'utf8'),
    wrongNameCertFile: file('wrong-name.crt'),
    wrongNameKeyFile: file('wrong-name.key'),
    strangerCertFile: file('stranger.crt'),
    strangerKeyFile: file('stranger.key'),
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}
