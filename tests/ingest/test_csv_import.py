"""CSV import into a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarketing.ingest.csv_import import Capture, CsvImportError, import_csv
from smarketing.interchange.importer import Importer
from smarketing.models import Activity, Campaign, Contact, User

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ana(session: Session) -> str:
    Importer(session).apply_data(
        {"type": "user", "email": "ana@acme.example", "name": "Ana", "role": "sales_rep"}
    )
    return "ana@acme.example"


def sample(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(SAMPLES / name, target)
    return target


def contact(session: Session, email: str) -> Contact:
    found = session.execute(select(Contact).where(Contact.email == email)).scalar_one()
    session.refresh(found)
    return found


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def source_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines(keepends=True)


def assert_rejects_unchanged(source: Path, rejects: Path | None, rows: list[int]) -> None:
    assert rejects is not None
    lines = source_lines(source)
    assert rejects.read_text(encoding="utf-8-sig") == "".join(
        [lines[0]] + [lines[row - 1] for row in rows]
    )


def test_hubspot_sample(session: Session, tmp_path: Path, ana: str) -> None:
    path = sample(tmp_path, "hubspot_contacts.csv")
    report, rejects = import_csv(session, path, now=NOW)
    assert report.preset == "hubspot"
    assert report.applied == {"contact created": 4, "company created": 4}
    assert [(r.row, r.reason.split(":")[0]) for r in report.rejections] == [
        (5, "email is missing"), (6, "email"), (7, "date 'yesterday-ish' is not in a known format"),
    ]  # fmt: skip
    assert rejects == tmp_path / "hubspot_contacts.rejects.csv"
    assert_rejects_unchanged(path, rejects, [5, 6, 7])

    laura = contact(session, "laura.martin@example.es")
    assert (laura.first_name, laura.last_name, laura.job_title) == ("Laura", "Martín", "CMO")
    assert laura.lifecycle_stage == "mql"
    assert laura.country == "ES"
    assert laura.phone == "+34912345678"
    assert laura.created_at == datetime(2026, 3, 14, 10, 22, tzinfo=UTC)
    assert laura.owner_id == session.execute(select(User.id).where(User.email == ana)).scalar()
    assert laura.properties == {"Record ID": "101", "Original Source": "Organic Search"}

    john = contact(session, "john.smith@example.com")
    assert john.owner_id is None
    assert john.properties["source_owner"] == "Pedro Gómez"
    assert contact(session, "mia.rossi@example.it").lifecycle_stage == "customer"
    quinn = contact(session, "quinn@example.com")
    assert quinn.lifecycle_stage == "lead"
    assert quinn.properties["source_lifecycle_stage"] == "Partner"
    assert quinn.last_name == "Person, Jr."


def test_salesforce_sample(session: Session, tmp_path: Path, ana: str) -> None:
    path = sample(tmp_path, "salesforce_leads.csv")
    report, rejects = import_csv(session, path, now=NOW)
    assert report.preset == "salesforce"
    assert report.applied == {"contact created": 3, "company created": 3}
    assert [r.row for r in report.rejections] == [5, 6]
    assert "14/03/2026" in report.rejections[0].reason
    assert report.rejections[1].reason == "email is missing"
    assert_rejects_unchanged(path, rejects, [5, 6])
    carlos = contact(session, "carlos@example.mx")
    assert carlos.created_at == datetime(2026, 3, 14, 10, 22, tzinfo=UTC)
    assert carlos.lifecycle_stage == "lead"
    assert carlos.owner_id is not None
    jane = contact(session, "jane.doe@example.com")
    assert (jane.lifecycle_stage, jane.country) == ("sql", "US")
    assert jane.properties == {"Lead ID": "00Q5g00000AbCdF", "Lead Source": "Trade Show",
                               "source_owner": "Sam Seller"}  # fmt: skip
    tom = contact(session, "tom.late@example.com")
    assert tom.created_at == datetime(2026, 3, 16, 16, 5, tzinfo=UTC)
    assert tom.lifecycle_stage == "opportunity"


def test_rdstation_sample_semicolons(session: Session, tmp_path: Path, ana: str) -> None:
    path = sample(tmp_path, "rdstation_leads.csv")
    report, rejects = import_csv(session, path, now=NOW)
    assert (report.preset, report.delimiter) == ("rdstation", ";")
    assert report.applied == {"contact created": 2, "company created": 1}
    assert [r.row for r in report.rejections] == [4, 5, 6]
    assert_rejects_unchanged(path, rejects, [4, 5, 6])
    assert rejects is not None
    assert rejects.read_text(encoding="utf-8").splitlines()[1].startswith(";Sem Email;")
    joao = contact(session, "joao@example.com.br")
    assert (joao.first_name, joao.last_name) == ("João", "da Silva")
    assert (joao.lifecycle_stage, joao.country, joao.phone) == ("mql", "BR", "+551133334444")
    assert joao.created_at == datetime(2026, 3, 14, 10, 22, tzinfo=UTC)  # "Criado em" first
    assert joao.properties == {
        "Celular": "(11) 98888-7777", "Data de conversão": "15/03/2026 10:22:00",
        "Cidade": "São Paulo", "Estado": "SP", "Origem da primeira conversão": "Busca Orgânica",
    }  # fmt: skip
    maria = contact(session, "maria@example.com.br")
    assert (maria.lifecycle_stage, maria.phone) == ("customer", "+5521999990000")
    assert maria.owner_id is not None


@pytest.mark.parametrize(
    "name", ["hubspot_contacts.csv", "salesforce_leads.csv", "rdstation_leads.csv"]
)
def test_reimport_changes_nothing(session: Session, tmp_path: Path, ana: str, name: str) -> (
    None
):
    path = sample(tmp_path, name)
    first, _ = import_csv(session, path, now=NOW)
    second, _ = import_csv(session, path, now=datetime(2026, 5, 1, tzinfo=UTC))
    assert set(second.applied) == {"contact unchanged"}
    assert second.applied["contact unchanged"] == first.applied["contact created"]
    assert second.rejected == first.rejected


def test_dry_run_writes_nothing(session: Session, tmp_path: Path, ana: str) -> None:
    path = sample(tmp_path, "hubspot_contacts.csv")
    before = count(session, Contact)
    report, rejects = import_csv(session, path, dry_run=True, now=NOW)
    assert report.applied == {"contact created": 4, "company created": 4}
    assert report.rejected == 3
    assert rejects is None
    assert not (tmp_path / "hubspot_contacts.rejects.csv").exists()
    assert count(session, Contact) == before


def test_missing_date_is_the_import_instant_and_stays_on_reimport(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("email,company\nx@example.com,X\n", encoding="utf-8")
    import_csv(session, path, now=NOW)
    assert contact(session, "x@example.com").created_at == NOW
    again, _ = import_csv(session, path, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert again.applied == {"contact unchanged": 1}


def test_tab_delimiter_and_mapping(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "fair.tsv"
    path.write_text("E-mail\tEmpresa\tNota\n ana.lima@Example.com \tLima SA\tvip\n",
                    encoding="utf-8")  # fmt: skip
    report, _ = import_csv(session, path, mapping={"Empresa": "company"}, now=NOW)
    assert report.delimiter == "\t"
    assert report.applied == {"contact created": 1, "company created": 1}
    found = contact(session, "ana.lima@example.com")
    assert found.properties == {"Nota": "vip"}
    assert found.company_id is not None


def test_wrong_delimiter_names_the_headers(session: Session, tmp_path: Path) -> None:
    path = sample(tmp_path, "rdstation_leads.csv")
    with pytest.raises(CsvImportError, match="no email column found.*headers seen: 'Email;Nome"):
        import_csv(session, path, delimiter=",", now=NOW)


def test_not_utf8_names_the_byte_offset(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,Empresa\nze@example.com,Açaí Ltda\n".encode("latin-1"))
    with pytest.raises(CsvImportError, match=r"not valid UTF-8.*0xe7.*byte offset 30.*latin-1"):
        import_csv(session, path, now=NOW)
    assert not session.execute(select(Contact).where(Contact.email == "ze@example.com")).first()
    report, _ = import_csv(session, path, encoding="latin-1", now=NOW)
    assert report.applied == {"contact created": 1}
    assert contact(session, "ze@example.com").properties == {"Empresa": "Açaí Ltda"}


def test_ten_megabyte_field_is_rejected(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    big = "x" * (10 * 1024 * 1024)
    path.write_text(f"email,notes\nbig@example.com,{big}\nok@example.com,fine\n",
                    encoding="utf-8")  # fmt: skip
    report, rejects = import_csv(session, path, now=NOW)
    assert report.applied == {"contact created": 1}
    assert [r.row for r in report.rejections] == [2]
    assert "'notes' has 10,485,760 characters (limit 10,000)" in report.rejections[0].reason
    assert rejects is not None
    assert rejects.read_text(encoding="utf-8") == f"email,notes\nbig@example.com,{big}\n"


def test_offline_capture(session: Session, tmp_path: Path, ana: str) -> None:
    Importer(session).apply_data(
        {"type": "campaign", "key": "fair-2026", "name": "Fair 2026", "channel": "event"}
    )
    path = tmp_path / "fair.csv"
    path.write_text("Email,Name\nlead1@example.com,Lead One\nlead2@example.com,\n",
                    encoding="utf-8")  # fmt: skip
    capture = Capture("fair-2026", "ANA@acme.example")
    report, _ = import_csv(session, path, capture=capture, now=NOW)
    assert report.applied == {"contact created": 2, "activity created": 2}
    lead = contact(session, "lead1@example.com")
    campaign_id = session.execute(select(Campaign.id).where(Campaign.key == "fair-2026")).scalar()
    assert (lead.first_touch_channel, lead.first_touch_campaign_id) == ("event", campaign_id)
    activity = session.get(Activity, "csv:fair-2026:lead1@example.com")
    assert activity is not None
    assert (activity.kind, activity.campaign_id) == ("event_attended", campaign_id)
    assert activity.properties == {"captured_by": ana}
    again, _ = import_csv(session, path, capture=capture, now=datetime(2026, 5, 1, tzinfo=UTC))
    assert again.applied == {"contact unchanged": 2, "activity unchanged": 2}


@pytest.mark.parametrize(("capture", "message"), [
    (Capture("nope", "ana@acme.example"), "unknown campaign 'nope'"),
    (Capture("fair-2026", "bob@acme.example"), "unknown user 'bob@acme.example'"),
])  # fmt: skip
def test_offline_capture_needs_known_campaign_and_user(
    session: Session, tmp_path: Path, ana: str, capture: Capture, message: str
) -> None:
    Importer(session).apply_data(
        {"type": "campaign", "key": "fair-2026", "name": "Fair 2026", "channel": "event"}
    )
    path = tmp_path / "fair.csv"
    path.write_text("Email\nlead1@example.com\n", encoding="utf-8")
    with pytest.raises(CsvImportError, match=message):
        import_csv(session, path, capture=capture, now=NOW)


def test_long_import_commits_at_checkpoints(session: Session, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import smarketing.ingest.csv_import as csv_import

    monkeypatch.setattr(csv_import, "CHECKPOINT_ROWS", 2)
    path = tmp_path / "five.csv"
    path.write_text("email,first_name\n" + "".join(f"p{n}@x.example,P{n}\n" for n in range(5)),
                    encoding="utf-8")  # fmt: skip
    loaded_at_checkpoint: list[int] = []

    def checkpoint() -> None:
        loaded_at_checkpoint.append(session.scalar(
            select(func.count()).select_from(Contact)) or 0)  # fmt: skip

    import_csv(session, path, checkpoint=checkpoint, now=NOW)
    assert loaded_at_checkpoint == [2, 4]
    assert session.scalar(select(func.count()).select_from(Contact)) == 5
    loaded_at_checkpoint.clear()
    import_csv(session, path, checkpoint=checkpoint, dry_run=True, now=NOW)
    assert loaded_at_checkpoint == [], "a dry run never commits"


# -- a file that cannot break an import (issue 10) ------------------------------------


def test_an_unbalanced_quote_is_reported_with_its_row_not_swallowed(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text('email,first_name,last_name\n'
                    'ana@studio.example,"Ana,Ruiz\n'
                    'luis@casa.example,Luis,Gil\n'
                    'eva@casa.example,Eva,Sanz\n', encoding="utf-8")  # fmt: skip
    report, rejects = import_csv(session, path, now=NOW)

    assert report.rows == 1
    assert [r.row for r in report.rejections] == [2]
    assert "a quote opened in this row is never closed" in report.rejections[0].reason
    assert count(session, Contact) == 0
    assert rejects is not None
    assert rejects.read_text(encoding="utf-8").count("@") == 3  # every swallowed line kept


def test_a_row_the_csv_reader_refuses_is_rejected_and_the_rest_loads(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "stray.csv"
    path.write_text('email,first_name\n'
                    'ana@studio.example,"Ana"x\n'
                    'luis@casa.example,Luis\n', encoding="utf-8")  # fmt: skip
    report, _ = import_csv(session, path, now=NOW)

    assert [r.row for r in report.rejections] == [2]
    assert "cannot be read" in report.rejections[0].reason
    assert count(session, Contact) == 1


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-05:00"])
def test_a_date_past_the_bounds_rejects_its_row_only(session: Session, tmp_path: Path,
                                                     date: str) -> None:  # fmt: skip
    path = tmp_path / "dates.csv"
    path.write_text(f"email,created_at\nana@studio.example,{date}\n"
                    "luis@casa.example,2026-03-01T10:00:00Z\n", encoding="utf-8")  # fmt: skip
    report, _ = import_csv(session, path, now=NOW)

    assert [r.row for r in report.rejections] == [2]
    assert date in report.rejections[0].reason
    assert count(session, Contact) == 1


def test_export_csv_imports_back_to_the_same_contacts(session: Session, tmp_path: Path) -> None:
    from smarketing.ingest.csv_import import export_csv

    source = tmp_path / "in.csv"
    source.write_text("email,first_name,last_name\n"
                      "=1+2@acme.example,=SUM(A1),+34 team\n"
                      "ana@studio.example,-Ana,@home\n", encoding="utf-8")  # fmt: skip
    import_csv(session, source, now=NOW)
    exported = tmp_path / "out.csv"
    export_csv(session, exported)
    assert "'=1+2@acme.example" in exported.read_text(encoding="utf-8-sig")

    report, _ = import_csv(session, exported, now=NOW)

    assert report.rejected == 0, report.rejections
    assert count(session, Contact) == 2
    assert (contact(session, "=1+2@acme.example").first_name,
            contact(session, "=1+2@acme.example").last_name) == ("=SUM(A1)", "+34 team")
    assert contact(session, "ana@studio.example").last_name == "@home"


def test_a_quote_closed_lines_later_is_reported_not_read_as_one_contact(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "runaway.csv"
    path.write_text('email,first_name\n'
                    'ana@studio.example,"Ana\n'
                    'luis@casa.example,Luis\n'
                    'eva@casa.example,Eva"\n'
                    'pia@casa.example,Pia\n', encoding="utf-8")  # fmt: skip
    report, _ = import_csv(session, path, now=NOW)

    assert [r.row for r in report.rejections] == [2]
    assert "runs over 3 lines" in report.rejections[0].reason
    assert count(session, Contact) == 1
