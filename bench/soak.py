#!/usr/bin/env python3
"""The soak behind `bench/soak` (run that: it builds the binary and installs wrk).

Sends SOAK_REQUESTS [10,000,000] mixed requests over every vendor to one release emulator
and samples its RSS (VmRSS of /proc/<pid>/status) every second. The load is wrk (2 threads,
SOAK_CONNECTIONS [32] connections) cycling through a list of pre-built requests, in rounds
of SOAK_ROUND_S [30] seconds; each round's list is built afresh:

- successes: Propal reads, lists and lead writes; Portal.io signed reads, contact writes
  (each one a webhook event for the fixture subscriptions) and area writes; Holm `/v1/me`,
  reports and customers on five sessions;
- every kind of refusal: a missing and an unknown Propal key (401), a key without the scope
  (403), an unknown id (404), an invalid body (400), an oversized body (413), a Propal org
  over its sliding-hour limit (429); a Portal.io bad
  signature (401), unverified user (401), inactive subscription (402), no catalog access
  (403), unknown proposal (404); Holm without a session, with an unknown one (401), over
  the per-second rule (429), an origin not allowed (403), wrong partnership type (403), a
  session over the organization's cap (409);
- tenants: the list creates tenants in all three vendors (control plane); Propal and
  Portal.io are reset from inside the list (once in every 4,000 requests), which takes away
  what the writes and those tenants added, and Holm (whose organizations have no delete
  route) after each round; between rounds the driver makes five Propal organizations and
  five Portal.io accounts, uses each once and deletes it.

Portal.io requests are signed before each round with the date of that moment (the skew
allowed is raised to an hour, so a round's signatures stay valid). The journal keeps its
default 1000 entries, the delivery log its 1000, so the RSS must plateau.

Prints a table of samples and writes bench/soak.svg (RSS over requests, drawn by hand) and
bench/soak-samples.csv. Environment: SOAK_REQUESTS, SOAK_CONNECTIONS, SOAK_ROUND_S,
BIN [target/release/vendor-emulator].
"""
import base64
import hashlib
import hmac
import http.client
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("BIN", str(ROOT / "target/release/vendor-emulator"))
TOTAL = int(os.environ.get("SOAK_REQUESTS", "10000000"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "32"))
ROUND_S = int(os.environ.get("SOAK_ROUND_S", "30"))
TMP = Path(tempfile.mkdtemp(prefix="vendor-emulator-soak."))
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def log(text):
    print(text, file=sys.stderr, flush=True)


class Emulator:
    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [BIN, "--bind", "127.0.0.1:0", "--log-level", "error", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("the emulator did not start")
        self.addr = json.loads(line)["addr"]
        self.host, port = self.addr.rsplit(":", 1)
        self.port = int(port)

    def call(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            hdrs = dict(headers or {})
            data = None
            if body is not None:
                data = json.dumps(body)
                hdrs.setdefault("Content-Type", JSON)
            conn.request(method, path, body=data, headers=hdrs)
            response = conn.getresponse()
            raw = response.read()
            return response.status, (json.loads(raw) if raw and raw[:1] in b"{[\"" else raw)
        finally:
            conn.close()

    def rss_kib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


# --- Portal.io signing (reference §3.2), written from the docs ---------------------------------
def portalio_headers(base, app, user_key, method, path, content_type=None, date=None, exchange=False):
    date = date or formatdate(usegmt=True)
    message = method + base + path.split("?", 1)[0]
    if method != "GET":
        message += content_type or ""
    message += date + ("" if exchange else user_key)
    signature = base64.b64encode(hmac.new(app["secret_key"].encode(), message.encode(), hashlib.sha256).digest())
    headers = {"Accept": JSON, "X-MSS-API-APPID": app["app_id"], "X-MSS-API-USERKEY": "" if exchange else user_key,
               "X-MSS-CUSTOM-DATE": date, "X-MSS-SIGNATURE": signature.decode()}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


# --- the request list of one round -----------------------------------------------------------
class Mix:
    def __init__(self, emulator):
        self.emu = emulator
        self.base = f"http://{emulator.addr}"
        status, self.creds = emulator.call("GET", "/_emulator/credentials")
        assert status == 200, status
        keys = self.creds["propal"]["keys"]
        self.propal_full = next(k["key"] for k in keys if k["name"] == "Internal tools (full access)")
        self.propal_read = next(k["key"] for k in keys if k["name"] == "CRM sync (read-only)")
        self.app = self.creds["portalio"]["apps"][0]
        users = [u for a in self.creds["portalio"]["accounts"] for u in a["users"]]
        self.alex = next(u for u in users if u["id"] == 5001)
        self.unverified = next(u for u in users if not u["email_verified"])
        self.inactive = next(u for u in users if u["email_verified"] and not u["subscription_active"])
        self.no_catalog = next(u for u in users if u["email_verified"] and u["subscription_active"]
                               and not u["catalog_access"])
        fixtures = json.loads((ROOT / "fixtures/portalio/proposals.json").read_text())["proposals"]
        self.proposal = next(p["id"] for p in fixtures if p["accountId"] == 1001 and p["areas"])
        self.drafts = [p["id"] for p in fixtures if p["accountId"] == 1001 and p["status"] == "Draft" and not p.get("parentId")]
        status, leads = emulator.call("GET", "/propal/v1/leads?limit=1", headers=self.auth(self.propal_full))
        self.lead = leads["data"][0]["id"]
        holm = {o["organization_id"]: o for o in self.creds["holm"]["organizations"]}
        self.holm_mssp = {"organizer_key": holm["org_balticit"]["organization_key"],
                          "api_key": holm["org_balticit"]["keys"][0]["api_key"]}
        nordsec = holm["org_nordsec"]
        self.holm_reseller = {"organizer_key": nordsec["organization_key"],
                              "api_key": next(k["api_key"] for k in nordsec["keys"] if k["id"] == "key_nordsec_resell")}
        self.holm_dev = {"organizer_key": nordsec["organization_key"],
                         "api_key": next(k["api_key"] for k in nordsec["keys"] if k["id"] == "key_nordsec_dev")}
        self.holm_origin_locked = {"organizer_key": nordsec["organization_key"],
                                   "api_key": next(k["api_key"] for k in nordsec["keys"] if k["id"] == "key_nordsec_prod")}

    @staticmethod
    def auth(key):
        return {"Authorization": f"Bearer {key}"}

    def holm_session(self, keys):
        status, body = self.emu.call("POST", "/holm/v1/auth/session", keys)
        assert status == 201, (status, body)
        return body["session_token"]

    def tenant_cycle(self, count):
        """Between rounds: `count` tenants per vendor made, used once and deleted (Propal
        organizations and Portal.io accounts; Holm has no delete route: its tenants go with
        the reset after each round). Not inside a round: the in-list resets would take them."""
        for n in range(count):
            status, org = self.emu.call("POST", "/_emulator/propal/organizations", {"name": f"Soak {n}"})
            assert status == 201, (status, org)
            status, _ = self.emu.call("GET", "/propal/v1/leads", headers=self.auth(org["key"]["key"]))
            assert status == 200, status
            status, _ = self.emu.call("DELETE", f"/_emulator/propal/organizations/{org['organization_id']}")
            assert status == 204, status
            status, account = self.emu.call("POST", "/_emulator/portalio/accounts", {"name": f"Soak {n}"})
            assert status == 201, (status, account)
            app = {"app_id": account["app_id"], "secret_key": account["secret_key"]}
            headers = portalio_headers(self.base, app, account["users"][0]["user_key"], "GET", "/portalio/public/people")
            status, _ = self.emu.call("GET", "/portalio/public/people", headers=headers)
            assert status == 200, status
            status, _ = self.emu.call("DELETE", f"/_emulator/portalio/accounts/{account['account_id']}")
            assert status == 204, status

    def round_requests(self):
        """(method, path, headers, body or None, weight): one round's mix."""
        full, read = self.auth(self.propal_full), self.auth(self.propal_read)
        jfull = {**full, "Content-Type": JSON}
        pio = lambda user, method, path, ctype=None: portalio_headers(self.base, self.app, user["user_key"], method,
                                                                       "/portalio" + path, ctype)
        mssp = {"Authorization": f"Session {self.holm_session(self.holm_mssp)}"}
        reseller = {"Authorization": f"Session {self.holm_session(self.holm_reseller)}"}
        # Two sessions of one key share nothing: each has its own per-second budget.
        busy = [{"Authorization": f"Session {self.holm_session(self.holm_dev)}"} for _ in range(2)]
        r = [
            # Propal successes, writes and refusals.
            ("GET", f"/propal/v1/leads/{self.lead}", full, None, 8),
            ("GET", "/propal/v1/proposals?limit=25", full, None, 4),
            ("GET", "/propal/v1/organization", full, None, 2),
            ("GET", "/propal/v1/metrics/overview", full, None, 1),
            ("POST", "/propal/v1/leads", jfull, '{"name":"Soak %d-%d","email":"soak@example.com"}', 4),
            ("GET", "/propal/v1/leads", {}, None, 1),
            ("GET", "/propal/v1/leads", self.auth("pp_live_0000000000000000Fxunknown0"), None, 1),
            ("POST", "/propal/v1/products", {**read, "Content-Type": JSON}, '{"name":"x","price":1}', 1),
            ("GET", "/propal/v1/leads/00000000-0000-4000-8000-000000000000", full, None, 1),
            ("POST", "/propal/v1/leads", jfull, '{"name":', 1),
            ("POST", "/propal/v1/leads", jfull, '{"name":"' + "x" * 1_100_000 + '"}', 0.02),
            # Portal.io successes, writes and refusals.
            ("GET", f"/portalio/public/proposals/{self.proposal}", pio(self.alex, "GET", f"/public/proposals/{self.proposal}"), None, 6),
            ("GET", "/portalio/public/people", pio(self.alex, "GET", "/public/people"), None, 2),
            ("GET", "/portalio/public/catalog", pio(self.alex, "GET", "/public/catalog"), None, 1),
            ("POST", "/portalio/public/people", pio(self.alex, "POST", "/public/people", FORM),
             "PartyType=Person&ContactType=Client&FirstName=Soak%d&LastName=N%d", 2),
            *[("POST", f"/portalio/public/proposals/{d}/area", pio(self.alex, "POST", f"/public/proposals/{d}/area", FORM),
               "Name=Area+%d-%d", 1 / len(self.drafts)) for d in self.drafts],
            ("GET", "/portalio/public/users", {**pio(self.alex, "GET", "/public/users"), "X-MSS-SIGNATURE": "AAAA"}, None, 1),
            ("GET", "/portalio/public/users", pio(self.unverified, "GET", "/public/users"), None, 1),
            ("GET", "/portalio/public/users", pio(self.inactive, "GET", "/public/users"), None, 1),
            ("GET", "/portalio/public/catalog", pio(self.no_catalog, "GET", "/public/catalog"), None, 1),
            ("GET", "/portalio/public/proposals/999999", pio(self.alex, "GET", "/public/proposals/999999"), None, 1),
            # Holm successes and refusals.
            ("GET", "/holm/v1/me", mssp, None, 2),
            ("GET", "/holm/v1/customers", mssp, None, 1),
            ("GET", "/holm/v1/mssp-report/periods", mssp, None, 1),
            ("GET", "/holm/v1/reseller-report/periods", reseller, None, 1),
            ("GET", "/holm/v1/reseller-report/periods", mssp, None, 1),
            *[("GET", "/holm/v1/me", s, None, 2) for s in busy],
            ("GET", "/holm/v1/me", {}, None, 1),
            ("GET", "/holm/v1/me", {"Authorization": "Session pps_unknown"}, None, 1),
            ("POST", "/holm/v1/auth/session", {"Content-Type": JSON, "X-Forwarded-For": "192.0.2.99"},
             json.dumps(self.holm_origin_locked), 1),
            # New sessions until the organization's cap (5), then 409 until the round's reset.
            ("POST", "/holm/v1/auth/session", {"Content-Type": JSON}, json.dumps(self.holm_mssp), 0.5),
            # Unknown routes.
            ("GET", "/nowhere", {}, None, 0.5),
            # Tenants created inside the round, and resets that take them away again.
            ("POST", "/_emulator/propal/organizations", {"Content-Type": JSON}, "{}", 0.2),
            ("POST", "/_emulator/portalio/accounts", {"Content-Type": JSON}, "{}", 0.2),
            ("POST", "/_emulator/holm/organizations", {"Content-Type": JSON}, '{"name":"Soak %d-%d"}', 0.2),
            # Once per list: Propal's key gets ~1,400 requests between two resets, so the
            # sliding-hour limit (1000) refuses some of them every time.
            ("POST", "/_emulator/reset/propal", {}, None, 0),
            ("POST", "/_emulator/reset/portalio", {}, None, 0),
            ("GET", "/_emulator/journal?limit=5", {}, None, 0.2),
        ]
        return r


# --- wrk --------------------------------------------------------------------------------------
LUA = r"""
local requests = { %(requests)s }
local counter = 0
local n = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function request()
  n = n + 1
  local r = requests[(n %% #requests) + 1]
  if r[5] then
    return wrk.format(r[1], r[2], r[3], string.format(r[4], tid, n))
  end
  return wrk.format(r[1], r[2], r[3], r[4])
end
function done(summary, latency, requests)
  io.write(string.format('{"requests":%%d,"duration_us":%%d,"p99_us":%%d,"socket_errors":%%d}\n',
    summary.requests, summary.duration, latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(addr, requests, slots=4000):
    """The weighted list, spread evenly over `slots` entries; wrk cycles through it. Anything
    rarer than one in `slots` still comes once per list."""
    total = sum(weight for *_, weight in requests)
    order = []
    for i, (*_, weight) in enumerate(requests):
        count = max(1, round(weight / total * slots))
        order += [((c + 0.5) / count, i) for c in range(count)]
    order.sort()
    expanded = []
    for _, i in order:
        method, path, headers, body, _ = requests[i]
        hdrs = {"Host": addr, **headers}
        lua_headers = "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in hdrs.items()) + "}"
        templated = body is not None and "%d" in body
        lua_body = lua_string(body) if body is not None else "nil"
        expanded.append("{" + f"{lua_string(method)}, {lua_string(path)}, {lua_headers}, {lua_body}, "
                        f"{'true' if templated else 'false'}" + "}")
    script = TMP / f"soak-{time.monotonic_ns()}.lua"
    script.write_text(LUA % {"requests": ",\n".join(expanded)})
    return script, len(expanded)


def wrk(emulator, script, duration):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
         f"http://{emulator.addr}"],
        capture_output=True, text=True, timeout=duration + 120, check=True,
    ).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("{")))


# --- sampling ---------------------------------------------------------------------------------
class Sampler(threading.Thread):
    def __init__(self, emulator):
        super().__init__(daemon=True)
        self.emu = emulator
        self.samples = []  # (seconds since start, RSS KiB)
        self.started = time.monotonic()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.samples.append((time.monotonic() - self.started, self.emu.rss_kib()))
            self.stopped.wait(1.0)


def requests_at(rounds, t):
    """Requests sent by time t, interpolated within the round that holds t."""
    done = 0
    for start, end, count in rounds:
        if t >= end:
            done += count
        elif t > start:
            return done + count * (t - start) / (end - start)
        else:
            break
    return done


def nice_ticks(limit):
    """0, step, 2 step, … up to `limit`, with a step of 1, 2 or 5 times a power of ten."""
    raw = limit / 6
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [round(i * step, 10) for i in range(int(limit / step) + 1)]


def svg(points, path, total):
    """RSS (MiB) over requests (millions), as an SVG line chart."""
    width, height, left, bottom, top, right = 640, 300, 60, 40, 28, 20
    max_x = max(total / 1e6, points[-1][0] if points else 1)
    max_y = max(y for _, y in points) * 1.2
    sx = lambda x: left + (width - left - right) * x / max_x
    sy = lambda y: height - bottom - (height - top - bottom) * y / max_y
    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    ticks_x = "".join(
        f'<line x1="{sx(v):.1f}" y1="{height - bottom}" x2="{sx(v):.1f}" y2="{height - bottom + 4}" stroke="#333"/>'
        f'<text x="{sx(v):.1f}" y="{height - bottom + 16}" text-anchor="middle">{v:g}</text>'
        for v in nice_ticks(max_x))
    step = 10 ** max(0, len(str(int(max_y))) - 1)
    ticks_y = "".join(
        f'<line x1="{left - 4}" y1="{sy(v):.1f}" x2="{width - right}" y2="{sy(v):.1f}" stroke="#ddd"/>'
        f'<text x="{left - 8}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:g}</text>'
        for v in range(0, int(max_y) + 1, step))
    Path(path).write_text(f"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
{ticks_y}{ticks_x}
<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#333"/>
<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#333"/>
<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="{line}"/>
<text x="{(width + left) / 2}" y="{top - 6}" text-anchor="middle">vendor-emulator RSS during bench/soak (one sample a second)</text>
<text x="{(width + left) / 2}" y="{height - 6}" text-anchor="middle">requests sent (millions)</text>
<text x="14" y="{(height) / 2}" text-anchor="middle" transform="rotate(-90 14 {height / 2})">RSS (MiB)</text>
</svg>
""")


def check():
    """`bench/soak.py --check`: sends each request of one round's mix once and prints its status."""
    emulator = Emulator("--holm-requests-per-second", "200", "--portalio-max-skew-seconds", "3600")
    try:
        mix = Mix(emulator)
        mix.tenant_cycle(2)
        for n, (method, path, headers, body, weight) in enumerate(mix.round_requests()):
            data = body.replace("%d", str(n)) if body is not None else None
            conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=30)
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                answer = response.read()[:90].decode(errors="replace")
                status = response.status
            except OSError as error:
                status, answer = "-", str(error)
            finally:
                conn.close()
            print(f"{status} {weight:>5} {method:6} {path[:60]:60} {answer}")
    finally:
        emulator.stop()


def main():
    emulator = Emulator("--holm-requests-per-second", "200",
                        "--portalio-max-skew-seconds", "3600")
    mix = Mix(emulator)
    sampler = Sampler(emulator)
    sampler.start()
    rounds, sent, socket_errors, started = [], 0, 0, time.monotonic()
    try:
        while sent < TOTAL:
            script, size = lua_script(emulator.addr, mix.round_requests())
            begin = time.monotonic() - sampler.started
            result = wrk(emulator, script, ROUND_S)
            end = time.monotonic() - sampler.started
            mix.tenant_cycle(5)
            status, _ = emulator.call("POST", "/_emulator/reset/holm")
            assert status in (200, 204), status
            rounds.append((begin, end, result["requests"]))
            sent += result["requests"]
            socket_errors += result["socket_errors"]
            log(f"{sent:>11,} requests  {result['requests'] / (result['duration_us'] / 1e6):>8,.0f} req/s  "
                f"RSS {emulator.rss_kib() / 1024:6.1f} MiB  p99 {result['p99_us'] / 1000:.1f} ms  "
                f"socket errors {result['socket_errors']}")
    finally:
        sampler.stopped.set()
        sampler.join()
        alive = emulator.proc.poll() is None
        exit_code = emulator.stop()
    elapsed = time.monotonic() - started

    points = [(requests_at(rounds, t) / 1e6, kib / 1024) for t, kib in sampler.samples]
    with open(ROOT / "bench/soak-samples.csv", "w") as out:
        out.write("seconds,requests,rss_kib\n")
        for (t, kib), (m, _) in zip(sampler.samples, points):
            out.write(f"{t:.1f},{m * 1e6:.0f},{kib}\n")
    svg(points, ROOT / "bench/soak.svg", sent)

    print(f"{sent:,} requests in {elapsed / 60:.1f} min ({sent / elapsed:,.0f} req/s), {CONNECTIONS} connections, "
          f"{len(rounds)} rounds of {ROUND_S} s; socket errors: {socket_errors}; exit code after SIGTERM: {exit_code}\n")
    print("| requests sent | RSS MiB |\n|---:|---:|")
    step = max(1, len(points) // 20)
    shown = points[::step] + ([points[-1]] if (len(points) - 1) % step else [])
    for m, mib in shown:
        print(f"| {m * 1e6:,.0f} | {mib:.1f} |")
    half = [mib for m, mib in points if m >= sent / 2e6]
    first = [mib for m, mib in points if 0 < m < sent / 2e6]
    print(f"\nmax RSS in the first half: {max(first):.1f} MiB; in the second half: {max(half):.1f} MiB; "
          f"final: {points[-1][1]:.1f} MiB")
    if not alive or exit_code != 0:
        sys.exit("the emulator died or did not exit cleanly")
    if max(half) > max(first) * 1.10 + 2:
        sys.exit("RSS grew by more than 10 % over the second half: no plateau")


def replot():
    """`bench/soak.py --plot`: draws bench/soak.svg again from bench/soak-samples.csv."""
    rows = [line.split(",") for line in (ROOT / "bench/soak-samples.csv").read_text().splitlines()[1:]]
    points = [(int(requests) / 1e6, int(kib) / 1024) for _, requests, kib in rows]
    svg(points, ROOT / "bench/soak.svg", points[-1][0] * 1e6)


if __name__ == "__main__":
    {"--check": check, "--plot": replot}.get(sys.argv[1] if sys.argv[1:] else "", main)()
