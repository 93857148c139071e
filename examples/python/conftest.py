"""A pytest fixture that starts vendor-emulator on a free port for the whole session.

The binary is $VENDOR_EMULATOR_BIN, else `vendor-emulator` on PATH, else this
repository's target/debug build. It prints one JSON line once every socket is bound,
with the real port: the fixture reads it and hands the tests the base URL.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def emulator_binary() -> str:
    if os.environ.get("VENDOR_EMULATOR_BIN"):
        return os.environ["VENDOR_EMULATOR_BIN"]
    on_path = shutil.which("vendor-emulator")
    if on_path:
        return on_path
    return str(Path(__file__).resolve().parents[2] / "target" / "debug" / "vendor-emulator")


@pytest.fixture(scope="session")
def emulator_url():
    # Port 0: the OS picks a free port; no dedicated listeners (their flags stay unset).
    process = subprocess.Popen(
        [emulator_binary(), "--bind", "127.0.0.1:0", "--log-level", "warn"],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"vendor-emulator exited with {process.wait()} before listening")
        listening = json.loads(line)
        assert listening["event"] == "listening", line
        yield f"http://{listening['addr']}"
    finally:
        process.terminate()  # SIGTERM: a graceful stop
        process.wait(timeout=10)
