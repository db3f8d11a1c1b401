"""Pure rules of the policy profile: validating a parameter set, merging overrides, diffing. No ORM."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from pydantic import ValidationError as PydanticValidationError

from jixiao.policy import introspect
from jixiao.policy.schema import PolicyParams


class ParamsInvalid(ValidationError):
    """A parameter set failed validation. `param_errors` keeps each error's path, label and message; as a Django
    `ValidationError` it maps "<prefix><path>" to full Chinese messages that name the field."""

    def __init__(self, errors: list[introspect.ParamError], prefix: str = ""):
        self.param_errors = errors
        by_path: dict[str, list[str]] = {}
        for e in errors:
            by_path.setdefault(f"{prefix}{e.path}" if e.path else (prefix.rstrip(".") or "params"), []).append(e.full)
        super().__init__(by_path)


def validate_params(data: Any, *, prefix: str = "") -> PolicyParams:
    """Validate a parameter set (a dict as stored or posted, or a `PolicyParams`); raise `ParamsInvalid`.

    Missing keys take the national default of the schema; unknown keys are refused."""
    if isinstance(data, PolicyParams):
        data = data.to_json()
    if not isinstance(data, dict):
        raise ParamsInvalid([introspect.ParamError("", "参数", "应为 JSON 对象")], prefix)
    try:
        return PolicyParams.model_validate(data)
    except PydanticValidationError as exc:
        raise ParamsInvalid(introspect.translate(exc, data), prefix) from None


def deep_merge(base: dict, overrides: dict) -> dict:
    """`base` with `overrides` applied: dicts merge key by key, everything else (lists included) is replaced."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def params_diff(a: Any, b: Any) -> list[introspect.Change]:
    """Differences from parameter set `a` to `b` (PolicyParams or stored dicts), leaf by leaf, with labels."""
    return introspect.diff(a, b)


def audit_view(changes: list[introspect.Change]) -> tuple[dict, dict]:
    """(before, after) dicts for the audit trail, keyed by the Chinese label of each changed leaf."""
    before, after = {}, {}
    for c in changes:
        key = c.label if c.label not in before else f"{c.label}（{c.path}）"
        before[key], after[key] = c.before_display, c.after_display
    return before, after
