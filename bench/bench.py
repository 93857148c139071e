#!/usr/bin/env python3
"""The measurements behind `bench/run` (run that, not this: it builds the binary and installs wrk).

Prints one Markdown table: start-up, memory, and for every vendor's hot path requests/s and
p50/p99 latency at 16 and 64 connections, each as a ratio to the control route
`/_emulator/health` measured in the same run; then the cost of the lists and of
authentication as the store grows. Environment knobs (defaults in brackets):
DURATION_S [10] seconds per wrk run, WARMUP_S [2], STARTS [20], PLATEAU_REQUESTS [1000000],
GROWTH_DURATION_S [5], PROPAL_LIMIT [0], BIN [target/release/vendor-emulator].
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("BIN", str(ROOT / "target/release/vendor-emulator"))
DURATION_S = int(os.environ.get("DURATION_S", "10"))
WARMUP_S = int(os.environ.get("WARMUP_S", "2"))
STARTS = int(os.environ.get("STARTS", "20"))
PLATEAU_REQUESTS = int(os.environ.get("PLATEAU_REQUESTS", "1000000"))
GROWTH_DURATION_S = int(os.environ.get("GROWTH_DURATION_S", "5"))
# 0: no limit and no window (the load-test switch); a build without it needs a large number.
PROPAL_LIMIT = os.environ.get("PROPAL_LIMIT", "0")
# Enough Draft proposals in the load instance that the area writes spread thin (each
# answer carries the whole proposal, so one proposal taking every write would grow).
WRITE_PROPOSALS = 20_000
TMP = Path(tempfile.mkdtemp(prefix="vendor-emulator-bench."))


def log(text):
    print(text, file=sys.stderr, flush=True)


# --- one emulator process ------------------------------------------------------------------
class Server:
    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [BIN, "--bind", "127.0.0.1:0", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"the emulator did not start: {' '.join(args)}")
        self.addr = json.loads(line)["addr"]
        self.host, self.port = self.addr.rsplit(":", 1)
        self.base = f"http://{self.addr}"
        while self.request("GET", "/_emulator/health")[0] != 200:
            time.sleep(0.01)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
        try:
            data = json.dumps(body) if isinstance(body, (dict, list)) else body
            hdrs = dict(headers or {})
            if isinstance(body, (dict, list)):
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=hdrs)
            response = conn.getresponse()
            raw = response.read()
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, raw
        except OSError:
            return 0, None
        finally:
            conn.close()

    def rss_mib(self, field="VmRSS"):
        """VmRSS, or a part of it: RssAnon (the process's own memory) or RssFile (the
        pages of the binary the kernel mapped, shared with the page cache)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- wrk -------------------------------------------------------------------------------------
LUA = r"""
local requests = { %(requests)s }
local writes = %(writes)s
local n = 0
local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end
function request()
  n = n + 1
  local r = requests[(n %% #requests) + 1]
  if writes then
    return wrk.format(r[1], r[2], r[3], string.format(r[4], tid, n))
  end
  return r
end
function done(summary, latency, requests)
  io.write(string.format('{"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"non2xx":%%d,"socket_errors":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(requests):
    """`requests`: (method, path, headers, body-or-None); a body with `%d` placeholders
    (thread number, request number) makes each request unique."""
    writes = any(body is not None for _, _, _, body in requests)
    items = []
    for method, path, headers, body in requests:
        hdrs = "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"
        if writes:
            items.append("{" + f"{lua_string(method)}, {lua_string(path)}, {hdrs}, {lua_string(body or '')}" + "}")
        else:
            items.append(f"wrk.format({lua_string(method)}, {lua_string(path)}, {hdrs})")
    script = TMP / f"wrk-{time.monotonic_ns()}.lua"
    script.write_text(LUA % {"requests": ",\n".join(items), "writes": "true" if writes else "false"})
    return script


def wrk(server, requests, connections, duration):
    # Formatted before wrk knows its target, so each request names its Host itself.
    script = lua_script([(m, p, {"Host": server.addr, **h}, b) for m, p, h, b in requests])
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script), server.base],
        capture_output=True, text=True, timeout=duration + 60, check=True,
    ).stdout
    result = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# --- monitor pages ---------------------------------------------------------------------------
class LivePages:
    """`count` monitor pages watching `/_emulator/journal/live`: the first reads every
    event as a browser does; the others never read (slow pages, which must cost the API
    nothing but the entries they miss)."""

    def __init__(self, server, count):
        import socket
        import threading
        self.sockets, self.received, self.stopping = [], 0, False
        for _ in range(count):
            sock = socket.create_connection((server.host, int(server.port)))
            sock.sendall(f"GET /_emulator/journal/live HTTP/1.1\r\nHost: {server.addr}\r\n"
                         "Accept: text/event-stream\r\n\r\n".encode())
            self.sockets.append(sock)
        self.reader = threading.Thread(target=self._read, args=(self.sockets[0],), daemon=True)
        self.reader.start()

    def _read(self, sock):
        while not self.stopping:
            chunk = sock.recv(65536)
            if not chunk:
                return
            self.received += chunk.count(b"event: entry")

    def close(self):
        self.stopping = True
        for sock in self.sockets:
            sock.close()


# --- credentials and signing ---------------------------------------------------------------
def portalio_sign(server, creds, method, path, content_type=None):
    """Headers of a Portal.io request signed now (reference §3.2: method, URL without the
    query, content type on non-GET, date, user key; HMAC-SHA256 keyed by the secret's UTF-8)."""
    date = formatdate(usegmt=True)
    url = server.base + path.split("?", 1)[0]
    message = method + url + (content_type or "" if method != "GET" else "") + date + creds["user_key"]
    signature = base64.b64encode(hmac.new(creds["secret"].encode(), message.encode(), hashlib.sha256).digest())
    headers = {
        "Accept": "application/json",
        "X-MSS-API-APPID": creds["app_id"],
        "X-MSS-API-USERKEY": creds["user_key"],
        "X-MSS-CUSTOM-DATE": date,
        "X-MSS-SIGNATURE": signature.decode(),
    }
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def credentials(server):
    status, creds = server.request("GET", "/_emulator/credentials")
    assert status == 200, status
    app = creds["portalio"]["apps"][0]
    account = creds["portalio"]["accounts"][0]
    user = next(u for u in account["users"] if u["email_verified"] and u["subscription_active"])
    propal = next(k for k in creds["propal"]["keys"] if k["name"] == "Internal tools (full access)")
    return {
        "portalio": {"app_id": app["app_id"], "secret": app["secret_key"], "user_key": user["user_key"],
                     "account_id": account["account_id"]},
        "propal": propal["key"],
        "holm": creds["holm"],
    }


def holm_sessions(server, holm, count):
    """Opens up to `count` sessions with the first fixture keys that work."""
    tokens = []
    for org in holm["organizations"]:
        for key in org["keys"]:
            if len(tokens) >= count or not key["api_key"] or key["revoked"] or key.get("allowed_origins"):
                continue
            body = {"organizer_key": org["organization_key"], "api_key": key["api_key"]}
            while len(tokens) < count:
                status, answer = server.request("POST", "/holm/v1/auth/session", body)
                if status != 201:
                    break
                tokens.append(answer["session_token"])
        if tokens:
            return tokens
    sys.exit("bench: no Holm session could be opened with the fixture keys")


class HotPaths:
    """The request lists of every hot path, against one instance."""

    def __init__(self, server):
        self.server = server
        self.creds = credentials(server)
        self.propal_auth = {"Authorization": f"Bearer {self.creds['propal']}"}
        status, leads = server.request("GET", "/propal/v1/leads?limit=1", headers=self.propal_auth)
        assert status == 200, (status, leads)
        self.lead_id = leads["data"][0]["id"]
        # A fixture proposal with areas, options and items (the bench's own are empty).
        fixture = json.loads((ROOT / "fixtures/portalio/proposals.json").read_text())["proposals"]
        account = self.creds["portalio"]["account_id"]
        self.proposal_id = next(p["id"] for p in fixture if p["accountId"] == account and p["areas"])
        self.draft_ids = []

    def health(self):
        return [("GET", "/_emulator/health", {}, None)]

    def portalio_get(self):
        path = f"/portalio/public/proposals/{self.proposal_id}"
        return [("GET", path, portalio_sign(self.server, self.creds["portalio"], "GET", path), None)]

    def portalio_area(self):
        form = "application/x-www-form-urlencoded"
        run = time.monotonic_ns()  # area names are unique per proposal: each wrk run names its own
        requests = []
        for pid in self.draft_ids:
            path = f"/portalio/public/proposals/{pid}/area"
            headers = portalio_sign(self.server, self.creds["portalio"], "POST", path, form)
            requests.append(("POST", path, headers, f"Name=Area+{run}-%d-%d"))
        return requests

    def propal_lead(self):
        return [("GET", f"/propal/v1/leads/{self.lead_id}", self.propal_auth, None)]

    def propal_list(self):
        return [("GET", "/propal/v1/proposals?limit=25", self.propal_auth, None)]

    def propal_create_lead(self):
        headers = {**self.propal_auth, "Content-Type": "application/json"}
        return [("POST", "/propal/v1/leads", headers, '{"name":"Bench lead %d-%d","email":"bench@example.com"}')]

    def holm_me(self, tokens):
        return [("GET", "/holm/v1/me", {"Authorization": f"Session {t}"}, None) for t in tokens]

    def portalio_list(self):
        path = "/portalio/public/proposals?PageSize=10"
        return [("GET", path, portalio_sign(self.server, self.creds["portalio"], "GET", path), None)]


def bench_fixtures(records, keys):
    out = TMP / f"fixtures-{records}-{keys}"
    subprocess.run([sys.executable, str(ROOT / "bench/fixtures.py"), str(out), str(records), str(keys)], check=True)
    return out


# --- the measurements ----------------------------------------------------------------------
def startup():
    samples = []
    for _ in range(STARTS):
        started = time.perf_counter()
        server = Server()
        samples.append((time.perf_counter() - started) * 1000)
        server.stop()
    return statistics.median(samples), max(samples)


def fmt_ms(us):
    return f"{us / 1000:.2f}"


def main():
    rows = []
    log(f"start-up x{STARTS} ...")
    start_median, start_max = startup()

    idle = Server()
    time.sleep(1)
    idle_rss, idle_anon, idle_file = (idle.rss_mib(f) for f in ("VmRSS", "RssAnon", "RssFile"))
    idle.stop()

    log("load instance ...")
    # Propal's limit off (the load-test switch); Holm's raised, so its bookkeeping runs.
    load_fixtures = bench_fixtures(WRITE_PROPOSALS, 0)
    server = Server("--fixtures", str(load_fixtures), "--propal-rate-limit", PROPAL_LIMIT,
                    "--holm-requests-per-second", "1000000")
    limited = Server()  # defaults: Holm's 1 request per second per session
    try:
        paths = HotPaths(server)
        paths.draft_ids = [10_000_000 + i for i in range(WRITE_PROPOSALS)]
        tokens = holm_sessions(server, paths.creds["holm"], 5)
        limited_paths = HotPaths(limited)
        limited_token = holm_sessions(limited, limited_paths.creds["holm"], 1)
        load_idle_rss = server.rss_mib()

        hot = [
            ("control: `GET /_emulator/health`", server, paths.health),
            ("Portal.io signed `GET /public/proposals/{id}`", server, paths.portalio_get),
            ("Portal.io `POST /public/proposals/{id}/area`", server, paths.portalio_area),
            ("Propal `GET /v1/leads/{id}`", server, paths.propal_lead),
            ("Propal `GET /v1/proposals?limit=25` (of 20,000)", server, paths.propal_list),
            ("Propal `POST /v1/leads`", server, paths.propal_create_lead),
            ("Holm `GET /v1/me` (5 sessions, limit raised)", server, lambda: paths.holm_me(tokens)),
            ("Holm `GET /v1/me` 429 (1 session, 1/s)", limited, lambda: limited_paths.holm_me(limited_token)),
        ]
        results = {}
        for connections in (16, 64):
            for name, target, requests in hot:
                log(f"{name} @ {connections} ...")
                wrk(target, requests(), connections, WARMUP_S)
                results[(name, connections)] = wrk(target, requests(), connections, DURATION_S)
        after_load_rss = server.rss_mib()

        log("with 3 monitor pages open ...")
        pages = LivePages(server, 3)
        try:
            time.sleep(0.2)
            watched = {}
            for name, requests in (("control", paths.health), ("propal_lead", paths.propal_lead)):
                wrk(server, requests(), 16, WARMUP_S)
                watched[name] = wrk(server, requests(), 16, DURATION_S)
            live_rss = server.rss_mib()
            streamed = pages.received
        finally:
            pages.close()

        log(f"{PLATEAU_REQUESTS} requests over every read path ...")
        plateau = []
        done = 0
        while done < PLATEAU_REQUESTS:
            mixed = (paths.health() + paths.portalio_get() + paths.propal_lead() + paths.propal_list()
                     + paths.holm_me(tokens))
            r = wrk(server, mixed, 64, 10)
            r2 = wrk(limited, limited_paths.holm_me(limited_token), 16, 2)
            done += r["requests"] + r2["requests"]
            plateau.append((done, server.rss_mib()))
        final_rss = server.rss_mib()
    finally:
        server.stop()
        limited.stop()

    log("cost growth ...")
    growth = []
    for records, keys in ((10, 10), (1_000, 10), (100_000, 100_000)):
        fixtures = bench_fixtures(records, keys)
        started = time.perf_counter()
        grown = Server("--fixtures", str(fixtures), "--propal-rate-limit", PROPAL_LIMIT)
        load_s = time.perf_counter() - started
        try:
            g = HotPaths(grown)
            entry = {"records": records, "keys": keys, "load_s": load_s, "rss": grown.rss_mib()}
            for label, requests in (("propal_list", g.propal_list), ("portalio_list", g.portalio_list),
                                    ("propal_get", g.propal_lead), ("portalio_get", g.portalio_get),
                                    ("health", g.health)):
                wrk(grown, requests(), 16, 1)
                entry[label] = wrk(grown, requests(), 16, GROWTH_DURATION_S)
            growth.append(entry)
        finally:
            grown.stop()

    # --- the table -------------------------------------------------------------------------
    cores = os.cpu_count()
    print(f"Release build, loopback, {cores} cores shared by wrk (2 threads) and the emulator; "
          f"{DURATION_S} s per run after a {WARMUP_S} s warm-up.\n")
    print("| what | value |\n|---|---|")
    print(f"| start-up: process start to first 200 from `/_emulator/health` ({STARTS} starts) | "
          f"median {start_median:.1f} ms, max {start_max:.1f} ms |")
    print(f"| idle RSS after start (embedded fixtures) | {idle_rss:.1f} MiB: {idle_anon:.1f} MiB the process's own "
          f"(RssAnon), {idle_file:.1f} MiB the binary's pages mapped from the page cache (RssFile) |")
    print(f"| idle RSS of the load instance (+{WRITE_PROPOSALS:,} proposals in each of Propal and Portal.io, 5 sessions) | {load_idle_rss:.1f} MiB |")
    print(f"| RSS after the hot-path runs below | {after_load_rss:.1f} MiB |")
    steps = ", ".join(f"{n / 1e6:.2f} M: {rss:.1f}" for n, rss in plateau)
    print(f"| RSS after {plateau[-1][0] / 1e6:.2f} M more requests over every read path (journal at 1000) | "
          f"{final_rss:.1f} MiB (after each step, MiB: {steps}) |")
    print()
    print("| hot path | conns | req/s | × control | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for connections in (16, 64):
        control = results[(hot[0][0], connections)]["rps"]
        for name, _, _ in hot:
            r = results[(name, connections)]
            print(f"| {name} | {connections} | {r['rps']:,.0f} | {r['rps'] / control:.2f} | "
                  f"{fmt_ms(r['p50_us'])} | {fmt_ms(r['p99_us'])} | {r['non2xx'] + r['socket_errors']:,} |")
    print()
    control = results[(hot[0][0], 16)]["rps"]
    print("With 3 monitor pages watching the live journal (one reading every event, two never reading), "
          f"16 connections; × the control route measured above without pages:\n")
    print("| path | req/s | × control without pages | p99 ms | events the reading page received |")
    print("|---|---:|---:|---:|---:|")
    for label, key in (("control: `GET /_emulator/health`", "control"), ("Propal `GET /v1/leads/{id}`", "propal_lead")):
        r = watched[key]
        print(f"| {label} | {r['rps']:,.0f} | {r['rps'] / control:.2f} | {fmt_ms(r['p99_us'])} | "
              f"{streamed:,} (of the {sum(w['requests'] for w in watched.values()):,} requests; the rest were missed) |"
              if key == "propal_lead" else
              f"| {label} | {r['rps']:,.0f} | {r['rps'] / control:.2f} | {fmt_ms(r['p99_us'])} | |")
    print(f"\nRSS with the pages open: {live_rss:.1f} MiB.\n")
    print(f"Cost growth (16 connections, {GROWTH_DURATION_S} s each; records in one organization/account, "
          "Propal keys stored; req/s and × the control route of the same instance):\n")
    print("| records | keys | start-up load | RSS MiB | Propal list 25 | Portal.io list 10 | Propal get by id | Portal.io get by id | control |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for e in growth:
        control = e["health"]["rps"]
        cell = lambda r: f"{r['rps']:,.0f} ({r['rps'] / control:.2f}×, p99 {fmt_ms(r['p99_us'])} ms)"
        print(f"| {e['records']:,} | {e['keys']:,} | {e['load_s']:.2f} s | {e['rss']:.1f} | {cell(e['propal_list'])} | "
              f"{cell(e['portalio_list'])} | {cell(e['propal_get'])} | {cell(e['portalio_get'])} | "
              f"{control:,.0f} |")


def profile(name, out):
    """`bench/bench.py profile NAME OUT`: perf samples of the server while wrk (16
    connections, 8 s) drives one hot path; the top of the flat profile goes to OUT."""
    fixtures = bench_fixtures(int(os.environ.get("RECORDS", "10")), 10)
    server = Server("--fixtures", str(fixtures), "--propal-rate-limit", PROPAL_LIMIT,
                    "--holm-requests-per-second", "1000000")
    try:
        paths = HotPaths(server)
        paths.draft_ids = [10_000_000 + i for i in range(int(os.environ.get("RECORDS", "10")))]
        requests = {
            "health": paths.health, "portalio_get": paths.portalio_get, "portalio_area": paths.portalio_area,
            "propal_lead": paths.propal_lead, "propal_list": paths.propal_list,
            "propal_create_lead": paths.propal_create_lead, "portalio_list": paths.portalio_list,
            "holm_me": lambda: paths.holm_me(holm_sessions(server, paths.creds["holm"], 5)),
        }[name]()
        wrk(server, requests, 16, 1)
        data = TMP / "perf.data"
        perf = subprocess.Popen(["perf", "record", "-F", "1999", "-o", str(data), "-p", str(server.proc.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = wrk(server, requests, 16, 8)
        perf.send_signal(2)
        perf.wait()
        report = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio", "--sort", "dso,symbol",
                                 "--percent-limit", "0.4"], capture_output=True, text=True).stdout
        lines = [line.rstrip()[:150] for line in report.splitlines() if "%" in line and not line.startswith("#")]
        by_dso = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio", "--sort", "dso"],
                                capture_output=True, text=True).stdout
        lines = ([line.rstrip() for line in by_dso.splitlines() if "%" in line and not line.startswith("#")][:6]
                 + [""] + lines)
        header = (f"# perf record -F 1999 of the emulator while wrk -t2 -c16 drives `{name}` for 8 s\n"
                  f"# {result['rps']:,.0f} req/s, p50 {fmt_ms(result['p50_us'])} ms, p99 {fmt_ms(result['p99_us'])} ms, "
                  f"non-2xx {result['non2xx']}; binary {BIN}\n")
        Path(out).write_text(header + "\n".join(lines[:60]) + "\n")
        print(header + "\n".join(lines[:45]))
    finally:
        server.stop()


if __name__ == "__main__":
    try:
        if sys.argv[1:2] == ["profile"]:
            profile(sys.argv[2], sys.argv[3])
        else:
            main()
    finally:
        subprocess.run(["rm", "-rf", str(TMP)], check=False)
