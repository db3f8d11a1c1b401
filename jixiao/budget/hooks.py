"""Extension points for other apps, so that they can add checks to the project library without editing it.

- `register_import_check(func)`: `func(plan, context) -> iterable of CellError` runs for every project of an
  import file after the file itself is valid and before anything is written (one transaction: any error and nothing
  is imported). `plan` is a `jixiao.budget.imports.SubjectPlan` (year, code, name, department, unit, values, lines,
  rows, existing subject or None); `context` an `ImportContext` (actor, region). This is where the goals app hooks
  the gate "no budget without approved goals" (issue 3): report on `plan.first_row`.
- `register_transition_check(func)`: `func(actor=, subject=, name=) -> list[str]` runs before a workflow
  transition fired through `jixiao.budget.services.subject_transition`; any message refuses the transition.

Register in your AppConfig.ready(). Checks must only read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_import_checks: list[Callable] = []
_transition_checks: list[Callable] = []


def register_import_check(func: Callable) -> Callable:
    if func not in _import_checks:
        _import_checks.append(func)
    return func


def unregister_import_check(func: Callable) -> None:
    if func in _import_checks:
        _import_checks.remove(func)


def import_checks() -> Iterable[Callable]:
    return tuple(_import_checks)


def register_transition_check(func: Callable) -> Callable:
    if func not in _transition_checks:
        _transition_checks.append(func)
    return func


def unregister_transition_check(func: Callable) -> None:
    if func in _transition_checks:
        _transition_checks.remove(func)


def transition_problems(*, actor, subject, name: str) -> list[str]:
    problems: list[str] = []
    for check in tuple(_transition_checks):
        problems.extend(check(actor=actor, subject=subject, name=name) or [])
    return problems
