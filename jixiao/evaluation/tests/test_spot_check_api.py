"""Spot checks through the API: draw, commission, the agency's re-check and submission, the bureau's confirmation."""

import pytest

from jixiao.evaluation.models import SpotCheckItem
from jixiao.evaluation.tests.test_spot_check_views import rnd  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
API = "/api/evaluation"
JSON = "application/json"


def as_user(client, cast, name):
    client.force_login(cast.users[name])
    return client


def test_spot_check_through_the_api(client, cast, rnd):  # noqa: F811
    c = as_user(client, cast, "unit_a1")
    assert c.post(f"{API}/rounds/{rnd.pk}/spot-check", {"seed": 3}, content_type=JSON).status_code == 403
    c = as_user(client, cast, "finance_admin")
    assert c.post(f"{API}/rounds/{rnd.pk}/spot-check", {"seed": 1.5}, content_type=JSON).status_code == 400
    r = c.post(f"{API}/rounds/{rnd.pk}/spot-check", {"seed": 3}, content_type=JSON)
    assert r.status_code == 201 and r.json()["seed"] == 3 and r.json()["target"] == 3
    assert c.post(f"{API}/rounds/{rnd.pk}/spot-check", {}, content_type=JSON).status_code == 400
    body = c.get(f"{API}/rounds/{rnd.pk}/spot-check").json()
    assert len(body["items"]) == 3
    item = SpotCheckItem.objects.get(subject=cast.subjects["a2"])
    r = c.post(f"{API}/spot-check-items/{item.pk}/assign", {"agency_id": cast.agency_yes.pk}, content_type=JSON)
    assert r.json()["agency_name"] == cast.agency_yes.name
    assert c.post(f"{API}/spot-check-items/{item.pk}/assign", {"agency_id": 999999},
                  content_type=JSON).status_code == 400

    a = as_user(client, cast, "agency_yes")
    body = a.get(f"{API}/rounds/{rnd.pk}/spot-check").json()
    assert [i["subject_name"] for i in body["items"]] == ["校舍维修项目"]
    detail = a.get(f"{API}/spot-check-items/{item.pk}").json()
    lines = [{"position": ln["position"], "score": "0"} for ln in detail["lines"]]
    r = a.put(f"{API}/spot-check-items/{item.pk}", {"lock_version": detail["lock_version"], "lines": lines,
                                                    "note": "无佐证"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["inflated"] is True and r.json()["problems"] == {}
    r = a.put(f"{API}/spot-check-items/{item.pk}", {"lock_version": detail["lock_version"], "lines": lines},
              content_type=JSON)
    assert r.status_code == 409
    r = a.put(f"{API}/spot-check-items/{item.pk}", {"lock_version": r.json() and item.lock_version + 1,
                                                    "lines": [{"position": 0, "score": 0.5}]}, content_type=JSON)
    assert r.status_code == 400
    assert a.post(f"{API}/spot-check-items/{item.pk}/transition", {"name": "submit"},
                  content_type=JSON).json()["state"] == "submitted"
    c = as_user(client, cast, "finance_admin")
    r = c.post(f"{API}/spot-check-items/{item.pk}/transition", {"name": "confirm"}, content_type=JSON)
    assert r.json()["state"] == "confirmed" and r.json()["inflated"] is True
    assert as_user(client, cast, "agency_no").get(f"{API}/spot-check-items/{item.pk}").status_code == 404
