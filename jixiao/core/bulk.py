"""Batch reads and writes shared by the apps that compute over a province's rows (monitoring warnings,
self-evaluation scores): the ORM's SQL run on a plain cursor, stored numbers as Decimals, and UPDATE of many rows at
once (COPY and one UPDATE … FROM on PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction

from jixiao.core.money import Money


def bulk_set(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE model SET fields WHERE id = row[0], for many rows at once: on PostgreSQL through COPY into a temporary
    table and one UPDATE … FROM; elsewhere executemany. Values must already be what the columns store."""
    if not rows:
        return
    table = model._meta.db_table
    columns = [model._meta.get_field(f).column for f in fields]
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = {f: model._meta.get_field(f).db_type(connection) for f in fields}
            tmp = f"tmp_{table}_set"
            cursor.execute(f"CREATE TEMPORARY TABLE {tmp} (id bigint, "
                           + ", ".join(f"{qn(c)} {types[f]}" for f, c in zip(fields, columns, strict=True))
                           + ") ON COMMIT DROP")
            with cursor.cursor.copy(f"COPY {tmp} (id, {', '.join(qn(c) for c in columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # identifiers from the model's own metadata, values through COPY: nothing from outside in the SQL
            assignments = ", ".join(f"{qn(c)} = s.{qn(c)}" for c in columns)
            cursor.execute(f"UPDATE {qn(table)} AS t SET {assignments} FROM {tmp} AS s WHERE t.id = s.id")  # noqa: S608
            cursor.execute(f"DROP TABLE {tmp}")
        else:
            assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
            sql = f"UPDATE {qn(table)} SET {assignments} WHERE id = %s"  # noqa: S608 - identifiers from model metadata
            cursor.executemany(sql, [(*row[1:], row[0]) for row in rows])


def stored_decimal(value) -> Decimal | None:
    """A stored number as a Decimal: Decimal, its text (numerics read as text), or a float or int (SQLite)."""
    kind = type(value)
    if kind is Decimal or value is None:
        return value
    return Decimal(value) if kind is str else Decimal(str(value))


def raw_rows(qs, *, numeric_as_text: bool = False) -> list[tuple]:
    """Run the ORM's query on a plain cursor: values as the driver gives them, without the per-value converters of
    Django (money stays in fen). `numeric_as_text` (PostgreSQL): numeric columns arrive as their text, which hashes
    and compares cheaply; the rules turn them into Decimals only for inputs not seen before."""
    sql, sql_params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if numeric_as_text and connection.vendor == "postgresql":
            from psycopg.types.string import TextLoader

            cursor.cursor.adapters.register_loader("numeric", TextLoader)
        cursor.execute(sql, sql_params)
        return cursor.fetchall()


def as_money(value) -> Money:
    """A Sum() of a MoneyField (Money, or None for no rows, or fen on backends that lose the field) as Money."""
    if value is None:
        return Money(0)
    return value if isinstance(value, Money) else Money(int(value))
