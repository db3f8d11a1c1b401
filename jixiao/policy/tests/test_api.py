"""The REST API at /api/policy/."""

from jixiao.core.testing import PASSWORD
from jixiao.policy.models import PolicyProfile
from jixiao.policy.schema import PolicyParams


def bearer(client, cast, name):
    r = client.post("/api/auth/token", {"username": cast.users[name].username, "password": PASSWORD},
                    content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}


def post(client, auth, url, body):
    return client.post(url, body, content_type="application/json", **auth)


def test_effective_versions_presets_schema(client, cast):
    auth = bearer(client, cast, "unit_a1")
    r = client.get("/api/policy/effective?year=2026", **auth)
    assert r.status_code == 200
    body = r.json()
    assert body["origin"] == "builtin" and body["requested_region_id"] == cast.city.pk
    assert body["params"]["ex_ante"]["annual_amount_yuan"] == "5000000"
    assert client.get("/api/policy/versions?year=2026", **auth).json() == []
    presets = client.get("/api/policy/presets", **auth).json()
    assert {p["code"] for p in presets} >= {"national_2020", "zhengzhou_2023", "sichuan_2025", "shanxi",
                                            "putuo_2023", "hailin_2021"}
    r = client.get("/api/policy/presets/sichuan_2025", **auth)
    assert r.json()["params"]["monitoring"]["cumulative_floors"][0] == {"month": 4, "min_rate": "25"}
    schema = client.get("/api/policy/schema", **auth).json()
    assert schema["properties"]["ex_ante"]["title"] == "事前绩效评估"
    assert client.get(f"/api/policy/effective?region_id={cast.county.pk}", **auth).status_code == 404
    assert client.get("/api/policy/effective").status_code == 401


def test_router_models_document_themselves():
    """Every request and response model of the router builds its OpenAPI schema (Chinese descriptions included)."""
    from jixiao.policy.api import router

    paths = set()
    for path, view in router.path_operations.items():
        paths.add(path)
        for operation in view.operations:
            for model in operation.models:
                model.model_json_schema()
    assert {"/effective", "/versions", "/versions/{int:pk}", "/presets", "/schema"} <= paths


def test_post_new_version(client, cast):
    auth = bearer(client, cast, "finance_admin")
    params = PolicyParams().to_json()
    params["results"]["rectification_days"] = 30
    body = {"region_id": cast.city.pk, "fiscal_year": 2026, "params": params, "comment": "接口保存",
            "base_version": 0}
    r = post(client, auth, "/api/policy/versions", body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["version"] == 1 and created["params"]["results"]["rectification_days"] == 30
    eff = client.get(f"/api/policy/effective?region_id={cast.city.pk}&year=2026", **auth).json()
    assert eff["profile_id"] == created["id"] and eff["origin"] == "own"
    # stale base version → 409
    r = post(client, auth, "/api/policy/versions", body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    # versions and diff
    body["base_version"] = 1
    params["results"]["rectification_days"] = 45
    second = post(client, auth, "/api/policy/versions", body).json()
    versions = client.get(f"/api/policy/versions?region_id={cast.city.pk}&year=2026", **auth).json()
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["created_by"] == "绩效科张科长"
    diff = client.get(f"/api/policy/versions/{created['id']}/diff?other={second['id']}", **auth).json()
    assert diff == [{"path": "results.rectification_days", "label": "结果应用 › 整改期限（天）", "before": 30,
                     "after": 45, "before_display": "30 天", "after_display": "45 天"}]


def test_post_invalid_gives_field_errors_and_saves_nothing(client, cast):
    auth = bearer(client, cast, "finance_admin")
    params = PolicyParams().to_json()
    params["self_evaluation"]["grade_bands"][0]["lower"] = "70"
    params["disclosure"]["goal_threshold_yuan"] = -5
    r = post(client, auth, "/api/policy/versions", {"region_id": cast.city.pk, "fiscal_year": 2026,
                                                    "params": params, "comment": "错的"})
    assert r.status_code == 400
    fields = r.json()["error"]["fields"]
    assert fields["params.self_evaluation.grade_bands.1.lower"] == [
        "单位自评 › 自评结论等级「良」 › 下限（含）：自评结论等级的下限必须严格递减：第2档（80）应小于第1档（70）"]
    assert fields["params.disclosure.goal_threshold_yuan"] == [
        "信息公开 › 公开绩效目标的项目金额门槛（元）：必须大于 0"]
    assert not PolicyProfile.objects.exists()


def test_post_is_for_finance_admins(client, cast):
    for name, status in (("unit_a1", 403), ("clerk_a", 403), ("county_admin", 403), ("finance_admin", 201)):
        auth = bearer(client, cast, name)
        r = post(client, auth, "/api/policy/versions/from-preset",
                 {"region_id": cast.city.pk, "fiscal_year": 2026, "preset": "hailin_2021"})
        assert r.status_code == status, (name, r.content)
    auth = bearer(client, cast, "finance_admin")
    r = post(client, auth, "/api/policy/versions", {"region_id": None, "fiscal_year": 2026,
                                                    "params": {}, "comment": "改全国"})
    assert r.status_code == 403
