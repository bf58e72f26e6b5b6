"""The evaluator's cold path: no gymnasium/numpy/pandas on ``mtsql evaluate``, env ids still registered by
``import mtsql_env``, and forked workers giving per-item identical results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REAL_RELEASE

import mtsql_env
from mtsql_env.cli import main
from mtsql_env.evaluation import evaluator as evaluator_module
from mtsql_env.evaluation.evaluator import Evaluator, EvaluatorConfig
from mtsql_env.evaluation.files import read_gold, read_pred, write_gold, write_pred

SAMPLE = Path(mtsql_env.__file__).parent / "sample_data" / "cosql_dataset"


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


@pytest.fixture()
def sample_files(tmp_path: Path) -> tuple[Path, Path]:
    dialogues = json.loads((SAMPLE / "sql_state_tracking" / "cosql_dev.json").read_text())
    gold = [[(t["query"], d["database_id"]) for t in d["interaction"]] for d in dialogues]
    pred = [
        [sql if i % 3 else sql.replace("=", "!=", 1) for i, (sql, _) in enumerate(turns)] for turns in gold
    ]
    return write_gold(tmp_path / "gold.txt", gold), write_pred(tmp_path / "pred.txt", pred)


def test_evaluate_imports_no_gymnasium_numpy_or_pandas(
    sample_files: tuple[Path, Path], tmp_path: Path
) -> None:
    gold, pred = sample_files
    out = _python(
        "import sys; from mtsql_env.cli import main; "
        f"rc = main(['evaluate', '--gold', {str(gold)!r}, '--pred', {str(pred)!r}, '--db', "
        f"{str(SAMPLE / 'database')!r}, '--table', {str(SAMPLE / 'tables.json')!r}, '--cache-dir', "
        f"{str(tmp_path / 'cache')!r}]); "
        "print('LOADED', rc, sorted(m for m in ('gymnasium', 'numpy', 'pandas', 'torch') if m in sys.modules))"
    )
    assert "LOADED 0 []" in out


@pytest.mark.parametrize(
    "code",
    [
        "import mtsql_env, sys; assert 'gymnasium' not in sys.modules; import gymnasium as gym",
        "import gymnasium as gym; import mtsql_env",
        "import gymnasium as gym",  # the module:id form imports mtsql_env itself
    ],
)
def test_env_ids_are_registered_whatever_the_import_order(code: str) -> None:
    env_id = "mtsql_env:MTSQL-CoSQL-v0" if code == "import gymnasium as gym" else "MTSQL-CoSQL-v0"
    out = _python(
        f"{code}; env = gym.make({env_id!r}, data_dir='sample'); "
        "print('ID', env.spec.id, 'MTSQL-SParC-v0' in gym.registry)"
    )
    assert "ID MTSQL-CoSQL-v0 True" in out


def test_workers_give_identical_records(
    sample_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    gold, pred = read_gold(sample_files[0]), read_pred(sample_files[1])
    monkeypatch.setattr(evaluator_module, "MIN_TURNS_PER_WORKER", 10)  # the sample has 176 turns
    serial = Evaluator(SAMPLE / "database", SAMPLE / "tables.json", EvaluatorConfig(workers=1)).evaluate(
        gold, pred
    )
    parallel = Evaluator(SAMPLE / "database", SAMPLE / "tables.json", EvaluatorConfig(workers=3))
    result = parallel.evaluate(gold, pred)
    assert result.records == serial.records and result.summary == serial.summary
    assert 0 < result.summary["qm_exec"] < 1
    assert not parallel._gold_cache  # no disk cache to fill: the workers' gold sides stay in the workers
    with pytest.raises(ValueError, match="workers"):
        EvaluatorConfig(workers=-1)


@pytest.mark.realdata
def test_cli_workers_identical_on_cosql_dev(tmp_path: Path) -> None:
    gold = REAL_RELEASE.parent / "reference" / "cosql_dev_gold.txt"
    if not gold.is_file():
        pytest.skip("real CoSQL dev gold not found: set MTSQL_DATA_DIR")
    turns = read_gold(gold)
    pred = write_pred(
        tmp_path / "pred.txt", [[s if i % 2 else s + " LIMIT 1" for i, (s, _) in enumerate(t)] for t in turns]
    )
    outputs = []
    for workers in ("1", "2"):
        items = tmp_path / f"items{workers}.jsonl"
        code = main(["evaluate", "--gold", str(gold), "--pred", str(pred), "--db", str(REAL_RELEASE / "database"),
                     "--table", str(REAL_RELEASE / "tables.json"), "--workers", workers,
                     "--cache-dir", str(tmp_path / f"cache{workers}"), "--per-item", str(items)])  # fmt: skip
        assert code == 0
        outputs.append(items.read_text())
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 1007
