"""`smarketing attribution` as a user runs it: the JSON contract, the table, bad options."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from smarketing.cli import app
from smarketing.core.settings import get_settings
from tests.attribution.example import interchange_lines

Invoke = Callable[..., Result]
MODELS = ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path",
          "time_decay", "markov"]  # fmt: skip


@pytest.fixture
def cli(workspace_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Invoke]:
    """The command line on a fresh workspace holding the worked example."""
    monkeypatch.setenv("SMARKETING_DATABASE_URL", workspace_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    source = tmp_path / "example.jsonl"
    source.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in interchange_lines()))
    assert invoke("import", str(source)).exit_code == 0
    yield invoke
    get_settings.cache_clear()


def test_json_contract_of_one_model(cli: Invoke) -> None:
    result = cli("attribution", "--model", "u_shaped", "--by", "channel", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["model", "by", "stage", "conversions", "revenue", "credits"]
    assert (payload["model"], payload["by"], payload["stage"]) == ("u_shaped", "channel", "won")
    assert payload["conversions"] == 3
    assert payload["revenue"] == "1500.00"
    for credit in payload["credits"]:
        assert list(credit) == ["key", "conversions", "revenue"]
        assert isinstance(credit["conversions"], int | float)
        assert isinstance(credit["revenue"], str)
    credits = {c["key"]: (c["conversions"], c["revenue"]) for c in payload["credits"]}
    assert credits == {"email": (1.3, "950.00"), "social": (pytest.approx(19 / 30), "283.33"),
                       "event": (pytest.approx(1 / 15), "66.67"), "(none)": (1, "200.00")}
    assert sum(c["conversions"] for c in payload["credits"]) == pytest.approx(3, abs=1e-12)


def test_model_all_prints_a_list_in_model_order(cli: Invoke) -> None:
    result = cli("attribution", "--model", "all", "--json")
    payload = json.loads(result.stdout)
    assert [p["model"] for p in payload] == MODELS
    assert all(p["revenue"] == "1500.00" for p in payload)


def test_stage_period_and_options(cli: Invoke) -> None:
    result = cli("attribution", "--model", "first_touch", "--by", "campaign", "--stage", "lead",
                 "--from", "2026-02-01", "--to", "2026-03-31", "--lookback-days", "30",
                 "--half-life-days", "3.5", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    # Ben reached lead on 15 Feb, Ana on 10 March: no campaigns, so every key is (none).
    assert payload == {"model": "first_touch", "by": "campaign", "stage": "lead",
                       "conversions": 2, "revenue": "0.00",
                       "credits": [{"key": "(none)", "conversions": 2, "revenue": "0.00"}]}


def test_a_table_without_json(cli: Invoke) -> None:
    result = cli("attribution", "--model", "markov")
    assert result.exit_code == 0
    assert "markov by channel: 3 won deals, 1,500.00 EUR" in result.stdout
    assert "removal effect" in result.stdout
    assert "0.6250" in result.stdout  # social's removal effect, 5/8


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "best"], "model: 'best' is not one of all"),
    (["--by", "rep"], "by: 'rep' is not one of channel, campaign"),
    (["--stage", "won_deal"], "stage: 'won_deal' is not one of won, lead"),
    (["--from", "2026-02-30"], "--from: '2026-02-30' is not a date (YYYY-MM-DD)"),
    (["--from", "2026-03-02", "--to", "2026-03-01"], "from 2026-03-02 is after to 2026-03-01"),
    (["--lookback-days", "0"], "lookback-days: 0 is not between 1 and 36500"),
    (["--half-life-days", "-1"], "half-life-days: -1.0 is not a positive number"),
])  # fmt: skip
def test_bad_options_exit_2_with_a_clear_error(cli: Invoke, args: list[str],
                                               message: str) -> None:
    result = cli("attribution", *args, "--json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_deals_in_another_currency_are_noted_on_stderr_only(cli: Invoke, tmp_path: Path) -> None:
    extra = tmp_path / "usd.jsonl"
    extra.write_bytes(orjson.dumps({
        "type": "deal", "id": "won-usd", "contact": "eva@example.com", "amount": "99.00",
        "currency": "USD", "status": "won", "created_at": "2026-03-01T00:00:00Z",
        "closed_at": "2026-03-02T00:00:00Z"}) + b"\n")  # fmt: skip
    assert cli("import", str(extra)).exit_code == 0
    result = cli("attribution", "--model", "linear", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["revenue"] == "1500.00"
    assert ("1 won deal left out, not in the workspace currency EUR (no exchange rates): "
            "1 in USD (99.00)") in result.stderr
