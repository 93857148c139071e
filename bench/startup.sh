#!/usr/bin/env bash
# Startup and throughput numbers for the README's "Performance" table.
#
#   bench/startup.sh            # build --release, measure, print a Markdown table
#
# Measures, on loopback only:
#   (a) process start -> first 200 from /_emulator/health, median of 20 runs;
#   (b) idle resident memory (VmRSS of /proc/<pid>/status) right after start-up;
#   (c) requests/s for GET /propal/v1/organization with a fixture key, for at most
#       10 s, with wrk when it is (or can be) installed, else a python3 loop.
# Needs python3 and curl. Every process it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS="${RUNS:-20}"
DURATION_S="${DURATION_S:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
BIN="target/release/vendor-emulator"

for tool in python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench/startup.sh needs $tool" >&2; exit 1; }
done

echo "building --release ..." >&2
cargo build --release --quiet --bin vendor-emulator

# --- (a) start -> first healthy answer -------------------------------------------
startup_ms="$(python3 - "$BIN" "$RUNS" <<'PY'
import http.client, json, signal, statistics, subprocess, sys, time

binary, runs = sys.argv[1], int(sys.argv[2])
samples = []
for _ in range(runs):
    started = time.perf_counter()
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1:0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = json.loads(proc.stdout.readline())
        host, port = line["addr"].rsplit(":", 1)
        deadline = started + 10
        while True:
            try:
                conn = http.client.HTTPConnection(host, int(port), timeout=2)
                conn.request("GET", "/_emulator/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                conn.close()
            if time.perf_counter() > deadline:
                sys.exit("no healthy answer within 10 s")
            time.sleep(0.0005)
        samples.append((time.perf_counter() - started) * 1000)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
print(f"{statistics.median(samples):.1f} {min(samples):.1f} {max(samples):.1f}")
PY
)"
read -r startup_median startup_min startup_max <<<"$startup_ms"

# --- one long-running instance for memory and throughput -------------------------
out="$(mktemp)"
# The rate limit is lifted so the throughput run measures the server, not Propal's 1000/h budget.
"$BIN" --bind 127.0.0.1:0 --propal-rate-limit 4000000000 >"$out" 2>/dev/null </dev/null &
pid=$!
cleanup() {
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$out"
}
trap cleanup EXIT

for _ in $(seq 1 200); do
    [ -s "$out" ] && break
    sleep 0.025
done
addr="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["addr"])' "$out")"
base="http://$addr"
for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$base/_emulator/health" && break
    sleep 0.025
done

# --- (b) idle RSS ----------------------------------------------------------------
sleep 1
rss_kib="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
idle_rss_mib="$(awk -v k="$rss_kib" 'BEGIN {printf "%.1f", k / 1024}')"

# --- (c) throughput --------------------------------------------------------------
key="$(curl -fsS "$base/_emulator/credentials" | python3 -c '
import json, sys
keys = json.load(sys.stdin)["propal"]["keys"]
print(next(k["key"] for k in keys if k["name"] == "Internal tools (full access)"))')"
url="$base/propal/v1/organization"
curl -fsS -o /dev/null -H "Authorization: Bearer $key" "$url"

if ! command -v wrk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    echo "installing wrk ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null >/dev/null 2>&1 \
        || { apt-get update -qq </dev/null >/dev/null 2>&1 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null >/dev/null 2>&1; } \
        || true
fi

if command -v wrk >/dev/null 2>&1; then
    tool="wrk -t2 -c$CONNECTIONS -d${DURATION_S}s"
    report="$(timeout $((DURATION_S + 20)) wrk -t2 -c"$CONNECTIONS" -d"${DURATION_S}s" \
        -H "Authorization: Bearer $key" "$url")"
    rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$report")"
    errors="$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$report")"
    latency="$(awk '$1 == "Latency" {print $2}' <<<"$report")"
    errors="${errors:-0}"
else
    tool="python3, 8 keep-alive threads, ${DURATION_S}s"
    read -r rps errors latency < <(python3 - "$addr" "$key" "$DURATION_S" <<'PY'
import http.client, sys, threading, time

addr, key, duration = sys.argv[1], sys.argv[2], float(sys.argv[3])
host, port = addr.rsplit(":", 1)
counts, errors, lock = [0], [0], threading.Lock()
stop = time.perf_counter() + duration

def worker():
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    done = bad = 0
    while time.perf_counter() < stop:
        conn.request("GET", "/propal/v1/organization", headers={"Authorization": "Bearer " + key})
        response = conn.getresponse()
        response.read()
        done += 1
        bad += response.status != 200
    conn.close()
    with lock:
        counts[0] += done
        errors[0] += bad

started = time.perf_counter()
threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - started
print(f"{counts[0] / elapsed:.0f} {errors[0]} n/a")
PY
)
fi

hwm_kib="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")"
peak_rss_mib="$(awk -v k="$hwm_kib" 'BEGIN {printf "%.1f", k / 1024}')"
cores="$(nproc 2>/dev/null || echo '?')"

cat <<EOF

| what | value |
|---|---|
| start to first healthy answer (median of $RUNS) | ${startup_median} ms (min ${startup_min}, max ${startup_max}) |
| idle resident memory (VmRSS) | ${idle_rss_mib} MiB |
| \`GET /propal/v1/organization\` throughput | ${rps} req/s (${tool}, mean latency ${latency}, ${errors} non-2xx) |
| peak resident memory after the throughput run (VmHWM) | ${peak_rss_mib} MiB |

Release build, loopback, ${cores} cores shared by the load generator and the emulator.
EOF
