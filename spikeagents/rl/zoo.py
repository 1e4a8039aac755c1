"""The zoo of trained spiking agents: safe to load (no pickle), checked by hash.

Each agent is a folder ``zoo/<algo>/<env>/`` with:

- ``weights.safetensors``: the policy's ``state_dict``, what acting needs of it (the actor alone
  for SAC, TD3 and DDPG; no target copies), plus observation-normalisation statistics
  (``vecnormalize.obs_mean`` / ``vecnormalize.obs_var``) when the env normalises observations;
- ``card.yaml``: the resolved training config, timesteps, seed, evaluation result and the
  sha256 of the weights file.

Loading builds the model from the config and loads the tensors; a weights file whose hash does
not match the card is refused.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors.torch import load_file, save_file
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv
from torch import Tensor

from spikeagents.datasets.download import file_digest
from spikeagents.rl.agents import LoadedAgent
from spikeagents.rl.episodes import ObsNormalization
from spikeagents.rl.recipe import TrainConfig
from spikeagents.rl.training import build_model, make_env
from spikeagents.rundir import atomic_path, atomic_write_text
from spikeagents.schema import read_yaml

__all__ = [
    "ZooError",
    "save_zoo_agent",
    "load_zoo_agent",
    "read_card",
    "list_zoo",
    "sha256_file",
]

WEIGHTS = "weights.safetensors"
CARD = "card.yaml"
_NORM_PREFIX = "vecnormalize."
_TARGET = "q_net_target."
_ACTOR = "actor."


class ZooError(ValueError):
    """A zoo folder that is missing, incomplete or tampered with."""


def sha256_file(path: str | Path) -> str:
    """The hex SHA-256 of a file (what a card's ``sha256`` records)."""
    return file_digest(path, "sha256")


def save_zoo_agent(
    model: BaseAlgorithm,
    config: TrainConfig,
    dest: str | Path,
    evaluation: dict[str, Any],
    extra: dict[str, Any] | None = None,
    normalization: ObsNormalization | None = None,
) -> Path:
    """Write ``dest/weights.safetensors`` and ``dest/card.yaml`` (both atomically).

    :param evaluation: the evaluation result recorded in the card (paths in it are dropped: a
        card holds no path of the machine that made it).
    :param normalization: the observation normalisation; by default taken from the model's
        ``VecNormalize`` env, if it has one.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    state = _acting_state(model.policy.state_dict(), config)
    tensors, aliases = _dedupe(state)
    card: dict[str, Any] = {"aliases": aliases} if aliases else {}
    norm = model.get_vec_normalize_env()
    if normalization is None and norm is not None:
        normalization = ObsNormalization.of(norm)
    if normalization is not None:
        tensors[_NORM_PREFIX + "obs_mean"] = torch.as_tensor(
            normalization.mean, dtype=torch.float64
        )
        tensors[_NORM_PREFIX + "obs_var"] = torch.as_tensor(normalization.var, dtype=torch.float64)
        card["normalization"] = {
            "clip_obs": float(normalization.clip_obs),
            "epsilon": float(normalization.epsilon),
        }
    with atomic_path(dest / WEIGHTS) as tmp:
        save_file(tensors, str(tmp))
    card = {
        "algo": config.algo,
        "env": config.env.id,
        "timesteps": int(model.num_timesteps),
        "seed": config.seed,
        "evaluation": {k: v for k, v in evaluation.items() if k != "source"},
        "sha256": sha256_file(dest / WEIGHTS),
        "weights_bytes": (dest / WEIGHTS).stat().st_size,
        **card,
        **(extra or {}),
        "config": config.to_dict(),
    }
    atomic_write_text(dest / CARD, yaml.safe_dump(card, sort_keys=False))
    return dest


def _dedupe(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Keep one copy of tensors shared under several names (SB3 exposes the actor's extractor
    as both ``features_extractor`` and ``pi_features_extractor``); return the aliases."""
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[int, int, tuple[int, ...]], str] = {}
    for name, value in state.items():
        key = (value.untyped_storage().data_ptr(), value.storage_offset(), tuple(value.shape))
        if key in seen:
            aliases[name] = seen[key]
        else:
            seen[key] = name
            tensors[name] = value.detach().cpu().contiguous().clone()
    return tensors, aliases


def read_card(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    card_path = path / CARD
    if not card_path.exists():
        raise ZooError(f"{path} is not a zoo agent: it has no {CARD}")
    card = read_yaml(card_path)
    if not isinstance(card, dict) or "sha256" not in card or "config" not in card:
        raise ZooError(f"{card_path} is incomplete: it needs 'sha256' and 'config'")
    return card


def load_zoo_agent(path: str | Path, env: VecEnv | None = None, device: str = "cpu") -> LoadedAgent:
    """Load a zoo agent without unpickling anything.

    :param path: the agent's folder (``zoo/<algo>/<env>``).
    :param env: the env to attach (built from the config when ``None``).
    :raises ZooError: missing files, or weights whose sha256 differs from the card's.
    """
    path = Path(path)
    card = read_card(path)
    weights = path / WEIGHTS
    if not weights.exists():
        raise ZooError(f"{path} has a card but no {WEIGHTS}")
    digest = sha256_file(weights)
    if digest != card["sha256"]:
        raise ZooError(
            f"refusing to load {weights}: its sha256 is {digest}, but {path / CARD} says "
            f"{card['sha256']} (the file was modified or corrupted)"
        )
    config = TrainConfig.from_dict(card["config"], source=str(path / CARD))
    tensors = load_file(str(weights))
    for alias, original in (card.get("aliases") or {}).items():
        if original not in tensors:
            raise ZooError(f"{path / CARD}: alias {alias!r} points to a missing tensor")
        tensors[alias] = tensors[original]
    obs_mean = tensors.pop(_NORM_PREFIX + "obs_mean", None)
    obs_var = tensors.pop(_NORM_PREFIX + "obs_var", None)
    normalization = None
    if obs_mean is not None and obs_var is not None:
        norm_cfg = card.get("normalization", {})
        normalization = ObsNormalization(
            obs_mean.numpy(),
            obs_var.numpy(),
            float(norm_cfg.get("clip_obs", 10.0)),
            float(norm_cfg.get("epsilon", 1e-8)),
        )
    if env is None:
        env = make_env(config.env, 1, seed=None, normalize=False)
        env = env if normalization is None else normalization.wrap(env)
    with warnings.catch_warnings():
        # PPO warns that batch_size does not divide n_steps * n_envs for the 1-env evaluation
        # env: irrelevant, the model only acts here
        warnings.filterwarnings("ignore", message=".*mini-batch size.*")
        model = build_model(config, env)
    _load_acting_state(model.policy, tensors)
    model.policy.to(device)
    model.num_timesteps = int(card.get("timesteps", 0))
    return LoadedAgent(model, config, path, normalization, card)


def _acting_state(state: dict[str, Tensor], config: TrainConfig) -> dict[str, Tensor]:
    """What acting needs of a policy's ``state_dict``: DQN's target network is a copy of its
    Q-network (rebuilt on load); SAC, TD3 and DDPG act with the actor alone (critics and
    targets are for training)."""
    if config.algorithm.continuous:
        return {k: v for k, v in state.items() if k.startswith(_ACTOR)}
    return {k: v for k, v in state.items() if not k.startswith(_TARGET)}


def _load_acting_state(policy: torch.nn.Module, tensors: dict[str, Tensor]) -> None:
    """Load what :func:`_acting_state` kept; the rest is rebuilt (targets as copies) or, for
    the critics of a continuous agent, left as initialised (a zoo agent acts, it does not
    train)."""
    if hasattr(policy, "q_net_target") and not any(k.startswith(_TARGET) for k in tensors):
        for key, value in list(tensors.items()):
            if key.startswith("q_net."):
                tensors[_TARGET + key[len("q_net.") :]] = value
    if not hasattr(policy, "actor") or any(not k.startswith(_ACTOR) for k in tensors):
        policy.load_state_dict(tensors)  # strict: every tensor of the policy
        return
    missing = policy.load_state_dict(tensors, strict=False).missing_keys
    lacking = [k for k in missing if k.startswith(_ACTOR)]
    if lacking:
        raise ZooError(f"the zoo weights lack actor tensors: {', '.join(lacking[:3])}")
    if getattr(policy, "actor_target", None) is not None:
        policy.actor_target.load_state_dict(policy.actor.state_dict())


def list_zoo(root: str | Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every ``(folder, card)`` under ``root/<algo>/<env>/``, sorted by algo and env."""
    root = Path(root)
    out = []
    for card_path in sorted(root.glob(f"*/*/{CARD}")):
        try:
            out.append((card_path.parent, read_card(card_path.parent)))
        except ZooError:
            continue
    return out
