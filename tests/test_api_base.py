"""The API's common contract: token from username and password, structured errors, OpenAPI and local docs."""

import re

from jixiao.core.testing import PASSWORD


def token(client, username, password=PASSWORD):
    return client.post("/api/auth/token", {"username": username, "password": password},
                       content_type="application/json")


def test_openapi_and_docs_are_served_locally(client, db):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert spec["info"]["title"].startswith("Jixiao")
    assert "/api/auth/token" in spec["paths"]
    r = client.get("/api/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html) and "/static/" in html


def test_token_flow(client, cast):
    r = token(client, "finance")
    assert r.status_code == 200
    key = r.json()["token"]
    r = client.get("/api/openapi.json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200


def test_bad_credentials_are_structured(client, cast):
    r = token(client, "finance", "nope")
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "用户名或密码错误"


def test_schema_errors_are_structured(client, db):
    r = client.post("/api/auth/token", {"username": "x"}, content_type="application/json")
    assert r.status_code == 400
    body = r.json()["error"]
    assert body["code"] == "invalid" and body["fields"]["password"] == ["必填"]


def test_malformed_json_is_400(client, db):
    r = client.post("/api/auth/token", "{not json", content_type="application/json")
    assert r.status_code == 400


def test_audit_events_api(client, cast):
    from jixiao.core import workflow
    from jixiao.core.permissions import actor_for

    workflow.transition(actor=actor_for(cast.users["unit_a1"]), obj=cast.subjects["a1"], name="submit")
    key = token(client, "finance").json()["token"]
    r = client.get("/api/audit/events?action=transition", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] >= 1 and body["items"][0]["after"]["state"] == "submitted"
    assert client.get("/api/audit/events?date_from=notadate", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 400
    key = token(client, "unit_a1").json()["token"]
    assert client.get("/api/audit/events", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 403
    assert client.get("/api/audit/events").status_code == 401


def test_json_keeps_chinese_characters(client, cast):
    r = token(client, "finance", "nope")
    assert "用户名或密码错误".encode() in r.content
