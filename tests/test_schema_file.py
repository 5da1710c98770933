"""The committed schema.graphql matches the schema the code builds."""

from pathlib import Path

from schema.build import build_schema
from settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_matches_code():
    expected = str(build_schema(Settings(_env_file=None))) + "\n"

    assert SCHEMA_FILE.read_text() == expected, (
        "schema.graphql is out of date; run `python server.py export-schema -o schema.graphql`"
    )
