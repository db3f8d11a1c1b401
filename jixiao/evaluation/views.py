"""Screens of evaluation (绩效评价). Thin: reading and scoring live in `sheet`, `rules` and `trial`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render

from jixiao.core.permissions import actor_for
from jixiao.evaluation.forms import TrialUploadForm


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@login_required
def trial_upload(request):
    """Anyone logged in uploads published self-evaluation tables and sees each scored under the rules of their
    region (or a preset), with what is inconsistent in the scores they carry; nothing is stored."""
    from jixiao.evaluation.api import read_upload
    from jixiao.evaluation.trial import trial_table
    from jixiao.policy import selectors
    from jixiao.policy.presets import PRESETS

    actor = actor_for(request.user)
    presets = [(code, p.name) for code, p in PRESETS.items()]
    tables, chosen, filename = None, None, ""
    if request.method == "POST":
        form = TrialUploadForm(request.POST, request.FILES, presets=presets)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                filename, result = read_upload(cd["file"])
                years = {t.year for t in result.tables if t.year}
                year = cd.get("year") or (years.pop() if len(years) == 1 else None)
                chosen = selectors.chosen_params(preset=cd.get("preset") or None,
                                                 region=selectors.default_region(actor), year=year)
                tables = [trial_table(t, chosen.params.self_evaluation) for t in result.tables]
            except ValidationError as exc:
                for message in _messages(exc):
                    form.add_error("file", message)
    else:
        form = TrialUploadForm(presets=presets)
    return render(request, "evaluation/trial.html", {
        "form": form, "tables": tables, "chosen": chosen, "filename": filename,
        "consistent": sum(1 for t in tables if t["consistent"]) if tables else 0,
    })
