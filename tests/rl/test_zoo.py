"""Zoo files: DQN agents store the Q-network once and load with an identical target network."""

from __future__ import annotations

import numpy as np
import torch

from spikeagents.rl.recipe import load_train_config
from spikeagents.rl.training import build_model, make_env
from spikeagents.rl.zoo import load_zoo_agent, save_zoo_agent


def test_dqn_zoo_round_trip_without_the_target_copy(tmp_path) -> None:
    cfg = load_train_config("dqn", "CartPole-v1", overrides=["policy.hidden_sizes=[32]"], seed=0)
    model = build_model(cfg, make_env(cfg.env, 1, seed=0))
    with torch.no_grad():  # make the target differ, as it does mid-training
        for p in model.policy.q_net_target.parameters():
            p.add_(1.0)
    save_zoo_agent(model, cfg, tmp_path, {"mean_reward": 0.0})
    from safetensors.torch import load_file

    assert not any(
        k.startswith("q_net_target.") for k in load_file(tmp_path / "weights.safetensors")
    )
    agent = load_zoo_agent(tmp_path)
    obs = np.stack([model.observation_space.sample() for _ in range(16)])
    np.testing.assert_array_equal(
        model.predict(obs, deterministic=True)[0], agent.model.predict(obs, deterministic=True)[0]
    )
    x = torch.randn(5, 4)
    torch.testing.assert_close(agent.model.policy.q_net(x), agent.model.policy.q_net_target(x))
