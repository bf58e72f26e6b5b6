"""Clean-room re-implementation of the official CoSQL/SParC/Spider evaluator (evaluation-spec.md).

The functions ``exact_match.exact_match`` and ``hardness.hardness`` are not re-exported here: a package
attribute with a submodule's name would shadow it (``import mtsql_env.evaluation.hardness as h`` would
yield the function). Import them from their modules.
"""

from mtsql_env.evaluation.evaluator import (
    EvaluationResult,
    Evaluator,
    EvaluatorConfig,
    TurnScore,
    evaluate_files,
)
from mtsql_env.evaluation.exact_match import (
    PARTIAL_COMPONENTS,
    STRICT_FIXES,
    ExactMatch,
    PreparedGold,
    match_prepared,
    normalize,
    prepare_gold,
)
from mtsql_env.evaluation.exec_match import ExecMatchConfig, ExecMatcher, prepare_for_execution, results_equal
from mtsql_env.evaluation.files import read_gold, read_pred, write_gold, write_pred
from mtsql_env.evaluation.hardness import HARDNESS_LEVELS
from mtsql_env.evaluation.parser import SQLParseError, empty_sql, parse_sql
from mtsql_env.evaluation.schema import (
    EvalSchema,
    build_foreign_key_map,
    load_eval_schema,
    load_foreign_key_maps,
)
from mtsql_env.evaluation.tokenizer import rewrite_value_placeholder, tokenize
