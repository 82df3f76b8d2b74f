import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export type SignatureCheck = { valid: true; artifactId: number } | { valid: false; reason: string }

const BLOB_PATH = /^\/artifacts\/(\d+)$/

/**
 * Short-lived storage URLs like the Azure blob SAS URLs GitHub redirects to: `se` is the expiry,
 * `sig` an HMAC over the artifact id and that expiry with a key only this emulator knows.
 */
export class UrlSigner {
  private readonly key = randomBytes(32)

  constructor(
    private readonly storageUrl: string,
    private readonly ttlMs: number,
  ) {}

  sign(artifactId: number): string {
    const expiry = new Date(Date.now() + this.ttlMs).toISOString()
    const query = new URLSearchParams({
      sp: 'r',
      se: expiry,
      sig: this.signature(artifactId, expiry),
    })
    return `${this.storageUrl}/artifacts/${artifactId}?${query}`
  }

  check(url: URL): SignatureCheck {
    const artifactId = Number(BLOB_PATH.exec(url.pathname)?.[1])
    const expiry = url.searchParams.get('se')
    const signature = url.searchParams.get('sig')
    if (!artifactId || !expiry || !signature) {
      return { valid: false, reason: 'Signature fields not well formed.' }
    }
    if (!sameText(signature, this.signature(artifactId, expiry))) {
      return { valid: false, reason: 'Signature did not match.' }
    }
    if (!(Date.parse(expiry) > Date.now())) {
      return {
        valid: false,
        reason: `Signed expiry time [${new Date(Date.parse(expiry)).toUTCString()}] has to be after the current time [${new Date().toUTCString()}]`,
      }
    }
    return { valid: true, artifactId }
  }

  private signature(artifactId: number, expiry: string): string {
    return createHmac('sha256', this.key).update(`${artifactId}\n${expiry}`).digest('base64')
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
