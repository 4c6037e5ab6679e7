"""The scoring model and MQL rule the demo workspace ships with (JSON files beside this)."""

from __future__ import annotations

from importlib.resources import files

from smarketing.scoring.model import ScoringModel, load_model
from smarketing.scoring.qualification import MqlRule, load_mql_rule

MODEL_FILE = "nordwood-model.json"
MQL_RULE_FILE = "nordwood-mql-rule.json"


def default_model_text() -> str:
    return files(__package__).joinpath(MODEL_FILE).read_text(encoding="utf-8")


def default_mql_rule_text() -> str:
    return files(__package__).joinpath(MQL_RULE_FILE).read_text(encoding="utf-8")


def default_model() -> ScoringModel:
    return load_model(default_model_text(), where=MODEL_FILE)


def default_mql_rule() -> MqlRule:
    return load_mql_rule(default_mql_rule_text(), where=MQL_RULE_FILE)
