"""Schemathesis hooks for `.ci/fuzz`: each vendor's credentials on each generated request.

Loaded through `SCHEMATHESIS_HOOKS=fuzz_hooks` with `.ci` on `PYTHONPATH`. The running
emulator's address is in `FUZZ_BASE` (e.g. `http://127.0.0.1:41234`); the credentials come
from its `/_emulator/credentials` at import time, before any request is generated:

- Propal (`/propal/…`): `Authorization: Bearer <the full-access fixture key>`.
- the control plane (`/_emulator/…`): `Authorization: Bearer $FUZZ_ADMIN_TOKEN` when set.
- Holm (`/holm/…`): `Authorization: Session <token>` of a session opened here with a
  fixture organization key and API key; a generated `DELETE /v1/auth/session` gets a session
  of its own, so it never ends the shared one.
- Portal.io (`/portalio/…`): the five `X-MSS-*` headers, signed here (a `requests` auth
  object applied to the final prepared request, so the method, URL, `Content-Type` and date
  signed are exactly the ones sent). The signer is written from the vendor docs
  (/work/shared/reference/portalio.md §3.2): Base64(HMAC-SHA256(UTF-8 bytes of the Secret
  Key, METHOD + scheme://host/path (no query) + Content-Type (non-GET only) + date + user
  key (not on the key exchange))).

Safety: every string in a request body that starts with a URL scheme is replaced by a
`.invalid` URL (RFC 2606: the emulator never contacts such hosts), so no webhook
subscription or restored state can make the emulator send a delivery off this machine.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from email.utils import formatdate

import requests
import schemathesis

BASE = os.environ["FUZZ_BASE"].rstrip("/")
# The control plane's `--admin-token`, when the emulator runs with one.
ADMIN_TOKEN = os.environ.get("FUZZ_ADMIN_TOKEN", "")
SAFE_URL = "https://fuzz-receiver.invalid/hook"
SCHEME = re.compile(r"^[\x00-\x20]*[A-Za-z][A-Za-z0-9+.\-]*:")


def _call(method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=dict(headers or {}))
    if ADMIN_TOKEN and path.startswith("/_emulator/"):
        request.add_header("Authorization", f"Bearer {ADMIN_TOKEN}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


_, CREDENTIALS = _call("GET", "/_emulator/credentials")

# --- Propal --------------------------------------------------------------------------------
PROPAL_KEY = next(
    k["key"] for k in CREDENTIALS["propal"]["keys"] if k["name"] == "Internal tools (full access)"
)

# --- Holm: an organization whose key has no allowed origins, and the broadest API key -------
_HOLM_ORG = next(o for o in CREDENTIALS["holm"]["organizations"] if o["organization_id"] == "org_balticit")
_HOLM_MSSP = {"organizer_key": _HOLM_ORG["organization_key"], "api_key": _HOLM_ORG["keys"][0]["api_key"]}
# The reseller report needs a reseller key: one without allowed origins.
_HOLM_NORDSEC = next(o for o in CREDENTIALS["holm"]["organizations"] if o["organization_id"] == "org_nordsec")
_HOLM_RESELLER = {
    "organizer_key": _HOLM_NORDSEC["organization_key"],
    "api_key": next(k["api_key"] for k in _HOLM_NORDSEC["keys"]
                    if k["partnership_type"] == "reseller" and not k["allowed_origins"] and not k["revoked"]),
}
_holm_lock = threading.Lock()
_holm_tokens = {}


def _open_holm_session(keys=None):
    status, body = _call("POST", "/holm/v1/auth/session", keys or _HOLM_MSSP)
    if status != 201:
        raise RuntimeError(f"cannot open the fuzz's Holm session: {status} {body}")
    return body["session_token"]


def _shared_holm_token(path):
    """The shared session for the path (the reseller report's own, or the MSSP one)."""
    which = "reseller" if path.startswith("/holm/v1/reseller-report") else "mssp"
    with _holm_lock:
        if which not in _holm_tokens:
            _holm_tokens[which] = _open_holm_session(_HOLM_RESELLER if which == "reseller" else _HOLM_MSSP)
        return _holm_tokens[which]


def _shared_holm_token_ended(token):
    """A shared session was ended or expired: the next request opens another."""
    with _holm_lock:
        for which, held in list(_holm_tokens.items()):
            if held == token:
                del _holm_tokens[which]


_shared_holm_token("/holm/v1/me")

# --- Portal.io -----------------------------------------------------------------------------
_APP = CREDENTIALS["portalio"]["apps"][0]
_USER = next(
    u
    for account in CREDENTIALS["portalio"]["accounts"]
    for u in account["users"]
    if u["email_verified"] and u["subscription_active"] and u["catalog_access"]
)
EXCHANGE_PATH = "/authenticate/apikeyexchange"


def portalio_signature(secret, method, url, content_type, date, user_key, exchange):
    """The documented canonical message, signed: reference §3.2."""
    parts = urllib.parse.urlsplit(url)
    base_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    message = method.upper() + base_url
    if method.upper() != "GET":
        message += content_type
    message += date
    if not exchange:
        message += user_key
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class PortalioSigner(requests.auth.AuthBase):
    """Signs the final prepared request (method, URL and Content-Type as sent)."""

    def __call__(self, request):
        exchange = urllib.parse.urlsplit(request.url).path.endswith(EXCHANGE_PATH)
        user_key = "" if exchange else _USER["user_key"]
        date = formatdate(usegmt=True)
        content_type = request.headers.get("Content-Type", "")
        request.headers["Accept"] = "application/json"
        request.headers["X-MSS-API-APPID"] = _APP["app_id"]
        request.headers["X-MSS-API-USERKEY"] = user_key
        request.headers["X-MSS-CUSTOM-DATE"] = date
        request.headers["X-MSS-SIGNATURE"] = portalio_signature(
            _APP["secret_key"], request.method, request.url, content_type, date, user_key, exchange
        )
        return request


# --- known ids: half the generated path parameters are replaced by ids of the fixtures ----
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _records(vendor, name, key):
    return json.loads((FIXTURES / vendor / f"{name}.json").read_text())[key]


def _known_ids():
    pio_proposals = _records("portalio", "proposals", "proposals")
    areas = [a for p in pio_proposals for a in p.get("areas") or []]
    catalog = json.loads((FIXTURES / "portalio" / "catalog.json").read_text())
    people = _records("portalio", "people", "people")
    propal = {name: [r["id"] for r in _records("propal", name, name)]
              for name in ("proposals", "leads", "products", "templates", "themes")}
    return {
        "ProposalId": [p["id"] for p in pio_proposals],
        "AreaId": [a["id"] for a in areas],
        "AreaOptionId": [o["id"] for a in areas for o in a.get("options") or []],
        "ChangeOrderId": [p["id"] for p in pio_proposals if p.get("parentId")],
        "PersonId": [p["id"] for p in people],
        "ContactId": [p["id"] for p in people],
        "LocationId": [l["id"] for p in people for l in p.get("locations") or []],
        "ItemId": [i["id"] for i in catalog["items"]],
        "SubscriptionId": [s["subscriptionId"] for s in _records("portalio", "webhooks", "subscriptions")],
        "/propal/v1/": propal,
        "/holm/v1/customers": [c["id"] for c in _records("holm", "customers", "customers")],
        "proposal_id": [p["id"] for p in pio_proposals],
        "payment_id": [p["id"] for p in _records("portalio", "payments", "payments")],
        "order_id": [o["id"] for o in _records("portalio", "payments", "orders")],
        "user_id": [u["id"] for a in _records("portalio", "accounts", "accounts") for u in a["users"]],
        "account_id": [a["account_id"] for a in _records("portalio", "accounts", "accounts")],
        "/_emulator/propal/": [o["id"] for o in _records("propal", "organizations", "organizations")]
        + [k["id"] for k in _records("propal", "api_keys", "keys")],
        "/_emulator/holm/": [o["organization_id"] for o in _records("holm", "organizations", "organizations")]
        + [k["id"] for o in _records("holm", "organizations", "organizations") for k in o["keys"]],
    }


KNOWN = _known_ids()


def _candidates(path, name):
    if path.startswith("/propal/v1/") and name == "id":
        return KNOWN["/propal/v1/"].get(path.split("/")[3], [])
    if path.startswith("/holm/v1/customers") and name == "id":
        return KNOWN["/holm/v1/customers"]
    for prefix in ("/_emulator/propal/", "/_emulator/holm/"):
        if path.startswith(prefix) and name in ("organization_id", "key_id"):
            return KNOWN[prefix]
    return KNOWN.get(name, [])


def _known_path_parameters(case):
    """Replaces about half the generated path parameters (chosen by the generated value,
    so a seed replays the same run) with ids that exist, so the fuzz reaches past the 404."""
    for name, value in list((case.path_parameters or {}).items()):
        candidates = _candidates(case.operation.path, name)
        digest = hashlib.sha256(repr(value).encode()).digest()
        if candidates and digest[0] % 2 == 0:
            case.path_parameters[name] = candidates[digest[1] % len(candidates)]


# --- the hooks -------------------------------------------------------------------------------
def _defuse_urls(value):
    """Every URL-like string in a body points at a host the emulator never contacts."""
    if isinstance(value, str):
        return SAFE_URL if SCHEME.match(value) else value
    if isinstance(value, list):
        return [_defuse_urls(v) for v in value]
    if isinstance(value, dict):
        return {k: _defuse_urls(v) for k, v in value.items()}
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, (str, list, dict)):
        case.body = _defuse_urls(case.body)
    _known_path_parameters(case)
    path = case.operation.path
    headers = case.headers if case.headers is not None else {}
    if path.startswith("/propal/v1/"):
        headers["Authorization"] = f"Bearer {PROPAL_KEY}"
    elif path.startswith("/holm/") and not (path == "/holm/v1/auth/session" and case.method.upper() == "POST"):
        if path == "/holm/v1/auth/session" and case.method.upper() == "DELETE":
            headers["Authorization"] = f"Session {_open_holm_session()}"
        else:
            headers["Authorization"] = f"Session {_shared_holm_token(path)}"
    elif path.startswith("/portalio/"):
        kwargs["auth"] = PortalioSigner()
    elif path.startswith("/_emulator/") and ADMIN_TOKEN:
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    case.headers = headers


@schemathesis.hook
def after_call(context, case, response):
    path = case.operation.path
    if path.startswith("/holm/") and response.status_code == 401 and case.headers:
        token = str(case.headers.get("Authorization", "")).removeprefix("Session ")
        _shared_holm_token_ended(token)
