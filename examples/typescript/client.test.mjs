// @ts-check
// The example client, run with Node's own test runner against an emulator that the
// `before` hook starts on a free port:  node --test client.test.mjs
// The binary is $VENDOR_EMULATOR_BIN, else this repository's target/debug build.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";

import { ControlPlane, holm, portalio, portalioRequest, portalioSignature, propal } from "./client.mjs";

const binary =
  process.env.VENDOR_EMULATOR_BIN ?? fileURLToPath(new URL("../../target/debug/vendor-emulator", import.meta.url));

describe("the example client against vendor-emulator", () => {
  /** @type {import("node:child_process").ChildProcess} */
  let emulator;
  let url = "";

  before(async () => {
    // Port 0: the OS picks a free port; no dedicated listeners (their flags stay unset).
    emulator = spawn(binary, ["--bind", "127.0.0.1:0", "--log-level", "warn"], { stdio: ["ignore", "pipe", "inherit"] });
    if (!emulator.stdout) throw new Error("no stdout");
    const lines = createInterface({ input: emulator.stdout });
    const [line] = await Promise.race([
      once(lines, "line"),
      once(emulator, "exit").then(([code]) => { throw new Error(`vendor-emulator exited with ${code}`); }),
    ]);
    const listening = JSON.parse(line);
    assert.equal(listening.event, "listening");
    url = `http://${listening.addr}`;
  });

  after(async () => {
    if (!emulator || emulator.exitCode !== null || emulator.signalCode !== null) return;
    const exited = once(emulator, "exit");
    emulator.kill("SIGTERM"); // a graceful stop
    await exited;
  });

  it("signs like the reference test vector", () => {
    // reference §3.6 row B, key = the secret string's UTF-8 bytes
    const signature = portalioSignature({
      secretKey: "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk=", method: "GET", url: "https://api.portal.io/public/proposals",
      date: "Mon, 06 Apr 2026 00:22:19 GMT", userKey: "qBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=",
    });
    assert.equal(signature, "xalgIEoCIlMrgQLwkRpt0S8dKO13lwIj/dZNHO3bNG8=");
  });

  it("exchanges the user key, then creates and lists Portal.io proposals, signed", async () => {
    const control = new ControlPlane(url);
    await control.freezeClock();
    const listed = await portalio(`${url}/portalio`, await control.portalioTenant());
    assert.equal(listed.proposalCount, 1);
    assert.deepEqual(listed.proposals.map((/** @type {any} */ p) => p.name), ["Living room cinema"]);
  });

  it("gets Portal.io's 401 body for a wrong secret", async () => {
    const tenant = await new ControlPlane(url).portalioTenant();
    const answer = await portalioRequest({ appId: tenant.app_id, secretKey: "not-the-secret" }, "GET",
      `${url}/portalio/authenticate/apikeyexchange?UserName=x&Password=y`);
    assert.equal(answer.status, 401);
    assert.equal(await answer.json(), "You are not authorized. Your request signature (hash) is invalid.");
    assert.match(answer.headers.get("x-emulator-explain") ?? "", /^signature_mismatch/);
  });

  it("creates and lists Propal proposals with a fresh key", async () => {
    const tenant = await new ControlPlane(url).propalTenant();
    const listed = await propal(`${url}/propal/v1`, tenant.key.key);
    assert.deepEqual(listed.data.map((/** @type {any} */ p) => p.title), ["Website redesign"]);
    assert.equal(listed.pagination.total_count, 1);
  });

  it("reads Holm's me twice, waiting out the 429 on the emulator clock", async () => {
    const control = new ControlPlane(url);
    await control.freezeClock();
    /** @type {number[]} */
    const waits = [];
    const [first, second] = await holm(`${url}/holm/v1`, await control.holmTenant(), async (milliseconds) => {
      waits.push(milliseconds);
      await control.wait(milliseconds);
    });
    assert.deepEqual(first, second);
    assert.equal(first.api_key.name, "Example integration");
    assert.deepEqual(waits, [1000], "frozen clock: the second request is exactly one second early");
  });
});
