"""The soak, short: 30 jobs through real cttui processes on one account, against a faulty
emulator (`make soak` runs 300)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.conftest import require
from tests.soak import soak


def test_a_short_soak_loses_no_job_and_keeps_to_3_in_flight(isolated_home: Path) -> None:
    # The app joins in where tmux is installed (and must, with CTTUI_REQUIRE_TMUX).
    app = bool(os.environ.get("CTTUI_REQUIRE_TMUX") or shutil.which("tmux"))
    if app:
        require("tmux", "CTTUI_REQUIRE_TMUX")
    report = soak(isolated_home, jobs=30, app=app)
    summary = report.summary()
    print(summary)  # the figures, with pytest -s
    assert report.jobs == report.done + report.failed, summary
    assert report.lost == 0, summary
    assert report.max_in_flight <= 3, summary
    assert report.refused == 0, summary
    assert report.second_posts == 0, summary
    assert report.wrong_counts == [], summary
    assert report.failed_without_error == [], summary
    assert report.bad_exits == [], summary
    assert report.app_jobs == (6 if app else 0), summary
    # The faults did happen: the soak tested something.
    assert min(report.injected[kind] for kind in ("5xx", "429", "reset")) > 0, summary
