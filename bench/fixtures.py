#!/usr/bin/env python3
"""Writes a fixture set for the cost-growth runs of bench/run.

    bench/fixtures.py OUT_DIR RECORDS KEYS

Copies the embedded fixtures (fixtures/<vendor>/*.json) to OUT_DIR and adds, in the
first organization or account of each vendor:
  - RECORDS Propal proposals (no lead, theme or products, so the fixture checks stay linear),
  - RECORDS Portal.io proposals (Draft, no areas),
  - KEYS Propal API keys (hashes of random keys nobody holds; the fixture keys keep working).
Load it with `vendor-emulator --fixtures OUT_DIR`. Every id is derived from its index,
so two runs write the same files.
"""
import copy
import hashlib
import json
import pathlib
import shutil
import sys
import uuid

root = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
out = pathlib.Path(sys.argv[1])
records, keys = int(sys.argv[2]), int(sys.argv[3])

for vendor in ("portalio", "propal", "holm"):
    (out / vendor).mkdir(parents=True, exist_ok=True)
    for path in (root / vendor).glob("*.json"):
        shutil.copy(path, out / vendor / path.name)


def load(vendor, name):
    return json.loads((out / vendor / name).read_text())


def save(vendor, name, data):
    (out / vendor / name).write_text(json.dumps(data))


def bench_uuid(kind, i):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{kind}/{i}"))


# --- Propal: proposals and keys in the first organization -------------------------------
org = load("propal", "organizations.json")["organizations"][0]["id"]
proposals = load("propal", "proposals.json")
template = copy.deepcopy(next(p for p in proposals["proposals"] if p["organization_id"] == org))
template.update({"lead_id": None, "theme_id": None, "products": [], "value": 0.0, "proposal_product_id": None})
for i in range(records):
    p = dict(template)
    p["id"] = bench_uuid("proposal", i)
    p["slug"] = f"bench-{i}"
    p["title"] = f"Bench proposal {i}"
    seconds = i % 86400
    p["created_at"] = f"2025-{1 + i // (86400 * 28) % 12:02d}-{1 + i // 86400 % 28:02d}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z"
    p["updated_at"] = p["created_at"]
    proposals["proposals"].append(p)
save("propal", "proposals.json", proposals)

api_keys = load("propal", "api_keys.json")
base = api_keys["keys"][0]
for i in range(keys):
    raw = f"pp_live_bench{i:08d}"
    api_keys["keys"].append({
        **base,
        "id": bench_uuid("key", i),
        "organization_id": org,
        "name": f"bench key {i}",
        "prefix": raw[:12],
        "key_hash": hashlib.sha256(raw.encode()).hexdigest(),
    })
save("propal", "api_keys.json", api_keys)

# --- Portal.io: Draft proposals in the first account -------------------------------------
accounts = load("portalio", "accounts.json")["accounts"]
account = accounts[0]
seller = next(u["id"] for u in account["users"] if u["email_verified"] and u["subscription_active"])
pio = load("portalio", "proposals.json")
first = copy.deepcopy(next(p for p in pio["proposals"] if p["accountId"] == account["account_id"]))
first.update({"status": "Draft", "salesPersonId": seller, "areas": [], "contactId": None, "locationId": None})
for key in ("parentId", "changeOrderNumber"):
    first.pop(key, None)
next_id = 10_000_000
for i in range(records):
    p = dict(first)
    p["id"] = next_id + i
    p["number"] = 900_000 + i
    p["name"] = f"Bench proposal {i}"
    pio["proposals"].append(p)
save("portalio", "proposals.json", pio)
