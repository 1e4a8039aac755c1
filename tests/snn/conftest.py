"""Failure reports of a module with a ``BASE_SEED`` (random cases) name the seed to replay them."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    seed = getattr(getattr(item, "module", None), "BASE_SEED", None)
    if report.failed and seed is not None:
        report.sections.append(
            ("random seed", f"BASE_SEED={seed}; replay with SPIKEAGENTS_TEST_SEED={seed}")
        )
