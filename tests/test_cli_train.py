"""``mtsql train``: help without torch, YAML + flag parsing, and the SFT quick config run in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mtsql_env.cli import main
from mtsql_env.cli import train as train_cli

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "examples" / "configs"


def test_train_help_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from mtsql_env.cli import main\n"
        "try:\n    main(['train', '--help'])\nexcept SystemExit as e:\n    code = e.code\n"
        "print('EXIT', code, 'torch' in sys.modules, 'trl' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "grpo" in out and "ppo" in out and "sft" in out
    assert out.strip().splitlines()[-1] == "EXIT 0 False False False"


def test_train_without_a_trainer_prints_help(capsys) -> None:
    assert main(["train"]) == 2
    assert "TRAINER" in capsys.readouterr().out


def test_missing_extra_names_the_install_command(monkeypatch, capsys) -> None:
    broken = train_cli.TrainerSpec("mtsql_trainers.not_there", "train_x", (), "x")
    monkeypatch.setitem(train_cli.TRAINERS, "sft", broken)
    assert main(["train", "sft"]) == 2  # one line, no traceback (issue 9)
    err = capsys.readouterr().err
    assert 'pip install "mtsql-gym[train]"' in err and "Traceback" not in err
    with pytest.raises(ImportError, match=r'pip install "mtsql-gym\[train\]"'):
        main(["--debug", "train", "sft"])


# --- Below: the trainers themselves (the train extra) ------------------------------------------------

needs_train = pytest.mark.skipif(
    any(__import__("importlib").util.find_spec(m) is None for m in ("torch", "trl")),
    reason="needs the train extra",
)


@needs_train
def test_trainer_help_lists_every_config_field(capsys) -> None:
    assert main(["train", "sft", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in (
        "--config",
        "--num_samples",
        "--stage",
        "--max_easy_keep",
        "--assistant_only_loss",
        "--learning_rate",
    ):
        assert flag in text


@needs_train
def test_grpo_help_lists_the_mtsql_fields_first(capsys) -> None:
    assert main(["train", "grpo", "--help"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "usage: mtsql train grpo [--config FILE.yaml] [--key value ...]"
    mtsql_at, inherited_at = text.index("mtsql options (MTSQLGRPOConfig):"), text.index("inherited options")
    assert mtsql_at < inherited_at
    for flag in ("--env_id", "--data_dir", "--reward_preset", "--rollout_mode", "--config"):  # mtsql's own
        assert mtsql_at < text.index(f"  {flag} ") < inherited_at, flag
    assert text.index("  --output_dir ") > inherited_at and text.index("  --learning_rate ") > inherited_at


@needs_train
@pytest.mark.parametrize("name", ["grpo", "ppo", "sft"])
def test_cpu_quick_configs_parse_into_the_trainer_configs(name: str) -> None:
    _, configs = train_cli.load_trainer(name)
    parsed = train_cli.parse_trainer_args(
        name, ["--config", str(CONFIGS / f"{name}_cpu_quick.yaml"), "--seed", "3"], configs
    )
    assert [type(c) for c in parsed] == list(configs)
    assert any(getattr(c, "data_dir", None) == "sample" for c in parsed)  # from the YAML
    assert any(getattr(c, "seed", None) == 3 for c in parsed)  # the flag wins over the YAML's 0
    assert any(getattr(c, "use_cpu", False) for c in parsed)


@needs_train
@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_config_builds_its_trainer_config(path: Path) -> None:
    name = path.name.split("_")[0]
    assert name in train_cli.TRAINERS
    _, configs = train_cli.load_trainer(name)
    # GPU recipes ask for bf16, which transformers refuses on a machine without a GPU: switch it off here.
    extra = [] if "cpu" in path.name else ["--bf16", "false"]
    parsed = train_cli.parse_trainer_args(name, ["--config", str(path), *extra], configs)
    assert parsed[0].model_name_or_path


@needs_train
def test_unknown_yaml_key_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("num_samples: 2\nnum_sample: 3\n")
    _, configs = train_cli.load_trainer("sft")
    with pytest.raises(SystemExit, match="num_sample"):
        train_cli.parse_trainer_args("sft", ["--config", str(bad)], configs)


@needs_train
def test_single_stages_from_the_command_line(tmp_path: Path) -> None:
    base = [
        "train",
        "sft",
        "--config",
        str(CONFIGS / "sft_cpu_quick.yaml"),
        "--run_dir",
        str(tmp_path),
        "--max_items",
        "3",
    ]
    assert main([*base, "--stage", "sample"]) == 0
    assert len((tmp_path / "round_0" / "samples.jsonl").read_text().splitlines()) == 9  # 3 items x 3 samples
    assert not (tmp_path / "round_0" / "selected.jsonl").exists()
    assert main([*base, "--stage", "select"]) == 0
    selected = (tmp_path / "round_0" / "selected.jsonl").read_text().splitlines()
    assert 3 <= len(selected) <= 6  # every item solved by the teacher: at most 2 each
    assert main([*base, "--stage", "build"]) == 0
    assert len((tmp_path / "round_0" / "dataset.jsonl").read_text().splitlines()) == len(selected)


@needs_train
def test_sft_quick_config_trains_in_process(tmp_path: Path, capsys) -> None:
    rc = main(
        [
            "train",
            "sft",
            "--config",
            str(CONFIGS / "sft_cpu_quick.yaml"),
            "--run_dir",
            str(tmp_path),
            "--max_steps",
            "2",
            "--num_samples",
            "2",
        ]
    )
    assert rc == 0
    stdout = capsys.readouterr().out
    summary = json.loads(stdout[stdout.rindex('{\n  "output_dir"') :])  # the command's own summary comes last
    assert summary["model_dir"] == str(tmp_path / "round_0" / "model") and summary["last_log"]["step"] == 2
    out = tmp_path / "round_0"
    assert len((out / "samples.jsonl").read_text().splitlines()) == 16  # 8 items x 2 samples (flag over YAML)
    assert (out / "model" / "config.json").exists() and (out / "model" / "tokenizer_config.json").exists()
    assert (tmp_path / "tiny_model" / "config.json").exists()
