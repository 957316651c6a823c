/**
 * Error codes with which Node refuses a server's certificate (OpenSSL's verify results, and Node's
 * own hostname check). Any of them means the client is not talking to the server it was pointed at,
 * or does not trust the server's issuer: retrying cannot help. One table for the agent and the
 * client library, so both say the same thing.
 */
export const CertificateErrors: Readonly<Record<string, string>> = {
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is for another host name',
  HOSTNAME_MISMATCH: 'the certificate is for another host name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a CA that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the certificate is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the issuer of the certificate is not trusted',
  CERT_UNTRUSTED: 'the certificate is not trusted',
  CERT_REJECTED: 'the certificate is rejected',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  CERT_REVOKED: 'the certificate is revoked',
  CERT_SIGNATURE_FAILURE: 'the certificate signature is invalid',
  INVALID_CA: 'a CA certificate in the chain is invalid',
  INVALID_PURPOSE: 'the certificate is not for TLS servers',
  PATH_LENGTH_EXCEEDED: 'the certificate chain is too long',
};

/** A clear sentence when `error` is a refused server certificate; undefined for any other error. */
export function certificateProblem(error: { code?: string; message: string }): string | undefined {
  const what = error.code === undefined ? undefined : CertificateErrors[error.code];
  if (what === undefined) return undefined;
  return `the server's TLS certificate was refused: ${what} (${error.code}: ${error.message}); ` +
    'if the server uses a private CA, pass its certificate with --ca FILE';
}
