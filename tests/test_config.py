"""The configuration (spikeagents.schema, .envs, .rl.recipe): shipped YAMLs, merging, --set
overrides, round trips, strict errors, schedules, wrapped envs, and SB3 construction from a
resolved config."""

from __future__ import annotations

import importlib.util
import inspect
import textwrap
from dataclasses import fields
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
import yaml
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.vec_env import DummyVecEnv

from spikeagents.envs import WRAPPERS, EnvConfig, WrapperSpec, load_env_config, make_wrapped_env
from spikeagents.paths import config_root, zoo_root
from spikeagents.rl.algos import ALGOS
from spikeagents.rl.hyperparams import A2CParams, ActionNoiseConfig, DQNParams, PPOParams
from spikeagents.rl.policies import SPIKING_KEYS, SpikingActorCriticPolicy
from spikeagents.rl.recipe import PolicyConfig, TrainConfig, load_train_config
from spikeagents.schema import ConfigError, Schedule, read_yaml

ROOT = config_root()
RECIPES = sorted(ROOT.glob("configs/rl/*.yaml"))
SHIPPED = [
    (path.stem, env_id) for path in RECIPES for env_id in read_yaml(path) if env_id != "default"
]
ENV_FILES = sorted(ROOT.glob("envs/*.yaml"))
HAS_BOX2D = importlib.util.find_spec("Box2D") is not None
SB3 = {"ppo": PPO, "a2c": A2C, "dqn": DQN, "sac": SAC, "td3": TD3, "ddpg": DDPG}
HAS_MUJOCO = importlib.util.find_spec("mujoco") is not None


def test_config_root_finds_the_shipped_yamls() -> None:
    assert (ROOT / "configs" / "rl" / "ppo.yaml").is_file()
    assert {p.stem for p in RECIPES} == set(ALGOS)
    assert {p.stem for p in ENV_FILES} >= {
        "CartPole-v1",
        "Acrobot-v1",
        "MountainCar-v0",
        "Pendulum-v1",
        "LunarLander-v3",
    }
    assert zoo_root() == ROOT / "zoo"


def test_spikeagents_home_overrides_the_root(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "configs" / "rl").mkdir(parents=True)
    (tmp_path / "configs" / "rl" / "ppo.yaml").write_text("default: {n_timesteps: 123}\n")
    monkeypatch.setenv("SPIKEAGENTS_HOME", str(tmp_path))
    assert config_root() == tmp_path
    assert zoo_root() == tmp_path / "zoo"
    # no envs/ there: CartPole-v1 falls back to gymnasium's spec
    cfg = load_train_config("ppo", "CartPole-v1")
    assert cfg.n_timesteps == 123 and cfg.env.solved_score == 475.0


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.stem)
def test_every_env_yaml_loads(path: Path) -> None:
    env = load_env_config(path.stem)
    assert env.id == path.stem
    assert env.solved_score is not None
    assert 10 <= env.eval_episodes <= 20
    assert EnvConfig.from_dict(yaml.safe_load(yaml.safe_dump(env.to_dict()))) == env


@pytest.mark.parametrize("algo,env_id", SHIPPED)
def test_every_shipped_recipe_loads_with_its_numbers(algo: str, env_id: str) -> None:
    """Every key an entry writes reaches the resolved config; the rest comes from default."""
    cfg = load_train_config(algo, env_id)
    data = read_yaml(ROOT / "configs" / "rl" / f"{algo}.yaml")
    entry, default = data[env_id], data["default"]
    assert cfg.algo == algo and cfg.env.id == env_id
    for key in ("n_timesteps", "n_envs", "eval_freq", "checkpoint_freq"):
        expected = entry.get(key, default.get(key))
        if expected is not None:
            assert getattr(cfg, key) == expected
    for section, obj in (("policy", cfg.policy), ("hyperparams", cfg.hyperparams)):
        merged = {**default.get(section, {}), **entry.get(section, {})}
        for key, value in merged.items():
            got = getattr(obj, key)
            if key == "action_noise":
                assert got == ActionNoiseConfig(**value)
            elif isinstance(value, dict):
                assert got == Schedule(**value)
            elif isinstance(value, list):
                assert got == tuple(value)
            else:
                assert got == value, f"{section}.{key}"


def test_rl_zoo_cartpole_ppo_recipe() -> None:
    cfg = load_train_config("ppo", "CartPole-v1")
    hp = cfg.hyperparams
    assert isinstance(hp, PPOParams)
    assert (cfg.n_envs, cfg.n_timesteps) == (8, 100_000)
    assert (hp.n_steps, hp.batch_size, hp.n_epochs) == (32, 256, 20)
    assert (hp.gamma, hp.gae_lambda, hp.ent_coef) == (0.98, 0.8, 0.0)
    assert hp.learning_rate == Schedule("linear", 1e-3) and hp.clip_range == Schedule("linear", 0.2)
    p = cfg.policy
    assert (p.T, p.hidden_sizes, p.neuron, p.surrogate, p.encoder) == (
        8,
        (128,),
        "if",
        "atan",
        "direct",
    )
    assert (p.detach_reset, p.readout, p.readout_tau, p.init_gain) == (True, "mean", 2.0, 2.0)
    assert p.v_reset is None  # soft reset


def test_entry_is_merged_over_default() -> None:
    cfg = load_train_config("ppo", "Acrobot-v1")
    assert cfg.policy.init_gain == 1.0 and cfg.policy.readout == "last"  # from the entry
    assert cfg.policy.T == 16 and cfg.policy.hidden_sizes == (64,)  # from default
    assert cfg.hyperparams.n_steps == 256  # from the entry
    assert cfg.hyperparams.batch_size == 64  # SB3's default: set nowhere
    # env: envs/Acrobot-v1.yaml, with the entry's `env: normalize` merged over it
    assert cfg.env.normalize_obs and cfg.env.normalize_reward
    assert cfg.env.max_episode_steps == 500 and cfg.env.solved_score == -100.0
    assert not load_env_config("Acrobot-v1").normalize_obs


def test_env_absent_from_recipe_file_uses_default_and_gymnasium_spec() -> None:
    cfg = load_train_config("ppo", "BipedalWalker-v3")  # no entry, no envs/ YAML
    assert cfg.n_timesteps == 100_000 and cfg.hyperparams == PPOParams()
    assert cfg.env.solved_score == 300.0 and cfg.env.max_episode_steps is None


def test_set_overrides() -> None:
    cfg = load_train_config(
        "ppo",
        "CartPole-v1",
        overrides=[
            "policy.T=16",
            "policy.hidden_sizes=[64, 64]",
            "policy.v_reset=null",
            "policy.detach_reset=false",
            "hyperparams.learning_rate=3e-4",
            "hyperparams.clip_range={schedule: constant, start: 0.1}",
            "n_envs=4",
            "n_timesteps=2e5",
            "env.normalize.obs=true",
        ],
    )
    p, hp = cfg.policy, cfg.hyperparams
    assert (p.T, p.hidden_sizes, p.v_reset, p.detach_reset) == (16, (64, 64), None, False)
    assert hp.learning_rate == 3e-4 and hp.clip_range == Schedule("constant", 0.1)
    assert (cfg.n_envs, cfg.n_timesteps) == (4, 200_000)
    assert cfg.env.normalize_obs and not cfg.env.normalize_reward
    assert hp.n_steps == 32  # untouched keys stay


def test_explicit_arguments_override_file_and_set() -> None:
    cfg = load_train_config(
        "dqn", "CartPole-v1", overrides=["n_envs=4"], seed=7, n_timesteps=1000, n_envs=2
    )
    assert (cfg.seed, cfg.n_timesteps, cfg.n_envs, cfg.device) == (7, 1000, 2, "cpu")
    assert cfg.sb3_kwargs()["seed"] == 7


@pytest.mark.parametrize("algo,env_id", [*SHIPPED, ("ppo", "MountainCarContinuous-v0")])
def test_round_trip_through_yaml(algo: str, env_id: str, tmp_path: Path) -> None:
    cfg = load_train_config(algo, env_id, overrides=["seed=3"])
    assert TrainConfig.from_dict(yaml.safe_load(yaml.safe_dump(cfg.to_dict()))) == cfg
    cfg.save(tmp_path / "config.yaml")
    assert TrainConfig.load(tmp_path / "config.yaml") == cfg


def test_round_trip_keeps_wrappers_and_schedules() -> None:
    env = EnvConfig(
        id="Pendulum-v1",
        kwargs={"g": 9.81},
        wrappers=(
            WrapperSpec("rescale_action", {"min_action": -1.0, "max_action": [1.0]}),
            WrapperSpec("clip_action"),
        ),
        normalize_reward=True,
    )
    cfg = TrainConfig(
        algo="ppo",
        env=env,
        policy=PolicyConfig(obs_low=[-1.0, -1.0, -8.0], hidden_sizes=[8]),
        hyperparams=PPOParams(clip_range_vf=Schedule("linear", 0.3, 0.1)),
        n_timesteps=10,
    )
    back = TrainConfig.from_dict(yaml.safe_load(yaml.safe_dump(cfg.to_dict())))
    assert back == cfg and back.env.wrappers[0].kwargs["max_action"] == [1.0]


def _write(tmp_path: Path, text: str, name: str = "ppo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _recipe_error(tmp_path: Path, entry: str, algo: str = "ppo", **kw) -> str:
    body = "default:\n  n_timesteps: 1000\nCartPole-v1:\n" + textwrap.indent(
        textwrap.dedent(entry), "  "
    )
    path = _write(tmp_path, body, f"{algo}.yaml")
    with pytest.raises(ConfigError) as info:
        load_train_config(algo, "CartPole-v1", config_file=path, **kw)
    return str(info.value)


ERRORS = {
    "unknown top key": (
        "n_timestep: 10\n",
        ["CartPole-v1.n_timestep", "did you mean 'n_timesteps'", "n_envs", "hyperparams"],
    ),
    "unknown policy key": (
        "policy: {hiden_sizes: [4]}\n",
        ["CartPole-v1.policy.hiden_sizes", "valid keys", "hidden_sizes", "readout_tau"],
    ),
    "bad type": ('policy: {T: "eight"}\n', ["CartPole-v1.policy.T", "expected an integer"]),
    "bool is not an int": ("policy: {T: true}\n", ["CartPole-v1.policy.T", "an integer"]),
    "float is not an int": ("n_envs: 1.5\n", ["CartPole-v1.n_envs", "an integer"]),
    "list of ints": (
        "policy: {hidden_sizes: [64, x]}\n",
        ["CartPole-v1.policy.hidden_sizes[1]", "an integer"],
    ),
    "unknown neuron": (
        "policy: {neuron: lfi}\n",
        ["CartPole-v1.policy.neuron", "unknown neuron 'lfi'", "if, lif, plif"],
    ),
    "unknown surrogate": (
        "policy: {surrogate: arctan}\n",
        ["CartPole-v1.policy.surrogate", "atan", "sigmoid"],
    ),
    "unknown encoder": (
        "policy: {encoder: rate}\n",
        ["CartPole-v1.policy.encoder", "direct, poisson, population"],
    ),
    "unknown readout": ("policy: {readout: max}\n", ["CartPole-v1.policy.readout", "last, mean"]),
    "unknown backend": ("policy: {backend: cuda}\n", ["CartPole-v1.policy.backend", "auto"]),
    "unknown hyperparameter": (
        "hyperparams: {learnin_rate: 0.1}\n",
        ["CartPole-v1.hyperparams.learnin_rate", "did you mean 'learning_rate'", "clip_range"],
    ),
    "string schedule": (
        "hyperparams: {learning_rate: lin_0.001}\n",
        ["CartPole-v1.hyperparams.learning_rate", "{schedule: linear, start: 0.001}"],
    ),
    "unknown schedule": (
        "hyperparams: {clip_range: {schedule: cosine, start: 0.2}}\n",
        ["CartPole-v1.hyperparams.clip_range.schedule", "constant, linear"],
    ),
    "schedule without start": (
        "hyperparams: {clip_range: {schedule: linear}}\n",
        ["CartPole-v1.hyperparams.clip_range.start", "missing"],
    ),
    "unknown env override key": (
        "env: {normalise: {obs: true}}\n",
        ["CartPole-v1.env.normalise", "normalize", "eval_episodes"],
    ),
    "env override bad type": (
        "env: {normalize: {obs: yes please}}\n",
        ["CartPole-v1.env.normalize.obs", "true or false"],
    ),
    "unknown wrapper": (
        "env: {wrappers: [{name: time_limitt, max_episode_steps: 5}]}\n",
        ["CartPole-v1.env.wrappers[0].name", "did you mean 'time_limit'", "frame_skip"],
    ),
    "bad wrapper kwarg": (
        "env: {wrappers: [{name: frame_skip, skips: 2}]}\n",
        ["CartPole-v1.env.wrappers[0].skips", "valid keys: skip"],
    ),
    "DQN has no actor-critic keys": (
        "hyperparams: {n_epochs: 3}\n",
        ["CartPole-v1.hyperparams.n_epochs", "exploration_fraction"],
    ),
}


@pytest.mark.parametrize("entry,expected", ERRORS.values(), ids=ERRORS.keys())
def test_recipe_errors_name_file_key_and_choices(tmp_path: Path, entry, expected) -> None:
    algo = "dqn" if "n_epochs" in entry else "ppo"
    message = _recipe_error(tmp_path, entry, algo)
    assert f"{algo}.yaml" in message
    for part in expected:
        assert part in message, message


def test_errors_in_default_name_default(tmp_path: Path) -> None:
    path = _write(tmp_path, "default:\n  policy: {neuron: foo}\nCartPole-v1: {n_timesteps: 5}\n")
    with pytest.raises(ConfigError, match=r"ppo\.yaml: default\.policy\.neuron: .*if, lif, plif"):
        load_train_config("ppo", "CartPole-v1", config_file=path)


def test_missing_n_timesteps(tmp_path: Path) -> None:
    path = _write(tmp_path, "default: {n_envs: 2}\n")
    with pytest.raises(ConfigError, match=r"default\.n_timesteps: missing"):
        load_train_config("ppo", "CartPole-v1", config_file=path)


def test_duplicate_keys_and_bad_yaml_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "default: {n_timesteps: 5}\ndefault: {n_timesteps: 6}\n")
    with pytest.raises(ConfigError, match="duplicate key 'default'"):
        load_train_config("ppo", "CartPole-v1", config_file=path)
    path = _write(tmp_path, "default: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_train_config("ppo", "CartPole-v1", config_file=path)


def test_python_objects_in_yaml_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "default: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_train_config("ppo", "CartPole-v1", config_file=path)


@pytest.mark.parametrize(
    "override,expected",
    [
        ("policy.TT=3", ["--set policy.TT=3", "policy.TT", "valid keys", "hidden_sizes"]),
        ("nenvs=3", ["--set nenvs=3", "did you mean 'n_envs'"]),
        ("policy.T", ["--set policy.T", "key=value"]),
        ("policy.neuron=lfi", ["policy.neuron", "if, lif, plif"]),
        ("hyperparams.learning_rate=lin_3e-4", ["{schedule: linear, start: 3e-4}"]),
    ],
)
def test_bad_overrides(override: str, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_train_config("ppo", "CartPole-v1", overrides=[override])
    for part in expected:
        assert part in str(info.value), str(info.value)


def test_unknown_algo_and_env() -> None:
    valid = "valid choices: ppo, a2c, dqn, sac, td3, ddpg"
    with pytest.raises(ConfigError, match=f"unknown algorithm 'trpo'.*{valid}"):
        load_train_config("trpo", "CartPole-v1")
    with pytest.raises(ConfigError) as info:
        load_train_config("ppo", "CartPoel-v1")
    message = str(info.value)
    assert "envs" in message and "CartPoel-v1" in message
    assert "did you mean 'CartPole-v1'" in message and "LunarLander-v3" in message
    with pytest.raises(ConfigError, match="did you mean 'Acrobot-v1'"):
        load_env_config("Acrobt-v1")


def test_env_yaml_errors(tmp_path: Path) -> None:
    _write(tmp_path, "id: CartPole-v1\nnormalize: {obs: true, rewards: true}\n", "CartPole-v1.yaml")
    with pytest.raises(ConfigError) as info:
        load_env_config("CartPole-v1", envs_dir=tmp_path)
    assert "CartPole-v1.yaml: normalize.rewards" in str(info.value)
    assert "obs, reward" in str(info.value)
    _write(tmp_path, "id: Acrobot-v1\n", "CartPole-v1.yaml")
    with pytest.raises(ConfigError, match="does not match the file name"):
        load_env_config("CartPole-v1", envs_dir=tmp_path)
    _write(tmp_path, "id: CartPole-v1\nwrappers: [time_limit]\n", "CartPole-v1.yaml")
    with pytest.raises(ConfigError, match=r"wrappers\[0\].max_episode_steps: .*needs"):
        load_env_config("CartPole-v1", envs_dir=tmp_path)


def test_schedule_math() -> None:
    lin = Schedule("linear", 1e-3)
    assert lin(1.0) == pytest.approx(1e-3)
    assert lin(0.5) == pytest.approx(5e-4)
    assert lin(0.0) == pytest.approx(0.0)
    to_floor = Schedule("linear", 1.0, 0.1)
    assert [to_floor(p) for p in (1.0, 0.5, 0.0)] == pytest.approx([1.0, 0.55, 0.1])
    assert Schedule("constant", 0.2)(0.3) == 0.2
    assert Schedule("linear", 0.2, 0.1).to_dict() == {
        "schedule": "linear",
        "start": 0.2,
        "end": 0.1,
    }
    with pytest.raises(ConfigError, match="constant, linear"):
        Schedule("cosine", 1.0)


def test_policy_config_mirrors_the_policy_signature() -> None:
    names = [f.name for f in fields(PolicyConfig)]
    actor_critic = ["share_features_extractor", "ortho_init", "log_std_init"]
    stateful, off_policy = ["recurrent_synapses"], ["critic_hidden_sizes", "spiking_critic"]
    assert names == [*SPIKING_KEYS, *actor_critic, *stateful, *off_policy]
    for name, algorithm in ALGOS.items():  # every policy option some policy takes
        assert set(algorithm.policy_keys) <= set(names), name
    defaults = PolicyConfig().policy_kwargs("ppo")
    policy = SpikingActorCriticPolicy(
        gym.spaces.Box(-1.0, 1.0, (4,)), gym.spaces.Discrete(2), lambda _: 1e-3
    )
    sig = inspect.signature(SpikingActorCriticPolicy.__init__).parameters
    for name in [*SPIKING_KEYS, *actor_critic]:  # the others: tests/rl (stateful, continuous)
        if name in SPIKING_KEYS:  # the policy's defaults are the settings dataclass's
            expected = policy.spiking_kwargs[name]
        else:
            expected = sig[name].default if name in sig else 0.0  # log_std_init: SB3's default
        assert defaults[name] == expected, name
    assert PolicyConfig(hidden_sizes=[32]) == PolicyConfig(hidden_sizes=(32,))
    kwargs = PolicyConfig(obs_low=(0.0, 1.0)).policy_kwargs("dqn")
    assert kwargs["hidden_sizes"] == [64] and kwargs["obs_low"] == [0.0, 1.0]
    assert not {"share_features_extractor", "ortho_init", "log_std_init"} & set(kwargs)
    assert "recurrent_synapses" not in kwargs  # stateful policies only
    assert "log_std_init" in PolicyConfig().policy_kwargs("ppo")
    sac = PolicyConfig().policy_kwargs("sac")
    assert sac["critic_hidden_sizes"] == [256, 256] and sac["spiking_critic"] is False
    assert "ortho_init" not in sac and "critic_hidden_sizes" not in defaults


def test_params_use_sb3_names_and_defaults() -> None:
    pairs = [(PPOParams, PPO), (A2CParams, A2C), (DQNParams, DQN)]
    pairs += [(ALGOS[name].params_class, SB3[name]) for name in ("sac", "td3", "ddpg")]
    for params, algo in pairs:
        sig = inspect.signature(algo.__init__).parameters
        for f in fields(params):
            assert f.name in sig, f"{params.__name__}.{f.name}"
            assert f.default == sig[f.name].default, f"{params.__name__}.{f.name}"


def test_make_wrapped_env_applies_wrappers_in_order() -> None:
    env_cfg = EnvConfig(
        id="CartPole-v1",
        wrappers=(
            WrapperSpec("frame_skip", {"skip": 2}),
            WrapperSpec("time_limit", {"max_episode_steps": 3}),
            WrapperSpec("transform_reward_scale", {"scale": 0.5}),
        ),
    )
    env = make_wrapped_env(env_cfg, seed=0)
    env.reset(seed=0)
    steps = 0
    truncated = terminated = False
    while not (truncated or terminated):
        _, reward, terminated, truncated, _ = env.step(steps % 2)
        steps += 1
        assert reward == pytest.approx(1.0)  # two frames of +1, scaled by 0.5
    assert (steps, truncated) == (3, True)


def test_make_wrapped_env_max_episode_steps_and_action_wrappers() -> None:
    env = make_wrapped_env(EnvConfig(id="CartPole-v1", max_episode_steps=4))
    env.reset(seed=0)
    results = [env.step(i % 2) for i in range(4)]
    assert results[-1][3] and not any(r[3] for r in results[:-1])
    rescale = WrapperSpec("rescale_action", {"min_action": -1.0, "max_action": [1.0]})
    env = make_wrapped_env(EnvConfig(id="Pendulum-v1", wrappers=(rescale,)), seed=0)
    assert np.allclose(env.action_space.low, -1.0) and np.allclose(env.action_space.high, 1.0)
    clip = (WrapperSpec("clip_action"), WrapperSpec("flatten_observation"))
    env = make_wrapped_env(EnvConfig(id="Pendulum-v1", wrappers=clip), seed=0)
    assert env.step(np.array([5.0], dtype=np.float32))[0].shape == (3,)  # clipped, no error


def test_make_wrapped_env_seeds() -> None:
    cfg = load_env_config("CartPole-v1")

    def first(seed: int) -> tuple:
        env = make_wrapped_env(cfg, seed=seed)
        obs, _ = env.reset()
        return tuple(obs), env.action_space.sample()

    assert first(3) == first(3)
    assert first(3) != first(4)


def test_every_registered_wrapper_is_described() -> None:
    assert set(WRAPPERS) >= {
        "time_limit",
        "flatten_observation",
        "clip_action",
        "rescale_action",
        "frame_skip",
        "transform_reward_scale",
    }
    assert "normalize_observation" not in WRAPPERS  # VecNormalize does that


@pytest.mark.parametrize("algo,env_id", SHIPPED)
def test_sb3_kwargs_construct_the_model(algo: str, env_id: str) -> None:
    if env_id.startswith("LunarLander") and not HAS_BOX2D:
        pytest.skip("LunarLander needs Box2D (pip install box2d)")
    if env_id.endswith("-v5") and not HAS_MUJOCO:
        pytest.skip("MuJoCo tasks need pip install 'spikeagents[mujoco]'")
    cfg = load_train_config(algo, env_id, seed=0)
    venv = DummyVecEnv([lambda: make_wrapped_env(cfg.env)] * cfg.n_envs)
    # what `spikeagents train` builds: RecurrentPPO + SpikingRecurrentPolicy for stateful recipes
    action_dim = venv.action_space.shape[0] if venv.action_space.shape else None
    kwargs = cfg.sb3_kwargs(action_dim)
    model = cfg.algorithm.sb3_class(cfg.algorithm.policy_class, venv, **kwargs)
    assert isinstance(model, SB3[algo]) or cfg.stateful
    kwargs = cfg.policy.policy_kwargs(algo, cfg.stateful)
    spiking = {k: v for k, v in kwargs.items() if k in SPIKING_KEYS}
    assert model.policy.spiking_kwargs == spiking
    hp = cfg.hyperparams
    lr = hp.learning_rate
    assert model.lr_schedule(1.0) == pytest.approx(lr(1.0) if callable(lr) else lr)
    assert model.lr_schedule(0.0) == pytest.approx(lr(0.0) if callable(lr) else lr)
    assert (model.gamma, model.seed, str(model.device)) == (hp.gamma, 0, "cpu")
    if algo == "dqn":
        assert model.train_freq.frequency == hp.train_freq
        assert model.exploration_final_eps == hp.exploration_final_eps
    elif cfg.algorithm.continuous:
        assert (model.train_freq.frequency, model.tau) == (hp.train_freq, hp.tau)
        assert (model.learning_starts, model.batch_size) == (hp.learning_starts, hp.batch_size)
        noise = model.action_noise
        if hp.action_noise is None:
            assert noise is None
        else:
            assert np.allclose(noise._sigma, hp.action_noise.std)
            assert noise._sigma.shape == venv.action_space.shape
        critic = model.policy.critic.q_networks[0]
        widths = [m.out_features for m in critic if isinstance(m, torch.nn.Linear)]
        assert widths == [*cfg.policy.critic_hidden_sizes, 1]
    else:
        assert (model.n_steps, model.use_sde) == (hp.n_steps, hp.use_sde)
        if hp.use_sde:
            assert model.policy.log_std.detach().mean().item() == pytest.approx(
                cfg.policy.log_std_init
            )


def test_pyproject_ships_every_subpackage_and_the_data() -> None:
    """The package list in pyproject.toml is explicit: a new subpackage must be added there."""
    tomllib = pytest.importorskip("tomllib")
    repo = Path(__file__).resolve().parent.parent
    setuptools_cfg = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(setuptools_cfg["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(repo).parts)
        for init in (repo / "spikeagents").rglob("__init__.py")
    }
    assert on_disk <= packages, f"add to pyproject.toml packages: {sorted(on_disk - packages)}"
    mapping = setuptools_cfg["package-dir"]
    assert {mapping[f"spikeagents._data.{d}"] for d in ("configs", "envs", "zoo")} == {
        "configs",
        "envs",
        "zoo",
    }
