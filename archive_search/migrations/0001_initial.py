"""The search index's table and its engine's full-text index: on PostgreSQL a stored generated
column `text_tsv` = to_tsvector('norwegian', text) with a GIN index over it, on SQLite an FTS5 table.

The column, not an expression index: ranking reads each hit's tsvector, and an expression index
would have it parsed and stemmed again for every hit (measured on 90,000 rows: ranking 8,475 hits
took 129 ms over the expression, 9 ms over the column).

The FTS5 table takes its text from archive_search_document (external content) and is kept in step
by triggers, so that every insert and delete through the ORM (bulk ones too) reaches it. SQLite
remakes a table to alter it and drops its triggers then: a later migration that alters
archive_search_document must create them again (FTS5_TRIGGERS) and rebuild the table
(`INSERT INTO archive_search_fts(archive_search_fts) VALUES('rebuild')`).
"""

import django.db.models.deletion
from django.db import migrations, models

GIN_NAME = "archive_search_text_gin"
PG_COLUMN = ("ALTER TABLE archive_search_document ADD COLUMN text_tsv tsvector "
             "GENERATED ALWAYS AS (to_tsvector('norwegian'::regconfig, text)) STORED")
PG_INDEX = f"CREATE INDEX {GIN_NAME} ON archive_search_document USING gin (text_tsv)"

# unicode61 with diacritics kept: "å", "ø" and "æ" are letters of their own in Norwegian ("får" is
# not "far"); case is folded for them too.
FTS5_TABLE = ("CREATE VIRTUAL TABLE archive_search_fts USING fts5(text, content='archive_search_document', "
              "content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
FTS5_TRIGGERS = [
    "CREATE TRIGGER archive_search_fts_insert AFTER INSERT ON archive_search_document BEGIN "
    "INSERT INTO archive_search_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER archive_search_fts_delete AFTER DELETE ON archive_search_document BEGIN "
    "INSERT INTO archive_search_fts(archive_search_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER archive_search_fts_update AFTER UPDATE ON archive_search_document BEGIN "
    "INSERT INTO archive_search_fts(archive_search_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO archive_search_fts(rowid, text) VALUES (new.id, new.text); END",
]


def create_fulltext(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Not a model field: SQLite has no tsvector (archive_search.selectors.vector() names it).
        schema_editor.execute(PG_COLUMN)
        schema_editor.execute(PG_INDEX)
    elif vendor == "sqlite":
        for sql in [FTS5_TABLE, *FTS5_TRIGGERS]:
            schema_editor.execute(sql)


def drop_fulltext(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GIN_NAME}")
        schema_editor.execute("ALTER TABLE archive_search_document DROP COLUMN IF EXISTS text_tsv")
    elif vendor == "sqlite":
        for name in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS archive_search_fts_{name}")
        schema_editor.execute("DROP TABLE IF EXISTS archive_search_fts")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('meetings', '0006_person_login_id'),
    ]

    operations = [
        migrations.CreateModel(
            name='Document',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('cue', 'Transcript'), ('item', 'Item'), ('proposal', 'Proposal'), ('decision', 'Decision')], max_length=10)),
                ('position', models.PositiveIntegerField()),
                ('text', models.TextField()),
                ('label', models.CharField(blank=True, max_length=300)),
                ('url', models.CharField(max_length=300)),
                ('seconds', models.PositiveIntegerField(blank=True, null=True)),
                ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='search_documents', to='meetings.meeting')),
            ],
            options={
                'ordering': ['meeting', 'position'],
                'constraints': [models.UniqueConstraint(fields=('meeting', 'position'), name='one_search_document_per_position')],
            },
        ),
        migrations.RunPython(create_fulltext, drop_fulltext),
    ]
