// WebAuthn between the registry's JSON options (base64url strings) and the browser. Browsers with
// PublicKeyCredential.parse*FromJSON / toJSON (Chromium 129+, Firefox 119+, Safari 18+) use them;
// the small fallback below covers the rest.

function fromB64url(s: string): ArrayBuffer {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
}

function toB64url(buf: ArrayBuffer | null): string | null {
  if (buf === null) return null;
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

type Json = Record<string, unknown>;
type PKC = typeof PublicKeyCredential & {
  parseCreationOptionsFromJSON?: (o: Json) => PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON?: (o: Json) => PublicKeyCredentialRequestOptions;
};

export function supported(): boolean {
  return typeof window !== 'undefined' && 'PublicKeyCredential' in window && !!navigator.credentials;
}

export async function conditionalAvailable(): Promise<boolean> {
  const P = window.PublicKeyCredential as PKC & { isConditionalMediationAvailable?: () => Promise<boolean> };
  return !!P?.isConditionalMediationAvailable && (await P.isConditionalMediationAvailable());
}

function creationOptions(o: Json): PublicKeyCredentialCreationOptions {
  const P = window.PublicKeyCredential as PKC;
  if (P.parseCreationOptionsFromJSON) return P.parseCreationOptionsFromJSON(o);
  const user = o.user as Json;
  return {
    ...(o as object),
    challenge: fromB64url(o.challenge as string),
    user: { ...(user as object), id: fromB64url(user.id as string) },
    excludeCredentials: ((o.excludeCredentials as Json[]) ?? []).map((c) => ({ ...(c as object), id: fromB64url(c.id as string) }))
  } as PublicKeyCredentialCreationOptions;
}

function requestOptions(o: Json): PublicKeyCredentialRequestOptions {
  const P = window.PublicKeyCredential as PKC;
  if (P.parseRequestOptionsFromJSON) return P.parseRequestOptionsFromJSON(o);
  return {
    ...(o as object),
    challenge: fromB64url(o.challenge as string),
    allowCredentials: ((o.allowCredentials as Json[]) ?? []).map((c) => ({ ...(c as object), id: fromB64url(c.id as string) }))
  } as PublicKeyCredentialRequestOptions;
}

function credentialJson(c: PublicKeyCredential): Json {
  const withJson = c as PublicKeyCredential & { toJSON?: () => Json };
  if (withJson.toJSON) return withJson.toJSON();
  const r = c.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
  const response: Json = { clientDataJSON: toB64url(r.clientDataJSON) };
  if ('attestationObject' in r && r.attestationObject) {
    response.attestationObject = toB64url(r.attestationObject);
    response.transports = r.getTransports?.() ?? [];
  } else {
    response.authenticatorData = toB64url(r.authenticatorData);
    response.signature = toB64url(r.signature);
    response.userHandle = toB64url(r.userHandle);
  }
  return {
    id: c.id,
    rawId: toB64url(c.rawId),
    type: c.type,
    authenticatorAttachment: c.authenticatorAttachment,
    response,
    clientExtensionResults: c.getClientExtensionResults()
  };
}

export async function create(publicKey: Json): Promise<Json> {
  const c = (await navigator.credentials.create({ publicKey: creationOptions(publicKey) })) as PublicKeyCredential | null;
  if (!c) throw new Error('no passkey was created');
  return credentialJson(c);
}

export async function get(publicKey: Json, conditional?: AbortSignal): Promise<Json> {
  const init: CredentialRequestOptions = { publicKey: requestOptions(publicKey) };
  if (conditional) {
    (init as CredentialRequestOptions & { mediation: string }).mediation = 'conditional';
    init.signal = conditional;
  }
  const c = (await navigator.credentials.get(init)) as PublicKeyCredential | null;
  if (!c) throw new Error('no passkey was chosen');
  return credentialJson(c);
}

/** A browser's refusal (the user closed the dialog, a timeout) in words for the page. */
export function refusal(e: unknown): string {
  if (e instanceof DOMException) {
    if (e.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
    if (e.name === 'InvalidStateError') return 'This device already holds a passkey for this account.';
    if (e.name === 'SecurityError') return 'Passkeys need https or http://localhost (not an IP address).';
  }
  return e instanceof Error ? e.message : String(e);
}
