"""Persistence of the API service: SQLAlchemy models, engine setup, Alembic migrations."""
from .db import Database, default_url, migrate
from .models import STATUSES

__all__ = ["STATUSES", "Database", "default_url", "migrate"]
