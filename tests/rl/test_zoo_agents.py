"""Every agent shipped in ``zoo/`` still loads (hash checked, no unpickling), acts in its
environment for a whole episode, and its card holds no path of the machine that made it.

Renaming a module, a class or a keyword that a card's config or the weights' names refer to
breaks this test, not a user's ``spikeagents evaluate ... --zoo`` later.
"""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path
from typing import Any

import pytest

from spikeagents.envs import make_wrapped_env
from spikeagents.paths import zoo_root
from spikeagents.rl.episodes import evaluate_episodes
from spikeagents.rl.zoo import CARD, WEIGHTS, list_zoo, load_zoo_agent, read_card, sha256_file

AGENTS = [path for path, _ in list_zoo(zoo_root())]
HAS_BOX2D = importlib.util.find_spec("Box2D") is not None
ABSOLUTE = re.compile(r"^(/|[A-Za-z]:[\\/]|~)")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def test_the_zoo_is_not_empty() -> None:
    assert len(AGENTS) >= 7, AGENTS


@pytest.mark.parametrize("path", AGENTS, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_zoo_agent_loads_and_plays_an_episode(path: Path) -> None:
    card = read_card(path)
    if "LunarLander" in card["env"] and not HAS_BOX2D:
        pytest.skip("LunarLander needs Box2D (pip install box2d)")
    assert sha256_file(path / WEIGHTS) == card["sha256"]
    agent = load_zoo_agent(path)
    assert (agent.config.algo, agent.config.env.id) == (path.parent.name, path.name)
    returns, lengths = evaluate_episodes(
        agent.model, lambda: make_wrapped_env(agent.config.env), 1, seed=0,
        normalization=agent.normalization,
    )  # fmt: skip
    assert lengths[0] > 0 and math.isfinite(returns[0])


@pytest.mark.parametrize("path", AGENTS, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_zoo_card_holds_no_machine_paths(path: Path) -> None:
    card = read_card(path)
    absolute = [s for s in _strings(card) if ABSOLUTE.match(s)]
    assert not absolute, f"{path / CARD} holds paths of the machine that made it: {absolute}"


def test_a_tampered_weights_file_is_refused(tmp_path: Path) -> None:
    import shutil

    from spikeagents.rl.zoo import ZooError

    source = next(p for p in AGENTS if p.name == "CartPole-v1")
    copy = tmp_path / source.parent.name / source.name
    shutil.copytree(source, copy)
    data = bytearray((copy / WEIGHTS).read_bytes())
    data[-1] ^= 0xFF
    (copy / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ZooError, match="sha256"):
        load_zoo_agent(copy)
