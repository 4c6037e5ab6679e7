#!/usr/bin/env bash
# Until the first release, the schema lives in one initial migration; this rewrites it
# from the models. After a release, write a new revision instead (see ADR 1).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f src/smarketing/migrations/versions/0001_initial_schema.py /tmp/smarketing-gen.db
.venv/bin/python - <<'PY'
from alembic import command
from smarketing.core.database import alembic_config, make_engine
engine = make_engine("sqlite:////tmp/smarketing-gen.db")
command.revision(alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001")
PY
sed -i 's/^Revises: $/Revises:/' src/smarketing/migrations/versions/0001_initial_schema.py
