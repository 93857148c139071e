"""What an integration does first with each vendor, against vendor-emulator.

Run it against a running emulator:  python client.py http://127.0.0.1:8080
Each vendor gets a fresh tenant from the control plane, and the emulator clock is
frozen, so the run is the same every time and touches no other test's data.
"""

import base64
import hashlib
import hmac
import sys
from email.utils import formatdate
from typing import Callable
from urllib.parse import urlencode

import httpx


# --- Portal.io: every request signed (docs.portal.io, "Request signing") -------------

def portalio_signature(secret_key: str, method: str, url: str, date: str,
                       user_key: str = "", content_type: str = "") -> str:
    """Base64(HMAC-SHA256(secret key's UTF-8 bytes, canonical message)).

    The canonical message is, with no separators: the method, the URL as addressed
    without its query string, the Content-Type (not on GET), the date, the user key
    (empty on the key exchange).
    """
    message = method.upper() + url.split("?", 1)[0]
    if method.upper() != "GET":
        message += content_type
    message += date + user_key
    digest = hmac.new(secret_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def portalio_request(http: httpx.Client, app_id: str, secret_key: str, method: str, url: str,
                     user_key: str = "", form: dict | None = None) -> httpx.Response:
    date = formatdate(usegmt=True)  # IMF-fixdate, e.g. "Wed, 02 Dec 2026 10:30:00 GMT"
    headers = {"Accept": "application/json", "X-MSS-API-APPID": app_id,
               "X-MSS-API-USERKEY": user_key, "X-MSS-CUSTOM-DATE": date}
    body, content_type = None, ""
    if form is not None:
        content_type = "application/x-www-form-urlencoded"
        headers["Content-Type"] = content_type
        body = urlencode(form)
    headers["X-MSS-SIGNATURE"] = portalio_signature(secret_key, method, url, date, user_key, content_type)
    return http.request(method, url, headers=headers, content=body)


def portalio(http: httpx.Client, base: str, tenant: dict) -> dict:
    """Exchange the user's name and password for the user key, create a proposal, list them."""
    app_id, secret, user = tenant["app_id"], tenant["secret_key"], tenant["users"][0]
    query = urlencode({"UserName": user["username"], "Password": user["password"]})
    exchange = portalio_request(http, app_id, secret, "GET", f"{base}/authenticate/apikeyexchange?{query}")
    exchange.raise_for_status()
    user_key, user_id = exchange.json()["meta"]["apiKey"], exchange.json()["userId"]
    created = portalio_request(http, app_id, secret, "POST", f"{base}/public/proposals", user_key,
                               form={"Name": "Living room cinema", "SalesPersonId": user_id})
    created.raise_for_status()
    listed = portalio_request(http, app_id, secret, "GET", f"{base}/public/proposals?PageNumber=1&PageSize=10", user_key)
    listed.raise_for_status()
    return listed.json()


# --- Propal: a bearer key ------------------------------------------------------------

def propal(http: httpx.Client, base: str, key: str) -> dict:
    """Create a proposal, then list the organization's proposals."""
    auth = {"Authorization": f"Bearer {key}"}
    created = http.post(f"{base}/proposals", headers=auth, json={"title": "Website redesign", "slug": "website-redesign"})
    created.raise_for_status()
    listed = http.get(f"{base}/proposals", headers=auth, params={"limit": 10})
    listed.raise_for_status()
    return listed.json()


# --- Holm: a session, one request per second -----------------------------------------

def holm_get(http: httpx.Client, url: str, token: str, wait: Callable[[int], None]) -> httpx.Response:
    """GET with the session; on 429 wait `retry_after_ms` (as the body says) and try again."""
    while True:
        response = http.get(url, headers={"Authorization": f"Session {token}"})
        if response.status_code != 429:
            return response
        wait(response.json()["retry_after_ms"])


def holm(http: httpx.Client, base: str, organization_key: str, api_key: str,
         wait: Callable[[int], None]) -> tuple[dict, dict]:
    """Open a session, read `me` twice in a row (the second is over the 1 request/s limit)."""
    session = http.post(f"{base}/auth/session", json={"organizer_key": organization_key, "api_key": api_key})
    session.raise_for_status()
    token = session.json()["session_token"]
    first = holm_get(http, f"{base}/me", token, wait)
    second = holm_get(http, f"{base}/me", token, wait)
    first.raise_for_status()
    second.raise_for_status()
    return first.json(), second.json()


# --- The control plane: fresh tenants and the clock ----------------------------------

class ControlPlane:
    def __init__(self, http: httpx.Client, url: str):
        self.http, self.url = http, url

    def post(self, path: str, body: dict | None = None) -> dict:
        response = self.http.post(f"{self.url}/_emulator{path}", json=body or {})
        response.raise_for_status()
        return response.json()

    def freeze_clock(self) -> None:
        self.post("/clock", {"freeze": True})

    def wait(self, milliseconds: int) -> None:
        """Waiting, on the emulator clock: advance it instead of sleeping."""
        self.post("/clock", {"advance_seconds": milliseconds / 1000})

    def portalio_tenant(self) -> dict:
        return self.post("/portalio/accounts")

    def propal_tenant(self) -> dict:
        return self.post("/propal/organizations")

    def holm_tenant(self) -> tuple[str, str]:
        """A new organization and one key that may be used from any origin."""
        organization = self.post("/holm/organizations")
        key = self.post(f"/holm/organizations/{organization['organization_id']}/keys", {
            "name": "Example integration", "partnership_type": "mssp", "customers_read": True,
            "allowed_origins": [], "acknowledge_any_origin": True})
        return organization["organization_key"], key["api_key"]


def main(url: str) -> None:
    with httpx.Client(timeout=10) as http:
        control = ControlPlane(http, url)
        control.freeze_clock()
        proposals = portalio(http, f"{url}/portalio", control.portalio_tenant())
        print("Portal.io proposals:", [p["name"] for p in proposals["proposals"]])
        proposals = propal(http, f"{url}/propal/v1", control.propal_tenant()["key"]["key"])
        print("Propal proposals:", [p["title"] for p in proposals["data"]])
        me, _ = holm(http, f"{url}/holm/v1", *control.holm_tenant(), wait=control.wait)
        print("Holm me:", me["api_key"]["name"], me["scopes"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
