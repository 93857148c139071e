#!/usr/bin/env python3
"""Runs Schemathesis against the release binary: see `.ci/fuzz` (which installs it) and
`.ci/fuzz_hooks.py` (the credentials). Run `.ci/fuzz BINARY`, not this.

    fuzz.py BINARY SCHEMATHESIS

Two passes, each on a fresh emulator started on an ephemeral port with a fixed `--seed`:
1. the three vendor APIs (`/portalio`, `/propal`, `/holm`), with the fixture credentials;
2. the control plane (`/_emulator/…`), with `--admin-token` set and sent.
They are apart because the control plane can reset the vendors, move the clock (expiring
the Holm session and the Portal.io date window) and revoke or rotate the very keys the
first pass signs with. Checks: no 5xx, no connection closed without a response, and every
response's status, content type, headers and body as documented. Any failure, a panic line in the
emulator's log or an emulator that no longer answers its health route fails the run.
Environment: FUZZ_MAX_EXAMPLES [25], FUZZ_WORKERS [1], FUZZ_SEED [20261202], FUZZ_CHECKS [the five
above], FUZZ_PASSES [both: `vendor APIs,control plane`].
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BINARY, SCHEMATHESIS = sys.argv[1], sys.argv[2]
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "25")
# One worker: with two, CPython 3.11 intermittently fails inside Hypothesis with "SystemError:
# AST constructor recursion depth mismatch" (ast.parse from two threads); the generation is
# bound by the GIL anyway, so a second worker gained little.
WORKERS = os.environ.get("FUZZ_WORKERS", "1")
SEED = os.environ.get("FUZZ_SEED", "20261202")
ADMIN_TOKEN = "fuzz-admin-token"
CHECKS = os.environ.get(
    "FUZZ_CHECKS",
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
    "response_headers_conformance",
)

PASSES = [
    {
        "name": "vendor APIs",
        # Rate limits off so the generated requests reach the handlers instead of the 429
        # (the limits themselves have exact tests in tests/api).
        "flags": ["--propal-rate-limit", "0", "--holm-requests-per-second", "0"],
        "include": r"^/(portalio|propal|holm)/",
        "exclude": [],
    },
    {
        "name": "control plane",
        "flags": ["--admin-token", ADMIN_TOKEN],
        "admin_token": ADMIN_TOKEN,
        "include": r"^/_emulator/",
        # The live journal is an endless event stream: there is no "whole response" to check.
        "exclude": [r"^/_emulator/journal/live$"],
    },
]


def start(flags, log):
    process = subprocess.Popen(
        [BINARY, "--bind", "127.0.0.1:0", "--seed", SEED, "--log-level", "warn", *flags],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
    )
    line = process.stdout.readline()
    if not line:
        sys.exit(f"the emulator did not start: {flags}")
    return process, "http://" + json.loads(line)["addr"]


def healthy(base):
    try:
        with urllib.request.urlopen(base + "/_emulator/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def run(fuzz_pass):
    print(f"--- Schemathesis: {fuzz_pass['name']}", flush=True)
    with tempfile.TemporaryFile(mode="w+") as log:
        process, base = start(fuzz_pass["flags"], log)
        try:
            env = dict(os.environ, FUZZ_BASE=base, SCHEMATHESIS_HOOKS="fuzz_hooks", PYTHONPATH=str(HERE),
                       FUZZ_ADMIN_TOKEN=fuzz_pass.get("admin_token", ""))
            command = [
                SCHEMATHESIS, "run", f"{base}/_emulator/openapi.json",
                "--url", base,
                "--checks", CHECKS,
                "--max-examples", MAX_EXAMPLES,
                "--workers", WORKERS,
                "--seed", SEED,
                "--request-timeout", "10",
                "--include-path-regex", fuzz_pass["include"],
                "--suppress-health-check", "all",
                "--no-color",
                *(["--header", f"Authorization: Bearer {fuzz_pass['admin_token']}"] if "admin_token" in fuzz_pass else []),
            ]
            for pattern in fuzz_pass["exclude"]:
                command += ["--exclude-path-regex", pattern]
            started = time.monotonic()
            result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, check=False)
            print(f"{fuzz_pass['name']}: {time.monotonic() - started:.0f} s", flush=True)
            alive = healthy(base)
        finally:
            process.terminate()
            exit_code = process.wait(timeout=10)
        log.seek(0)
        logs = log.read()
    problems = []
    if result.returncode != 0:
        problems.append(f"Schemathesis exited {result.returncode}")
    if not alive:
        problems.append("the emulator stopped answering /_emulator/health")
    if "panicked" in logs:
        problems.append("the emulator panicked:\n" + "\n".join(l for l in logs.splitlines() if "panic" in l)[:4000])
    if exit_code != 0:
        problems.append(f"the emulator exited {exit_code} on SIGTERM")
    return problems


def main():
    problems = []
    wanted = os.environ.get("FUZZ_PASSES", ",".join(p["name"] for p in PASSES)).split(",")
    for fuzz_pass in (p for p in PASSES if p["name"] in wanted):
        problems += [f"{fuzz_pass['name']}: {p}" for p in run(fuzz_pass)]
    if problems:
        print("FUZZ FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    print("fuzz: no failure in either pass")


if __name__ == "__main__":
    main()
