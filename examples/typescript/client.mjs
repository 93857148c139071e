// @ts-check
// What an integration does first with each vendor, against vendor-emulator.
// Plain ES module with JSDoc types (checked by `tsc --checkJs`), so Node 18+ runs it
// with no build step:  node client.mjs http://127.0.0.1:8080
import { createHmac } from "node:crypto";
import { pathToFileURL } from "node:url";

/** @typedef {{ account_id: number, app_id: string, secret_key: string, users: { username: string, password: string, user_key: string }[] }} PortalioTenant */
/** @typedef {{ organization_id: string, key: { key: string, scopes: string[] } }} PropalTenant */
/** @typedef {{ organizationKey: string, apiKey: string }} HolmTenant */
/** @typedef {(milliseconds: number) => Promise<void>} Wait */

// --- Portal.io: every request signed (docs.portal.io, "Request signing") -------------

/**
 * Base64(HMAC-SHA256(secret key's UTF-8 bytes, canonical message)). The canonical message
 * is, with no separators: the method, the URL as addressed without its query string, the
 * Content-Type (not on GET), the date, the user key (empty on the key exchange).
 * @param {{ secretKey: string, method: string, url: string, date: string, userKey?: string, contentType?: string }} request
 */
export function portalioSignature({ secretKey, method, url, date, userKey = "", contentType = "" }) {
  const verb = method.toUpperCase();
  const message = verb + url.split("?")[0] + (verb === "GET" ? "" : contentType) + date + userKey;
  return createHmac("sha256", Buffer.from(secretKey, "utf8")).update(message, "utf8").digest("base64");
}

/**
 * @param {{ appId: string, secretKey: string }} app
 * @param {string} method
 * @param {string} url
 * @param {{ userKey?: string, form?: Record<string, string> }} [options]
 */
export function portalioRequest(app, method, url, { userKey = "", form } = {}) {
  const date = new Date().toUTCString(); // IMF-fixdate: "Wed, 02 Dec 2026 10:30:00 GMT"
  /** @type {Record<string, string>} */
  const headers = {
    Accept: "application/json",
    "X-MSS-API-APPID": app.appId,
    "X-MSS-API-USERKEY": userKey,
    "X-MSS-CUSTOM-DATE": date,
  };
  const contentType = form ? "application/x-www-form-urlencoded" : "";
  if (form) headers["Content-Type"] = contentType;
  headers["X-MSS-SIGNATURE"] = portalioSignature({ secretKey: app.secretKey, method, url, date, userKey, contentType });
  return fetch(url, { method, headers, body: form ? new URLSearchParams(form).toString() : undefined });
}

/** @param {Response} response */
async function json(response) {
  if (!response.ok) throw new Error(`${response.status} ${response.url}: ${await response.text()}`);
  return response.json();
}

/**
 * Exchange the user's name and password for the user key, create a proposal, list them.
 * @param {string} base  e.g. http://127.0.0.1:8080/portalio
 * @param {PortalioTenant} tenant
 */
export async function portalio(base, tenant) {
  const app = { appId: tenant.app_id, secretKey: tenant.secret_key };
  const [user] = tenant.users;
  const query = new URLSearchParams({ UserName: user.username, Password: user.password });
  const exchange = await json(await portalioRequest(app, "GET", `${base}/authenticate/apikeyexchange?${query}`));
  const userKey = exchange.meta.apiKey;
  const form = { Name: "Living room cinema", SalesPersonId: exchange.userId };
  await json(await portalioRequest(app, "POST", `${base}/public/proposals`, { userKey, form }));
  return json(await portalioRequest(app, "GET", `${base}/public/proposals?PageNumber=1&PageSize=10`, { userKey }));
}

// --- Propal: a bearer key ------------------------------------------------------------

/**
 * Create a proposal, then list the organization's proposals.
 * @param {string} base  e.g. http://127.0.0.1:8080/propal/v1
 * @param {string} key
 */
export async function propal(base, key) {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  const body = JSON.stringify({ title: "Website redesign", slug: "website-redesign" });
  await json(await fetch(`${base}/proposals`, { method: "POST", headers, body }));
  return json(await fetch(`${base}/proposals?limit=10`, { headers }));
}

// --- Holm: a session, one request per second -----------------------------------------

/**
 * GET with the session; on 429 wait `retry_after_ms` (as the body says) and try again.
 * @param {string} url
 * @param {string} token
 * @param {Wait} wait
 */
export async function holmGet(url, token, wait) {
  for (;;) {
    const response = await fetch(url, { headers: { Authorization: `Session ${token}` } });
    if (response.status !== 429) return json(response);
    await wait((await response.json()).retry_after_ms);
  }
}

/**
 * Open a session, read `me` twice in a row (the second is over the 1 request/s limit).
 * @param {string} base  e.g. http://127.0.0.1:8080/holm/v1
 * @param {HolmTenant} tenant
 * @param {Wait} wait
 */
export async function holm(base, { organizationKey, apiKey }, wait) {
  const session = await json(await fetch(`${base}/auth/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ organizer_key: organizationKey, api_key: apiKey }),
  }));
  const first = await holmGet(`${base}/me`, session.session_token, wait);
  const second = await holmGet(`${base}/me`, session.session_token, wait);
  return [first, second];
}

// --- The control plane: fresh tenants and the clock ----------------------------------

export class ControlPlane {
  /** @param {string} url  the emulator's root, e.g. http://127.0.0.1:8080 */
  constructor(url) {
    this.url = url;
  }

  /** @param {string} path @param {object} [body] */
  async post(path, body = {}) {
    const headers = { "Content-Type": "application/json" };
    return json(await fetch(`${this.url}/_emulator${path}`, { method: "POST", headers, body: JSON.stringify(body) }));
  }

  async freezeClock() {
    await this.post("/clock", { freeze: true });
  }

  /** Waiting, on the emulator clock: advance it instead of sleeping. @type {Wait} */
  wait = async (milliseconds) => {
    await this.post("/clock", { advance_seconds: milliseconds / 1000 });
  };

  /** @returns {Promise<PortalioTenant>} */
  portalioTenant() {
    return this.post("/portalio/accounts");
  }

  /** @returns {Promise<PropalTenant>} */
  propalTenant() {
    return this.post("/propal/organizations");
  }

  /** A new organization and one key that may be used from any origin. @returns {Promise<HolmTenant>} */
  async holmTenant() {
    const organization = await this.post("/holm/organizations");
    const key = await this.post(`/holm/organizations/${organization.organization_id}/keys`, {
      name: "Example integration", partnership_type: "mssp", customers_read: true,
      allowed_origins: [], acknowledge_any_origin: true,
    });
    return { organizationKey: organization.organization_key, apiKey: key.api_key };
  }
}

/** @param {string} url */
export async function main(url) {
  const control = new ControlPlane(url);
  await control.freezeClock();
  const portalioList = await portalio(`${url}/portalio`, await control.portalioTenant());
  console.log("Portal.io proposals:", portalioList.proposals.map((/** @type {any} */ p) => p.name));
  const propalList = await propal(`${url}/propal/v1`, (await control.propalTenant()).key.key);
  console.log("Propal proposals:", propalList.data.map((/** @type {any} */ p) => p.title));
  const [me] = await holm(`${url}/holm/v1`, await control.holmTenant(), control.wait);
  console.log("Holm me:", me.api_key.name, me.scopes);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] ?? "http://127.0.0.1:8080");
}
