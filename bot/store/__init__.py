"""The durable tier: SQL tables (SQLite by default, PostgreSQL for replicas) and their migrations.

Import from the modules (`bot.store.database`, `.inbox`, `.signals`, `.url`): this file stays
empty so that `bot.store.url` can be imported without loading SQLAlchemy.
"""
