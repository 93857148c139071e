"""The example client, run against the emulator the fixture started."""

import httpx

import client


def test_portalio_exchange_then_signed_create_and_list(emulator_url):
    with httpx.Client(timeout=10) as http:
        control = client.ControlPlane(http, emulator_url)
        control.freeze_clock()
        listed = client.portalio(http, f"{emulator_url}/portalio", control.portalio_tenant())
    assert listed["proposalCount"] == 1
    assert [p["name"] for p in listed["proposals"]] == ["Living room cinema"]


def test_portalio_signer_matches_the_reference_test_vector():
    # reference §3.6 row B, key = the secret string's UTF-8 bytes
    signature = client.portalio_signature(
        "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk=", "GET", "https://api.portal.io/public/proposals",
        "Mon, 06 Apr 2026 00:22:19 GMT", "qBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=")
    assert signature == "xalgIEoCIlMrgQLwkRpt0S8dKO13lwIj/dZNHO3bNG8="


def test_a_wrong_signature_is_refused_with_the_vendors_body(emulator_url):
    with httpx.Client(timeout=10) as http:
        tenant = client.ControlPlane(http, emulator_url).portalio_tenant()
        answer = client.portalio_request(http, tenant["app_id"], "not-the-secret", "GET",
                                         f"{emulator_url}/portalio/authenticate/apikeyexchange?UserName=x&Password=y")
    assert answer.status_code == 401
    assert answer.json() == "You are not authorized. Your request signature (hash) is invalid."
    assert answer.headers["x-emulator-explain"].startswith("signature_mismatch")


def test_propal_create_then_list_with_a_fresh_key(emulator_url):
    with httpx.Client(timeout=10) as http:
        tenant = client.ControlPlane(http, emulator_url).propal_tenant()
        listed = client.propal(http, f"{emulator_url}/propal/v1", tenant["key"]["key"])
    assert [p["title"] for p in listed["data"]] == ["Website redesign"]
    assert listed["pagination"]["total_count"] == 1


def test_holm_session_and_me_waiting_out_the_429_on_the_emulator_clock(emulator_url):
    waits = []
    with httpx.Client(timeout=10) as http:
        control = client.ControlPlane(http, emulator_url)
        control.freeze_clock()

        def wait(milliseconds):
            waits.append(milliseconds)
            control.wait(milliseconds)

        first, second = client.holm(http, f"{emulator_url}/holm/v1", *control.holm_tenant(), wait=wait)
    assert first == second
    assert first["api_key"]["name"] == "Example integration"
    # Frozen clock: the second request is exactly one second early.
    assert waits == [1000]


def test_main_runs_every_vendor(emulator_url, capsys):
    client.main(emulator_url)
    printed = capsys.readouterr().out
    assert "Portal.io proposals: ['Living room cinema']" in printed
    assert "Propal proposals: ['Website redesign']" in printed
    assert "Holm me: Example integration" in printed
